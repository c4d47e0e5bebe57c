//! The OnAir HTTP API, black-box over HTTP: the real `onair` binary against a real
//! `livekit-server` (started by `cargo xtask test`, or by a test of its own when it must
//! freeze or kill LiveKit). One binary, one module per part of the user's story.

mod bad_input;
mod graceful_shutdown;
mod host_keys;
mod livekit_outage;
mod operations;
mod recording_real;
mod recordings;
mod scale_out;
mod streams;
mod tokens;
mod viral_link;
