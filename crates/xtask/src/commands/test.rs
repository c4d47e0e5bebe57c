//! `cargo xtask test`: everything CI runs, in order — format check, clippy (native, and the app
//! for wasm32), tools, a local LiveKit with the workers' stack (Redis, PulseAudio, SeaweedFS,
//! the egress and ingress workers) on free ports, `cargo test` of the workspace against it,
//! Schemathesis against the OpenAPI document (of an open `onair`, then of a private one), then
//! the browser suite (the release app in headless Chromium against its own supervised LiveKit,
//! workers, an open and a private `onair`, and an OpenID Connect provider), the Docker image
//! built with podman and checked (`cargo xtask image`), and last compose.yaml run for real
//! (`cargo xtask compose-check`) — then a summary. Every service is
//! stopped whatever happens (`Drop`, or the interrupt handler on Ctrl-C).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use xtask::stack::workers::{WorkerStack, WorkerTools};
use xtask::stack::{LiveKitOptions, LiveKitServer};
use xtask::{net, tools, workspace_root};

use super::browser::{BrowserStack, ensure_browser_tools, screenshots_dir};
use super::schemathesis::Access;
use super::{build_frontend, build_onair_debug, cargo, header, log_path, run_checked};

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

/// Runs the steps. Format, lint and test failures are recorded and the run goes on, so one run
/// shows every problem; a step the rest depends on (tools, LiveKit) ends it with `Err`.
fn steps(extra: &[String], outcomes: &mut Vec<Outcome>) -> Result<()> {
    const TOTAL: usize = 13;
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
        "--exclude",
        "onair-frontend",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ];
    let _ = step("clippy", format!("cargo {}", clippy.join(" ")), &mut || {
        run_checked(cargo(clippy), &format!("cargo {}", clippy.join(" ")))
    });

    let clippy_app = [
        "clippy",
        "-p",
        "onair-frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ];
    let _ = step(
        "clippy (app)",
        format!("cargo {}", clippy_app.join(" ")),
        &mut || {
            tools::ensure_wasm_target()?;
            run_checked(
                cargo(clippy_app),
                &format!("cargo {}", clippy_app.join(" ")),
            )
        },
    );

    let mut livekit_binary = PathBuf::new();
    let mut chromium = PathBuf::new();
    let mut oidc_provider = PathBuf::new();
    let mut worker_tools = None;
    step(
        "tools",
        "tools (wasm32 target, livekit-server, wasm-bindgen, npm packages, chromium, \
         OpenID Connect provider, workers' stack: Debian packages, egress, SeaweedFS, ingress)"
            .into(),
        &mut || {
            tools::ensure_wasm_target()?;
            tools::ensure_wasm_bindgen()?;
            tools::ensure_npm(&workspace_root().join("frontend"))?;
            (livekit_binary, chromium) = ensure_browser_tools()?;
            oidc_provider = tools::oidc_provider::ensure_oidc_provider()?;
            worker_tools = Some(tools::ensure_worker_tools()?);
            Ok(())
        },
    )?;
    let worker_tools: WorkerTools = worker_tools.expect("set by the tools step");

    let mut stack = None;
    step(
        "livekit",
        "start livekit-server and the workers (egress, ingress) on free ports".into(),
        &mut || {
            stack = Some(ApiStack::start(&livekit_binary, &worker_tools)?);
            Ok(())
        },
    )?;
    let mut stack = stack.expect("set by the livekit step");

    let mut test_args = vec![
        "test".to_owned(),
        "--workspace".to_owned(),
        "--exclude".to_owned(),
        "onair-frontend".to_owned(),
    ];
    test_args.extend(extra.iter().cloned());
    let _ = step(
        "tests",
        format!("cargo {}", test_args.join(" ")),
        &mut || stack.run_tests(&test_args, &livekit_binary, &chromium, &oidc_provider),
    );

    let _ = step(
        "schemathesis",
        "Schemathesis against /api/openapi.json: every phase and check, workers on".into(),
        &mut || {
            let st = tools::schemathesis::ensure_schemathesis()?;
            let onair = build_onair_debug()?;
            super::schemathesis::check(
                &st,
                &onair,
                &stack.livekit,
                &stack.workers.onair_env(),
                Access::Open,
                &[],
            )
        },
    );

    let _ = step(
        "schemathesis (private)",
        "Schemathesis again, against a private onair (ACCESS_MODE=private): streams created \
         with a creator key"
            .into(),
        &mut || {
            let st = tools::schemathesis::ensure_schemathesis()?;
            let onair = build_onair_debug()?;
            super::schemathesis::check(
                &st,
                &onair,
                &stack.livekit,
                &stack.workers.onair_env(),
                Access::Private {
                    oidc_provider: &oidc_provider,
                },
                &[],
            )
        },
    );

    let _ = step(
        "stop livekit",
        "stop livekit-server and the workers".into(),
        &mut || {
            stack.workers.stop();
            stack.livekit.stop()
        },
    );

    let app = step(
        "build app",
        "build the app (one wasm app per page, precompressed)".into(),
        &mut || build_frontend(true).map(drop),
    );

    let _ = step(
        "browser suite",
        "browser suite (tests/browser: node --test, headless Chromium)".into(),
        &mut || {
            if app.is_err() {
                bail!("skipped: the app did not build");
            }
            browser_suite(
                &livekit_binary,
                &chromium,
                &worker_tools,
                &oidc_provider,
                &[],
            )
        },
    );

    let image = step(
        "image",
        "the Docker image (cargo xtask image: podman build, then the operator's checks)".into(),
        &mut || super::image::run(&[]),
    );

    let _ = step(
        "compose",
        "compose.yaml for real (cargo xtask compose-check: up, a journey through Caddy, down, up)"
            .into(),
        &mut || {
            if image.is_err() {
                bail!("skipped: the image did not build");
            }
            super::compose_check::run(&[])
        },
    );
    Ok(())
}

/// The API suites' stack: LiveKit and its workers on free ports, LiveKit sending webhooks to
/// `webhook_port`, where the suites that need them start their onair.
pub struct ApiStack {
    livekit: LiveKitServer,
    workers: WorkerStack,
    webhook_port: u16,
}

impl ApiStack {
    pub fn start(livekit_binary: &Path, worker_tools: &WorkerTools) -> Result<Self> {
        let mut workers = WorkerStack::start(worker_tools, "test")?;
        let webhook_port = net::free_tcp_port()?;
        let options = workers.livekit_options(
            LiveKitOptions::free_ports(livekit_binary)
                .with_log_file(log_path("livekit-test.log")?)
                .with_webhooks_to(webhook_port),
        );
        let livekit = LiveKitServer::start(options)?;
        workers.start_workers(&livekit.url(), livekit.api_key(), livekit.api_secret())?;
        println!(
            "livekit-server at {} (log: {}), webhooks to port {webhook_port}\nworkers: {}",
            livekit.url(),
            livekit.log_file().display(),
            workers.describe()
        );
        Ok(Self {
            livekit,
            workers,
            webhook_port,
        })
    }

    /// `cargo {test_args}` (the API suites and the unit tests) against this stack, with the
    /// debug `onair` they start one process per test.
    fn run_tests(
        &self,
        test_args: &[String],
        livekit_binary: &Path,
        chromium: &Path,
        oidc_provider: &Path,
    ) -> Result<()> {
        let onair = build_onair_debug()?;
        let (livekit, workers) = (&self.livekit, &self.workers);
        let mut command = cargo(test_args);
        command
            .env("ONAIR_TEST_BIN", onair)
            .env("ONAIR_TEST_LIVEKIT_URL", livekit.url())
            .env("ONAIR_TEST_LIVEKIT_API_KEY", livekit.api_key())
            .env("ONAIR_TEST_LIVEKIT_API_SECRET", livekit.api_secret())
            .env("ONAIR_TEST_LIVEKIT_BIN", livekit_binary)
            .env("ONAIR_TEST_WEBHOOK_PORT", self.webhook_port.to_string())
            // The scale-out suite's second LiveKit node joins the same Redis.
            .env("ONAIR_TEST_REDIS_ADDRESS", workers.redis_address())
            // The recording suites' publisher (tests/browser/tools/publisher.mjs).
            .env("ONAIR_TEST_CHROMIUM", chromium)
            // The sign-in suites start their own OpenID Connect provider per test (its
            // redirect URI names the test's onair port).
            .env("ONAIR_TEST_OIDC_PROVIDER_BIN", oidc_provider);
        // The bucket (ONAIR_TEST_S3_*, ONAIR_TEST_AWS_*) and where encoders reach the
        // ingress (ONAIR_TEST_INGRESS_{RTMP,WHIP}_{URL,PORT}, ONAIR_TEST_INGRESS_PID_FILE).
        for (name, value) in workers.onair_env().into_iter().chain(workers.ingress_env()) {
            command.env(format!("ONAIR_TEST_{name}"), value);
        }
        if let Some(pid_file) = workers.egress_pid_file() {
            command.env("ONAIR_TEST_EGRESS_PID_FILE", pid_file);
        }
        run_checked(command, &format!("cargo {}", test_args.join(" ")))
    }

    fn stop(mut self) -> Result<()> {
        self.workers.stop();
        self.livekit.stop()
    }
}

/// `cargo xtask api [-- <cargo test args>]`: only the API suites (`tests/api`) against their
/// stack — tools, LiveKit with the workers, then `cargo test -p onair-api-tests` plus the
/// arguments (e.g. `-- webhooks` to run the tests whose name has `webhooks`).
pub fn api(args: &[String]) -> Result<()> {
    let extra: &[String] = match args.first().map(String::as_str) {
        Some("--") => &args[1..],
        _ => args,
    };
    header("tools");
    // The API suites' publisher is a browser page running the SDK from the app's packages.
    tools::ensure_npm(&workspace_root().join("frontend"))?;
    let (livekit_binary, chromium) = ensure_browser_tools()?;
    let oidc_provider = tools::oidc_provider::ensure_oidc_provider()?;
    let worker_tools = tools::ensure_worker_tools()?;
    header("livekit-server and the workers");
    let stack = ApiStack::start(&livekit_binary, &worker_tools)?;
    header("API suites");
    let mut test_args = vec![
        "test".to_owned(),
        "-p".to_owned(),
        "onair-api-tests".to_owned(),
    ];
    test_args.extend(extra.iter().cloned());
    let result = stack.run_tests(&test_args, &livekit_binary, &chromium, &oidc_provider);
    stack.stop()?;
    result
}

/// Runs the browser suite (`node --test --test-concurrency=1 tests/browser/`, plus `node_args`)
/// against its own stack: a supervised LiveKit, the workers and the debug `onair` serving
/// `frontend/dist` (build the app first), open, and a second one in private mode with the OpenID
/// Connect provider `oidc_provider`. Screenshots go to `target/e2e-screenshots`, emptied first.
pub fn browser_suite(
    livekit_binary: &Path,
    chromium: &Path,
    workers: &WorkerTools,
    oidc_provider: &Path,
    node_args: &[String],
) -> Result<()> {
    let onair = build_onair_debug()?;
    let shots = screenshots_dir();
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).with_context(|| format!("creating {}", shots.display()))?;
    let mut stack = BrowserStack::start(
        "e2e",
        livekit_binary,
        &onair,
        chromium,
        Some(workers),
        Some(oidc_provider),
    )?;
    let mut args = vec!["--test", "--test-concurrency=1"];
    args.extend(node_args.iter().map(String::as_str));
    if !node_args.iter().any(|a| a.starts_with("tests/")) {
        args.push("tests/browser/");
    }
    let result = stack.node(&args);
    stack.stop()?;
    println!("screenshots: {}", shots.display());
    result
}

/// `cargo xtask e2e [-- <node args>]`: only the browser suite — tools, the release app, then
/// [`browser_suite`]. Extra arguments go to `node` (e.g. `--test-name-pattern=chat`, or a test
/// file such as `tests/browser/02-not-found.test.mjs` instead of the whole folder).
pub fn e2e(args: &[String]) -> Result<()> {
    let extra: &[String] = match args.first().map(String::as_str) {
        Some("--") => &args[1..],
        _ => args,
    };
    header("tools");
    let (livekit_binary, chromium) = ensure_browser_tools()?;
    let oidc_provider = tools::oidc_provider::ensure_oidc_provider()?;
    let workers = tools::ensure_worker_tools()?;
    header("build the app (one wasm app per page, precompressed)");
    build_frontend(true)?;
    header("browser suite (tests/browser: node --test, headless Chromium)");
    browser_suite(&livekit_binary, &chromium, &workers, &oidc_provider, extra)
}
