//! The OnAir server: an Axum HTTP API over LiveKit (rooms, tokens, egress) and S3, serving the
//! browser app. `main.rs` only loads the configuration and runs an [`startup::Application`].

pub mod access;
pub mod access_token;
pub mod audience;
pub mod config;
pub mod doctor;
pub mod error;
pub mod extract;
pub mod healthcheck;
pub mod hls;
pub mod host_key;
pub mod ingress;
pub mod livekit;
pub mod metrics;
pub mod passcode;
pub mod rate_limit;
pub mod recording;
pub mod restream;
pub mod routes;
pub mod stage;
pub mod startup;
pub mod state;
pub mod storage;
pub mod streams;
pub mod telemetry;
pub mod web_app;
pub mod webhooks;
