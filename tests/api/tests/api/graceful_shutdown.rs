//! A replica is stopped while it serves (SIGTERM, as a container runtime, systemd or a rolling
//! deploy does): it stops accepting, finishes every request that had started, and exits 0. A
//! host's "stop recording", which waits for egress to finish the file, is among them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use onair_api_tests::{Publisher, spawn_app, spawn_recording_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::TAKE_TURNS;
use crate::recording_real::{start_recording, wait_for_status};

/// How many viewers keep asking for tokens while the replica stops.
const VIEWERS: usize = 16;
/// Each viewer's loop ends by itself after this many requests.
const REQUESTS_PER_VIEWER: usize = 5_000;
/// What a runtime allows between SIGTERM and SIGKILL.
const STOP_LIMIT: Duration = Duration::from_secs(10);

/// What happened to one viewer's requests.
#[derive(Default, Debug)]
struct Outcome {
    answered: usize,
    refused_after_sigterm: usize,
    failures: Vec<String>,
}

#[tokio::test]
async fn sigterm_under_load_finishes_every_started_request_and_exits_0() {
    let _turn = TAKE_TURNS.lock().await;
    let mut app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.to_string();
    let sigterm_sent: Arc<std::sync::OnceLock<Instant>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));

    let viewers: Vec<_> = (0..VIEWERS)
        .map(|viewer| {
            let client = app.client.clone();
            let url = app.url("/api/token");
            let room = room.clone();
            let sigterm_sent = sigterm_sent.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let mut outcome = Outcome::default();
                for request in 0..REQUESTS_PER_VIEWER {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    let body = json!({"roomName": room, "participantName": format!("v{viewer}-{request}")});
                    let sent = Instant::now();
                    let started_before_sigterm = sigterm_sent.get().is_none_or(|at| sent < *at);
                    match client.post(&url).json(&body).send().await {
                        Ok(response) if response.status() == StatusCode::OK => outcome.answered += 1,
                        Ok(response) => outcome
                            .failures
                            .push(format!("answered {}", response.status())),
                        Err(_) if !started_before_sigterm => {
                            outcome.refused_after_sigterm += 1;
                            break;
                        }
                        Err(error) => {
                            outcome.failures.push(format!("started, then failed: {error}"));
                            break;
                        }
                    }
                }
                outcome
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(500)).await;
    sigterm_sent.set(Instant::now()).unwrap();
    app.send_sigterm();
    let exit = app.exit_status(STOP_LIMIT).await;
    let stopped_in = sigterm_sent.get().unwrap().elapsed();
    done.store(true, Ordering::Relaxed);

    let mut answered = 0;
    let mut refused = 0;
    let mut failures = Vec::new();
    for viewer in viewers {
        let outcome = viewer.await.unwrap();
        answered += outcome.answered;
        refused += outcome.refused_after_sigterm;
        failures.extend(outcome.failures);
    }
    println!(
        "{answered} tokens issued, {refused} requests refused after SIGTERM, exit {exit:?} \
         {stopped_in:?} after SIGTERM"
    );
    assert!(
        failures.is_empty(),
        "requests that had started failed: {failures:?}"
    );
    assert!(
        answered > VIEWERS,
        "the viewers were served before the stop"
    );
    let status = exit.unwrap_or_else(|| panic!("still running after {STOP_LIMIT:?}"));
    assert!(status.success(), "exit {status}; log:\n{}", app.logs());
    assert!(
        app.logs().contains("shutting down"),
        "the stop is logged:\n{}",
        app.logs()
    );
}

#[tokio::test]
async fn a_stop_recording_waiting_for_egress_when_sigterm_comes_still_completes() {
    let _turn = TAKE_TURNS.lock().await;
    let mut app = spawn_recording_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.to_string();
    let _camera = Publisher::start(&app.livekit.url, &stream.host_token).await;
    let egress_id = start_recording(&app, &stream).await;
    let active = wait_for_status(&app, &room, &egress_id, "active", Duration::from_secs(30)).await;
    assert!(active.is_some(), "the recording runs");
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The host clicks stop; while onair waits for egress to finish the file, it gets SIGTERM.
    let stop = {
        let client = app.client.clone();
        let url = app.url("/api/recordings/stop");
        let host_key = stream.host_key.clone();
        let egress_id = egress_id.clone();
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(host_key)
                .json(&json!({"egressId": egress_id}))
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let sigterm_sent = Instant::now();
    app.send_sigterm();

    let response = stop
        .await
        .unwrap()
        .expect("the stop that had started is answered");
    assert_eq!(response.status(), StatusCode::OK);
    let stopped: Value = response.json().await.unwrap();
    assert_eq!(stopped["status"], "completed", "{stopped}");
    let exit = app.exit_status(STOP_LIMIT).await;
    println!(
        "stop answered {}; exit {exit:?} {:?} after SIGTERM",
        stopped["status"],
        sigterm_sent.elapsed()
    );
    assert!(
        exit.is_some_and(|status| status.success()),
        "exit 0: {exit:?}"
    );
}

#[tokio::test]
async fn a_stopping_replica_tells_the_load_balancer_it_is_not_ready() {
    let mut app = spawn_app().await;
    let before = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(before.status(), StatusCode::OK);

    app.send_sigterm();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let during = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(during.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(during.headers()["connection"], "close");
    let report: Value = during.json().await.unwrap();
    assert_eq!(report["status"], "draining", "{report}");
    assert!(
        app.exit_status(STOP_LIMIT)
            .await
            .is_some_and(|s| s.success())
    );
}
