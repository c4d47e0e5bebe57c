//! OnAir's developer workflow as a library: the pinned tool versions, their installation (with
//! the npm packages and Debian's Chromium), and the local LiveKit server, plain or supervised. The `xtask` binary (`cargo xtask <cmd>`) is built on it, and so
//! are the real-stack integration tests (`tests/api` dev-depends on this crate to start, pause
//! and restart their own `livekit-server`).

pub mod app;
pub mod net;
pub mod process;
pub mod stack;
pub mod tools;
pub mod versions;

use std::path::{Path, PathBuf};

/// The workspace root (this crate lives in `crates/xtask`).
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the workspace root) or `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}
