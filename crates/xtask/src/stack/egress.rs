//! The LiveKit egress worker (built by [`crate::tools::egress`]), supervised (see
//! `stack/worker.rs`): its service process exits after some internal errors, and the tests kill
//! it on purpose, so a supervisor starts it again on the same ports. Its config is
//! `config/egress.yaml` rendered with the LiveKit server's keys, Redis and free ports.
//!
//! egress re-runs itself as `egress run-handler` for every recording, and the handler starts
//! Xvfb, Chromium (the RoomComposite page) and a GStreamer pipeline that records the page's
//! sound from PulseAudio: its folder goes first on `PATH`, `PULSE_SERVER` names the stack's
//! PulseAudio, and `EGRESS_TMP_DIR` (a patch of ours) keeps its scratch files in a private
//! folder.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::render_template;
use super::worker::{Worker, WorkerSpec};
use crate::net::{free_tcp_port, http_get_ok};

/// Where egress finds LiveKit and Redis.
pub struct EgressOptions<'a> {
    /// The folder holding the `egress` binary.
    pub egress_dir: &'a Path,
    /// `ws://…` of the LiveKit server.
    pub livekit_url: &'a str,
    pub api_key: &'a str,
    pub api_secret: &'a str,
    /// `host:port` of the Redis that LiveKit uses.
    pub redis_address: &'a str,
    /// `PULSE_SERVER` of the stack's PulseAudio.
    pub pulse_server: &'a str,
    /// Prefix of the log and pid files under `target/xtask/`.
    pub name: &'a str,
}

/// A running, supervised egress worker. Stopped on `Drop`.
pub struct Egress {
    worker: Worker,
}

impl Egress {
    /// Renders the config, starts the worker and waits until its health port answers.
    pub fn start(options: &EgressOptions<'_>) -> Result<Self> {
        let health_port = free_tcp_port()?;
        let template_port = loop {
            let port = free_tcp_port()?;
            if port != health_port {
                break port;
            }
        };
        let worker = Worker::start(WorkerSpec {
            name: "egress",
            binary_dir: options.egress_dir,
            config: render_config(options, health_port, template_port)?,
            // A patch of ours: egress hard-codes /home/egress/tmp.
            tmp_var: "EGRESS_TMP_DIR",
            env: vec![("PULSE_SERVER", options.pulse_server.into())],
            stack_name: options.name,
            ready: Box::new(move || http_get_ok(health_port, "/")),
        })?;
        Ok(Self { worker })
    }

    /// The file holding the worker's current process id (it leads its process group, which
    /// holds the recordings' handlers, Chromium and Xvfb too).
    pub fn pid_file(&self) -> &Path {
        self.worker.pid_file()
    }

    /// The file holding the worker's output.
    pub fn log_file(&self) -> &Path {
        self.worker.log_file()
    }

    /// Stops the supervisor and the worker. Idempotent.
    pub fn stop(&mut self) {
        self.worker.stop();
    }
}

/// `target/xtask/egress-backup`, created: egress's backup storage, where it writes recordings it
/// could not upload. Kept between runs, as an operator's would be.
pub fn backup_dir() -> Result<PathBuf> {
    let dir = crate::target_dir().join("xtask/egress-backup");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Fills the placeholders of `config/egress.yaml`.
fn render_config(
    options: &EgressOptions<'_>,
    health_port: u16,
    template_port: u16,
) -> Result<String> {
    render_template(
        "config/egress.yaml",
        &[
            ("{api_key}", options.api_key.to_owned()),
            ("{api_secret}", options.api_secret.to_owned()),
            ("{ws_url}", options.livekit_url.to_owned()),
            ("{redis_address}", options.redis_address.to_owned()),
            ("{health_port}", health_port.to_string()),
            ("{template_port}", template_port.to_string()),
            ("{backup_dir}", backup_dir()?.display().to_string()),
        ],
    )
}
