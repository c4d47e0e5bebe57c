//! onair's own cost per viewer token: `POST /api/token` sent straight into the whole router
//! (every layer, the room cache, signing, the JSON answer) in a loop on one thread, with no
//! network and no HTTP parsing. On a shared VM, where requests/s over loopback swing by a
//! third, this figure holds to a few percent, so it is the one to compare two versions of the
//! token path by; `cargo xtask bench` gives the served figures.
//!
//! Needs a LiveKit (one stream is created there): with `cargo xtask stack` running,
//! `LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey
//! LIVEKIT_API_SECRET=onair-dev-secret-at-least-32-chars-long
//! cargo run --release -p onair-server --example token_in_process`.

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body_util::BodyExt;
use onair_server::{config::Config, startup, state::AppState};
use tower::ServiceExt;

/// As `onair` allocates.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REQUESTS_PER_ROUND: u32 = 200_000;
const ROUNDS: u32 = 5;

/// A request as a browser sends it, with the peer address `axum::serve` would attach.
fn post(path: &str, body: String) -> Request<Body> {
    let mut request = Request::post(path)
        .header("host", "127.0.0.1:8080")
        .header("content-type", "application/json")
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .body(Body::from(body))
        .expect("a well-formed request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50_000))));
    request
}

async fn answer(router: &Router, request: Request<Body>) -> Result<(bool, bytes::Bytes)> {
    let response = router.clone().oneshot(request).await?;
    let ok = response.status().is_success();
    Ok((ok, response.into_body().collect().await?.to_bytes()))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let router = startup::app(AppState::new(Config::load()?));
    let (created, body) = answer(
        &router,
        post("/api/rooms", r#"{"hostName":"Bench"}"#.into()),
    )
    .await
    .context("creating a stream (is LiveKit running?)")?;
    let stream: serde_json::Value = serde_json::from_slice(&body)?;
    ensure!(created, "creating a stream failed: {stream}");
    let room = stream["roomId"].as_str().context("roomId")?;
    let token_request = format!(r#"{{"roomName":"{room}","participantName":"Viewer"}}"#);

    let mut per_round = Vec::new();
    for round in 1..=ROUNDS {
        let started = Instant::now();
        for _ in 0..REQUESTS_PER_ROUND {
            let (ok, _) = answer(&router, post("/api/token", token_request.clone())).await?;
            ensure!(ok, "a token request failed");
        }
        let micros = started.elapsed().as_secs_f64() * 1e6 / f64::from(REQUESTS_PER_ROUND);
        println!("round {round}: {micros:.2} µs per viewer token");
        per_round.push(micros);
    }
    per_round.sort_by(f64::total_cmp);
    println!(
        "median {:.2} µs per viewer token, in process ({REQUESTS_PER_ROUND} × {ROUNDS})",
        per_round[per_round.len() / 2]
    );
    Ok(())
}
