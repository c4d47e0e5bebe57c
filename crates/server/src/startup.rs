//! Putting the server together: the router with its layers (body limit, security headers,
//! metrics, request tracing, compression, JSON fallbacks) and an `Application` that binds (port 0
//! works, for tests), serves with connection info, and shuts down gracefully.
//!
//! The layers sit on the hot path of a viral link (`POST /api/token`), so each is as cheap as
//! it can be while doing its job; `cargo xtask bench` measures the whole against a bare handler.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::util::MapResponseLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::extract::BODY_LIMIT_BYTES;
use crate::routes;
use crate::state::AppState;

/// Responses smaller than this go out uncompressed: on a body of a few hundred bytes
/// compression saves next to nothing on the wire, while a brotli encoder costs more CPU than
/// the rest of the request (measured: the token path at 0.29 of a bare handler for browsers,
/// which all send `Accept-Encoding`).
pub const COMPRESS_MIN_BYTES: u16 = 1024;

/// Compression, for the answers that can run to many KB: the app's files that have no
/// precompressed twin, the OpenAPI document, `/metrics` and a stream's recordings. The API's
/// small answers (a token, a stream's state) do not pass through it at all: even deciding not to
/// compress — reading `Accept-Encoding`, checking the answer's size and type, wrapping its body —
/// was a sixth of the token path's own cost (measured in process, see the README).
pub fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new().compress_when(
        // tower-http's default predicate, with a higher floor than its 32 bytes.
        SizeAbove::new(COMPRESS_MIN_BYTES)
            .and(NotForContentType::GRPC)
            .and(NotForContentType::IMAGES)
            .and(NotForContentType::SSE),
    )
}

/// The whole HTTP app for `state`.
pub fn app(state: AppState) -> Router {
    let security_headers = Arc::new(SecurityHeaders::new(
        &crate::web_app::content_security_policy(&state.config),
    ));
    let web_app = state.web_app.clone();
    let serve_web_app = move |request: Request| async move { web_app.serve(request).await };
    let app_state = state.clone();
    let routes = routes::api_router()
        .route_layer(crate::metrics::TrackHttpLayer)
        .fallback(serve_web_app.layer(compression()))
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state);
    // A line per request, at debug level (`RUST_LOG=tower_http=debug`). Layered only when those
    // lines would be written, as the filter is set once at startup: otherwise its timing and
    // body wrapping cost about 1 µs per request for nothing. Failures are logged where they
    // happen (LiveKit, S3, egress), with their context, either way.
    let routes = if tracing::enabled!(target: "tower_http::trace::on_response", tracing::Level::DEBUG)
    {
        routes.layer(TraceLayer::new_for_http())
    } else {
        routes
    };
    // Every response passes here, the fallbacks' too. Wrapped around the whole router once,
    // rather than with `Router::layer`, which wraps each route in them: a request then clones
    // (and boxes anew) one service per layer per request.
    let layered = ServiceBuilder::new()
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(MapResponseLayer::new(move |response| {
            let mut response = with_security_headers(response, &security_headers);
            if app_state.draining.is_on() {
                // Shutting down: clients open their next connection elsewhere.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }))
        .service(routes);
    Router::new().fallback_service(layered)
}

/// The headers every response carries unless it set its own (a handler that needs another
/// policy keeps it).
struct SecurityHeaders {
    /// For pages and files: the app's policy and permissions.
    documents: Vec<(HeaderName, HeaderValue)>,
    /// For the API's JSON answers, which no browser renders as a page: what OWASP's REST
    /// security guidance gives an API (nothing may load, nothing may frame it, no sniffing).
    /// The page policy would add some 500 bytes to every token answer for nothing.
    api: Vec<(HeaderName, HeaderValue)>,
}

impl SecurityHeaders {
    fn new(csp: &str) -> Self {
        let csp = HeaderValue::from_str(csp).expect("the Content-Security-Policy is ASCII");
        let nosniff = (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        let no_framing = (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        let referrer = (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
        Self {
            documents: vec![
                (header::CONTENT_SECURITY_POLICY, csp),
                nosniff.clone(),
                referrer.clone(),
                no_framing.clone(),
                (
                    HeaderName::from_static("permissions-policy"),
                    HeaderValue::from_static(
                        "camera=(self), microphone=(self), display-capture=(self), fullscreen=(self)",
                    ),
                ),
            ],
            api: vec![
                (
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(API_CONTENT_SECURITY_POLICY),
                ),
                nosniff,
                referrer,
                no_framing,
            ],
        }
    }

    /// The set for `response`: JSON answers get the API's.
    fn for_response(&self, response: &Response) -> &[(HeaderName, HeaderValue)] {
        let is_json = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
        if is_json { &self.api } else { &self.documents }
    }
}

/// The Content-Security-Policy of the API's JSON answers.
const API_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Adds the security headers in one pass (five `SetResponseHeader` layers cost five nested
/// futures per request for the same result).
fn with_security_headers(mut response: Response, headers: &SecurityHeaders) -> Response {
    let headers = headers.for_response(&response);
    let map = response.headers_mut();
    map.reserve(headers.len());
    for (name, value) in headers {
        map.entry(name).or_insert_with(|| value.clone());
    }
    response
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
    state: AppState,
}

impl Application {
    /// Binds the configured address (port 0 picks a free port).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen on {}: {err}", config.bind))?;
        let state = AppState::new(config);
        Ok(Self {
            listener,
            router: app(state.clone()),
            state,
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
        let state = self.state.clone();
        let shutdown = async move {
            shutdown.await;
            state.draining.start();
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    /// The app without a LiveKit behind it (the requests below never reach one), serving `dir`.
    fn test_app(dir: &std::path::Path) -> Router {
        let config = Config::from_pairs([
            ("LIVEKIT_URL", "ws://127.0.0.1:9".to_owned()),
            ("LIVEKIT_API_KEY", "devkey".to_owned()),
            (
                "LIVEKIT_API_SECRET",
                "a-secret-that-is-long-enough-000000".to_owned(),
            ),
            ("STATIC_DIR", dir.display().to_string()),
        ])
        .unwrap();
        app(AppState::new(config))
    }

    async fn get(app: &Router, path: &str) -> Response {
        let request = Request::get(path)
            .header(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")
            .body(Body::empty())
            .unwrap();
        app.clone().oneshot(request).await.unwrap()
    }

    #[tokio::test]
    async fn small_answers_plain_large_ones_compressed_all_with_their_security_headers() {
        let dir = std::env::temp_dir().join(format!("onair-startup-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("app.js"), "console.log('OnAir');\n".repeat(200)).unwrap();
        let app = test_app(&dir);

        let small = get(&app, "/healthz").await;
        let large = get(&app, "/app.js").await;
        let document = get(&app, "/api/openapi.json").await;
        let missing = get(&app, "/api/nothing-here").await;
        std::fs::remove_dir_all(&dir).unwrap();

        assert_eq!(small.status(), StatusCode::OK);
        assert!(small.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(large.status(), StatusCode::OK);
        assert!(large.headers().get(header::CONTENT_ENCODING).is_some());
        assert_eq!(document.status(), StatusCode::OK);
        assert!(document.headers().get(header::CONTENT_ENCODING).is_some());
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        for response in [&small, &large, &document, &missing] {
            let headers = response.headers();
            assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
            assert_eq!(
                headers[header::REFERRER_POLICY],
                "strict-origin-when-cross-origin"
            );
        }
        // The app's files carry the app's policy; the API's JSON answers the API's.
        assert!(
            large.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
        assert!(large.headers().contains_key("permissions-policy"));
        for answer in [&small, &document, &missing] {
            assert_eq!(
                answer.headers()[header::CONTENT_SECURITY_POLICY],
                API_CONTENT_SECURITY_POLICY
            );
        }
    }

    #[test]
    fn a_response_keeps_its_own_policy() {
        let mut response = Response::new(Body::empty());
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'"),
        );
        let response = with_security_headers(response, &SecurityHeaders::new("default-src 'self'"));
        assert_eq!(
            response.headers()[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'"
        );
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    }
}
