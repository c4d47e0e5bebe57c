//! Bad input gets a clear JSON error naming what is wrong, never a 500.

use onair_api_tests::{LiveKitTarget, expect_error, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = spawn_app().await;
    let response = app
        .post_raw("/api/rooms", "application/json", r#"{"hostName": "Ada""#)
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "malformed_json").await;
}

#[tokio::test]
async fn a_bad_field_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (json!({}), "hostName"),
        (json!({"hostName": ""}), "hostName"),
        (json!({"hostName": "   "}), "hostName"),
        (json!({"hostName": "x".repeat(65)}), "hostName"),
        (json!({"hostName": "Ada\u{0007}"}), "hostName"),
        (json!({"hostName": "Ada\nLovelace"}), "hostName"),
        (json!({"hostName": 42}), "hostName"),
        (
            json!({"hostName": "Ada", "title": "t".repeat(121)}),
            "title",
        ),
        (json!({"hostName": "Ada", "title": "bell\u{0007}"}), "title"),
        (json!({"hostName": "Ada", "hostname": "Ada"}), "hostname"),
    ];
    for (body, field) in cases {
        let error = expect_error(
            app.create_stream(&body).await,
            StatusCode::BAD_REQUEST,
            "invalid_field",
        )
        .await;
        assert_eq!(error["field"], field, "for {body}");
        assert!(
            error["message"].as_str().unwrap().contains(field),
            "the message names {field}: {error}"
        );
    }
}

#[tokio::test]
async fn a_sixty_four_character_name_is_fine() {
    let app = spawn_app().await;
    let response = app
        .create_stream(&json!({"hostName": "é".repeat(64)}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn white_space_around_a_name_is_trimmed_away_and_a_blank_title_is_none() {
    let app = spawn_app().await;
    let padded = format!("  {}\t", "é".repeat(64));
    let response = app
        .create_stream(&json!({"hostName": padded, "title": "   "}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let room = app
        .get_stream(created["roomId"].as_str().unwrap())
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(room["hostName"], "é".repeat(64));
    assert_eq!(room["title"], Value::Null);
}

#[tokio::test]
async fn token_requests_are_validated_too() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.as_str();
    let cases = [
        (json!({"participantName": "Bob"}), "roomName"),
        (
            json!({"roomName": 42, "participantName": "Bob"}),
            "roomName",
        ),
        (
            json!({"roomName": room, "participantName": ""}),
            "participantName",
        ),
        (
            json!({"roomName": room, "participantName": "\u{0000}"}),
            "participantName",
        ),
        (
            json!({"roomName": room, "participantName": "Bob", "isHost": "yes"}),
            "isHost",
        ),
        (
            json!({"roomName": room, "participantName": "Bob", "isHots": true}),
            "isHots",
        ),
    ];
    for (body, field) in cases {
        let response = app.post_json("/api/token", &body, None).await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, "invalid_field").await;
        assert_eq!(error["field"], field, "for {body}");
    }
}

#[tokio::test]
async fn a_mangled_link_is_stream_not_found_for_the_page_and_the_token_alike() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let id = stream.room_id.as_str();
    let mangled = [
        id[..13].to_owned(),
        format!("{id}x"),
        id.to_uppercase(),
        format!("{}!", &id[..13]),
    ];
    for room in &mangled {
        expect_error(
            app.get_stream(room).await,
            StatusCode::NOT_FOUND,
            "stream_not_found",
        )
        .await;
        expect_error(
            app.viewer_token(room, "Bob").await,
            StatusCode::NOT_FOUND,
            "stream_not_found",
        )
        .await;
    }
    expect_error(
        app.viewer_token("../../etc", "Bob").await,
        StatusCode::NOT_FOUND,
        "stream_not_found",
    )
    .await;
}

#[tokio::test]
async fn a_body_over_16_kib_is_a_413() {
    let app = spawn_app().await;
    let huge = format!(
        r#"{{"hostName":"Ada","title":"{}"}}"#,
        "x".repeat(17 * 1024)
    );
    let response = app.post_raw("/api/rooms", "application/json", huge).await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

/// Sends `POST /api/rooms` with a JSON body of about `body_bytes` the way Python's urllib does:
/// the whole request written before a byte of the answer is read — here in 4 KiB pieces with a
/// pause between them, as a client on a busy machine sends (chunked, or with
/// `Content-Length`). Returns the status line of the answer, or what went wrong.
async fn post_all_then_read(address: &str, body_bytes: usize, chunked: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let body = format!(
        r#"{{"hostName":"Ada","title":"{}"}}"#,
        "x".repeat(body_bytes)
    );
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!(
        "POST /api/rooms HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    );
    let mut pieces = vec![head.into_bytes()];
    for piece in body.as_bytes().chunks(4 * 1024) {
        pieces.push(if chunked {
            [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat()
        } else {
            piece.to_vec()
        });
    }
    if chunked {
        pieces.push(b"0\r\n\r\n".to_vec());
    }
    for piece in pieces {
        if let Err(err) = stream.write_all(&piece).await {
            return format!("sending failed: {err}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut answer = vec![0; 1024];
    match stream.read(&mut answer).await {
        Ok(read) => String::from_utf8_lossy(&answer[..read])
            .lines()
            .next()
            .unwrap_or("no answer")
            .to_owned(),
        Err(err) => format!("reading failed: {err}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_sends_a_whole_oversized_body_before_reading_gets_its_413_under_load() {
    let app = spawn_app().await;
    // 64 such clients at once, half chunked, each sending 128 KiB.
    let clients: Vec<_> = (0..64)
        .map(|i| {
            let address = app.address.clone();
            tokio::spawn(async move { post_all_then_read(&address, 128 * 1024, i % 2 == 0).await })
        })
        .collect();
    for client in clients {
        assert_eq!(client.await.unwrap(), "HTTP/1.1 413 Payload Too Large");
    }
    // The server is none the worse for it.
    let small = app
        .post_json("/api/rooms", &json!({"hostName": "Ada"}), None)
        .await;
    assert_eq!(small.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused() {
    let app = spawn_app().await;
    let response = app
        .post_raw("/api/rooms", "text/plain", "hostName=Ada")
        .await;
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}

#[tokio::test]
async fn unknown_api_routes_and_wrong_methods_answer_in_json() {
    let app = spawn_app().await;
    expect_error(
        app.get("/api/nope").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let wrong_method = app.client.put(app.url("/api/rooms")).send().await.unwrap();
    expect_error(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn room_creation_over_the_rate_limit_is_a_429_with_retry_after() {
    let app = spawn_app_with(
        &LiveKitTarget::shared(),
        &[("ROOM_CREATE_PER_MINUTE", "2"), ("ROOM_CREATE_BURST", "2")],
    )
    .await;
    app.create_stream_as("Ada").await;
    app.create_stream_as("Ada").await;

    let response = app.create_stream(&json!({"hostName": "Ada"})).await;

    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    let error = expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(error["retryAfterSeconds"], retry_after);
    assert_eq!(
        app.viewer_token("zzzzzzzzzzzzzz", "Bob").await.status(),
        StatusCode::NOT_FOUND,
        "other calls are not limited"
    );
}
