//! Who may go live and who may watch: a private server lets only signed-in creators create
//! streams (a creator key, or the operator's OpenID Connect provider — a real one, started by
//! the test), and a passcode stream shows itself, hands out tokens and lists its recordings only
//! to those who give its passcode. Nothing secret reaches the logs.

use onair_api::{CreatedRoom, Me, SignInMethod, TokenResponse};
use onair_api_tests::{
    ALLOWED_USER, LiveKitTarget, Publisher, REFUSED_USER, TestApp, TestUser, add_creator_key,
    eventually, expect_error, free_port, recording_settings, spawn_app, spawn_app_on,
    spawn_app_with, spawn_recording_app, start_oidc_provider,
};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::TAKE_TURNS;
use crate::recording_real::{start_recording, wait_for_status};

/// A creator name of this test run's own: creators are counted across the shared LiveKit's
/// rooms (as across replicas), so a name used by an earlier test or run would share its quota.
fn unique(name: &str) -> String {
    format!("{name}-{}-{}", std::process::id(), free_port())
}

/// A fresh creator key file for one test.
fn keys_file(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "onair-test-keys-{name}-{}-{}.json",
        std::process::id(),
        free_port()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// A private onair whose creators sign in with keys of `keys`.
async fn private_app(keys: &std::path::Path, extra: &[(&str, &str)]) -> TestApp {
    let keys = keys.display().to_string();
    let mut settings = vec![
        ("ACCESS_MODE", "private"),
        ("CREATOR_KEYS_FILE", keys.as_str()),
    ];
    settings.extend_from_slice(extra);
    spawn_app_with(&LiveKitTarget::shared(), &settings).await
}

/// The `name=value` of the cookie a response sets, and its attributes.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let (pair, attributes) = v.split_once(';').unwrap_or((v, ""));
            (pair.to_owned(), attributes.to_owned())
        })
}

async fn me(app: &TestApp, cookie: Option<&str>) -> Me {
    let mut request = app.client.get(app.url("/api/me"));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// POST /auth/key
async fn sign_in_with_key(app: &TestApp, key: &str) -> reqwest::Response {
    app.post_json("/auth/key", &json!({ "key": key }), None)
        .await
}

/// POST /api/rooms with a session cookie.
async fn create_with_cookie(app: &TestApp, cookie: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/rooms"))
        .header(COOKIE, cookie)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_open_server_lets_anyone_create_and_says_so() {
    let app = spawn_app().await;
    let me = me(&app, None).await;
    assert!(!me.signed_in);
    assert_eq!(me.access_mode, onair_api::AccessMode::Open);
    let response = app.create_stream(&json!({"hostName": "Ada"})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_private_server_lets_only_creators_with_a_key_create_streams() {
    let keys = keys_file("private");
    let ada = unique("ada");
    let key = add_creator_key(&keys, &ada);
    let app = private_app(&keys, &[]).await;
    let stream = json!({"hostName": "Ada", "title": "Launch"});

    expect_error(
        app.create_stream(&stream).await,
        StatusCode::UNAUTHORIZED,
        "sign_in_required",
    )
    .await;
    let me_before = me(&app, None).await;
    assert_eq!(me_before.access_mode, onair_api::AccessMode::Private);
    assert_eq!(me_before.sign_in_methods, [SignInMethod::CreatorKey]);

    // A script sends the key itself.
    let created = app.post_json("/api/rooms", &stream, Some(&key)).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: CreatedRoom = created.json().await.unwrap();
    assert_eq!(
        app.get_stream(created.room_id.as_str()).await.status(),
        StatusCode::OK,
        "watching stays open"
    );

    // A person signs in on the home page and gets a session cookie.
    let signed_in = sign_in_with_key(&app, &key).await;
    assert_eq!(signed_in.status(), StatusCode::NO_CONTENT);
    let (cookie, attributes) = set_cookie(&signed_in, "onair_session").expect("a session cookie");
    assert!(attributes.contains("HttpOnly") && attributes.contains("SameSite=Lax"));
    let me_after = me(&app, Some(&cookie)).await;
    assert!(me_after.signed_in);
    assert_eq!(me_after.name.as_deref(), Some(ada.as_str()));
    assert_eq!(me_after.via, Some(SignInMethod::CreatorKey));
    let created = create_with_cookie(&app, &cookie, &stream).await;
    assert_eq!(
        created.status(),
        StatusCode::CREATED,
        "{}",
        created.text().await.unwrap_or_default()
    );

    // Signing out removes the cookie from the browser.
    let signed_out = app.post_json("/auth/logout", &json!({}), None).await;
    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    let (cleared, attributes) = set_cookie(&signed_out, "onair_session").expect("cleared");
    assert_eq!(cleared, "onair_session=");
    assert!(attributes.contains("Max-Age=0"), "{attributes}");

    // A removed key no longer works.
    let status = std::process::Command::new(std::env::var("ONAIR_TEST_BIN").unwrap_or_else(|_| {
        xtask::target_dir()
            .join("debug/onair")
            .display()
            .to_string()
    }))
    .args(["creator-key", "remove", &ada])
    .env("CREATOR_KEYS_FILE", &keys)
    .status()
    .unwrap();
    assert!(status.success());
    expect_error(
        sign_in_with_key(&app, &key).await,
        StatusCode::UNAUTHORIZED,
        "creator_key_rejected",
    )
    .await;
    let _ = std::fs::remove_file(keys);
}

#[tokio::test]
async fn wrong_creator_keys_are_limited_and_never_logged() {
    let keys = keys_file("wrong");
    let ada = unique("ada");
    let key = add_creator_key(&keys, &ada);
    let app = private_app(&keys, &[]).await;
    // Change the last character to one it is not, so the key is surely wrong.
    let last = if key.ends_with('x') { 'y' } else { 'x' };
    let wrong = format!("{}{last}", &key[..key.len() - 1]);
    for _ in 0..5 {
        expect_error(
            sign_in_with_key(&app, &wrong).await,
            StatusCode::UNAUTHORIZED,
            "creator_key_rejected",
        )
        .await;
    }
    let refused = sign_in_with_key(&app, &wrong).await;
    assert!(refused.headers().contains_key("retry-after"));
    expect_error(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let locked = app
        .post_json("/api/rooms", &json!({"hostName": "Ada"}), Some(&key))
        .await;
    expect_error(locked, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let logs = app.logs();
    assert!(logs.contains("wrong creator key"), "{logs}");
    assert!(
        !logs.contains(&key[..20]) && !logs.contains(&wrong[..20]),
        "{logs}"
    );
    let _ = std::fs::remove_file(keys);
}

#[tokio::test]
async fn a_session_from_another_server_or_tampered_with_is_refused() {
    let keys = keys_file("foreign");
    let ada = unique("ada");
    let key = add_creator_key(&keys, &ada);
    let ours = private_app(&keys, &[("SESSION_SECRET", &"o".repeat(40))]).await;
    let theirs = private_app(&keys, &[("SESSION_SECRET", &"t".repeat(40))]).await;
    let (their_cookie, _) = set_cookie(&sign_in_with_key(&theirs, &key).await, "onair_session")
        .expect("a session cookie");
    let stream = json!({"hostName": "Ada"});

    assert!(!me(&ours, Some(&their_cookie)).await.signed_in);
    expect_error(
        create_with_cookie(&ours, &their_cookie, &stream).await,
        StatusCode::UNAUTHORIZED,
        "sign_in_required",
    )
    .await;

    let (our_cookie, _) = set_cookie(&sign_in_with_key(&ours, &key).await, "onair_session")
        .expect("a session cookie");
    // The claims say someone else: the signature no longer matches.
    let (name, token) = our_cookie.split_once('=').unwrap();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].replacen('e', "f", 1);
    let tampered = format!("{name}={}", parts.join("."));
    assert!(!me(&ours, Some(&tampered)).await.signed_in);
    expect_error(
        create_with_cookie(&ours, &tampered, &stream).await,
        StatusCode::UNAUTHORIZED,
        "sign_in_required",
    )
    .await;
    assert!(me(&ours, Some(&our_cookie)).await.signed_in);
    let _ = std::fs::remove_file(keys);
}

#[tokio::test]
async fn a_creator_has_as_many_live_streams_as_the_server_allows() {
    let keys = keys_file("quota");
    let ada = unique("ada");
    let key = add_creator_key(&keys, &ada);
    let other = add_creator_key(&keys, &unique("grace"));
    let app = private_app(&keys, &[("MAX_LIVE_STREAMS_PER_CREATOR", "2")]).await;
    let stream = json!({"hostName": "Ada"});
    for _ in 0..2 {
        let response = app.post_json("/api/rooms", &stream, Some(&key)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let refused = expect_error(
        app.post_json("/api/rooms", &stream, Some(&key)).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_streams",
    )
    .await;
    assert!(
        refused["message"].as_str().unwrap().contains('2'),
        "{refused}"
    );
    let others = app.post_json("/api/rooms", &stream, Some(&other)).await;
    assert_eq!(
        others.status(),
        StatusCode::CREATED,
        "another creator's quota is their own"
    );
    let _ = std::fs::remove_file(keys);
}

/// Signs `user` in at the provider (whose pages are at `provider`) the way a browser does,
/// from `GET /auth/login` to the callback's answer (returned, with the flow cookie it carried).
async fn sign_in_through_provider(
    app: &TestApp,
    provider: &str,
    user: &TestUser,
) -> reqwest::Response {
    let provider = provider.trim_end_matches('/');
    let absolute = |location: &str| {
        if location.starts_with('/') {
            format!("{provider}{location}")
        } else {
            location.to_owned()
        }
    };
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = browser
        .get(app.url("/auth/login?returnTo=/host/welcome"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let (flow_cookie, _) = set_cookie(&login, "onair_oidc_flow").expect("the flow cookie");
    let mut next = absolute(login.headers()[LOCATION].to_str().unwrap());
    // The provider's own pages: its authorize endpoint sends the browser to its login form.
    let mut request_id = None;
    for _ in 0..5 {
        if next.starts_with(&app.address) {
            break;
        }
        if let Some(id) = next.split("authRequestID=").nth(1) {
            request_id = Some(id.to_owned());
            let form = browser
                .post(format!("{provider}/login/username"))
                .form(&[
                    ("id", id),
                    ("username", user.username),
                    ("password", user.password),
                ])
                .send()
                .await
                .unwrap();
            let status = form.status();
            next = match form.headers().get(LOCATION) {
                Some(location) => absolute(location.to_str().unwrap()),
                None => panic!(
                    "the provider's login form answered {status}: {}",
                    form.text().await.unwrap_or_default()
                ),
            };
            continue;
        }
        let page = browser.get(&next).send().await.unwrap();
        next = absolute(page.headers()[LOCATION].to_str().unwrap());
    }
    assert!(request_id.is_some(), "the provider asked for a password");
    assert!(next.starts_with(&app.url("/auth/callback")), "{next}");
    browser
        .get(&next)
        .header(COOKIE, flow_cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_creator_signs_in_through_the_identity_provider() {
    let port = free_port();
    let provider = start_oidc_provider(port);
    let mut settings = provider.onair_env(ALLOWED_USER.email);
    settings.push(("ACCESS_MODE", "private".to_owned()));
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = spawn_app_on(port, &LiveKitTarget::shared(), &settings).await;
    assert_eq!(me(&app, None).await.sign_in_methods, [SignInMethod::Oidc]);

    let started = Instant::now();
    let back = sign_in_through_provider(&app, &provider.issuer_url(), &ALLOWED_USER).await;
    let round_trip = started.elapsed();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(back.headers()[LOCATION], "/host/welcome");
    let (cookie, _) = set_cookie(&back, "onair_session").expect("a session");
    println!("sign-in round trip through the provider: {round_trip:?}");

    let me = me(&app, Some(&cookie)).await;
    assert!(me.signed_in);
    assert_eq!(me.email.as_deref(), Some(ALLOWED_USER.email));
    assert_eq!(me.via, Some(SignInMethod::Oidc));
    assert_eq!(
        create_with_cookie(&app, &cookie, &json!({"hostName": "Test"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert!(
        !app.logs().contains(provider.client_secret()),
        "no client secret in the logs"
    );
}

#[tokio::test]
async fn an_account_the_operator_did_not_allow_gets_a_page_not_a_session() {
    let port = free_port();
    let provider = start_oidc_provider(port);
    let mut settings = provider.onair_env(ALLOWED_USER.email);
    settings.push(("ACCESS_MODE", "private".to_owned()));
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = spawn_app_on(port, &LiveKitTarget::shared(), &settings).await;

    let back = sign_in_through_provider(&app, &provider.issuer_url(), &REFUSED_USER).await;
    assert_eq!(back.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&back, "onair_session").is_none(), "no session");
    let page = back.text().await.unwrap();
    assert!(
        page.contains("sign-in-refused") && page.contains(REFUSED_USER.email),
        "{page}"
    );

    // A callback nobody started here is refused too.
    let stray = app.get("/auth/callback?code=forged&state=forged").await;
    assert_eq!(stray.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&stray, "onair_session").is_none());
}

#[tokio::test]
async fn sign_in_that_is_not_offered_says_so() {
    let app = spawn_app().await;
    expect_error(
        app.get("/auth/login").await,
        StatusCode::NOT_FOUND,
        "sign_in_unavailable",
    )
    .await;
    expect_error(
        sign_in_with_key(&app, "ock_aaaaaaaa_bbbb").await,
        StatusCode::NOT_FOUND,
        "sign_in_unavailable",
    )
    .await;
}

/// A passcode stream created on `app`.
async fn passcode_stream(app: &TestApp, passcode: &str) -> CreatedRoom {
    let response = app
        .create_stream(&json!({"hostName": "Ada", "title": "Secret", "visibility": "passcode", "passcode": passcode}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn get_stream_with_passcode(app: &TestApp, room: &str, passcode: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/rooms/{room}")))
        .header("x-stream-passcode", passcode)
        .send()
        .await
        .unwrap()
}

async fn viewer_token_with(app: &TestApp, room: &str, passcode: Option<&str>) -> reqwest::Response {
    let mut body = json!({"roomName": room, "participantName": "Bob"});
    if let Some(passcode) = passcode {
        body["passcode"] = json!(passcode);
    }
    app.post_json("/api/token", &body, None).await
}

#[tokio::test]
async fn a_passcode_stream_shows_itself_only_to_those_with_the_passcode() {
    let app = spawn_app().await;
    let stream = passcode_stream(&app, "open sesame").await;
    let room = stream.room_id.as_str();

    let locked: Value = app.get_stream(room).await.json().await.unwrap();
    assert_eq!(locked, json!({"roomId": room, "requiresPasscode": true}));
    expect_error(
        get_stream_with_passcode(&app, room, "open sesamE").await,
        StatusCode::FORBIDDEN,
        "passcode_wrong",
    )
    .await;
    let open: Value = get_stream_with_passcode(&app, room, "open%20sesame")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open["hostName"], "Ada");
    assert_eq!(open["title"], "Secret");
    assert_eq!(open["requiresPasscode"], true);

    expect_error(
        viewer_token_with(&app, room, None).await,
        StatusCode::FORBIDDEN,
        "passcode_required",
    )
    .await;
    expect_error(
        viewer_token_with(&app, room, Some("nope nope")).await,
        StatusCode::FORBIDDEN,
        "passcode_wrong",
    )
    .await;
    let token = viewer_token_with(&app, room, Some("open sesame")).await;
    assert_eq!(token.status(), StatusCode::OK);
    let token: TokenResponse = token.json().await.unwrap();
    app.livekit_accepts(&token.token).await.unwrap();

    // The host needs no passcode; a public stream asks none.
    let host = app.host_token(room, "Ada", Some(&stream.host_key)).await;
    assert_eq!(host.status(), StatusCode::OK);
    let public = app.create_stream_as("Grace").await;
    assert_eq!(
        viewer_token_with(&app, public.room_id.as_str(), None)
            .await
            .status(),
        StatusCode::OK
    );
    assert!(!app.logs().contains("sesame"), "no passcode in the logs");
}

#[tokio::test]
async fn a_passcode_is_asked_with_its_stream_and_only_then() {
    let app = spawn_app().await;
    let missing = app
        .create_stream(&json!({"hostName": "Ada", "visibility": "passcode"}))
        .await;
    assert_eq!(
        expect_error(missing, StatusCode::BAD_REQUEST, "invalid_field").await["field"],
        "passcode"
    );
    let stray = app
        .create_stream(&json!({"hostName": "Ada", "passcode": "1234"}))
        .await;
    assert_eq!(
        expect_error(stray, StatusCode::BAD_REQUEST, "invalid_field").await["field"],
        "passcode"
    );
    let short = app
        .create_stream(&json!({"hostName": "Ada", "visibility": "passcode", "passcode": "123"}))
        .await;
    assert_eq!(
        expect_error(short, StatusCode::BAD_REQUEST, "invalid_field").await["field"],
        "passcode"
    );
}

#[tokio::test]
async fn more_than_five_wrong_passcodes_a_minute_lock_the_guesser_out() {
    let app = spawn_app().await;
    let stream = passcode_stream(&app, "1234").await;
    let room = stream.room_id.as_str();
    for guess in ["0000", "0001", "0002", "0003", "0004"] {
        expect_error(
            viewer_token_with(&app, room, Some(guess)).await,
            StatusCode::FORBIDDEN,
            "passcode_wrong",
        )
        .await;
    }
    let sixth = viewer_token_with(&app, room, Some("0005")).await;
    assert!(sixth.headers().contains_key("retry-after"));
    expect_error(sixth, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    expect_error(
        viewer_token_with(&app, room, Some("1234")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    let other = passcode_stream(&app, "5678").await;
    assert_eq!(
        viewer_token_with(&app, other.room_id.as_str(), Some("5678"))
            .await
            .status(),
        StatusCode::OK,
        "the lock is per stream"
    );
}

#[tokio::test]
async fn a_passcode_streams_recordings_need_the_passcode() {
    let app = spawn_recording_app().await;
    let stream = passcode_stream(&app, "replay me").await;
    let room = stream.room_id.as_str();
    expect_error(
        app.list_recordings(room).await,
        StatusCode::FORBIDDEN,
        "passcode_required",
    )
    .await;
    let wrong = app
        .client
        .get(app.url(&format!("/api/recordings/{room}")))
        .header("x-stream-passcode", "wrong one")
        .send()
        .await
        .unwrap();
    expect_error(wrong, StatusCode::FORBIDDEN, "passcode_wrong").await;
    let right = app
        .client
        .get(app.url(&format!("/api/recordings/{room}")))
        .header("x-stream-passcode", "replay%20me")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_creator_who_recorded_the_days_minutes_cannot_record_more() {
    let _turn = TAKE_TURNS.lock().await;
    let keys = keys_file("minutes");
    let ada = unique("ada");
    let key = add_creator_key(&keys, &ada);
    let keys_path = keys.display().to_string();
    let recording = recording_settings();
    let mut settings: Vec<(&str, &str)> = recording
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    settings.extend([
        ("ACCESS_MODE", "private"),
        ("CREATOR_KEYS_FILE", keys_path.as_str()),
        ("MAX_RECORDING_MINUTES_PER_DAY", "1"),
    ]);
    let app = spawn_app_with(&LiveKitTarget::shared(), &settings).await;
    let created = app
        .post_json("/api/rooms", &json!({"hostName": "Ada"}), Some(&key))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let stream: CreatedRoom = created.json().await.unwrap();
    let room = stream.room_id.to_string();
    let _publisher = Publisher::start(&app.livekit.url, &stream.host_token).await;
    let live = eventually(Duration::from_secs(20), || async {
        let info: Value = app.get_stream(&room).await.json().await.unwrap();
        info["live"] == true
    })
    .await;
    assert!(live.is_some(), "the stream went live");

    let egress_id = start_recording(&app, &stream).await;
    let active = wait_for_status(&app, &room, &egress_id, "active", Duration::from_secs(45)).await;
    assert!(active.is_some(), "the recording runs");
    // A minute and a little more: the day's allowance, used up.
    tokio::time::sleep(Duration::from_secs(62)).await;
    let stopped = app
        .post_json(
            "/api/recordings/stop",
            &json!({"egressId": egress_id}),
            Some(&stream.host_key),
        )
        .await;
    assert_eq!(stopped.status(), StatusCode::OK);

    let refused = expect_error(
        app.start_recording(&room, Some(&stream.host_key)).await,
        StatusCode::TOO_MANY_REQUESTS,
        "recording_quota",
    )
    .await;
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("allows 1 min a day"),
        "{refused}"
    );
    let _ = std::fs::remove_file(keys);
}
