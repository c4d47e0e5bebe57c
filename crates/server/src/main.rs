//! `onair`: loads the configuration (a bad setting stops here with one line naming it) and
//! serves until Ctrl-C or SIGTERM. `onair healthcheck` probes a running server's `/healthz`
//! with the same configuration (the container's `HEALTHCHECK`); `onair doctor` checks the
//! deployment that configuration describes (LiveKit, its public URL, media ports, egress,
//! ingress, the bucket, the clock, webhooks: `doctor.rs`), one line per check, exit 1 when one
//! failed; `onair creator-key` manages the creator keys of `CREATOR_KEYS_FILE`.

use std::io::Write as _;

use onair_server::access::creator_keys::{self, CreatorKeys};
use onair_server::{config::Config, doctor, healthcheck, startup, telemetry};

const USAGE: &str =
    "usage: onair                          serve (configured by config/onair.toml and the environment)
       onair healthcheck              exit 0 when the server configured here answers /healthz
       onair doctor                   check the deployment configured here, one line per check
                                      (exit 0 when nothing failed, 1 otherwise)
       onair creator-key add <name>   make a creator key (printed once) in CREATOR_KEYS_FILE
       onair creator-key list         the keys' names
       onair creator-key remove <name>";

/// `onair creator-key …`: needs only `CREATOR_KEYS_FILE` (from the environment or the settings
/// file), not a whole working configuration.
fn creator_key_command(args: &[String]) -> std::process::ExitCode {
    use figment::providers::{Env, Format, Toml};
    let file = std::env::var("ONAIR_CONFIG")
        .unwrap_or_else(|_| onair_server::config::DEFAULT_CONFIG_FILE.to_owned());
    let path: Option<std::path::PathBuf> = figment::Figment::from(Toml::file(file))
        .merge(Env::raw().only(&["CREATOR_KEYS_FILE"]))
        .extract_inner("creator_keys_file")
        .ok()
        .filter(|p: &std::path::PathBuf| !p.as_os_str().is_empty());
    let Some(path) = path else {
        eprintln!("onair creator-key: set CREATOR_KEYS_FILE to the file that holds the keys");
        return std::process::ExitCode::from(2);
    };
    match creator_keys::command(&CreatorKeys::new(path), args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("onair creator-key: {why}");
            std::process::ExitCode::from(2)
        }
    }
}

/// mimalloc instead of glibc's malloc: the token path allocates a few small strings per request
/// on every worker thread, where mimalloc's per-thread free lists are faster and steadier
/// (measured with `cargo xtask bench`, see the README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("creator-key") {
        return creator_key_command(&args[1..]);
    }
    let command = args.first().cloned();
    if command
        .as_deref()
        .is_some_and(|arg| arg != "healthcheck" && arg != "doctor")
    {
        eprintln!("{USAGE}");
        return std::process::ExitCode::from(2);
    }
    let checking = command.as_deref() == Some("doctor");
    let config = match Config::load() {
        Ok(config) => config,
        Err(err) if checking => {
            let _ = writeln!(std::io::stdout(), "{}", doctor::configuration_failure(&err));
            return std::process::ExitCode::FAILURE;
        }
        Err(err) => {
            eprintln!("onair: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    if checking {
        return if doctor::run(&config).await {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        };
    }
    if command.is_some() {
        return match healthcheck::probe(healthcheck::probe_address(config.bind)) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(why) => {
                eprintln!("onair healthcheck: {why}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    telemetry::init(config.log_format);
    let app = match startup::Application::build(config.clone()).await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!("{err:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(
        address = %app.local_addr(),
        public_url = %config.public_url,
        livekit = %config.livekit.url,
        recording = config.s3.is_some(),
        access = ?config.access.mode,
        oidc = config.access.oidc.is_some(),
        creator_keys = config.access.creator_keys_file.is_some(),
        "OnAir is listening"
    );
    match app.run_until(startup::shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("server error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
