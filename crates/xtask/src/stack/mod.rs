//! The local real stack, one module per service: [`livekit`] (the LiveKit server, plain or
//! supervised), for recording [`redis`], [`pulseaudio`], [`seaweedfs`] (the S3-compatible
//! store) and [`egress`] (LiveKit's egress worker), brought up together by [`recording`], and
//! [`ingress`] (LiveKit's ingress worker, RTMP and WHIP in); [`workers`] brings up the recording
//! stack and the ingress together (`--with-workers`); `worker.rs` holds what the two workers
//! share. [`oidc_provider`] is the OpenID Connect provider operators sign in with (the sign-in
//! tests, `cargo xtask run --with-sign-in`).
//!
//! Every service binds to loopback (but for the workers' own ports and the OpenID Connect
//! provider's: egress, ingress and that provider have no bind setting, so theirs are picked free
//! on every interface), writes its output to a log file under `target/xtask/logs/`, keeps its
//! config and data in a private temporary folder removed on `Drop`, and dies with the process
//! that started it (see [`crate::process`]). [`service`] holds what they share: a child process
//! with a readiness probe, optionally restarted by a supervisor thread.

pub mod egress;
pub mod ingress;
pub mod livekit;
pub mod oidc_provider;
pub mod pulseaudio;
pub mod recording;
pub mod redis;
pub mod seaweedfs;
pub mod service;
pub(crate) mod worker;
pub mod workers;

pub use livekit::*;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};
use nix::unistd::Pid;

/// Prefix of the private folders the stack's services keep their config and data in:
/// `onair-{service}-{pid}-{n}` in the temporary directory.
const DIR_PREFIX: &str = "onair-";

/// A fresh private folder `onair-{service}-{pid}-{n}` in the temporary directory (only the owner
/// may read it: configs hold secrets), after removing the folders of processes that are gone.
pub(crate) fn private_run_dir(service: &str) -> Result<PathBuf> {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    remove_stale_dirs();
    let instance = format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir().join(format!("{DIR_PREFIX}{service}-{instance}"));
    let _ = fs::remove_dir_all(&dir);
    create_private_dir(&dir)?;
    Ok(dir)
}

/// Creates `dir` (and its parents) readable by the owner only.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// `target/xtask/logs/{name}`, its folder created.
pub(crate) fn log_file(name: &str) -> Result<PathBuf> {
    let dir = crate::target_dir().join("xtask/logs");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir.join(name))
}

/// The config template at `relative` (from the workspace root) with each placeholder of `values`
/// replaced; fails if the template lacks one (a renamed key would otherwise go unnoticed).
pub(crate) fn render_template(relative: &str, values: &[(&str, String)]) -> Result<String> {
    let path = crate::workspace_root().join(relative);
    let mut config =
        fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    for (placeholder, value) in values {
        if !config.contains(placeholder) {
            anyhow::bail!("{relative} has no {placeholder} placeholder");
        }
        config = config.replace(placeholder, value);
    }
    Ok(config)
}

/// The last `lines` lines of a log file (empty when it cannot be read).
pub fn tail(path: &Path, lines: usize) -> String {
    let Ok(bytes) = fs::read(path) else {
        return String::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The end of a service's log for an error message: a `--- last lines of {path} ---` line, then
/// its last 30 lines.
pub(crate) fn log_excerpt(path: &Path) -> String {
    format!(
        "--- last lines of {} ---\n{}",
        path.display(),
        tail(path, 30)
    )
}

/// Removes run folders left by processes that are gone (killed, or exited through the interrupt
/// handler, which skips `Drop`).
fn remove_stale_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        // onair-{service}-{pid}-{n}: the pid is the second field from the end.
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(DIR_PREFIX))
            .and_then(|rest| rest.rsplit('-').nth(1))
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            continue;
        };
        if nix::sys::signal::kill(Pid::from_raw(pid), None) == Err(nix::errno::Errno::ESRCH) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes `pid` to `path` atomically (a temporary file renamed over it), so readers never see a
/// half-written number.
pub(crate) fn write_pid_file(path: &Path, pid: Option<u32>) -> Result<()> {
    let pid = pid.context("the service has no pid")?;
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let staging = path.with_extension("tmp");
    fs::write(&staging, pid.to_string())
        .with_context(|| format!("writing {}", staging.display()))?;
    fs::rename(&staging, path).with_context(|| format!("writing {}", path.display()))
}
