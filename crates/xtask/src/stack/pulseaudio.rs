//! A private PulseAudio server: egress's Chromium plays the room's sound into it and GStreamer
//! records it from there. It runs in the foreground under xtask, with its own runtime folder, so it
//! never meets a desktop's PulseAudio; clients find it through `PULSE_SERVER`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use super::service::{Service, ServiceSpec};
use super::{create_private_dir, log_file, private_run_dir};

/// A running `pulseaudio`. Stopped on `Drop`.
pub struct PulseAudio {
    service: Service,
    dir: PathBuf,
}

impl PulseAudio {
    /// Starts `pulseaudio` (Debian's) and waits until its socket exists. `name` prefixes its log.
    pub fn start(name: &str) -> Result<Self> {
        let dir = private_run_dir("pulseaudio")?;
        let (runtime, home) = (dir.join("run"), dir.join("home"));
        create_private_dir(&runtime)?;
        create_private_dir(&home)?;
        let socket = runtime.join("pulse/native");
        let service = Service::start(ServiceSpec {
            name: "pulseaudio",
            command: Box::new(move || {
                let mut command = Command::new("pulseaudio");
                // Never exit when idle; as root it warns that it is meant for a session, and runs.
                command
                    .args(["--daemonize=no", "--exit-idle-time=-1", "--disallow-exit"])
                    .args(["--log-target=stderr", "--log-level=warning"])
                    .env("XDG_RUNTIME_DIR", &runtime)
                    .env("HOME", &home)
                    .env_remove("PULSE_SERVER")
                    .current_dir(&home);
                command
            }),
            log_file: log_file(&format!("{name}-pulseaudio.log"))?,
            ready: Box::new({
                let socket = socket.clone();
                move || socket.exists()
            }),
            ready_timeout: Duration::from_secs(15),
        })?;
        Ok(Self { service, dir })
    }

    /// `unix:{socket}`: the `PULSE_SERVER` of its clients.
    pub fn server(&self) -> String {
        format!("unix:{}", self.dir.join("run/pulse/native").display())
    }

    /// Stops it. Idempotent.
    pub fn stop(&mut self) {
        self.service.stop();
    }
}

impl Drop for PulseAudio {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
