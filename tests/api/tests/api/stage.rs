//! The stage over HTTP: who may raise a hand, and who may invite a viewer on stage or take
//! them off. (The whole journey — hand up, invite, the guest publishing, off stage — runs in
//! the browser suite, `tests/browser/06-stage.test.mjs`, with real browsers in the room.)

use onair_api_tests::{expect_error, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn viewer_token(app: &onair_api_tests::TestApp, room_id: &str) -> (String, String) {
    let token: Value = app
        .viewer_token(room_id, "Viewer")
        .await
        .json()
        .await
        .unwrap();
    (
        token["token"].as_str().unwrap().to_owned(),
        token["identity"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn raising_a_hand_takes_the_viewers_own_token_for_this_stream() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let other = app.create_stream_as("Grace").await;
    let room = stream.room_id.as_str();
    let hand = format!("/api/rooms/{room}/hand");

    let response = app.post_json(&hand, &json!({}), None).await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "missing_participant_token",
    )
    .await;

    let (elsewhere, _) = viewer_token(&app, other.room_id.as_str()).await;
    let response = app.post_json(&hand, &json!({}), Some(&elsewhere)).await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "participant_token_rejected",
    )
    .await;

    let response = app.post_json(&hand, &json!({}), Some("not-a-token")).await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "participant_token_rejected",
    )
    .await;

    // The host does not raise a hand on their own stream.
    let response = app
        .post_json(&hand, &json!({}), Some(&stream.host_token))
        .await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "participant_token_rejected",
    )
    .await;

    // A host key is not a participant token either.
    let response = app.delete(&hand, Some(&stream.host_key)).await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "participant_token_rejected",
    )
    .await;

    // A viewer's own token, but the viewer never joined the room.
    let (token, _) = viewer_token(&app, room).await;
    let response = app.post_json(&hand, &json!({}), Some(&token)).await;
    expect_error(response, StatusCode::NOT_FOUND, "participant_not_found").await;
    let response = app.delete(&hand, Some(&token)).await;
    expect_error(response, StatusCode::NOT_FOUND, "participant_not_found").await;
}

#[tokio::test]
async fn only_the_host_invites_on_stage_or_takes_off_and_only_viewers() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let other = app.create_stream_as("Grace").await;
    let room = stream.room_id.as_str();
    let (_, viewer) = viewer_token(&app, room).await;
    let stage = format!("/api/rooms/{room}/stage/{viewer}");

    let response = app.post_json(&stage, &json!({}), None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_host_key").await;
    let response = app.delete(&stage, None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_host_key").await;

    let response = app
        .post_json(&stage, &json!({}), Some(&other.host_key))
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;
    let response = app.delete(&stage, Some(&other.host_key)).await;
    expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;

    // A viewer who is not in the room, the host, and nonsense are nobody to invite.
    for identity in [viewer.as_str(), "host-abcdefghijkl", "nobody"] {
        let path = format!("/api/rooms/{room}/stage/{identity}");
        let response = app
            .post_json(&path, &json!({}), Some(&stream.host_key))
            .await;
        expect_error(response, StatusCode::NOT_FOUND, "participant_not_found").await;
        let response = app.delete(&path, Some(&stream.host_key)).await;
        expect_error(response, StatusCode::NOT_FOUND, "participant_not_found").await;
    }

    // A guest may take themselves off with their own token (here the viewer is not in the
    // room, so LiveKit answers 404 — past the authorization), but nobody else's, and may not
    // invite themselves.
    let (own, identity) = viewer_token(&app, room).await;
    let own_stage = format!("/api/rooms/{room}/stage/{identity}");
    let response = app.delete(&own_stage, Some(&own)).await;
    expect_error(response, StatusCode::NOT_FOUND, "participant_not_found").await;
    let response = app.delete(&stage, Some(&own)).await;
    expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;
    let response = app.post_json(&own_stage, &json!({}), Some(&own)).await;
    expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;

    let response = app
        .post_json(
            &format!("/api/rooms/zzzzzzzzzzzzzz/stage/{viewer}"),
            &json!({}),
            Some(&stream.host_key),
        )
        .await;
    assert!(
        matches!(
            response.status(),
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ),
        "another stream's id with this host key: {}",
        response.status()
    );
}

#[tokio::test]
async fn a_viewer_names_themselves_with_their_own_token_only() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let other = app.create_stream_as("Grace").await;
    let room = stream.room_id.as_str();
    let name = format!("/api/rooms/{room}/name");
    let body = json!({"name": "Sam"});

    let response = app.put_json(&name, &body, None).await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "missing_participant_token",
    )
    .await;

    let (elsewhere, _) = viewer_token(&app, other.room_id.as_str()).await;
    let response = app.put_json(&name, &body, Some(&elsewhere)).await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "participant_token_rejected",
    )
    .await;

    // The host's token, or the host key, renames nobody here.
    for key in [&stream.host_token, &stream.host_key] {
        let response = app.put_json(&name, &body, Some(key)).await;
        expect_error(
            response,
            StatusCode::FORBIDDEN,
            "participant_token_rejected",
        )
        .await;
    }

    // A name is checked like any other: 1–64 characters, no control characters.
    let (token, _) = viewer_token(&app, room).await;
    for bad in [
        json!({"name": " "}),
        json!({"name": "a\u{0007}b"}),
        json!({}),
    ] {
        let response = app.put_json(&name, &bad, Some(&token)).await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, "invalid_field").await;
        assert_eq!(error["field"], "name", "for {bad}");
    }

    // The viewer's own token, but the viewer never joined the room (renaming someone in the
    // room is the browser suite's: tests/browser/01-streaming.test.mjs).
    let response = app.put_json(&name, &body, Some(&token)).await;
    expect_error(response, StatusCode::NOT_FOUND, "participant_not_found").await;
}
