//! A streamer creates a stream, shares it, and ends it.

use onair_api_tests::{eventually, expect_error, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn a_streamer_creates_a_stream_and_gets_a_share_link_without_the_host_key() {
    let app = spawn_app().await;

    let created = app.create_stream_as("Ada").await;

    assert_eq!(created.room_id.as_str().len(), 14);
    assert_eq!(
        created.share_url,
        app.url(&format!("/stream/{}", created.room_id))
    );
    assert!(
        !created.share_url.contains(&created.host_key),
        "the host key never travels in the share link"
    );
    assert_eq!(created.server_url, app.livekit.url.trim_end_matches('/'));
    app.livekit_accepts(&created.host_token)
        .await
        .expect("LiveKit accepts the host token");
}

#[tokio::test]
async fn two_streams_get_different_unguessable_ids() {
    let app = spawn_app().await;
    let first = app.create_stream_as("Ada").await;
    let second = app.create_stream_as("Ada").await;
    assert_ne!(first.room_id, second.room_id);
}

#[tokio::test]
async fn anyone_can_look_up_a_stream() {
    let app = spawn_app().await;
    let created = app
        .create_stream(&json!({"hostName": "  Grace  ", "title": " Compilers at night "}))
        .await
        .json::<Value>()
        .await
        .unwrap();
    let room_id = created["roomId"].as_str().unwrap();

    let response = app.get_stream(room_id).await;

    assert_eq!(response.status(), StatusCode::OK);
    let room: Value = response.json().await.unwrap();
    assert_eq!(room["roomId"], room_id);
    assert_eq!(room["hostName"], "Grace", "names are trimmed");
    assert_eq!(room["title"], "Compilers at night");
    assert_eq!(room["live"], false, "nobody publishes yet");
    assert_eq!(room["viewerCount"], 0);
    assert_eq!(room["isRecording"], false);
    assert!(room["createdAt"].as_u64().unwrap() > 1_700_000_000_000);
}

#[tokio::test]
async fn an_unknown_stream_is_not_found() {
    let app = spawn_app().await;
    let error = expect_error(
        app.get_stream("zzzzzzzzzzzzzz").await,
        StatusCode::NOT_FOUND,
        "stream_not_found",
    )
    .await;
    assert_eq!(error["message"], "stream not found");
    expect_error(
        app.get_stream("not-a-room-id").await,
        StatusCode::NOT_FOUND,
        "stream_not_found",
    )
    .await;
}

#[tokio::test]
async fn the_host_ends_the_stream_and_tokens_stop_at_once() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    assert_eq!(
        app.viewer_token(stream.room_id.as_str(), "Bob")
            .await
            .status(),
        StatusCode::OK
    );

    let ended = app
        .end_stream(stream.room_id.as_str(), Some(&stream.host_key))
        .await;

    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    expect_error(
        app.viewer_token(stream.room_id.as_str(), "Bob").await,
        StatusCode::NOT_FOUND,
        "stream_not_found",
    )
    .await;
    expect_error(
        app.get_stream(stream.room_id.as_str()).await,
        StatusCode::NOT_FOUND,
        "stream_not_found",
    )
    .await;
    let again = app
        .end_stream(stream.room_id.as_str(), Some(&stream.host_key))
        .await;
    expect_error(again, StatusCode::NOT_FOUND, "stream_not_found").await;
}

#[tokio::test]
async fn another_replica_stops_issuing_tokens_for_an_ended_stream_within_seconds() {
    let replica_a = spawn_app().await;
    let replica_b = spawn_app().await;
    let stream = replica_a.create_stream_as("Ada").await;
    // Replica B has the stream in its cache now.
    assert_eq!(
        replica_b
            .viewer_token(stream.room_id.as_str(), "Bob")
            .await
            .status(),
        StatusCode::OK
    );

    replica_a
        .end_stream(stream.room_id.as_str(), Some(&stream.host_key))
        .await;

    let refused_after = eventually(Duration::from_secs(5), || async {
        replica_b
            .viewer_token(stream.room_id.as_str(), "Bob")
            .await
            .status()
            == StatusCode::NOT_FOUND
    })
    .await;
    assert!(
        refused_after.is_some(),
        "replica B kept issuing tokens for an ended stream"
    );
}

#[tokio::test]
async fn the_host_removes_a_viewer_by_identity() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.as_str();

    let nobody = app
        .remove_participant(room, "viewer-doesnotexist", Some(&stream.host_key))
        .await;
    expect_error(nobody, StatusCode::NOT_FOUND, "participant_not_found").await;
    let the_host = app
        .remove_participant(room, "host-abc", Some(&stream.host_key))
        .await;
    expect_error(the_host, StatusCode::NOT_FOUND, "participant_not_found").await;
    let no_key = app.remove_participant(room, "viewer-abc", None).await;
    expect_error(no_key, StatusCode::UNAUTHORIZED, "missing_host_key").await;
}
