//! Viewers and the host get LiveKit tokens that LiveKit accepts, with the right grants.

use onair_api::TokenResponse;
use onair_api_tests::{expect_error, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn a_viewer_gets_a_subscribe_only_token_that_livekit_accepts() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;

    let response = app.viewer_token(stream.room_id.as_str(), " Bob ").await;

    assert_eq!(response.status(), StatusCode::OK);
    let token: TokenResponse = response.json().await.unwrap();
    assert_eq!(token.server_url, app.livekit.url.trim_end_matches('/'));
    assert!(token.identity.starts_with("viewer-"), "{}", token.identity);
    app.livekit_accepts(&token.token)
        .await
        .expect("LiveKit accepts the viewer token");

    let claims = app.token_claims(&token.token);
    assert_eq!(claims.sub, token.identity);
    assert_eq!(
        claims.name, "Bob",
        "the chosen name is the participant name"
    );
    assert_eq!(claims.video.room, stream.room_id.as_str());
    assert!(claims.video.room_join);
    assert_eq!(
        claims.video.can_publish,
        Some(false),
        "viewers cannot publish media"
    );
    assert_eq!(claims.video.can_subscribe, Some(true));
    assert_eq!(
        claims.video.can_publish_data,
        Some(true),
        "viewers can chat"
    );
    assert!(!claims.video.room_admin && !claims.video.room_create);
    assert_eq!(
        claims.attributes.get("role").map(String::as_str),
        Some("viewer")
    );
}

#[tokio::test]
async fn a_viewer_who_opens_the_link_watches_at_once_under_a_neutral_name() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.as_str();

    // No name: the link plays at once, as "Viewer 4821".
    let response = app
        .post_json("/api/token", &serde_json::json!({"roomName": room}), None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let token: TokenResponse = response.json().await.unwrap();
    app.livekit_accepts(&token.token)
        .await
        .expect("LiveKit accepts the nameless viewer's token");
    let claims = app.token_claims(&token.token);
    let number = claims
        .name
        .strip_prefix("Viewer ")
        .unwrap_or_else(|| panic!("a neutral name, not {:?}", claims.name));
    assert!(
        number.len() == 4 && number.bytes().all(|b| b.is_ascii_digit()),
        "{}",
        claims.name
    );
    assert_eq!(claims.video.can_publish, Some(false));
    assert_ne!(
        claims.video.can_update_own_metadata,
        Some(true),
        "a viewer renames only through the server"
    );

    // A host without a name joins under the stream's host name.
    let response = app
        .post_json(
            "/api/token",
            &serde_json::json!({"roomName": room, "isHost": true}),
            Some(&stream.host_key),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let token: TokenResponse = response.json().await.unwrap();
    assert_eq!(app.token_claims(&token.token).name, "Ada");
}

#[tokio::test]
async fn every_viewer_gets_a_unique_identity_even_with_the_same_name() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let first: TokenResponse = app
        .viewer_token(stream.room_id.as_str(), "Sam")
        .await
        .json()
        .await
        .unwrap();
    let second: TokenResponse = app
        .viewer_token(stream.room_id.as_str(), "Sam")
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(first.identity, second.identity);
}

#[tokio::test]
async fn the_host_gets_a_publishing_token_with_the_host_key() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;

    let response = app
        .host_token(stream.room_id.as_str(), "Ada", Some(&stream.host_key))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let token: TokenResponse = response.json().await.unwrap();
    assert!(token.identity.starts_with("host-"));
    let claims = app.token_claims(&token.token);
    assert_eq!(claims.video.can_publish, Some(true));
    assert_eq!(
        claims.attributes.get("role").map(String::as_str),
        Some("host")
    );
    app.livekit_accepts(&token.token)
        .await
        .expect("LiveKit accepts the host token");

    let created_claims = app.token_claims(&stream.host_token);
    assert_eq!(
        created_claims.video.can_publish,
        Some(true),
        "the token from POST /api/rooms publishes too"
    );
}

#[tokio::test]
async fn tokens_expire_after_the_configured_hours() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let token: TokenResponse = app
        .viewer_token(stream.room_id.as_str(), "Bob")
        .await
        .json()
        .await
        .unwrap();
    let claims = app.token_claims(&token.token);
    let lifetime = claims.exp.saturating_sub(claims.nbf);
    assert!(
        (3600..=6 * 3600 + 60).contains(&lifetime),
        "default lifetime is 6 h, got {lifetime} s"
    );
}

#[tokio::test]
async fn a_token_for_an_unknown_stream_is_refused() {
    let app = spawn_app().await;
    expect_error(
        app.viewer_token("zzzzzzzzzzzzzz", "Bob").await,
        StatusCode::NOT_FOUND,
        "stream_not_found",
    )
    .await;
}
