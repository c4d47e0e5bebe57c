//! The browser suite's stack (`cargo xtask test`, `cargo xtask bench-app`): its own LiveKit on
//! free ports — supervised, so a test can kill it and see it come back on the same ports — and an
//! `onair` serving the built app from `frontend/dist`, then `node` running the scripts of
//! `tests/browser` (playwright-core driving Debian's Chromium) against them. With the workers,
//! LiveKit runs on their Redis, onair records through egress into the SeaweedFS bucket, and the
//! ingress takes RTMP and WHIP (the scripts get its URLs and ports as `ONAIR_E2E_INGRESS_*`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use xtask::process::run_tool;
use xtask::stack::workers::{WorkerStack, WorkerTools};
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
/// optionally the workers (egress, ingress, Redis, SeaweedFS). Stopped on `Drop` (onair first).
pub struct BrowserStack {
    onair: OnAir,
    // Declared (so dropped) before LiveKit: the workers leave before the server goes.
    workers: Option<WorkerStack>,
    livekit: SupervisedLiveKit,
    onair_log: PathBuf,
    chromium: PathBuf,
}

impl BrowserStack {
    /// Starts them; `name` prefixes the log files under `target/xtask/`. With `workers`, the
    /// workers too: onair records into their bucket, encoders stream to their ingress.
    pub fn start(
        name: &str,
        livekit_binary: &Path,
        onair_binary: &Path,
        chromium: &Path,
        workers: Option<&WorkerTools>,
    ) -> Result<Self> {
        let dist = workspace_root().join("frontend/dist");
        if !dist.join("index.html").is_file() {
            bail!("{} has no index.html: build the app first", dist.display());
        }
        let mut workers = workers
            .map(|tools| WorkerStack::start(tools, name))
            .transpose()?;
        let mut options = LiveKitOptions::free_ports(livekit_binary)
            .with_log_file(log_path(&format!("{name}-livekit.log"))?);
        if let Some(workers) = &workers {
            options = workers.livekit_options(options);
        }
        let livekit = SupervisedLiveKit::start(options, log_path(&format!("{name}-livekit.pid"))?)?;
        if let Some(workers) = workers.as_mut() {
            workers.start_workers(livekit.url(), livekit.api_key(), livekit.api_secret())?;
            println!("workers: {}", workers.describe());
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
        if let Some(workers) = &workers {
            env.extend(workers.onair_env());
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
            workers,
            livekit,
            onair_log,
            chromium: chromium.to_owned(),
        })
    }

    /// The variables the scripts of `tests/browser` read.
    pub fn env(&self) -> Vec<(String, String)> {
        let fixed = [
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
        let mut env: Vec<(String, String)> = fixed
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        if let Some(workers) = &self.workers {
            if let Some(pid_file) = workers.egress_pid_file() {
                env.push((
                    "ONAIR_E2E_EGRESS_PID_FILE".to_owned(),
                    pid_file.display().to_string(),
                ));
            }
            // ONAIR_E2E_INGRESS_{RTMP,WHIP}_{URL,PORT} and ONAIR_E2E_INGRESS_PID_FILE.
            env.extend(
                workers
                    .ingress_env()
                    .into_iter()
                    .map(|(name, value)| (format!("ONAIR_E2E_{name}"), value)),
            );
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
        if let Some(workers) = self.workers.as_mut() {
            workers.stop();
        }
        self.livekit.stop()
    }
}

impl Drop for BrowserStack {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
