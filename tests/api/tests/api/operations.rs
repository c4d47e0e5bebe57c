//! What an operator relies on: health, readiness, metrics, OpenAPI, headers, logs, config.

use onair_api_tests::{
    LiveKitTarget, expect_error, run_app_expecting_exit, spawn_app, spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn health_and_readiness_are_green_with_livekit_up() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["livekit"], "ok");
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = spawn_app().await;
    let page = app.get("/").await;
    let api_answers = [
        app.get("/healthz").await,
        app.get("/api/rooms/zzzzzzzzzzzzzz").await,
        app.post_raw("/api/rooms", "application/json", "{").await,
        app.get("/api/openapi.json").await,
        app.client.put(app.url("/api/rooms")).send().await.unwrap(),
        app.post_raw("/api/token", "application/json", "x".repeat(20 * 1024))
            .await,
    ];
    let statuses: Vec<u16> = api_answers.iter().map(|a| a.status().as_u16()).collect();
    assert_eq!(
        statuses,
        [200, 404, 400, 200, 405, 413],
        "the answers asked for"
    );
    // A page: the app's policy, which lets it reach LiveKit and nothing frame it.
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains(&app.livekit.url.trim_end_matches('/').to_string()),
        "LiveKit is allowed in connect-src: {csp}"
    );
    assert!(page.headers().contains_key("permissions-policy"));
    // The API's JSON answers: nothing may load from them or frame them.
    for answer in &api_answers {
        assert_eq!(
            answer.headers()["content-security-policy"],
            "default-src 'none'; frame-ancestors 'none'"
        );
    }
    for response in api_answers.iter().chain([&page]) {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(
            headers["referrer-policy"],
            "strict-origin-when-cross-origin"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/rooms", "post"),
        ("/api/rooms/{roomId}", "get"),
        ("/api/rooms/{roomId}", "delete"),
        ("/api/rooms/{roomId}/participants/{identity}", "delete"),
        ("/api/token", "post"),
        ("/api/recordings/start", "post"),
        ("/api/recordings/stop", "post"),
        ("/api/recordings/{roomId}", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "CreateRoomRequest",
        "CreatedRoom",
        "RoomInfo",
        "TokenRequest",
        "TokenResponse",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(schema), "schema {schema}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["hostKey"]["scheme"], "bearer",
        "the host key is a declared bearer scheme"
    );
    // A stream is public (no passcode) or a passcode stream (with one): two shapes, each
    // refusing unknown fields, as the server does.
    let shapes = schemas["CreateRoomRequest"]["oneOf"]
        .as_array()
        .expect("CreateRoomRequest is one of two shapes");
    assert_eq!(shapes.len(), 2);
    for shape in shapes {
        assert_eq!(
            shape["additionalProperties"], false,
            "unknown fields are refused, and the document says so: {shape}"
        );
    }
    assert!(
        shapes.iter().any(|shape| shape["required"]
            .as_array()
            .unwrap()
            .contains(&json!("passcode"))),
        "a passcode stream requires its passcode"
    );
}

#[tokio::test]
async fn metrics_count_livekit_calls_by_method() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    app.end_stream(stream.room_id.as_str(), Some(&stream.host_key))
        .await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(app.livekit_calls("CreateRoom").await, 1);
    assert_eq!(app.livekit_calls("DeleteRoom").await, 1);
    assert!(app.metrics().await.contains("onair_http_requests_total{"));
}

#[tokio::test]
async fn json_logs_never_contain_secrets() {
    let livekit = LiveKitTarget::shared();
    let host_key_secret = "a-host-key-secret-of-more-than-32-characters";
    let app = spawn_app_with(
        &livekit,
        &[
            ("LOG_FORMAT", "json"),
            ("HOST_KEY_SECRET", host_key_secret),
            ("RUST_LOG", "debug"),
        ],
    )
    .await;
    let stream = app.create_stream_as("Ada").await;
    app.viewer_token(stream.room_id.as_str(), "Bob").await;
    expect_error(
        app.get_stream("zzzzzzzzzzzzzz").await,
        StatusCode::NOT_FOUND,
        "stream_not_found",
    )
    .await;

    let logs = app.logs();
    assert!(!logs.is_empty());
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
    }
    for secret in [
        livekit.api_secret.as_str(),
        host_key_secret,
        stream.host_key.as_str(),
        stream.host_token.as_str(),
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
}

#[test]
fn a_missing_setting_stops_start_up_with_one_line_naming_it() {
    let (code, output) = run_app_expecting_exit(&[
        ("LIVEKIT_API_KEY", "devkey"),
        ("LIVEKIT_API_SECRET", "x".repeat(40).as_str()),
    ]);
    assert_eq!(code, Some(2));
    assert_eq!(output.trim().lines().count(), 1, "one line: {output}");
    assert!(output.contains("LIVEKIT_URL is required"), "{output}");
}

#[test]
fn an_invalid_setting_stops_start_up_naming_it_without_echoing_secrets() {
    let secret = "super-secret-value-that-must-not-print";
    let (code, output) = run_app_expecting_exit(&[
        ("LIVEKIT_URL", "ftp://example.com"),
        ("LIVEKIT_API_KEY", "devkey"),
        ("LIVEKIT_API_SECRET", secret),
    ]);
    assert_eq!(code, Some(2));
    assert!(output.contains("LIVEKIT_URL"), "{output}");
    assert!(!output.contains(secret));
}

#[tokio::test]
async fn each_app_path_gets_its_page_and_files_go_out_precompressed_with_cache_headers() {
    let dir = std::env::temp_dir().join(format!("onair-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for page in ["index", "studio", "watch", "replay"] {
        std::fs::write(
            dir.join(format!("{page}.html")),
            format!(
                "<html><script type=\"module\" src=\"/{page}-0123456789abcdef.js\"></script></html>"
            ),
        )
        .unwrap();
    }
    let wasm = "watch_bg-0123456789abcdef.wasm";
    std::fs::write(dir.join(wasm), "raw wasm").unwrap();
    std::fs::write(dir.join(format!("{wasm}.br")), "brotli twin").unwrap();
    std::fs::write(dir.join(format!("{wasm}.gz")), "gzip twin").unwrap();
    std::fs::write(dir.join("robots.txt"), "User-agent: *").unwrap();
    let app = spawn_app_with(
        &LiveKitTarget::shared(),
        &[("STATIC_DIR", dir.to_str().unwrap())],
    )
    .await;

    for (path, page) in [
        ("/", "index"),
        ("/host/abcdefghij0123", "studio"),
        ("/stream/abcdefghij0123", "watch"),
        ("/recordings/abcdefghij0123", "replay"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-cache");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        // Pages start their app from a file: no inline script is allowed to run.
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{csp}"
        );
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("/{page}-0123456789abcdef.js")),
            "{path}: {html}"
        );
    }

    // A browser that accepts brotli gets the .br twin as it is, one that accepts only gzip the
    // .gz twin, and anything else the file itself; caches are told the answer varies.
    for (accept, encoding, body) in [
        ("gzip, deflate, br", Some("br"), "brotli twin"),
        ("gzip", Some("gzip"), "gzip twin"),
        ("identity", None, "raw wasm"),
    ] {
        let response = app
            .client
            .get(app.url(&format!("/{wasm}")))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            encoding,
            "Accept-Encoding: {accept}"
        );
        assert!(
            response.headers()["vary"]
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding")
        );
        assert_eq!(response.text().await.unwrap(), body);
    }
    let unhashed = app.get("/robots.txt").await;
    assert_eq!(unhashed.headers()["cache-control"], "public, max-age=3600");

    // An unknown page gets the home app (which says "not found") with a 404.
    let unknown = app.get("/no/such/page").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("/index-0123456789abcdef.js")
    );
    expect_error(
        app.get("/api/nope").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    std::fs::remove_dir_all(&dir).ok();
}
