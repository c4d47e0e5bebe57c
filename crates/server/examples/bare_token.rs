//! The yardstick of `cargo xtask bench`: a bare Axum server with one handler that does what the
//! cheapest possible `POST /api/token` would — parse the viewer's JSON body and answer a JSON
//! body of the same size as onair's token response — with no middleware, no validation, no
//! cache and no signing. The bench loads it and onair alike, in the same run, and reports onair
//! as a fraction of it, so the figure says what onair's features cost rather than how fast the
//! machine is.
//!
//! Built with the same release profile, Axum and Tokio as `onair`:
//! `cargo build --release -p onair-server --example bare_token`, then
//! `bare_token <port> <response-bytes>`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// The body of a viewer's `POST /api/token`, as plain strings.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // parsed, as onair parses it, then not looked at
struct TokenRequest {
    room_name: String,
    participant_name: String,
    #[serde(default)]
    is_host: bool,
}

/// The shape of onair's answer; `token` is padded to the size asked for.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct TokenResponse {
    token: String,
    server_url: String,
    identity: String,
}

async fn issue_token(
    State(answer): State<Arc<TokenResponse>>,
    Json(_request): Json<TokenRequest>,
) -> Json<TokenResponse> {
    Json(TokenResponse::clone(&answer))
}

/// An answer whose JSON is `bytes` long (or as short as the shape allows).
fn answer_of_size(bytes: usize) -> TokenResponse {
    let mut answer = TokenResponse {
        token: String::new(),
        server_url: "ws://127.0.0.1:7880".to_owned(),
        identity: "viewer-000000000000".to_owned(),
    };
    let bare = serde_json::to_vec(&answer)
        .expect("plain strings serialise")
        .len();
    answer.token = "x".repeat(bytes.saturating_sub(bare));
    answer
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(port), Some(bytes)) = (
        args.next().and_then(|a| a.parse::<u16>().ok()),
        args.next().and_then(|a| a.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: bare_token <port> <response-bytes>");
        std::process::exit(2);
    };
    let app = Router::new()
        .route("/api/token", post(issue_token))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(Arc::new(answer_of_size(bytes)));
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    axum::serve(listener, app).await
}
