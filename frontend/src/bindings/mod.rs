//! Everything that crosses into JavaScript, as typed Rust: the LiveKit SDK ([`livekit`]), hls.js
//! ([`hls`]) and the few browser APIs web-sys exposes only through promises and `JsValue`
//! ([`browser`]).
//! No other module touches `JsValue`.

pub mod browser;
pub mod hls;
pub mod livekit;
