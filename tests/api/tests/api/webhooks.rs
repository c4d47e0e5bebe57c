//! LiveKit's webhooks: the real livekit-server tells onair what happens (a host joins and
//! publishes, a recording starts and ends) and onair acts on it; anything not signed by that
//! LiveKit, signed over another body, sent twice or too large is refused and changes nothing.

use std::time::Duration;

use onair_api_tests::{
    LiveKitTarget, TestApp, eventually, expect_error, spawn_app, spawn_recording_app_on,
    webhook_port,
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::TAKE_TURNS;
use crate::recording_real::{live_stream, start_recording, wait_for_status};

/// A webhook event as LiveKit writes one (protobuf JSON, camelCase, 64-bit numbers as strings).
fn room_finished(id: &str, room: &str) -> String {
    format!(
        r#"{{"event":"room_finished","id":"{id}","createdAt":"1764000000","room":{{"sid":"RM_x","name":"{room}"}}}}"#
    )
}

#[tokio::test]
async fn webhooks_not_signed_by_this_livekit_over_this_body_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.to_string();
    let body = room_finished("EV_forged", &room);

    let unsigned = app.send_webhook(body.clone(), None).await;
    expect_error(unsigned, StatusCode::UNAUTHORIZED, "webhook_rejected").await;

    let other_livekit = LiveKitTarget {
        api_secret: "a-secret-this-livekit-never-had-000".into(),
        ..app.livekit.clone()
    };
    let wrong_secret = TestApp::sign_webhook(&other_livekit, &body);
    let response = app.send_webhook(body.clone(), Some(&wrong_secret)).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "webhook_rejected").await;

    let signed_for_another_body =
        TestApp::sign_webhook(&app.livekit, &room_finished("EV_other", &room));
    let response = app
        .send_webhook(body.clone(), Some(&signed_for_another_body))
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "webhook_rejected").await;

    let huge = format!(
        r#"{{"event":"room_finished","id":"EV_huge","room":{{"name":"{room}","metadata":"{}"}}}}"#,
        "x".repeat(80 * 1024)
    );
    let response = app
        .send_webhook(
            huge.clone(),
            Some(&TestApp::sign_webhook(&app.livekit, &huge)),
        )
        .await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    let not_an_event = r#"{"event": 42}"#;
    let response = app
        .send_webhook(
            not_an_event,
            Some(&TestApp::sign_webhook(&app.livekit, not_an_event)),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "malformed_json").await;

    assert_eq!(app.webhooks_accepted("room_finished").await, 0);
    let info: Value = app.get_stream(&room).await.json().await.unwrap();
    assert_eq!(info["roomId"], room.as_str(), "the stream is still there");
}

#[tokio::test]
async fn a_webhook_sent_twice_is_taken_once() {
    let app = spawn_app().await;
    let body = room_finished("EV_twice", "abcdefghij0123");
    let signature = TestApp::sign_webhook(&app.livekit, &body);
    let first = app.send_webhook(body.clone(), Some(&signature)).await;
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    let again = app.send_webhook(body, Some(&signature)).await;
    expect_error(again, StatusCode::BAD_REQUEST, "webhook_replayed").await;
    assert_eq!(app.webhooks_accepted("room_finished").await, 1);
}

#[tokio::test]
async fn livekit_tells_onair_of_a_host_going_live_and_of_a_recording_ending() {
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app_on(webhook_port()).await;
    let (stream, _publisher) = live_stream(&app, "Ada").await;

    let heard = eventually(Duration::from_secs(10), || async {
        app.webhooks_accepted("participant_joined").await >= 1
            && app.webhooks_accepted("track_published").await >= 1
    })
    .await;
    assert!(
        heard.is_some(),
        "LiveKit's webhooks reached onair:\n{}",
        app.logs()
    );

    let egress_id = start_recording(&app, &stream).await;
    let recording = wait_for_status(
        &app,
        stream.room_id.as_str(),
        &egress_id,
        "active",
        Duration::from_secs(30),
    )
    .await;
    assert!(recording.is_some(), "the recording started");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stopped = app.stop_recording(&egress_id, Some(&stream.host_key)).await;
    assert_eq!(stopped.status(), StatusCode::OK);
    let stopped: Value = stopped.json().await.unwrap();
    assert_eq!(stopped["status"], "completed", "{stopped}");
    // Webhooks travel on their own: the stop answer may come before them.
    let started_and_ended = eventually(Duration::from_secs(15), || async {
        app.webhooks_accepted("egress_started").await >= 1
            && app.webhooks_accepted("egress_ended").await >= 1
    })
    .await;
    assert!(
        started_and_ended.is_some(),
        "egress_started and egress_ended reached onair:\n{}",
        app.logs()
    );
    assert!(
        !app.logs().contains("webhook refused"),
        "every webhook of the real LiveKit was accepted:\n{}",
        app.logs()
    );
}
