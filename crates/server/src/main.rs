//! `onair`: loads the configuration (a bad setting stops here with one line naming it) and
//! serves until Ctrl-C or SIGTERM. `onair healthcheck` probes a running server's `/healthz`
//! with the same configuration (the container's `HEALTHCHECK`).

use onair_server::{config::Config, healthcheck, startup, telemetry};

const USAGE: &str =
    "usage: onair             serve (configured by config/onair.toml and the environment)
       onair healthcheck exit 0 when the server configured here answers /healthz";

/// mimalloc instead of glibc's malloc: the token path allocates a few small strings per request
/// on every worker thread, where mimalloc's per-thread free lists are faster and steadier
/// (measured with `cargo xtask bench`, see the README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let command = std::env::args().nth(1);
    if command.as_deref().is_some_and(|arg| arg != "healthcheck") {
        eprintln!("{USAGE}");
        return std::process::ExitCode::from(2);
    }
    let config = match Config::load() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("onair: {err}");
            return std::process::ExitCode::from(2);
        }
    };
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
