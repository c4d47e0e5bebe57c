//! The browser suite's stack (`cargo xtask test`, `cargo xtask bench-app`): its own LiveKit on
//! free ports — supervised, so a test can kill it and see it come back on the same ports — and an
//! `onair` serving the built app from `frontend/dist`, then `node` running the scripts of
//! `tests/browser` (playwright-core driving Debian's Chromium) against them. With recording,
//! LiveKit runs on the recording stack's Redis and onair records through its egress into its
//! SeaweedFS bucket.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use xtask::process::run_tool;
use xtask::stack::recording::{RecordingStack, RecordingTools};
use xtask::stack::{LiveKitOptions, SupervisedLiveKit};
use xtask::{net, target_dir, tools, workspace_root};

use super::{OnAir, log_path};

/// The folder of the browser suite and its npm packages.
pub fn suite_dir() -> PathBuf {
    workspace_root().join("tests/browser")
}

/// What a browser run needs installed: livekit-server, the suite's npm packages and Chromium.
/// Returns the livekit-server and Chromium binaries.
pub fn ensure_browser_tools() -> Result<(PathBuf, PathBuf)> {
    let livekit_binary = tools::ensure_livekit_server()?;
    tools::ensure_npm(&suite_dir())?;
    let chromium = tools::ensure_chromium()?;
    Ok((livekit_binary, chromium))
}

/// Where the suite saves its screenshots.
pub fn screenshots_dir() -> PathBuf {
    target_dir().join("e2e-screenshots")
}

/// A supervised LiveKit and an `onair` in front of it, both on free loopback ports, and
/// optionally the recording stack. Stopped on `Drop` (onair first).
pub struct BrowserStack {
    onair: OnAir,
    // Declared (so dropped) before LiveKit: egress leaves before the server goes.
    recording: Option<RecordingStack>,
    livekit: SupervisedLiveKit,
    onair_log: PathBuf,
    chromium: PathBuf,
}

impl BrowserStack {
    /// Starts them; `name` prefixes the log files under `target/xtask/`. With `recording`, the
    /// recording stack too, and onair records into it.
    pub fn start(
        name: &str,
        livekit_binary: &Path,
        onair_binary: &Path,
        chromium: &Path,
        recording: Option<&RecordingTools>,
    ) -> Result<Self> {
        let dist = workspace_root().join("frontend/dist");
        if !dist.join("index.html").is_file() {
            bail!("{} has no index.html: build the app first", dist.display());
        }
        let mut recording = recording
            .map(|tools| RecordingStack::start(tools, name))
            .transpose()?;
        let mut options = LiveKitOptions::free_ports(livekit_binary)
            .with_log_file(log_path(&format!("{name}-livekit.log"))?);
        options.redis_address = recording.as_ref().map(RecordingStack::redis_address);
        let livekit = SupervisedLiveKit::start(options, log_path(&format!("{name}-livekit.pid"))?)?;
        if let Some(recording) = recording.as_mut() {
            recording.start_egress(livekit.url(), livekit.api_key(), livekit.api_secret())?;
            println!("recording stack: {}", recording.describe());
        }
        let port = net::free_tcp_port()?;
        let mut env = vec![
            ("LIVEKIT_URL", livekit.url().to_owned()),
            ("LIVEKIT_API_KEY", livekit.api_key().to_owned()),
            ("LIVEKIT_API_SECRET", livekit.api_secret().to_owned()),
            ("PUBLIC_URL", format!("http://127.0.0.1:{port}")),
            ("STATIC_DIR", dist.display().to_string()),
            ("ROOM_CREATE_PER_MINUTE", "1000".to_owned()),
            ("ROOM_CREATE_BURST", "1000".to_owned()),
        ];
        if let Some(recording) = &recording {
            env.extend(recording.onair_env());
        }
        let onair_log = log_path(&format!("{name}-onair.log"))?;
        let mut onair = OnAir::start(onair_binary, port, &env, Some(&onair_log))?;
        onair.wait_healthy()?;
        println!(
            "livekit-server at {} (supervised; log: {}), onair at {} (log: {})",
            livekit.url(),
            livekit.log_file().display(),
            onair.url(),
            onair_log.display()
        );
        Ok(Self {
            onair,
            recording,
            livekit,
            onair_log,
            chromium: chromium.to_owned(),
        })
    }

    /// The variables the scripts of `tests/browser` read.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("ONAIR_E2E_URL", self.onair.url()),
            ("ONAIR_E2E_LIVEKIT_URL", self.livekit.url().to_owned()),
            (
                "ONAIR_E2E_LIVEKIT_PID",
                self.livekit
                    .pid()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            ),
            (
                "ONAIR_E2E_LIVEKIT_PID_FILE",
                self.livekit.pid_file().display().to_string(),
            ),
            ("ONAIR_E2E_CHROMIUM", self.chromium.display().to_string()),
            (
                "ONAIR_E2E_SCREENSHOTS",
                screenshots_dir().display().to_string(),
            ),
        ];
        if let Some(pid_file) = self
            .recording
            .as_ref()
            .and_then(RecordingStack::egress_pid_file)
        {
            env.push(("ONAIR_E2E_EGRESS_PID_FILE", pid_file.display().to_string()));
        }
        env
    }

    /// Runs `node {args}` in the workspace root with [`env`](Self::env), failing unless it exits
    /// with 0. Afterwards checks that onair is still up (a crash would explain failures).
    pub fn node(&mut self, args: &[&str]) -> Result<()> {
        let mut node = Command::new("node");
        node.args(args)
            .current_dir(workspace_root())
            .envs(self.env());
        let what = format!("node {}", args.join(" "));
        let status = match run_tool(node) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("`node` is not on PATH: install Node.js 20 or newer")
            }
            other => other.with_context(|| format!("starting `{what}`"))?,
        };
        if let Some(exit) = self.onair.try_wait()? {
            bail!(
                "onair exited ({exit}) during `{what}`; see {}",
                self.onair_log.display()
            );
        }
        if self.livekit.restarts() > 0 {
            println!(
                "(the supervisor restarted livekit-server {} time(s))",
                self.livekit.restarts()
            );
        }
        if !status.success() {
            bail!("`{what}` failed ({status})");
        }
        Ok(())
    }

    /// Stops onair, then LiveKit and its supervisor.
    pub fn stop(&mut self) -> Result<()> {
        self.onair.stop();
        if let Some(recording) = self.recording.as_mut() {
            recording.stop();
        }
        self.livekit.stop()
    }
}

impl Drop for BrowserStack {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
