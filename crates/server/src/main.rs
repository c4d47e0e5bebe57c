//! `onair`: loads the configuration (a bad setting stops here with one line naming it) and
//! serves until Ctrl-C or SIGTERM.

use onair_server::{config::Config, startup, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = match Config::load() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("onair: {err}");
            return std::process::ExitCode::from(2);
        }
    };
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
