//! `cargo xtask schemathesis`: does the OpenAPI document tell the whole truth? Schemathesis (the
//! pinned one, see [`xtask::tools::schemathesis`]) runs every phase (examples, coverage, fuzzing,
//! stateful) with every check against `/api/openapi.json` of a debug `onair` on a local LiveKit,
//! all on free loopback ports, as the host of a stream created for the run, and the command fails
//! unless it reports 0 failures. With `--with-workers` the workers' stack (Redis, PulseAudio,
//! SeaweedFS, egress and ingress) runs too: the recording operations record for real, and
//! LiveKit creates ingresses.
//!
//! With `--private` the `onair` runs in private mode (`ACCESS_MODE=private`, a creator keys file,
//! and an OpenID Connect provider to sign in with): xtask makes a creator key with
//! `onair creator-key add schemathesis`, creates the run's stream with it, and Schemathesis sends
//! it as the bearer of `POST /api/rooms` (so its stateful phase creates streams too) and the host
//! key to every other operation. `cargo xtask test` runs both, open then private.
//!
//! [`check`] is the part `cargo xtask test` shares: it runs against a LiveKit that is already up.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use xtask::process::run_tool;
use xtask::stack::oidc_provider::OidcProvider;
use xtask::stack::workers::WorkerStack;
use xtask::stack::{LiveKitOptions, LiveKitServer};
use xtask::tools::schemathesis::{Schemathesis, ensure_schemathesis};
use xtask::{net, target_dir, tools};

use super::{
    OnAir, WITH_WORKERS, build_onair_debug, header, is_workers_flag, log_path, make_creator_key,
};

/// The flag that runs Schemathesis against a private onair.
const PRIVATE: &str = "--private";

/// How the onair under test lets streams be created.
#[derive(Clone, Copy, Debug)]
pub enum Access<'a> {
    /// Anyone may create a stream (`ACCESS_MODE` unset).
    Open,
    /// `ACCESS_MODE=private`: a creator key (made for the run) or a session through the OpenID
    /// Connect provider `oidc_provider` (its binary, started for the run).
    Private { oidc_provider: &'a Path },
}

impl Access<'_> {
    /// Names the run's files: `schemathesis` or `schemathesis-private`.
    fn name(&self) -> &'static str {
        match self {
            Self::Open => "schemathesis",
            Self::Private { .. } => "schemathesis-private",
        }
    }
}

/// The environment variables the run's credentials reach Schemathesis's configuration through
/// (`${…}`), so that they are never written to disk.
const HOST_KEY_VAR: &str = "ONAIR_SCHEMATHESIS_HOST_KEY";
const CREATOR_KEY_VAR: &str = "ONAIR_SCHEMATHESIS_CREATOR_KEY";

/// Test cases per operation and phase: enough for the coverage phase to try every boundary and
/// for fuzzing to find a wrong status or schema, while a run stays within a few minutes on two
/// cores.
const MAX_EXAMPLES: u32 = 100;
/// Every phase Schemathesis has.
const PHASES: &str = "examples,coverage,fuzzing,stateful";

pub fn run(args: &[String]) -> Result<()> {
    let mut with_workers = false;
    let mut private = false;
    let mut extra: &[String] = &[];
    for (index, arg) in args.iter().enumerate() {
        match arg.as_str() {
            "--" => {
                extra = &args[index + 1..];
                break;
            }
            PRIVATE => private = true,
            flag if is_workers_flag(flag) => with_workers = true,
            other => bail!(
                "`cargo xtask schemathesis` does not take `{other}` ({WITH_WORKERS}, {PRIVATE}, \
                 then `-- <st run options>`)"
            ),
        }
    }

    header("tools");
    let st = ensure_schemathesis()?;
    let livekit_binary = tools::ensure_livekit_server()?;
    let oidc_provider = if private {
        Some(tools::oidc_provider::ensure_oidc_provider()?)
    } else {
        None
    };
    let worker_tools = if with_workers {
        Some(tools::ensure_worker_tools()?)
    } else {
        None
    };
    header("build onair (debug)");
    let onair_binary = build_onair_debug()?;

    header(if with_workers {
        "start livekit-server and the workers (egress, ingress) on free ports"
    } else {
        "start livekit-server on free ports"
    });
    let mut workers = worker_tools
        .as_ref()
        .map(|tools| WorkerStack::start(tools, "schemathesis"))
        .transpose()?;
    let mut options = LiveKitOptions::free_ports(livekit_binary)
        .with_log_file(log_path("schemathesis-livekit.log")?);
    if let Some(workers) = &workers {
        options = workers.livekit_options(options);
    }
    let mut livekit = LiveKitServer::start(options)?;
    let mut recording_env = Vec::new();
    if let Some(workers) = workers.as_mut() {
        workers.start_workers(&livekit.url(), livekit.api_key(), livekit.api_secret())?;
        println!("workers: {}", workers.describe());
        recording_env = workers.onair_env();
    }
    println!("livekit-server at {}", livekit.url());

    let access = match &oidc_provider {
        Some(oidc_provider) => Access::Private { oidc_provider },
        None => Access::Open,
    };
    let result = check(&st, &onair_binary, &livekit, &recording_env, access, extra);
    if let Some(mut workers) = workers {
        workers.stop();
    }
    let _ = livekit.stop();
    result
}

/// Starts `onair_binary` against `livekit` (plus `recording_env`, the recording stack's settings,
/// when it runs) with `access`, creates a stream through the API, and runs Schemathesis against
/// the server as that stream's host, with `extra` arguments appended to `st run`. Fails unless
/// Schemathesis reports 0 failures; prints its summary either way.
pub fn check(
    st: &Schemathesis,
    onair_binary: &Path,
    livekit: &LiveKitServer,
    recording_env: &[(&str, String)],
    access: Access<'_>,
    extra: &[String],
) -> Result<()> {
    let name = access.name();
    let port = net::free_tcp_port()?;
    let mut env = vec![
        ("LIVEKIT_URL", livekit.url()),
        ("LIVEKIT_API_KEY", livekit.api_key().to_owned()),
        ("LIVEKIT_API_SECRET", livekit.api_secret().to_owned()),
        // Schemathesis creates streams by the hundred; the limit itself is the API suite's.
        ("ROOM_CREATE_PER_MINUTE", "100000".to_owned()),
        ("ROOM_CREATE_BURST", "10000".to_owned()),
    ];
    env.extend(recording_env.iter().cloned());
    // Private: the OpenID Connect provider (stopped on drop, after onair) and a creator key.
    let mut provider = None;
    let mut creator_key = None;
    if let Access::Private { oidc_provider } = access {
        let started = OidcProvider::start(
            oidc_provider,
            &[format!("http://127.0.0.1:{port}/auth/callback")],
            log_path(&format!("{name}-oidc-provider.log"))?,
        )?;
        let keys_file = log_path(&format!("{name}-creator-keys.json"))?;
        creator_key = Some(make_creator_key(onair_binary, &keys_file, "schemathesis")?);
        env.push(("ACCESS_MODE", "private".to_owned()));
        env.push(("CREATOR_KEYS_FILE", keys_file.display().to_string()));
        env.extend(started.onair_env(started.allowed_user().email));
        println!(
            "private mode: creator keys in {}, OpenID Connect provider at {}",
            keys_file.display(),
            started.issuer_url()
        );
        provider = Some(started);
    }
    let onair_log = log_path(&format!("{name}-onair.log"))?;
    let mut onair = OnAir::start(onair_binary, port, &env, Some(&onair_log))?;
    onair.wait_healthy()?;
    println!("onair at {} (log: {})", onair.url(), onair_log.display());

    let stream = create_stream(&onair.url(), creator_key.as_deref())?;
    println!(
        "stream {} created for the run{}; Schemathesis is its host",
        stream.room_id,
        if creator_key.is_some() {
            " with the creator key"
        } else {
            ""
        }
    );
    let work_dir = work_dir(name);
    let _ = fs::remove_dir_all(&work_dir);
    fs::create_dir_all(&work_dir).with_context(|| format!("creating {}", work_dir.display()))?;
    let config = work_dir.join("schemathesis.toml");
    fs::write(
        &config,
        config_toml(
            &stream.room_id,
            !recording_env.is_empty(),
            creator_key.is_some(),
        ),
    )
    .with_context(|| format!("writing {}", config.display()))?;
    let log = work_dir.join("st-run.log");

    let url = format!("{}/api/openapi.json", onair.url());
    let mut run_args: Vec<String> = ["--checks", "all", "--phases", PHASES, "--max-examples"]
        .map(str::to_owned)
        .to_vec();
    run_args.push(MAX_EXAMPLES.to_string());
    run_args.extend(extra.iter().cloned());
    let mut command = st.command();
    command
        .arg("--config-file")
        .arg(&config)
        .arg("--no-color")
        .arg("run")
        .arg(&url)
        .args(&run_args)
        .arg("--report-dir")
        .arg(work_dir.join("report"))
        // The configuration reads the credentials from here (`${…}`).
        .env(HOST_KEY_VAR, &stream.host_key)
        // Hypothesis keeps its example database in the working folder.
        .current_dir(&work_dir);
    if let Some(key) = &creator_key {
        command.env(CREATOR_KEY_VAR, key);
    }
    let log_file = fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    command.stdout(log_file.try_clone()?).stderr(log_file);
    println!(
        "st run {url} {} with `Authorization: Bearer <hostKey>`{} (output: {})…",
        run_args.join(" "),
        if creator_key.is_some() {
            ", `Bearer <creator key>` on POST /api/rooms"
        } else {
            ""
        },
        log.display()
    );
    let started = Instant::now();
    let status = run_tool(command).context("running Schemathesis")?;
    let elapsed = started.elapsed();
    let onair_exited = onair.try_wait()?;
    onair.stop();
    drop(provider);

    let output = fs::read_to_string(&log).with_context(|| format!("reading {}", log.display()))?;
    let summary = summary_line(&output);
    let passed = status.success() && summary.is_some_and(reports_no_failure);
    print!("{}", report_section(&output, passed));
    println!(
        "\nschemathesis: {}; test cases: {} ({:.0} s; full output: {})",
        summary.unwrap_or("no summary line"),
        test_cases(&output).unwrap_or("not counted"),
        elapsed.as_secs_f64(),
        log.display()
    );
    if let Some(status) = onair_exited {
        bail!(
            "onair exited during the run ({status}); see {}",
            onair_log.display()
        );
    }
    if !passed {
        bail!(
            "Schemathesis found the OpenAPI document and the server disagreeing ({status}): {}",
            summary.unwrap_or("see the output above")
        );
    }
    Ok(())
}

/// A stream created for the run.
struct Stream {
    room_id: String,
    host_key: String,
}

/// `POST /api/rooms` as a streamer would (with the creator key as the bearer, in private mode).
fn create_stream(base: &str, creator_key: Option<&str>) -> Result<Stream> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting a tokio runtime")?;
    let created: Value = runtime
        .block_on(async {
            let mut request = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?
                .post(format!("{base}/api/rooms"))
                .json(&json!({ "hostName": "Schemathesis", "title": "The whole truth" }));
            if let Some(key) = creator_key {
                request = request.bearer_auth(key);
            }
            request.send().await?.error_for_status()?.json().await
        })
        .context("POST /api/rooms")?;
    let field = |name: &str| {
        created[name]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("POST /api/rooms answered without `{name}`: {created}"))
    };
    Ok(Stream {
        room_id: field("roomId")?,
        host_key: field("hostKey")?,
    })
}

/// Schemathesis's configuration for one run. Every request carries the stream's host key (from
/// the environment), but `POST /api/rooms` in private mode carries the creator key. The stream's
/// id is a dictionary that stands in, half of the time, for generated stream ids, so the
/// host-only operations get past the host check as well as being refused. With recording off,
/// the recording operations answer 503 `recording_unavailable` by design (the document says
/// so): that status is expected there, and only there.
fn config_toml(room_id: &str, recording: bool, private: bool) -> String {
    let mut config = format!(
        "# Written by `cargo xtask schemathesis` for one run.\n\
         \n\
         # Every request carries the host key of the stream created for the run.\n\
         headers = {{ Authorization = \"Bearer ${{{HOST_KEY_VAR}}}\" }}\n\
         \n\
         # The stream created for the run.\n\
         [dictionaries.stream]\n\
         values = [\"{room_id}\"]\n\
         \n\
         [parameters]\n\
         \"path.roomId\" = {{ dictionary = \"stream\", probability = 0.5 }}\n\
         \"body.roomName\" = {{ dictionary = \"stream\", probability = 0.5 }}\n"
    );
    if private {
        let _ = write!(
            config,
            "\n\
             # Private mode: creating a stream takes a creator key.\n\
             [[operations]]\n\
             include-path = \"/api/rooms\"\n\
             include-method = \"POST\"\n\
             headers = {{ Authorization = \"Bearer ${{{CREATOR_KEY_VAR}}}\" }}\n"
        );
    }
    if !recording {
        let _ = write!(
            config,
            "\n\
             # No S3 bucket is configured: recording is off, and the recording operations answer\n\
             # 503 `recording_unavailable`, as documented. Any other 5xx still fails.\n\
             [[operations]]\n\
             include-path-regex = \"^/api/recordings/\"\n\
             checks.not_a_server_error.expected-statuses = [\"2xx\", \"3xx\", \"4xx\", \"503\"]\n"
        );
    }
    config
}

/// Schemathesis's closing line, without its `=` rule: "No issues found in 41.3s",
/// "3 failures, 1 warning in 12.1s"…
fn summary_line(output: &str) -> Option<&str> {
    output
        .lines()
        .rev()
        .map(|line| line.trim().trim_matches('=').trim())
        .find(|line| !line.is_empty())
}

/// The count under "Test cases:", e.g. "1653 generated, 1653 passed, 2 skipped".
fn test_cases(output: &str) -> Option<&str> {
    let mut lines = output.lines();
    lines.find(|line| line.trim() == "Test cases:")?;
    lines.next().map(str::trim)
}

/// Whether a summary line reports neither failures nor errors (warnings are fine).
fn reports_no_failure(summary: &str) -> bool {
    let lower = summary.to_ascii_lowercase();
    !lower.contains("failure") && !lower.contains("error")
}

/// What to show of the output: from the failures on when there are any, else the summary.
fn report_section(output: &str, passed: bool) -> &str {
    let heading = |name: &str| {
        output
            .match_indices(name)
            .map(|(at, _)| output[..at].rfind('\n').map_or(0, |start| start + 1))
            .find(|&start| output[start..].starts_with('='))
    };
    let start = if passed {
        heading(" SUMMARY ")
    } else {
        heading(" FAILURES ")
            .or_else(|| heading(" ERRORS "))
            .or_else(|| heading(" SUMMARY "))
    };
    match start {
        Some(start) => &output[start..],
        // No section headings: Schemathesis stopped early; show everything it said.
        None => output,
    }
}

/// Where a run named `name` (`schemathesis`, `schemathesis-private`) leaves the output, the
/// configuration and the reports: `target/xtask/{name}`.
pub fn work_dir(name: &str) -> PathBuf {
    target_dir().join("xtask").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSED: &str = "\
Test cases:
  1200 generated, 1200 passed, 2 skipped

=================================== SUMMARY ====================================

API Operations:
  Selected: 11/11

============================ No issues found in 41.2s ============================
";

    const FAILED: &str = "\
progress…
=================================== FAILURES ===================================
_______________________________ POST /api/rooms ________________________________
- ST103 Undocumented status code
=================================== SUMMARY ====================================
======================= 9 failures, 2 warnings in 5.47s ========================
";

    #[test]
    fn the_summary_line_decides() {
        assert_eq!(summary_line(PASSED), Some("No issues found in 41.2s"));
        assert_eq!(
            test_cases(PASSED),
            Some("1200 generated, 1200 passed, 2 skipped")
        );
        assert!(reports_no_failure(summary_line(PASSED).unwrap()));
        assert_eq!(
            summary_line(FAILED),
            Some("9 failures, 2 warnings in 5.47s")
        );
        assert!(!reports_no_failure(summary_line(FAILED).unwrap()));
        assert!(reports_no_failure("1 warning in 3.0s"));
        assert!(!reports_no_failure("1 error in 3.0s"));
    }

    #[test]
    fn failures_are_shown_from_their_heading() {
        let failures = report_section(FAILED, false);
        assert!(failures.starts_with("====") && failures.contains("FAILURES"));
        assert!(!failures.contains("progress"));
        assert!(report_section(FAILED, false).contains("ST103"));
        assert!(report_section(PASSED, true).contains("SUMMARY"));
        assert!(!report_section(PASSED, true).contains("generated"));
    }

    #[test]
    fn recording_off_expects_503_on_the_recording_operations_only() {
        let off = config_toml("abcdefghij0123", false, false);
        assert!(off.contains("values = [\"abcdefghij0123\"]"));
        assert!(off.contains("include-path-regex = \"^/api/recordings/\""));
        assert!(!config_toml("abcdefghij0123", true, false).contains("[[operations]]"));
    }

    #[test]
    fn private_mode_creates_streams_with_the_creator_key() {
        let open = config_toml("abcdefghij0123", true, false);
        assert!(
            open.contains(
                "headers = { Authorization = \"Bearer ${ONAIR_SCHEMATHESIS_HOST_KEY}\" }"
            )
        );
        assert!(!open.contains(CREATOR_KEY_VAR));
        let private = config_toml("abcdefghij0123", true, true);
        assert!(private.contains("include-path = \"/api/rooms\"\ninclude-method = \"POST\""));
        assert!(private.contains("Bearer ${ONAIR_SCHEMATHESIS_CREATOR_KEY}"));
    }
}
