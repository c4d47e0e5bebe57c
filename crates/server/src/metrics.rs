//! Prometheus metrics through the `metrics` facade: one process-wide recorder, an HTTP
//! middleware counting requests by route and status, and the `/metrics` rendering. LiveKit
//! calls are counted where they are made (`livekit.rs`).

use axum::extract::MatchedPath;
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};
use tower::{Layer, Service};

/// How often recorded latencies are folded into their histograms (what the exporter's own
/// `install` would do every 5 s, too).
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide Prometheus recorder (installed on first use; every app in the process
/// shares it, as the `metrics` facade has one global recorder).
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
                .expect("bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first, which this crate never does.
            let _ = metrics::set_global_recorder(recorder);
            // The recorder keeps every latency sample until upkeep folds it into its buckets:
            // without this, memory would grow with each request until `/metrics` is read.
            let upkeep = handle.clone();
            let _ = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_INTERVAL);
                        upkeep.run_upkeep();
                    }
                });
            handle
        })
        .clone()
}

/// The counter and latency histogram of one (method, route, status).
struct RouteMetrics {
    method: Method,
    route: Box<str>,
    status: StatusCode,
    requests: metrics::Counter,
    duration: metrics::Histogram,
}

impl RouteMetrics {
    fn new(method: &Method, route: &str, status: StatusCode) -> Self {
        Self {
            method: method.clone(),
            route: route.into(),
            status,
            requests: metrics::counter!(
                "onair_http_requests_total",
                "method" => method.to_string(),
                "route" => route.to_owned(),
                "status" => status.as_u16().to_string()
            ),
            duration: metrics::histogram!(
                "onair_http_request_duration_seconds",
                "method" => method.to_string(),
                "route" => route.to_owned()
            ),
        }
    }

    fn is_for(&self, method: &Method, route: &str, status: StatusCode) -> bool {
        self.status == status && self.method == method && *self.route == *route
    }

    fn record(&self, took: Duration) {
        self.requests.increment(1);
        self.duration.record(took.as_secs_f64());
    }
}

/// The metric handles one tracked route has answered with, one per (method, route, status) —
/// a handful per route. Building a metric's key (three owned labels) and finding it in the
/// registry on every request cost as much as the rest of the token path's layers together, and
/// a process-wide map of handles still cost two hashes and two handle copies per request; this
/// short list, the route's own, is searched in place.
#[derive(Default)]
struct RouteHandles(RwLock<Vec<RouteMetrics>>);

impl RouteHandles {
    fn record(&self, method: &Method, route: &str, status: StatusCode, took: Duration) {
        let known = self.0.read().unwrap_or_else(|e| e.into_inner());
        if let Some(metrics) = known.iter().find(|m| m.is_for(method, route, status)) {
            return metrics.record(took);
        }
        drop(known);
        let mut known = self.0.write().unwrap_or_else(|e| e.into_inner());
        // Another request may have made them meanwhile.
        if let Some(metrics) = known.iter().find(|m| m.is_for(method, route, status)) {
            return metrics.record(took);
        }
        let made = RouteMetrics::new(method, route, status);
        made.record(took);
        known.push(made);
    }
}

/// Counts and times every request by method, matched route (never the raw path, whose ids
/// would explode the label set) and status. A plain tower layer rather than
/// `axum::middleware::from_fn`: its future is a concrete type, so a request through it costs no
/// boxed service and no boxed future (measured on the token path, the hot path of a viral link).
#[derive(Clone, Copy, Default)]
pub struct TrackHttpLayer;

impl<S> Layer<S> for TrackHttpLayer {
    type Service = TrackHttp<S>;

    fn layer(&self, inner: S) -> TrackHttp<S> {
        TrackHttp {
            inner,
            handles: Arc::default(),
        }
    }
}

/// The service [`TrackHttpLayer`] wraps a route in.
#[derive(Clone)]
pub struct TrackHttp<S> {
    inner: S,
    handles: Arc<RouteHandles>,
}

impl<S, B> Service<Request<B>> for TrackHttp<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Tracked<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let method = request.method().clone();
        let route = request.extensions().get::<MatchedPath>().cloned();
        Tracked {
            response: self.inner.call(request),
            started: Instant::now(),
            method,
            route,
            handles: Arc::clone(&self.handles),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request on its way through a tracked route: counted and timed when it is answered.
    pub struct Tracked<F> {
        #[pin]
        response: F,
        started: Instant,
        method: Method,
        route: Option<MatchedPath>,
        handles: Arc<RouteHandles>,
    }
}

impl<F, E> Future for Tracked<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = ready!(this.response.poll(cx));
        if let Ok(response) = &outcome {
            let route = this.route.as_ref().map_or("unmatched", MatchedPath::as_str);
            this.handles.record(
                this.method,
                route,
                response.status(),
                this.started.elapsed(),
            );
        }
        Poll::Ready(outcome)
    }
}
