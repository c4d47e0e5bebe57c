//! A popular link: hundreds of viewers ask for tokens at once; LiveKit sees a handful of calls,
//! and tens of thousands of token requests all succeed.

use futures::future::join_all;
use onair_api_tests::{TestApp, spawn_app, spawn_recording_app};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A new stream whose snapshot, cached at creation, has expired: the next viewers must look the
/// room up. Returns its id.
async fn stream_out_of_the_cache(app: &TestApp) -> String {
    let stream = app.create_stream_as("Ada").await;
    tokio::time::sleep(Duration::from_millis(2300)).await;
    stream.room_id.to_string()
}

/// `viewers` viewers of `room` ask for a token at once; asserts every one got it.
async fn burst_of_viewers(app: &TestApp, room: &str, viewers: usize) {
    let answers = join_all((0..viewers).map(|i| async move {
        let response = app.viewer_token(room, &format!("Viewer {i}")).await;
        let status = response.status();
        (status, response.text().await.unwrap_or_default())
    }))
    .await;
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status != StatusCode::OK)
        .collect();
    assert!(
        refused.is_empty(),
        "{} of {viewers} viewers got no token, e.g. {:?}",
        refused.len(),
        refused.first()
    );
}

#[tokio::test]
async fn three_hundred_viewers_at_once_cost_one_room_lookup() {
    // A burst loads the machine on purpose: not beside the other load and timed suites.
    let _turn = crate::TAKE_TURNS.lock().await;
    let app = spawn_app().await;
    let room = stream_out_of_the_cache(&app).await;
    let rooms_before = app.livekit_calls("ListRooms").await;
    let participants_before = app.livekit_calls("ListParticipants").await;

    burst_of_viewers(&app, &room, 300).await;

    let room_lookups = app.livekit_calls("ListRooms").await - rooms_before;
    let participant_lookups = app.livekit_calls("ListParticipants").await - participants_before;
    assert!(
        (1..=2).contains(&room_lookups),
        "{room_lookups} ListRooms calls for 300 viewers"
    );
    assert!(
        participant_lookups <= 2,
        "{participant_lookups} ListParticipants calls for 300 viewers"
    );
}

#[tokio::test]
async fn five_hundred_viewers_of_a_recorded_stream_cost_at_most_five_livekit_lookups() {
    // With recording configured, a room snapshot also asks LiveKit for the room's egresses.
    let _turn = crate::TAKE_TURNS.lock().await;
    let app = spawn_recording_app().await;
    let room = stream_out_of_the_cache(&app).await;
    let lookups = || async {
        let mut total = 0;
        for method in ["ListRooms", "ListParticipants", "ListEgress"] {
            total += app.livekit_calls(method).await;
        }
        total
    };
    let before = lookups().await;

    burst_of_viewers(&app, &room, 500).await;

    let calls = lookups().await - before;
    println!("500 viewers at once: {calls} LiveKit lookups");
    assert!(calls <= 5, "{calls} LiveKit lookups for 500 viewers");
}

#[tokio::test]
async fn twenty_thousand_viewer_tokens_at_64_connections_all_succeed() {
    const REQUESTS: usize = 20_000;
    const CONNECTIONS: usize = 64;
    let _turn = crate::TAKE_TURNS.lock().await;
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.to_string();
    let next = Arc::new(AtomicUsize::new(0));
    let started = std::time::Instant::now();

    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url("/api/token");
            let room = room.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut failures = Vec::new();
                // Bounded: the shared counter hands out exactly REQUESTS requests.
                loop {
                    let request = next.fetch_add(1, Ordering::Relaxed);
                    if request >= REQUESTS {
                        break failures;
                    }
                    let body =
                        json!({"roomName": room, "participantName": format!("Viewer {request}")});
                    match client.post(&url).json(&body).send().await {
                        Ok(response) if response.status() == StatusCode::OK => {}
                        Ok(response) => failures.push(format!("{}", response.status())),
                        Err(error) => failures.push(error.to_string()),
                    }
                }
            })
        })
        .collect();
    let mut failures = Vec::new();
    for worker in workers {
        failures.extend(worker.await.unwrap());
    }
    println!(
        "{REQUESTS} viewer tokens at {CONNECTIONS} connections in {:?}",
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {REQUESTS} failed, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}
