//! Putting the server together: the router with its layers (body limit, security headers,
//! metrics, request tracing, JSON fallbacks) and an `Application` that binds (port 0 works, for
//! tests), serves with connection info, and shuts down gracefully.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::extract::BODY_LIMIT_BYTES;
use crate::routes;
use crate::state::AppState;

/// The whole HTTP app for `state`.
pub fn app(state: AppState) -> Router {
    let csp = crate::web_app::content_security_policy(&state.config);
    let web_app = state.web_app.clone();
    routes::api_router()
        .route_layer(axum::middleware::from_fn(crate::metrics::track_http))
        .fallback(move |request: Request| async move { web_app.serve(request).await })
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(security_header(header::CONTENT_SECURITY_POLICY, &csp))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(
            header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        ))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(
            HeaderName::from_static("permissions-policy"),
            "camera=(self), microphone=(self), display-capture=(self), fullscreen=(self)",
        ))
}

fn security_header(name: HeaderName, value: &str) -> SetResponseHeaderLayer<HeaderValue> {
    let value = HeaderValue::from_str(value).expect("security header values are ASCII");
    SetResponseHeaderLayer::if_not_present(name, value)
}

/// How long in-flight requests may take to finish after a shutdown signal. The slowest request
/// waits on LiveKit for at most `livekit_timeout_ms` (2.5 s by default); container runtimes send
/// SIGKILL 10 s after SIGTERM, so whatever is still running after this is cut short on our
/// terms, logged, and the process still exits cleanly.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(8);

/// How long the server keeps serving after a shutdown signal, answering every response with
/// `Connection: close`, before it stops accepting. A client that sent a request on a kept-alive
/// connection just as the signal came is answered, not cut off, and every client learns to open
/// its next connection anew.
pub const LINGER: Duration = Duration::from_secs(1);

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    draining: Arc<AtomicBool>,
}

impl Application {
    /// Binds the configured address (port 0 picks a free port).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen on {}: {err}", config.bind))?;
        let draining = Arc::new(AtomicBool::new(false));
        let flag = draining.clone();
        let router = app(AppState::new(config)).layer(axum::middleware::map_response(
            move |mut response: axum::response::Response| {
                let draining = flag.load(Ordering::Relaxed);
                async move {
                    if draining {
                        response
                            .headers_mut()
                            .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    }
                    response
                }
            },
        ));
        Ok(Self {
            listener,
            router,
            draining,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then for [`LINGER`] more with `Connection: close`,
    /// then stops accepting and finishes in-flight requests (for at most [`DRAIN_LIMIT`]).
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (signalled, drain_started) = tokio::sync::oneshot::channel::<()>();
        let draining = self.draining.clone();
        let shutdown = async move {
            shutdown.await;
            draining.store(true, Ordering::Relaxed);
            tokio::time::sleep(LINGER).await;
            let _ = signalled.send(());
        };
        let serve = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown);
        let drain_limit = async move {
            match drain_started.await {
                Ok(()) => tokio::time::sleep(DRAIN_LIMIT).await,
                // The server stopped on its own (an error): nothing to time.
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            served = serve => served?,
            () = drain_limit => tracing::warn!(
                limit_seconds = DRAIN_LIMIT.as_secs(),
                "requests still in flight at the drain limit: exiting without them"
            ),
        }
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
