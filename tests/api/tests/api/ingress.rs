//! A streamer gets an RTMP or WHIP endpoint for OBS: the server URL and a secret stream key,
//! shown only to the host, one per stream, deleted on request and when the stream ends. (The
//! encoder actually publishing — ffmpeg over RTMP, Chromium over WHIP — and viewers watching it
//! run in the browser suite, `tests/browser/07-obs.test.mjs`.)

use onair_api::CreatedRoom;
use onair_api_tests::{
    LiveKitTarget, SlowAnswerProxy, TestApp, expect_error, own_livekit, spawn_app, spawn_app_with,
};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// The host of `stream` asks for an encoder endpoint of `input_type` (`rtmp` or `whip`).
async fn ask_for_key(app: &TestApp, stream: &CreatedRoom, input_type: &str) -> Response {
    let ingress = format!("/api/rooms/{}/ingress", stream.room_id);
    app.post_json(
        &ingress,
        &json!({ "inputType": input_type }),
        Some(&stream.host_key),
    )
    .await
}

#[tokio::test]
async fn the_host_gets_an_rtmp_endpoint_once_sees_it_again_and_deletes_it() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let ingress = format!("/api/rooms/{}/ingress", stream.room_id);

    let response = ask_for_key(&app, &stream, "rtmp").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let url = created["url"].as_str().unwrap();
    let key = created["streamKey"].as_str().unwrap();
    assert!(url.starts_with("rtmp://"), "an RTMP server URL: {url}");
    assert!(key.len() >= 8, "a stream key: {key}");
    assert_eq!(created["inputType"], "rtmp");

    let response = ask_for_key(&app, &stream, "whip").await;
    expect_error(response, StatusCode::CONFLICT, "ingress_exists").await;

    // A reloaded studio finds it again.
    let again: Value = app
        .get_with_key(&ingress, &stream.host_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, created);

    let response = app.delete(&ingress, Some(&stream.host_key)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.get_with_key(&ingress, &stream.host_key).await;
    expect_error(response, StatusCode::NOT_FOUND, "ingress_not_found").await;
    let response = app.delete(&ingress, Some(&stream.host_key)).await;
    expect_error(response, StatusCode::NOT_FOUND, "ingress_not_found").await;

    // The key is a secret: never in onair's log.
    assert!(!app.logs().contains(key), "the stream key was logged");
}

#[tokio::test]
async fn a_whip_endpoint_is_an_http_url() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;

    let response = ask_for_key(&app, &stream, "whip").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert!(created["url"].as_str().unwrap().starts_with("http"));
    assert_eq!(created["inputType"], "whip");
}

#[tokio::test]
async fn only_the_host_of_this_stream_touches_its_ingress() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let other = app.create_stream_as("Grace").await;
    let ingress = format!("/api/rooms/{}/ingress", stream.room_id);
    let body = json!({"inputType": "rtmp"});

    let response = app.post_json(&ingress, &body, None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_host_key").await;
    let response = app.delete(&ingress, None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_host_key").await;
    let response = app.get(&ingress).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_host_key").await;

    let response = app.post_json(&ingress, &body, Some(&other.host_key)).await;
    expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;
    let response = app.delete(&ingress, Some(&other.host_key)).await;
    expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;
    let response = app.get_with_key(&ingress, &other.host_key).await;
    expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;

    // A viewer's token is no host key.
    let viewer: Value = app
        .viewer_token(stream.room_id.as_str(), "Viewer")
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .post_json(&ingress, &body, viewer["token"].as_str())
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;

    let response = ask_for_key(&app, &stream, "srt").await;
    let error = expect_error(response, StatusCode::BAD_REQUEST, "invalid_field").await;
    assert_eq!(error["field"], "inputType");
}

#[tokio::test]
async fn an_ended_stream_has_no_ingress_left() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let response = ask_for_key(&app, &stream, "rtmp").await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let response = app
        .end_stream(stream.room_id.as_str(), Some(&stream.host_key))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    assert_eq!(
        app.ingress_count(stream.room_id.as_str()).await,
        0,
        "LiveKit still holds the ended stream's ingress (its key would still publish)"
    );
}

#[tokio::test]
async fn a_livekit_without_ingress_says_so_with_503() {
    // A LiveKit of the test's own: no Redis, so no ingress.
    let livekit = own_livekit();
    let app = spawn_app_with(&LiveKitTarget::of(&livekit), &[]).await;
    let stream = app.create_stream_as("Ada").await;

    let response = ask_for_key(&app, &stream, "rtmp").await;
    let error = expect_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "ingress_unavailable",
    )
    .await;
    assert!(
        error["message"].as_str().unwrap().contains("OBS"),
        "the message says what is missing: {error}"
    );
}

#[tokio::test]
async fn a_key_livekit_deletes_but_answers_late_for_is_deleted_all_the_same() {
    // Deleting the key of an encoder that is sending waits for the ingress worker to stop its
    // pipeline, which a busy worker stretches past onair's bound on a LiveKit call; LiveKit
    // deletes the ingress all the same. Here its answer comes 2.5 s late, past a 1 s bound.
    let shared = LiveKitTarget::shared();
    let late = SlowAnswerProxy::start(
        &shared.url,
        "Ingress/DeleteIngress",
        Duration::from_millis(2500),
    )
    .await;
    let livekit = LiveKitTarget {
        url: late.url(),
        ..shared
    };
    let app = spawn_app_with(&livekit, &[("LIVEKIT_TIMEOUT_MS", "1000")]).await;
    let stream = app.create_stream_as("Ada").await;
    let ingress = format!("/api/rooms/{}/ingress", stream.room_id);
    let response = ask_for_key(&app, &stream, "rtmp").await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let response = app.delete(&ingress, Some(&stream.host_key)).await;
    assert_eq!(
        response.status(),
        StatusCode::NO_CONTENT,
        "the host is told the key is gone, not to try again"
    );
    assert_eq!(app.ingress_count(stream.room_id.as_str()).await, 0);
    assert!(
        app.logs()
            .contains("the ingress was deleted after LiveKit's answer timed out"),
        "onair looked after the timeout"
    );
}
