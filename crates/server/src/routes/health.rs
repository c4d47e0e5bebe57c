//! Operator endpoints: liveness, readiness (LiveKit answers), Prometheus metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;

use crate::state::AppState;

/// Readiness report: overall status and each dependency's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready`, `not_ready`, or `draining` once the server is shutting down.
    pub status: &'static str,
    /// `ok` or `unreachable`.
    pub livekit: &'static str,
    /// `ok`, `unreachable`, or `not_configured` when recording is off.
    pub storage: &'static str,
}

/// Liveness report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Liveness {
    /// Always `ok`.
    pub status: &'static str,
}

/// GET /healthz — the process is up (does not look at LiveKit, so a LiveKit outage never gets
/// healthy replicas restarted).
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Alive", body = Liveness)))]
pub async fn healthz() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}

/// GET /readyz — ready to serve: not shutting down, LiveKit answers with our credentials, and
/// the recording bucket answers when recording is configured.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness))
)]
pub async fn readyz(State(app): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let storage_check = async {
        match &app.recorder {
            None => "not_configured",
            Some(recorder) => match recorder.check_store().await {
                Ok(()) => "ok",
                Err(_) => "unreachable",
            },
        }
    };
    let (livekit, storage) = tokio::join!(app.livekit.check_ready(), storage_check);
    let livekit = if livekit.is_ok() { "ok" } else { "unreachable" };
    let draining = app.draining.is_on();
    let ready = !draining && livekit == "ok" && storage != "unreachable";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let report = Readiness {
        status: match (ready, draining) {
            (true, _) => "ready",
            (false, true) => "draining",
            (false, false) => "not_ready",
        },
        livekit,
        storage,
    };
    (status, Json(report))
}

/// GET /metrics — Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus metrics", content_type = "text/plain")))]
pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.prometheus.render(),
    )
}
