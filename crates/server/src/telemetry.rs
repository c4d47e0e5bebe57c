//! Logging: `tracing` with a text or JSON formatter, filtered by `RUST_LOG` (default `info`).
//! Initialised once per process; secrets never reach a log line because configuration keeps
//! them in `SecretString` and errors carry no credentials.

use crate::config::LogFormat;
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

/// Installs the global subscriber. Calling it again (tests spawn many apps) is harmless.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,onair_server=info,tower_http=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false),
            )
            .try_init(),
        LogFormat::Text => registry.with(fmt::layer().compact()).try_init(),
    };
}
