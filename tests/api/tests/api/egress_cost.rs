//! What a stream's egress costs, measured rather than asserted (ignored by default; run it with
//! `cargo xtask api -- -- --ignored --nocapture egress_cost`): the real egress worker records
//! one live stream for the same time four ways — the MP4 alone, the MP4 with the HLS broadcast
//! in the same egress (what OnAir does), the MP4 beside a broadcast on its own egress (two
//! compositors), and the MP4 with the HLS while the stream is also restreamed over RTMP (to an
//! ffmpeg server) — and prints the CPU and memory the worker itself reports for each egress
//! ("egress metrics" in its log).

use std::path::PathBuf;
use std::time::Duration;

use onair_api::CreatedRoom;
use onair_api_tests::{TestApp, eventually, spawn_recording_app_with, webhook_port};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::TAKE_TURNS;
use crate::recording_real::{live_stream, start_recording, wait_for_status};
use crate::restream::FfmpegReceiver;

/// How long each way records once active: long enough for the averages to settle.
const RECORDED_FOR: Duration = Duration::from_secs(40);

/// What the egress worker reported for one egress when it ended.
#[derive(Debug, Default, Clone, Copy)]
struct EgressCost {
    average_cores: f64,
    peak_cores: f64,
    peak_memory_mb: f64,
}

impl std::ops::Add for EgressCost {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self {
            average_cores: self.average_cores + other.average_cores,
            peak_cores: self.peak_cores + other.peak_cores,
            peak_memory_mb: self.peak_memory_mb + other.peak_memory_mb,
        }
    }
}

/// The egress worker logs of the local stack (`target/xtask/logs/*egress.log`).
fn egress_logs() -> Vec<PathBuf> {
    let dir = xtask::target_dir().join("xtask/logs");
    std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.to_string_lossy().ends_with("egress.log"))
                .collect()
        })
        .unwrap_or_default()
}

/// The "egress metrics" line the worker writes for `egress_id` when it ends.
fn reported_cost(egress_id: &str) -> Option<EgressCost> {
    egress_logs().into_iter().find_map(|path| {
        let log = std::fs::read_to_string(path).ok()?;
        log.lines()
            .filter(|line| line.contains("egress metrics") && line.contains(egress_id))
            .find_map(|line| {
                let fields: Value = serde_json::from_str(line.rsplit('\t').next()?).ok()?;
                Some(EgressCost {
                    average_cores: fields["avgCPU"].as_f64()?,
                    peak_cores: fields["maxCPU"].as_f64()?,
                    peak_memory_mb: fields["maxMemory"].as_f64()? / 1e6,
                })
            })
    })
}

async fn cost_when_ended(egress_id: &str) -> EgressCost {
    eventually(Duration::from_secs(30), || async {
        reported_cost(egress_id).is_some()
    })
    .await
    .unwrap_or_else(|| panic!("the egress worker reported the cost of {egress_id}"));
    reported_cost(egress_id).unwrap()
}

/// Records `stream` for [`RECORDED_FOR`] once active; returns the recording's egress id.
async fn record_for_a_while(app: &TestApp, stream: &CreatedRoom) -> String {
    let egress_id = start_recording(app, stream).await;
    let active = wait_for_status(
        app,
        stream.room_id.as_str(),
        &egress_id,
        "active",
        Duration::from_secs(45),
    )
    .await;
    assert!(active.is_some(), "the recording became active");
    tokio::time::sleep(RECORDED_FOR).await;
    let stopped = app.stop_recording(&egress_id, Some(&stream.host_key)).await;
    assert_eq!(stopped.status(), StatusCode::OK);
    egress_id
}

/// The id of the egress of `stream` whose only output is `output_type` (`segments`,
/// `stream`), as the worker logged its request.
async fn logged_egress(stream: &CreatedRoom, output_type: &str) -> String {
    let room = format!("\"room\": \"{}\"", stream.room_id);
    let output = format!("\"outputType\": \"{output_type}\"");
    let egress_of_room = || {
        egress_logs().into_iter().find_map(|path| {
            let log = std::fs::read_to_string(path).ok()?;
            log.lines()
                .filter(|line| line.contains("request validated") && line.contains(&room))
                .filter(|line| line.contains(&output))
                .find_map(|line| {
                    let (_, after) = line.split_once("\"egressID\": \"")?;
                    Some(after.split('"').next()?.to_owned())
                })
        })
    };
    eventually(Duration::from_secs(10), || async {
        egress_of_room().is_some()
    })
    .await
    .unwrap_or_else(|| panic!("the worker logged the {output_type} egress's request"));
    egress_of_room().unwrap()
}

/// Starts the broadcast of `stream` on its own egress; returns that egress's id.
async fn broadcast_egress(app: &TestApp, stream: &CreatedRoom) -> String {
    let path = format!("/api/rooms/{}/hls", stream.room_id);
    let started = app
        .post_json(&path, &json!({}), Some(&stream.host_key))
        .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    logged_egress(stream, "segments").await
}

/// Restreams `stream` to `receiver`; returns the restream's egress id and the destination's.
async fn restream_egress(
    app: &TestApp,
    stream: &CreatedRoom,
    receiver: &FfmpegReceiver,
) -> (String, String) {
    let listening = eventually(Duration::from_secs(10), || async { receiver.listening() }).await;
    assert!(listening.is_some(), "ffmpeg listens for RTMP");
    let added = app
        .post_json(
            &format!("/api/rooms/{}/destinations", stream.room_id),
            &json!({"url": receiver.url(), "streamKey": FfmpegReceiver::KEY}),
            Some(&stream.host_key),
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let destination: Value = added.json().await.unwrap();
    let destination_id = destination["destinationId"].as_str().unwrap().to_owned();
    (logged_egress(stream, "stream").await, destination_id)
}

fn print_cost(way: &str, cost: EgressCost) {
    println!(
        "egress cost: {way:<34} {:>5.2} cores average, {:>5.2} peak, {:>6.0} MB peak",
        cost.average_cores, cost.peak_cores, cost.peak_memory_mb
    );
}

#[tokio::test]
#[ignore = "a measurement of a few minutes: cargo xtask api -- -- --ignored --nocapture egress_cost"]
async fn egress_cost_of_mp4_alone_with_hls_in_one_egress_and_in_two_and_with_a_restream() {
    let _turn = TAKE_TURNS.lock().await;

    let app = spawn_recording_app_with(webhook_port(), &[("HLS_MODE", "off")]).await;
    let (stream, _publisher) = live_stream(&app, "Ada").await;
    let mp4_alone = cost_when_ended(&record_for_a_while(&app, &stream).await).await;
    drop((app, _publisher));

    let app = spawn_recording_app_with(webhook_port(), &[("HLS_MODE", "host")]).await;
    let (stream, _publisher) = live_stream(&app, "Ada").await;
    let one_egress = cost_when_ended(&record_for_a_while(&app, &stream).await).await;

    // The broadcast on its own, then the recording beside it: two compositors.
    let (stream, _second_publisher) = live_stream(&app, "Bea").await;
    let broadcast = broadcast_egress(&app, &stream).await;
    let recording = record_for_a_while(&app, &stream).await;
    let stopped = app
        .delete(
            &format!("/api/rooms/{}/hls", stream.room_id),
            Some(&stream.host_key),
        )
        .await;
    assert_eq!(stopped.status(), StatusCode::NO_CONTENT);
    let two_egresses = cost_when_ended(&recording).await + cost_when_ended(&broadcast).await;

    // The recording with its broadcast while an RTMP restream runs (its own egress).
    let (stream, _third_publisher) = live_stream(&app, "Cy").await;
    let file = std::env::temp_dir().join(format!("onair-cost-{}.flv", std::process::id()));
    let receiver = FfmpegReceiver::start(&file, 600);
    let (restream, destination) = restream_egress(&app, &stream, &receiver).await;
    let recording = record_for_a_while(&app, &stream).await;
    let removed = app
        .delete(
            &format!("/api/rooms/{}/destinations/{destination}", stream.room_id),
            Some(&stream.host_key),
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let recording_beside_restream = cost_when_ended(&recording).await;
    let restream_alone = cost_when_ended(&restream).await;
    drop(receiver);
    let _ = std::fs::remove_file(&file);

    print_cost("MP4 alone", mp4_alone);
    print_cost("MP4 + HLS in one egress", one_egress);
    print_cost("MP4 and HLS in two egresses", two_egresses);
    print_cost("RTMP restream (its own egress)", restream_alone);
    print_cost(
        "MP4 + HLS, and RTMP beside",
        recording_beside_restream + restream_alone,
    );
}
