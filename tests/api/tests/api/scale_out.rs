//! Scale-out on LiveKit's multi-node mode: two livekit-server nodes on one Redis, an `onair`
//! replica in front of each, sharing nothing else. Whatever the audience does through one
//! replica, the other sees: the stream, the video, the OBS key, the end of the stream and the
//! recording.

use std::time::{Duration, Instant};

use onair_api::TokenResponse;
use onair_api_tests::{
    LiveKitTarget, TestApp, expect_error, recording_settings, second_livekit_node, spawn_app_with,
    watch,
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::TAKE_TURNS;
use crate::recording_real::{live_stream, start_recording, wait_for_status};

/// The room cache of both replicas: how long the other replica may go on issuing tokens for an
/// ended stream.
const ROOM_CACHE_TTL_MS: u64 = 1000;

async fn replica(livekit: &LiveKitTarget) -> TestApp {
    let settings = recording_settings();
    let ttl = ROOM_CACHE_TTL_MS.to_string();
    let mut overrides: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    overrides.push(("ROOM_CACHE_TTL_MS", &ttl));
    spawn_app_with(livekit, &overrides).await
}

async fn viewer_token(app: &TestApp, room: &str, name: &str) -> TokenResponse {
    let response = app.viewer_token(room, name).await;
    assert_eq!(response.status(), StatusCode::OK, "a viewer token");
    response.json().await.expect("TokenResponse JSON")
}

#[tokio::test]
async fn two_replicas_on_two_livekit_nodes_serve_one_audience() {
    // The recording part uses the shared egress worker.
    let _turn = TAKE_TURNS.lock().await;
    let node_b = second_livekit_node();
    let a = replica(&LiveKitTarget::shared()).await;
    let b = replica(&LiveKitTarget::of(&node_b)).await;

    // Rooms created through either replica are found through the other.
    let on_b = b.create_stream_as("Bea").await;
    let seen: Value = a
        .get_stream(on_b.room_id.as_str())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["hostName"], "Bea", "{seen}");

    // Ada goes live through replica A (her browser on LiveKit node A).
    let (stream, _camera) = live_stream(&a, "Ada").await;
    let room = stream.room_id.to_string();
    let ada = a.token_claims(&stream.host_token).sub;
    let seen: Value = b.get_stream(&room).await.json().await.unwrap();
    assert_eq!(seen["hostName"], "Ada", "{seen}");
    assert_eq!(seen["live"], true, "{seen}");

    // A viewer of each replica watches the same video, each through their replica's node.
    let on_a = viewer_token(&a, &room, "Vic").await;
    let on_b = viewer_token(&b, &room, "Wes").await;
    assert_ne!(
        on_a.server_url, on_b.server_url,
        "each replica sends viewers to its own node"
    );
    let (watched_a, watched_b) = tokio::join!(
        watch(&on_a.server_url, &on_a.token),
        watch(&on_b.server_url, &on_b.token)
    );
    println!("through A: {watched_a}; through B: {watched_b}");
    for watched in [&watched_a, &watched_b] {
        assert!(watched.starts_with("watched "), "{watched}");
        assert!(watched.ends_with(&ada), "Ada's camera: {watched}");
    }

    // An OBS key made through B (LiveKit node B) is found and deleted through A.
    let ingress = format!("/api/rooms/{room}/ingress");
    let response = b
        .post_json(
            &ingress,
            &serde_json::json!({"inputType": "rtmp"}),
            Some(&stream.host_key),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "B makes the OBS key"
    );
    let made: Value = response.json().await.unwrap();
    assert!(
        made["url"]
            .as_str()
            .is_some_and(|url| url.starts_with("rtmp://")),
        "node B hands out the RTMP URL: {made}"
    );
    let found: Value = a
        .get_with_key(&ingress, &stream.host_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["streamKey"], made["streamKey"], "A finds it: {found}");
    let response = a.delete(&ingress, Some(&stream.host_key)).await;
    assert!(
        response.status().is_success(),
        "A deletes it: {}",
        response.status()
    );

    // A recording started through A is stopped through B.
    let egress_id = start_recording(&a, &stream).await;
    let active = wait_for_status(&b, &room, &egress_id, "active", Duration::from_secs(30)).await;
    assert!(active.is_some(), "B sees the recording A started");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let response = b.stop_recording(&egress_id, Some(&stream.host_key)).await;
    assert_eq!(response.status(), StatusCode::OK, "B stops it");
    let stopped: Value = response.json().await.unwrap();
    assert_eq!(stopped["status"], "completed", "{stopped}");
    let listed = wait_for_status(&a, &room, &egress_id, "completed", Duration::from_secs(5)).await;
    assert!(listed.is_some(), "A lists the recording B stopped");

    // Ended through A: A refuses tokens at once, B within its room cache period.
    let _ = viewer_token(&b, &room, "Xia").await; // B has the live room in its cache
    let ended = a.end_stream(&room, Some(&stream.host_key)).await;
    assert!(ended.status().is_success(), "ended: {}", ended.status());
    let ended_at = Instant::now();
    expect_error(
        a.viewer_token(&room, "Yan").await,
        StatusCode::NOT_FOUND,
        "stream_not_found",
    )
    .await;
    let refused_after = loop {
        if b.viewer_token(&room, "Zoe").await.status() == StatusCode::NOT_FOUND {
            break ended_at.elapsed();
        }
        assert!(
            ended_at.elapsed() < Duration::from_millis(ROOM_CACHE_TTL_MS) * 3,
            "B still issues tokens for the ended stream"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!(
        "B refused tokens {refused_after:?} after the end (cache period {ROOM_CACHE_TTL_MS} ms)"
    );
    // Within the cache period, give or take one poll and one request.
    assert!(
        refused_after <= Duration::from_millis(ROOM_CACHE_TTL_MS + 250),
        "B refuses tokens within the room cache period, took {refused_after:?}"
    );
}
