//! Only the host of a stream may act as its host.

use jsonwebtoken::{EncodingKey, Header};
use onair_api_tests::{LiveKitTarget, expect_error, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn host_calls_without_a_host_key_are_unauthorized() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.as_str();

    expect_error(
        app.end_stream(room, None).await,
        StatusCode::UNAUTHORIZED,
        "missing_host_key",
    )
    .await;
    expect_error(
        app.host_token(room, "Ada", None).await,
        StatusCode::UNAUTHORIZED,
        "missing_host_key",
    )
    .await;
    let not_bearer = app
        .client
        .delete(app.url(&format!("/api/rooms/{room}")))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .unwrap();
    expect_error(not_bearer, StatusCode::UNAUTHORIZED, "missing_host_key").await;
    assert_eq!(
        app.get_stream(room).await.status(),
        StatusCode::OK,
        "the stream is still there"
    );
}

#[tokio::test]
async fn the_host_key_of_another_stream_is_forbidden() {
    let app = spawn_app().await;
    let mine = app.create_stream_as("Ada").await;
    let theirs = app.create_stream_as("Mallory").await;

    let end = app
        .end_stream(mine.room_id.as_str(), Some(&theirs.host_key))
        .await;
    expect_error(end, StatusCode::FORBIDDEN, "host_key_rejected").await;
    let token = app
        .host_token(mine.room_id.as_str(), "Mallory", Some(&theirs.host_key))
        .await;
    expect_error(token, StatusCode::FORBIDDEN, "host_key_rejected").await;
    assert_eq!(
        app.get_stream(mine.room_id.as_str()).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_tampered_host_key_is_forbidden() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let (head, signature) = stream.host_key.rsplit_once('.').unwrap();
    // Flip the first character of the signature.
    let (first, rest) = signature.split_at(1);
    let forged_signature = format!("{}{rest}", if first == "A" { "B" } else { "A" });

    for key in [format!("{head}.{forged_signature}"), "garbage".to_owned()] {
        let response = app.end_stream(stream.room_id.as_str(), Some(&key)).await;
        expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;
    }
}

#[tokio::test]
async fn an_expired_host_key_is_forbidden() {
    let secret = "a-host-key-secret-of-more-than-32-characters";
    let app = spawn_app_with(&LiveKitTarget::shared(), &[("HOST_KEY_SECRET", secret)]).await;
    let stream = app.create_stream_as("Ada").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expired = jsonwebtoken::encode(
        &Header::default(),
        &json!({
            "sub": stream.room_id.as_str(), "aud": "onair-host", "iat": now - 7200, "exp": now - 3600,
            "stream": {"hostName": "Ada", "createdAt": 1},
        }),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();

    let response = app
        .end_stream(stream.room_id.as_str(), Some(&expired))
        .await;

    expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;
}

#[tokio::test]
async fn a_replica_with_the_same_config_accepts_the_host_key() {
    let replica_a = spawn_app().await;
    let replica_b = spawn_app().await;
    let stream = replica_a.create_stream_as("Ada").await;

    let response = replica_b
        .host_token(stream.room_id.as_str(), "Ada", Some(&stream.host_key))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
}
