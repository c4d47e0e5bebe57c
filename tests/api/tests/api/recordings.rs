//! Recording endpoints: host-only, and clear about what is missing (no bucket configured, or a
//! bucket that does not answer).

use onair_api_tests::{LiveKitTarget, expect_error, spawn_app, spawn_app_with};
use reqwest::StatusCode;

#[tokio::test]
async fn without_recording_configured_the_host_is_told_it_is_unavailable() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.as_str();

    let start = app.start_recording(room, Some(&stream.host_key)).await;
    expect_error(
        start,
        StatusCode::SERVICE_UNAVAILABLE,
        "recording_unavailable",
    )
    .await;
    let stop = app.stop_recording("EG_x", Some(&stream.host_key)).await;
    expect_error(
        stop,
        StatusCode::SERVICE_UNAVAILABLE,
        "recording_unavailable",
    )
    .await;
    expect_error(
        app.list_recordings(room).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "recording_unavailable",
    )
    .await;
}

#[tokio::test]
async fn recording_is_host_only() {
    let app = spawn_app().await;
    let mine = app.create_stream_as("Ada").await;
    let theirs = app.create_stream_as("Mallory").await;
    let room = mine.room_id.as_str();

    expect_error(
        app.start_recording(room, None).await,
        StatusCode::UNAUTHORIZED,
        "missing_host_key",
    )
    .await;
    expect_error(
        app.start_recording(room, Some(&theirs.host_key)).await,
        StatusCode::FORBIDDEN,
        "host_key_rejected",
    )
    .await;
    let stop = app.stop_recording("EG_x", None).await;
    expect_error(stop, StatusCode::UNAUTHORIZED, "missing_host_key").await;
}

/// An app configured to record into a bucket at an address where nothing listens.
async fn app_with_unreachable_bucket() -> (onair_api_tests::TestApp, String) {
    let port = xtask::net::free_tcp_port().unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let app = spawn_app_with(
        &LiveKitTarget::shared(),
        &[
            ("S3_BUCKET_NAME", "recordings"),
            ("S3_ENDPOINT", &endpoint),
            ("S3_FORCE_PATH_STYLE", "true"),
            ("AWS_ACCESS_KEY_ID", "test-access"),
            ("AWS_SECRET_ACCESS_KEY", "test-secret-key"),
        ],
    )
    .await;
    (app, endpoint)
}

#[tokio::test]
async fn readiness_reports_an_unreachable_bucket_when_recording_is_configured() {
    let (app, _) = app_with_unreachable_bucket().await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["livekit"], "ok");
    assert_eq!(body["storage"], "unreachable");
}

#[tokio::test]
async fn recordings_may_play_from_the_bucket_and_nothing_else() {
    let (app, endpoint) = app_with_unreachable_bucket().await;
    let page = app.get("/").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains(&format!("media-src 'self' blob: {endpoint}")),
        "{csp}"
    );
}
