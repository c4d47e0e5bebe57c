//! Restreaming on the real stack: a live stream sent on, through the real LiveKit egress, to
//! another stream's RTMP ingress (whose viewers then watch it) and to an ffmpeg RTMP server,
//! destinations added and removed while the restream runs, a refusing destination failing alone,
//! and the stream keys never coming back out.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use onair_api::CreatedRoom;
use onair_api_tests::{
    TestApp, eventually, expect_error, free_port, spawn_app, spawn_recording_app,
    spawn_recording_app_on, watch, webhook_port,
};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::TAKE_TURNS;
use crate::recording_real::live_stream;

fn destinations_path(stream: &CreatedRoom) -> String {
    format!("/api/rooms/{}/destinations", stream.room_id)
}

async fn add_destination(app: &TestApp, stream: &CreatedRoom, url: &str, key: &str) -> Response {
    app.post_json(
        &destinations_path(stream),
        &json!({ "url": url, "streamKey": key }),
        Some(&stream.host_key),
    )
    .await
}

async fn destinations(app: &TestApp, stream: &CreatedRoom) -> Vec<Value> {
    let response = app
        .get_with_key(&destinations_path(stream), &stream.host_key)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let list: Value = response.json().await.unwrap();
    list["destinations"].as_array().cloned().unwrap_or_default()
}

async fn status_of(app: &TestApp, stream: &CreatedRoom, id: &str) -> Option<Value> {
    destinations(app, stream)
        .await
        .into_iter()
        .find(|d| d["destinationId"] == id)
}

/// An RTMP server: `ffmpeg -listen 1` writing what it receives, unchanged, to a file.
pub(crate) struct FfmpegReceiver {
    child: Child,
    port: u16,
}

impl FfmpegReceiver {
    const APP: &str = "live";
    pub(crate) const KEY: &str = "ffmpeg-receiver-key";

    pub(crate) fn start(file: &Path, seconds: u32) -> Self {
        let port = free_port();
        let child = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-listen", "1", "-i"])
            .arg(format!(
                "rtmp://127.0.0.1:{port}/{}/{}",
                Self::APP,
                Self::KEY
            ))
            .args(["-t", &seconds.to_string(), "-c", "copy", "-y"])
            .arg(file)
            .stdin(Stdio::null())
            .spawn()
            .expect("ffmpeg runs (cargo xtask test installs it)");
        Self { child, port }
    }

    /// Whether ffmpeg has bound its port yet: a probe connection would be taken for the
    /// publisher (`-listen 1` serves one), so the kernel's socket table is asked instead.
    pub(crate) fn listening(&self) -> bool {
        let wanted = format!(":{:04X}", self.port);
        std::fs::read_to_string("/proc/net/tcp").is_ok_and(|table| {
            table.lines().any(|line| {
                let mut columns = line.split_whitespace();
                let local = columns.nth(1).unwrap_or_default();
                let state = columns.nth(1).unwrap_or_default();
                local.ends_with(&wanted) && state == "0A"
            })
        })
    }

    pub(crate) fn url(&self) -> String {
        format!("rtmp://127.0.0.1:{}/{}", self.port, Self::APP)
    }

    /// Waits for ffmpeg to end (it ends after its `seconds` of stream).
    async fn finished(&mut self, within: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < within {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    }
}

impl Drop for FfmpegReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The codec names ffprobe finds in `file`.
fn codecs(file: &Path) -> Vec<String> {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .expect("ffprobe runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

#[tokio::test]
async fn a_host_restreams_to_another_stream_and_to_an_rtmp_server_and_a_refusing_one_fails_alone() {
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app_on(webhook_port()).await;
    let (show, _publisher) = live_stream(&app, "Ada").await;

    // Ben's stream takes RTMP from an encoder: Ada's restream is that encoder.
    let relay = app.create_stream_as("Ben").await;
    let ingress: Value = app
        .post_json(
            &format!("/api/rooms/{}/ingress", relay.room_id),
            &json!({ "inputType": "rtmp" }),
            Some(&relay.host_key),
        )
        .await
        .json()
        .await
        .unwrap();
    let relay_url = ingress["url"].as_str().unwrap().to_owned();
    let relay_key = ingress["streamKey"].as_str().unwrap().to_owned();

    let added_at = Instant::now();
    let response = add_destination(&app, &show, &relay_url, &relay_key).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{:?}",
        response.text().await
    );
    let relay_destination: Value = response.json().await.unwrap();
    let relay_id = relay_destination["destinationId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(relay_destination["url"], relay_url.as_str());
    assert!(
        matches!(
            relay_destination["status"].as_str(),
            Some("starting" | "active")
        ),
        "{relay_destination}"
    );
    let token: Value = app
        .viewer_token(relay.room_id.as_str(), "Vic")
        .await
        .json()
        .await
        .unwrap();
    let watched = watch(&app.livekit.url, token["token"].as_str().unwrap()).await;
    println!(
        "restream: Ben's viewer decoded Ada's show {} ms after the destination was added ({watched})",
        added_at.elapsed().as_millis()
    );
    let active = eventually(Duration::from_secs(20), || async {
        status_of(&app, &show, &relay_id)
            .await
            .is_some_and(|d| d["status"] == "active")
    })
    .await;
    assert!(active.is_some(), "the relay destination shows active");
    // A restream is not a recording: viewers see no REC badge, the host may still record.
    let room: Value = app
        .get(&format!("/api/rooms/{}", show.room_id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(room["isRecording"], false, "{room}");
    assert!(room.get("recording").is_none_or(Value::is_null), "{room}");

    // A second destination joins the running restream, without restarting it.
    let file = std::env::temp_dir().join(format!("onair-restream-{}.flv", std::process::id()));
    let mut receiver = FfmpegReceiver::start(&file, 4);
    let listening = eventually(Duration::from_secs(10), || async { receiver.listening() }).await;
    assert!(listening.is_some(), "ffmpeg listens for RTMP");
    let added_at = Instant::now();
    let response = add_destination(&app, &show, &receiver.url(), FfmpegReceiver::KEY).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let ffmpeg_destination: Value = response.json().await.unwrap();
    let ffmpeg_id = ffmpeg_destination["destinationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let first_bytes = eventually(Duration::from_secs(30), || async {
        std::fs::metadata(&file).is_ok_and(|m| m.len() > 0)
    })
    .await;
    assert!(
        first_bytes.is_some(),
        "ffmpeg received the restream; destinations: {}",
        serde_json::to_string(&destinations(&app, &show).await).unwrap()
    );
    println!(
        "restream: ffmpeg wrote its first bytes {} ms after the destination was added",
        added_at.elapsed().as_millis()
    );
    assert_eq!(app.livekit_calls("StartRoomCompositeEgress").await, 1);
    assert!(app.livekit_calls("UpdateStream").await >= 1);
    assert!(
        receiver.finished(Duration::from_secs(30)).await,
        "ffmpeg ended"
    );
    let found = codecs(&file);
    assert!(
        found.contains(&"h264".to_owned()) && found.contains(&"aac".to_owned()),
        "H.264 and AAC: {found:?}"
    );
    let _ = std::fs::remove_file(&file);

    // Nothing listens there: it fails, and it alone.
    let closed = format!("rtmp://127.0.0.1:{}/live", free_port());
    let added_at = Instant::now();
    let response = add_destination(&app, &show, &closed, "nobody-listens").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let refused: Value = response.json().await.unwrap();
    let refused_id = refused["destinationId"].as_str().unwrap().to_owned();
    let failed = eventually(Duration::from_secs(30), || async {
        status_of(&app, &show, &refused_id)
            .await
            .is_some_and(|d| d["status"] == "failed" && d["error"].is_string())
    })
    .await;
    assert!(
        failed.is_some(),
        "the refusing destination shows failed within 30 s"
    );
    println!(
        "restream: a refusing destination showed failed {} ms after it was added",
        added_at.elapsed().as_millis()
    );
    let relay_now = status_of(&app, &show, &relay_id).await.unwrap();
    assert_eq!(
        relay_now["status"], "active",
        "the others go on: {relay_now}"
    );

    // Keys are write-only.
    let listed = serde_json::to_string(&destinations(&app, &show).await).unwrap();
    for key in [relay_key.as_str(), FfmpegReceiver::KEY, "nobody-listens"] {
        assert!(!listed.contains(key), "a stream key came back out");
        assert!(!app.logs().contains(key), "a stream key was logged");
    }

    // Removing one leaves the others; removing the last stops the restream.
    let remove = |id: &str| {
        let path = format!("{}/{id}", destinations_path(&show));
        let key = show.host_key.clone();
        let app = &app;
        async move { app.delete(&path, Some(&key)).await }
    };
    assert_eq!(remove(&refused_id).await.status(), StatusCode::NO_CONTENT);
    assert!(status_of(&app, &show, &refused_id).await.is_none());
    assert_eq!(
        status_of(&app, &show, &relay_id).await.unwrap()["status"],
        "active"
    );
    println!(
        "restream: destinations before the last removals: {}",
        serde_json::to_string(&destinations(&app, &show).await).unwrap()
    );
    assert_eq!(remove(&ffmpeg_id).await.status(), StatusCode::NO_CONTENT);
    let stops_before = app.livekit_calls("StopEgress").await;
    assert_eq!(remove(&relay_id).await.status(), StatusCode::NO_CONTENT);
    assert!(
        app.livekit_calls("StopEgress").await > stops_before,
        "the last destination removed stops the restream egress"
    );
    let again = remove(&relay_id).await;
    expect_error(again, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn destinations_are_checked_at_the_door() {
    let app = spawn_recording_app().await;
    let stream = app.create_stream_as("Ada").await;
    let path = destinations_path(&stream);

    let response = add_destination(&app, &stream, "http://example.com/live", "k3y").await;
    let body = expect_error(response, StatusCode::BAD_REQUEST, "invalid_field").await;
    assert_eq!(body["field"], "url", "{body}");
    let response = add_destination(&app, &stream, "rtmp://example.com/live", "a key").await;
    let body = expect_error(response, StatusCode::BAD_REQUEST, "invalid_field").await;
    assert_eq!(body["field"], "streamKey", "{body}");
    let response = app
        .post_json(
            &path,
            &json!({ "url": "rtmp://example.com/live" }),
            Some(&stream.host_key),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_field").await;

    let response = app
        .post_json(
            &path,
            &json!({ "url": "rtmp://example.com/live", "streamKey": "k" }),
            None,
        )
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_host_key").await;
    let other = app.create_stream_as("Ben").await;
    let response = app.get_with_key(&path, &other.host_key).await;
    expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;

    let empty = destinations(&app, &stream).await;
    assert!(empty.is_empty());

    // Without a bucket there is nowhere to keep destinations.
    let bare = spawn_app().await;
    let stream = bare.create_stream_as("Cy").await;
    let response = add_destination(&bare, &stream, "rtmp://example.com/live", "k3y").await;
    expect_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "restream_unavailable",
    )
    .await;
}
