//! The OnAir HTTP API, black-box over HTTP: the real `onair` binary against a real
//! `livekit-server` (started by `cargo xtask test`, or by a test of its own when it must
//! freeze or kill LiveKit). One binary, one module per part of the user's story.

mod access;
mod bad_input;
mod doctor;
mod egress_cost;
mod graceful_shutdown;
mod hls;
mod host_keys;
mod ingress;
mod livekit_outage;
mod operations;
mod recording_real;
mod recordings;
mod restream;
mod scale_out;
mod stage;
mod streams;
mod tokens;
mod viral_link;
mod webhooks;

/// One at a time: the suites that record through the shared egress worker (one of them kills
/// it), and those that load the machine on purpose, whose load would slow the timed checks of
/// the others (a recording failed within 30 s, tokens refused within the cache period).
pub(crate) static TAKE_TURNS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
