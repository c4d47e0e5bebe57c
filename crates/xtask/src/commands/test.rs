//! `cargo xtask test`: everything CI runs, in order — format check, clippy, tools, a local
//! LiveKit on free ports, `cargo test --workspace` against it — then a summary. LiveKit is
//! stopped whatever happens (`Drop`, or the interrupt handler on Ctrl-C).

use std::time::Instant;

use anyhow::{Result, bail};
use xtask::stack::{LiveKitOptions, LiveKitServer};
use xtask::tools;

use super::{cargo, header, log_path, run_checked};

/// One step's outcome, for the summary.
struct Outcome {
    name: &'static str,
    seconds: f64,
    error: Option<String>,
}

pub fn run(args: &[String]) -> Result<()> {
    let extra: &[String] = match args.first().map(String::as_str) {
        Some("--") => &args[1..],
        _ => args,
    };
    let mut outcomes = Vec::new();
    let result = steps(extra, &mut outcomes);

    header("Summary");
    for outcome in &outcomes {
        let verdict = if outcome.error.is_some() {
            "FAILED"
        } else {
            "ok"
        };
        println!(
            "  {verdict:<7} {:<30} {:>7.1} s",
            outcome.name, outcome.seconds
        );
    }
    let failed: Vec<_> = outcomes.iter().filter_map(|o| o.error.as_deref()).collect();
    for error in &failed {
        println!("  - {error}");
    }
    result?;
    if !failed.is_empty() {
        bail!("{} of {} steps failed", failed.len(), outcomes.len());
    }
    println!("\nall {} steps passed", outcomes.len());
    Ok(())
}

/// Runs the steps. Format and lint failures are recorded and the run goes on, so one run shows
/// every problem; a step the rest depends on (tools, LiveKit) ends it with `Err`.
fn steps(extra: &[String], outcomes: &mut Vec<Outcome>) -> Result<()> {
    const TOTAL: usize = 6;
    let mut step = |name: &'static str, title: String, f: &mut dyn FnMut() -> Result<()>| {
        header(&format!("[{}/{TOTAL}] {title}", outcomes.len() + 1));
        let start = Instant::now();
        let result = f();
        let error = result.as_ref().err().map(|e| format!("{name}: {e:#}"));
        outcomes.push(Outcome {
            name,
            seconds: start.elapsed().as_secs_f64(),
            error,
        });
        result
    };

    let fmt = ["fmt", "--all", "--", "--check"];
    let _ = step("format", format!("cargo {}", fmt.join(" ")), &mut || {
        run_checked(cargo(fmt), "cargo fmt --all -- --check")
    });

    let clippy = [
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ];
    let _ = step("clippy", format!("cargo {}", clippy.join(" ")), &mut || {
        run_checked(cargo(clippy), &format!("cargo {}", clippy.join(" ")))
    });

    let mut livekit_binary = None;
    step(
        "tools",
        "tools (wasm32 target, livekit-server)".into(),
        &mut || {
            tools::ensure_wasm_target()?;
            livekit_binary = Some(tools::ensure_livekit_server()?);
            Ok(())
        },
    )?;
    let livekit_binary = livekit_binary.expect("set by the tools step");

    let mut livekit = None;
    step(
        "livekit",
        "start livekit-server on free ports".into(),
        &mut || {
            let options = LiveKitOptions::free_ports(&livekit_binary)
                .with_log_file(log_path("livekit-test.log")?);
            let server = LiveKitServer::start(options)?;
            println!(
                "livekit-server at {} (log: {})",
                server.url(),
                server.log_file().display()
            );
            livekit = Some(server);
            Ok(())
        },
    )?;
    let mut livekit = livekit.expect("set by the livekit step");

    let mut test_args = vec!["test".to_owned(), "--workspace".to_owned()];
    test_args.extend(extra.iter().cloned());
    let _ = step(
        "tests",
        format!("cargo {}", test_args.join(" ")),
        &mut || {
            // The API suites start the real `onair` binary, one process per test.
            let build = ["build", "--package", "onair-server", "--bin", "onair"];
            run_checked(
                cargo(build),
                "cargo build --package onair-server --bin onair",
            )?;
            let mut command = cargo(&test_args);
            command
                .env("ONAIR_TEST_BIN", xtask::target_dir().join("debug/onair"))
                .env("ONAIR_TEST_LIVEKIT_URL", livekit.url())
                .env("ONAIR_TEST_LIVEKIT_API_KEY", livekit.api_key())
                .env("ONAIR_TEST_LIVEKIT_API_SECRET", livekit.api_secret())
                .env("ONAIR_TEST_LIVEKIT_BIN", &livekit_binary);
            run_checked(command, &format!("cargo {}", test_args.join(" ")))
        },
    );

    let _ = step("stop livekit", "stop livekit-server".into(), &mut || {
        livekit.stop()
    });
    Ok(())
}
