//! LiveKit goes away (frozen, then killed) and comes back: OnAir answers 503 quickly with a
//! retry hint, stays alive, reports not-ready, and recovers by itself.

use onair_api_tests::{LiveKitTarget, eventually, expect_error, own_livekit, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The promise: an answer within 3 s even when LiveKit never answers.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);

async fn assert_livekit_unavailable_quickly(
    response: impl std::future::Future<Output = reqwest::Response>,
) {
    let started = Instant::now();
    let response = response.await;
    let took = started.elapsed();
    assert!(took < ANSWER_WITHIN, "answered after {took:?}");
    let retry_after = response.headers().get("retry-after").cloned();
    expect_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "livekit_unavailable",
    )
    .await;
    assert!(retry_after.is_some(), "a Retry-After hint");
}

#[tokio::test]
async fn a_frozen_then_dead_livekit_gives_quick_503s_and_onair_recovers_without_a_restart() {
    let mut livekit = own_livekit();
    let app = spawn_app_with(
        &LiveKitTarget::of(&livekit),
        &[("ROOM_CACHE_TTL_MS", "300")],
    )
    .await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.as_str().to_owned();

    // Frozen: connections are accepted but never answered.
    livekit.pause().unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_livekit_unavailable_quickly(app.create_stream(&json!({"hostName": "Ada"}))).await;
    assert_livekit_unavailable_quickly(app.get_stream(&room)).await;
    assert_livekit_unavailable_quickly(app.viewer_token(&room, "Bob")).await;
    let started = Instant::now();
    assert_eq!(
        app.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(started.elapsed() < ANSWER_WITHIN);
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::OK,
        "alive while LiveKit is down"
    );

    livekit.resume().unwrap();
    let recovered = eventually(Duration::from_secs(10), || async {
        app.get("/readyz").await.status() == StatusCode::OK
    })
    .await;
    assert!(recovered.is_some(), "ready again once LiveKit answers");
    assert_eq!(app.get_stream(&room).await.status(), StatusCode::OK);

    // Dead: connections are refused.
    livekit.stop().unwrap();
    assert_livekit_unavailable_quickly(app.create_stream(&json!({"hostName": "Ada"}))).await;
    assert_eq!(
        app.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    livekit.restart().unwrap();
    let recovered = eventually(Duration::from_secs(10), || async {
        app.create_stream(&json!({"hostName": "Ada"}))
            .await
            .status()
            == StatusCode::CREATED
    })
    .await;
    assert!(
        recovered.is_some(),
        "streams can be created again, without restarting OnAir"
    );
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn after_livekit_lost_its_rooms_the_host_reopens_the_stream_and_viewers_can_join_again() {
    let mut livekit = own_livekit();
    let app = spawn_app_with(
        &LiveKitTarget::of(&livekit),
        &[("ROOM_CACHE_TTL_MS", "200")],
    )
    .await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.as_str().to_owned();

    // A restart of a single-node LiveKit forgets every room.
    livekit.restart().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    expect_error(
        app.viewer_token(&room, "Bob").await,
        StatusCode::NOT_FOUND,
        "stream_not_found",
    )
    .await;

    let reopened = app.host_token(&room, "Ada", Some(&stream.host_key)).await;

    assert_eq!(reopened.status(), StatusCode::OK);
    assert_eq!(
        app.viewer_token(&room, "Bob").await.status(),
        StatusCode::OK
    );
    let info: serde_json::Value = app.get_stream(&room).await.json().await.unwrap();
    assert_eq!(info["hostName"], "Ada");
    assert_eq!(
        info["title"], "Test stream",
        "the title survives, carried by the host key"
    );
}

/// What the hosts of the load test saw.
#[derive(Default)]
struct Answers {
    created: usize,
    unavailable: usize,
    wrong: Vec<String>,
}

#[tokio::test]
async fn livekit_killed_and_restarted_under_load_gives_503s_then_recovers_without_a_restart() {
    const HOSTS: usize = 8;
    const MAX_REQUESTS_PER_HOST: usize = 2_000;
    let _turn = crate::TAKE_TURNS.lock().await;
    let mut livekit = own_livekit();
    let app = spawn_app_with(&LiveKitTarget::of(&livekit), &[]).await;
    let done = Arc::new(AtomicBool::new(false));
    let hosts: Vec<_> = (0..HOSTS)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url("/api/rooms");
            let done = done.clone();
            tokio::spawn(async move {
                let mut answers = Answers::default();
                for _ in 0..MAX_REQUESTS_PER_HOST {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    let started = Instant::now();
                    let response = client
                        .post(&url)
                        .json(&json!({"hostName": "Ada"}))
                        .send()
                        .await;
                    let took = started.elapsed();
                    match response {
                        Ok(r) if r.status() == StatusCode::CREATED => answers.created += 1,
                        Ok(r)
                            if r.status() == StatusCode::SERVICE_UNAVAILABLE
                                && r.headers().contains_key("retry-after")
                                && took < ANSWER_WITHIN =>
                        {
                            answers.unavailable += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Ok(r) => answers.wrong.push(format!("{} after {took:?}", r.status())),
                        Err(error) => answers.wrong.push(error.to_string()),
                    }
                }
                answers
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    livekit.stop().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    livekit.restart().unwrap();
    let recovered = eventually(Duration::from_secs(15), || async {
        app.create_stream(&json!({"hostName": "Bea"}))
            .await
            .status()
            == StatusCode::CREATED
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    done.store(true, Ordering::Relaxed);

    let mut total = Answers::default();
    for host in hosts {
        let answers = host.await.unwrap();
        total.created += answers.created;
        total.unavailable += answers.unavailable;
        total.wrong.extend(answers.wrong);
    }
    println!(
        "under load: {} streams created, {} quick 503s while LiveKit was down, recovered {:?} \
         after the restart",
        total.created, total.unavailable, recovered
    );
    assert!(total.wrong.is_empty(), "other answers: {:?}", total.wrong);
    assert!(total.unavailable > 0, "503s while LiveKit was down");
    assert!(
        recovered.is_some(),
        "streams are created again without restarting OnAir"
    );
}
