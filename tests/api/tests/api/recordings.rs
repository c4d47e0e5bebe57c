//! Recording endpoints exist and say clearly that recording is not configured.

use onair_api_tests::{expect_error, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn without_recording_configured_the_host_is_told_it_is_unavailable() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.as_str();

    let start = app
        .post_json(
            "/api/recordings/start",
            &json!({"roomName": room}),
            Some(&stream.host_key),
        )
        .await;
    expect_error(
        start,
        StatusCode::SERVICE_UNAVAILABLE,
        "recording_unavailable",
    )
    .await;
    let stop = app
        .post_json(
            "/api/recordings/stop",
            &json!({"egressId": "EG_x"}),
            Some(&stream.host_key),
        )
        .await;
    expect_error(
        stop,
        StatusCode::SERVICE_UNAVAILABLE,
        "recording_unavailable",
    )
    .await;
    expect_error(
        app.get(&format!("/api/recordings/{room}")).await,
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
    let body = json!({"roomName": mine.room_id.as_str()});

    expect_error(
        app.post_json("/api/recordings/start", &body, None).await,
        StatusCode::UNAUTHORIZED,
        "missing_host_key",
    )
    .await;
    expect_error(
        app.post_json("/api/recordings/start", &body, Some(&theirs.host_key))
            .await,
        StatusCode::FORBIDDEN,
        "host_key_rejected",
    )
    .await;
    let stop = app
        .post_json("/api/recordings/stop", &json!({"egressId": "EG_x"}), None)
        .await;
    expect_error(stop, StatusCode::UNAUTHORIZED, "missing_host_key").await;
}
