//! Recording on the real stack: a host publishing Chromium's fake camera, the real LiveKit
//! egress worker, SeaweedFS as the bucket. Each test records with the one shared egress worker,
//! and one of them kills it, so they take turns ([`TAKE_TURNS`]).

use std::time::{Duration, Instant};

use onair_api::CreatedRoom;
use onair_api_tests::{
    CuttableProxy, LiveKitTarget, OwnRecordingStack, Publisher, TestApp, egress_pid, eventually,
    expect_error, recording_settings, spawn_app_with, spawn_recording_app,
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::TAKE_TURNS;

/// A stream whose host publishes the fake camera and microphone.
pub(crate) async fn live_stream(app: &TestApp, host_name: &str) -> (CreatedRoom, Publisher) {
    let stream = app.create_stream_as(host_name).await;
    let publisher = Publisher::start(&app.livekit.url, &stream.host_token).await;
    let room = stream.room_id.to_string();
    let live = eventually(Duration::from_secs(20), || async {
        let info: Value = app.get_stream(&room).await.json().await.unwrap();
        info["live"] == true
    })
    .await;
    assert!(live.is_some(), "the stream went live");
    (stream, publisher)
}

/// Starts a recording, expecting success, and returns its egress id.
pub(crate) async fn start_recording(app: &TestApp, stream: &CreatedRoom) -> String {
    let response = app
        .start_recording(stream.room_id.as_str(), Some(&stream.host_key))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "start");
    let started: Value = response.json().await.unwrap();
    started["egressId"].as_str().unwrap().to_owned()
}

/// The recording `egress_id` as `GET /api/recordings/:roomId` shows it.
pub(crate) async fn listed(app: &TestApp, room: &str, egress_id: &str) -> Option<Value> {
    let list: Value = app.list_recordings(room).await.json().await.unwrap();
    list["active"]
        .as_object()
        .map(|active| Value::Object(active.clone()))
        .into_iter()
        .chain(list["recordings"].as_array().cloned().unwrap_or_default())
        .find(|recording| recording["egressId"] == egress_id)
}

pub(crate) async fn wait_for_status(
    app: &TestApp,
    room: &str,
    egress_id: &str,
    status: &str,
    within: Duration,
) -> Option<Duration> {
    eventually(within, || async {
        listed(app, room, egress_id)
            .await
            .is_some_and(|r| r["status"] == status)
    })
    .await
}

/// What ffprobe finds in a media file: codec names and the duration in seconds.
fn probe(path: &std::path::Path) -> (Vec<String>, f64) {
    let output = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name:format=duration",
        ])
        .args(["-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs (cargo xtask test installs ffmpeg)");
    assert!(
        output.status.success(),
        "ffprobe: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let found: Value = serde_json::from_slice(&output.stdout).unwrap();
    let codecs = found["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["codec_name"].as_str().unwrap_or_default().to_owned())
        .collect();
    let duration = found["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    (codecs, duration)
}

#[tokio::test]
async fn a_host_records_five_seconds_and_anyone_can_replay_the_mp4() {
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app().await;
    let (stream, _publisher) = live_stream(&app, "Ada").await;
    let room = stream.room_id.to_string();

    let response = app.start_recording(&room, Some(&stream.host_key)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let started: Value = response.json().await.unwrap();
    let egress_id = started["egressId"].as_str().unwrap().to_owned();
    let file_path = started["filePath"].as_str().unwrap().to_owned();
    let millis = file_path
        .strip_prefix(&format!("live-recordings/{room}/"))
        .and_then(|name| name.strip_suffix(".mp4"))
        .unwrap_or_else(|| panic!("unexpected key {file_path}"));
    assert!(millis.parse::<u64>().is_ok(), "{file_path}");

    // One recording at a time, and only for the host.
    expect_error(
        app.start_recording(&room, Some(&stream.host_key)).await,
        StatusCode::CONFLICT,
        "recording_active",
    )
    .await;
    expect_error(
        app.start_recording(&room, None).await,
        StatusCode::UNAUTHORIZED,
        "missing_host_key",
    )
    .await;
    let other = app.create_stream_as("Mallory").await;
    expect_error(
        app.start_recording(&room, Some(&other.host_key)).await,
        StatusCode::FORBIDDEN,
        "host_key_rejected",
    )
    .await;

    let active = wait_for_status(&app, &room, &egress_id, "active", Duration::from_secs(30)).await;
    assert!(active.is_some(), "the recording became active");
    let info: Value = app.get_stream(&room).await.json().await.unwrap();
    assert_eq!(info["isRecording"], true);
    assert_eq!(info["recording"]["status"], "active");
    tokio::time::sleep(Duration::from_secs(5)).await;

    let clicked = Instant::now();
    let response = app.stop_recording(&egress_id, Some(&stream.host_key)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let stopped: Value = response.json().await.unwrap();
    println!("stop → completed and listed in {:?}", clicked.elapsed());
    assert_eq!(stopped["status"], "completed", "{stopped}");
    let recording = listed(&app, &room, &egress_id).await.expect("listed");
    assert_eq!(recording["status"], "completed");
    assert_eq!(recording["filePath"], file_path.as_str());
    let size = recording["sizeBytes"].as_u64().expect("a size");
    println!(
        "listed {:?} after the stop: {size} bytes",
        clicked.elapsed()
    );

    // The playback URL downloads the very object the bucket lists, and it is a real MP4.
    let url = recording["playbackUrl"].as_str().expect("a playback URL");
    let bytes = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        bytes.len() as u64,
        size,
        "the playback URL serves the listed object"
    );
    let file = std::env::temp_dir().join(format!("onair-recording-{egress_id}.mp4"));
    std::fs::write(&file, &bytes).unwrap();
    let (codecs, duration) = probe(&file);
    let _ = std::fs::remove_file(&file);
    assert!(codecs.contains(&"h264".to_owned()), "{codecs:?}");
    assert!(codecs.contains(&"aac".to_owned()), "{codecs:?}");
    assert!(duration >= 3.0, "{duration} s");

    let info: Value = app.get_stream(&room).await.json().await.unwrap();
    assert_eq!(info["isRecording"], false);
}

#[tokio::test]
async fn a_recording_whose_worker_is_killed_is_failed_within_30_s_and_a_new_one_starts() {
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app().await;
    let (stream, _publisher) = live_stream(&app, "Ada").await;
    let room = stream.room_id.to_string();
    let egress_id = start_recording(&app, &stream).await;
    assert!(
        wait_for_status(&app, &room, &egress_id, "active", Duration::from_secs(30))
            .await
            .is_some(),
        "the recording became active"
    );

    // The worker, its recording handler, Chromium and Xvfb die at once, as in a crash of its
    // machine.
    xtask::process::kill_tree(egress_pid());

    let failed = eventually(Duration::from_secs(30), || async {
        let info: Value = app.get_stream(&room).await.json().await.unwrap();
        let listed = listed(&app, &room, &egress_id).await.unwrap_or_default();
        info["isRecording"] == false
            && info["recording"]["status"] == "failed"
            && listed["status"] == "failed"
    })
    .await;
    println!("worker killed → failed everywhere after {failed:?}");
    assert!(failed.is_some(), "reported failed within 30 s");
    let listed = listed(&app, &room, &egress_id).await.unwrap();
    assert!(
        listed["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{listed}"
    );

    // The supervisor brings a worker back; the host records again.
    let deadline = Instant::now() + Duration::from_secs(45);
    let again = loop {
        let response = app.start_recording(&room, Some(&stream.host_key)).await;
        if response.status() == StatusCode::OK {
            let started: Value = response.json().await.unwrap();
            break started["egressId"].as_str().unwrap().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "a new recording starts within 45 s"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert!(
        wait_for_status(&app, &room, &again, "active", Duration::from_secs(30))
            .await
            .is_some(),
        "the new recording became active"
    );
    let stopped: Value = app
        .stop_recording(&again, Some(&stream.host_key))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stopped["status"], "completed", "{stopped}");
}

#[tokio::test]
async fn a_host_who_stops_right_after_starting_is_answered_not_told_to_retry() {
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app().await;
    let (stream, _publisher) = live_stream(&app, "Ada").await;
    let egress_id = start_recording(&app, &stream).await;

    // The stop comes before egress has a recorder running to take it.
    let asked = Instant::now();
    let response = app.stop_recording(&egress_id, Some(&stream.host_key)).await;
    let status = response.status();
    let stopped: Value = response.json().await.unwrap();
    println!(
        "stopped right after the start, in {:?}: {stopped}",
        asked.elapsed()
    );
    assert_eq!(status, StatusCode::OK, "{stopped}");
    assert!(
        stopped["status"] == "completed" || stopped["status"] == "failed",
        "ended either way: {stopped}"
    );
}

#[tokio::test]
async fn a_recording_of_a_stream_that_publishes_nothing_is_failed_not_left_starting() {
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.to_string();
    let egress_id = start_recording(&app, &stream).await;

    let failed = wait_for_status(&app, &room, &egress_id, "failed", Duration::from_secs(40)).await;
    println!("nothing published → failed after {failed:?}");
    assert!(failed.is_some(), "reported failed");
    let listed = listed(&app, &room, &egress_id).await.unwrap();
    assert!(
        listed["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{listed}"
    );
    let info: Value = app.get_stream(&room).await.json().await.unwrap();
    assert_eq!(info["isRecording"], false);
}

#[tokio::test]
async fn with_the_bucket_stopped_nothing_starts_and_nothing_is_left_half_created() {
    let app = spawn_recording_app().await;
    let dead_endpoint = format!("http://127.0.0.1:{}", xtask::net::free_tcp_port().unwrap());
    let cut_off = app_with_s3_endpoint(&dead_endpoint).await;
    let stream = cut_off.create_stream_as("Ada").await;
    let room = stream.room_id.to_string();

    let asked = Instant::now();
    let response = cut_off.start_recording(&room, Some(&stream.host_key)).await;
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "answered after {:?}",
        asked.elapsed()
    );
    assert!(response.headers().contains_key("retry-after"));
    expect_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
    )
    .await;

    // Seen through a replica whose bucket answers: no egress was started, nothing was saved.
    let list: Value = app.list_recordings(&room).await.json().await.unwrap();
    assert_eq!(list["active"], Value::Null, "{list}");
    assert_eq!(list["recordings"], serde_json::json!([]), "{list}");
    let info: Value = app.get_stream(&room).await.json().await.unwrap();
    assert_eq!(info["isRecording"], false);
}

/// `onair` recording into the shared bucket through `endpoint` instead of the bucket's own.
async fn app_with_s3_endpoint(endpoint: &str) -> TestApp {
    let mut settings = recording_settings();
    for (name, value) in &mut settings {
        if name == "S3_ENDPOINT" {
            *value = endpoint.to_owned();
        }
    }
    let overrides: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    spawn_app_with(&LiveKitTarget::shared(), &overrides).await
}

#[tokio::test]
async fn a_recording_whose_upload_fails_is_kept_on_backup_storage_and_reported_with_where_it_is() {
    let _turn = TAKE_TURNS.lock().await;
    let direct = spawn_recording_app().await;
    let bucket = recording_settings()
        .into_iter()
        .find_map(|(name, endpoint)| (name == "S3_ENDPOINT").then_some(endpoint))
        .expect("the bucket's endpoint");
    let proxy = CuttableProxy::start(bucket.trim_start_matches("http://")).await;
    let app = app_with_s3_endpoint(&proxy.url()).await;
    let (stream, _publisher) = live_stream(&app, "Ada").await;
    let room = stream.room_id.to_string();
    let egress_id = start_recording(&app, &stream).await;
    assert!(
        wait_for_status(&app, &room, &egress_id, "active", Duration::from_secs(30))
            .await
            .is_some(),
        "the recording became active"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The way to the bucket fails just before the host stops: egress cannot upload the file.
    proxy.cut();
    let asked = Instant::now();
    let response = app.stop_recording(&egress_id, Some(&stream.host_key)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let stopped: Value = response.json().await.unwrap();
    println!(
        "stop with the bucket cut off, answered in {:?}: {stopped}",
        asked.elapsed()
    );

    // The host is told, in words, that the recording is not playable and where the file is.
    assert_eq!(stopped["status"], "failed", "{stopped}");
    assert!(stopped["playbackUrl"].is_null(), "{stopped}");
    let reason = stopped["error"].as_str().unwrap_or_default().to_owned();
    let location = reason
        .split_whitespace()
        .find(|word| word.starts_with('/') && word.contains(".mp4"))
        .map(|word| word.trim_end_matches([':', '.', ',']))
        .unwrap_or_else(|| panic!("the reason names the file: {reason}"));
    let kept = std::fs::metadata(location).expect("the file kept on backup storage exists");
    assert!(
        kept.len() > 10_000,
        "{location} holds a recording: {} bytes",
        kept.len()
    );
    let key = format!("live-recordings/{room}/");
    assert!(
        reason.contains(&key),
        "the reason names the bucket key: {reason}"
    );

    // The bucket answers again: the listing keeps reporting it, with the same reason.
    let listed = listed(&direct, &room, &egress_id).await.expect("listed");
    assert_eq!(listed["status"], "failed", "{listed}");
    assert_eq!(listed["error"].as_str(), Some(reason.as_str()), "{listed}");
    assert!(listed["playbackUrl"].is_null(), "{listed}");
    let _ = std::fs::remove_file(location);
}

#[tokio::test]
async fn a_recording_running_when_redis_restarts_empty_is_reported_then_saved_never_lost() {
    let _turn = TAKE_TURNS.lock().await;
    // Its own Redis, LiveKit node and egress worker: killing the shared Redis would break the
    // other suites.
    let mut own = OwnRecordingStack::start("redis-fault");
    let settings = own.onair_settings();
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = spawn_app_with(&LiveKitTarget::of(&own.livekit), &settings).await;
    let (stream, _publisher) = live_stream(&app, "Ada").await;
    let room = stream.room_id.to_string();
    let response = app.start_recording(&room, Some(&stream.host_key)).await;
    let status = response.status();
    let started: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "start: {started}\n{}", app.logs());
    let egress_id = started["egressId"].as_str().unwrap().to_owned();
    let file_path = started["filePath"].as_str().unwrap().to_owned();
    assert!(
        wait_for_status(&app, &room, &egress_id, "active", Duration::from_secs(30))
            .await
            .is_some(),
        "the recording became active"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Redis crashes and comes back empty: LiveKit forgets the room and its egress, while the
    // recorder goes on recording.
    own.stack.restart_redis_empty().expect("Redis restarts");
    let restarted = Instant::now();
    let recording = || async {
        let list: Value = app.list_recordings(&room).await.json().await.ok()?;
        list["recordings"]
            .as_array()?
            .iter()
            .find(|r| r["filePath"] == file_path.as_str())
            .cloned()
    };

    // It stays in the list, failed with a reason, as soon as LiveKit has forgotten it…
    let reported = eventually(Duration::from_secs(10), || async {
        recording()
            .await
            .is_some_and(|r| r["status"] == "failed" && r["egressId"] == egress_id.as_str())
    })
    .await;
    let failed = recording().await;
    println!("after Redis restarted empty, reported after {reported:?}: {failed:?}");
    assert!(reported.is_some(), "reported failed: {failed:?}");
    let reason = failed.unwrap()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(reason.contains("LiveKit lost track"), "{reason}");

    // …and OnAir has its recorder finish, so the file is saved and plays.
    let saved = eventually(Duration::from_secs(60), || async {
        recording()
            .await
            .is_some_and(|r| r["status"] == "completed")
    })
    .await;
    let completed = recording().await.expect("listed");
    println!(
        "saved {:?} after the restart: {completed}",
        saved.map(|_| restarted.elapsed())
    );
    assert!(saved.is_some(), "the file was saved: {completed}");
    assert!(
        completed["sizeBytes"]
            .as_u64()
            .is_some_and(|size| size > 10_000),
        "{completed}"
    );
    let playback = completed["playbackUrl"].as_str().expect("a playback URL");
    let download = app.client.get(playback).send().await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
}
