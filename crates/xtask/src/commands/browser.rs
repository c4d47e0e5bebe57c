//! The browser suite's stack (`cargo xtask test`, `cargo xtask bench-app`): its own LiveKit on
//! free ports — supervised, so a test can kill it and see it come back on the same ports — and an
//! `onair` serving the built app from `frontend/dist`, then `node` running the scripts of
//! `tests/browser` (playwright-core driving Debian's Chromium) against them. With the workers,
//! LiveKit runs on their Redis, onair records through egress into the SeaweedFS bucket, and the
//! ingress takes RTMP and WHIP (the scripts get its URLs and ports as `ONAIR_E2E_INGRESS_*`).
//!
//! With an OpenID Connect provider's binary (the browser suite), a second `onair` runs beside
//! the first, against the same LiveKit and workers, in private mode: creating a stream needs a
//! signed-in creator, through that provider (started first, on a free port of its own) or a
//! creator key that xtask makes with `onair creator-key add e2e`. The scripts get its address,
//! the key and the provider's users as `ONAIR_E2E_PRIVATE_URL`, `ONAIR_E2E_CREATOR_KEY` and
//! `ONAIR_E2E_OIDC_*`, and both onairs' logs (`ONAIR_E2E_LOG`, `ONAIR_E2E_PRIVATE_LOG`), to
//! look for leaked secrets.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use xtask::process::run_tool;
use xtask::stack::oidc_provider::OidcProvider;
use xtask::stack::workers::{WorkerStack, WorkerTools};
use xtask::stack::{LiveKitOptions, SupervisedLiveKit};
use xtask::{net, target_dir, tools, workspace_root};

use super::{OnAir, log_path, make_creator_key};

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

/// The second, private `onair` of the browser suite and what signs in to it.
struct PrivateOnAir {
    onair: OnAir,
    log: PathBuf,
    creator_key: String,
    provider: OidcProvider,
}

/// A supervised LiveKit and an `onair` in front of it, both on free loopback ports, optionally
/// the workers (egress, ingress, Redis, SeaweedFS), and optionally a second, private `onair`
/// with an OpenID Connect provider. Stopped on `Drop` (the onairs first).
pub struct BrowserStack {
    onair: OnAir,
    private: Option<PrivateOnAir>,
    // Declared (so dropped) before LiveKit: the workers leave before the server goes.
    workers: Option<WorkerStack>,
    livekit: SupervisedLiveKit,
    onair_log: PathBuf,
    chromium: PathBuf,
}

impl BrowserStack {
    /// Starts them; `name` prefixes the log files under `target/xtask/`. With `workers`, the
    /// workers too: onair records into their bucket, encoders stream to their ingress. With
    /// `oidc_provider` (the provider's binary), the private onair too.
    pub fn start(
        name: &str,
        livekit_binary: &Path,
        onair_binary: &Path,
        chromium: &Path,
        workers: Option<&WorkerTools>,
        oidc_provider: Option<&Path>,
    ) -> Result<Self> {
        let dist = workspace_root().join("frontend/dist");
        if !dist.join("index.html").is_file() {
            bail!("{} has no index.html: build the app first", dist.display());
        }
        let mut workers = workers
            .map(|tools| WorkerStack::start(tools, name))
            .transpose()?;
        // Both onairs' ports are chosen first: LiveKit sends its webhooks to each.
        let port = net::free_tcp_port()?;
        let private_port = net::free_tcp_port()?;
        let mut options = LiveKitOptions::free_ports(livekit_binary)
            .with_log_file(log_path(&format!("{name}-livekit.log"))?)
            .with_webhooks_to(port);
        if oidc_provider.is_some() {
            options = options.with_webhooks_to(private_port);
        }
        if let Some(workers) = &workers {
            options = workers.livekit_options(options);
        }
        let livekit = SupervisedLiveKit::start(options, log_path(&format!("{name}-livekit.pid"))?)?;
        if let Some(workers) = workers.as_mut() {
            workers.start_workers(livekit.url(), livekit.api_key(), livekit.api_secret())?;
            println!("workers: {}", workers.describe());
        }
        let mut env = vec![
            ("LIVEKIT_URL", livekit.url().to_owned()),
            ("LIVEKIT_API_KEY", livekit.api_key().to_owned()),
            ("LIVEKIT_API_SECRET", livekit.api_secret().to_owned()),
            ("STATIC_DIR", dist.display().to_string()),
            ("ROOM_CREATE_PER_MINUTE", "1000".to_owned()),
            ("ROOM_CREATE_BURST", "1000".to_owned()),
        ];
        if let Some(workers) = &workers {
            env.extend(workers.onair_env());
        }
        let mut open_env = env.clone();
        open_env.push(("PUBLIC_URL", format!("http://127.0.0.1:{port}")));
        let onair_log = log_path(&format!("{name}-onair.log"))?;
        let mut onair = OnAir::start(onair_binary, port, &open_env, Some(&onair_log))?;
        onair.wait_healthy()?;
        println!(
            "livekit-server at {} (supervised; log: {}), onair at {} (log: {})",
            livekit.url(),
            livekit.log_file().display(),
            onair.url(),
            onair_log.display()
        );
        let private = oidc_provider
            .map(|provider| start_private(name, onair_binary, provider, private_port, env))
            .transpose()?;
        Ok(Self {
            onair,
            private,
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
            ("ONAIR_E2E_LOG", self.onair_log.display().to_string()),
        ];
        let mut env: Vec<(String, String)> = fixed
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        if let Some(private) = &self.private {
            let (allowed, refused) = (
                private.provider.allowed_user(),
                private.provider.refused_user(),
            );
            env.extend(
                [
                    ("ONAIR_E2E_PRIVATE_URL", private.onair.url()),
                    ("ONAIR_E2E_PRIVATE_LOG", private.log.display().to_string()),
                    ("ONAIR_E2E_CREATOR_KEY", private.creator_key.clone()),
                    ("ONAIR_E2E_OIDC_ISSUER", private.provider.issuer_url()),
                    ("ONAIR_E2E_OIDC_USER", allowed.username.to_owned()),
                    ("ONAIR_E2E_OIDC_PASSWORD", allowed.password.to_owned()),
                    ("ONAIR_E2E_OIDC_REFUSED_USER", refused.username.to_owned()),
                    (
                        "ONAIR_E2E_OIDC_REFUSED_PASSWORD",
                        refused.password.to_owned(),
                    ),
                ]
                .map(|(name, value)| (name.to_owned(), value)),
            );
        }
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
        if let Some(private) = self.private.as_mut()
            && let Some(exit) = private.onair.try_wait()?
        {
            bail!(
                "the private onair exited ({exit}) during `{what}`; see {}",
                private.log.display()
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

    /// Stops the onairs and the OpenID Connect provider, then the workers, LiveKit and its
    /// supervisor.
    pub fn stop(&mut self) -> Result<()> {
        self.onair.stop();
        if let Some(private) = self.private.as_mut() {
            private.onair.stop();
            private.provider.stop();
        }
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

/// Starts the OpenID Connect provider `provider_binary`, makes a creator key, then the private
/// onair on `port` with `env` (LiveKit's settings, the workers', the app's), signing in
/// through that provider or with the key.
fn start_private(
    name: &str,
    onair_binary: &Path,
    provider_binary: &Path,
    port: u16,
    env: Vec<(&'static str, String)>,
) -> Result<PrivateOnAir> {
    let public_url = format!("http://127.0.0.1:{port}");
    let provider = OidcProvider::start(
        provider_binary,
        &[format!("{public_url}/auth/callback")],
        log_path(&format!("{name}-oidc-provider.log"))?,
    )?;
    let keys_file = log_path(&format!("{name}-creator-keys.json"))?;
    let creator_key = make_creator_key(onair_binary, &keys_file, name)?;
    let mut env = env;
    env.extend([
        ("ACCESS_MODE", "private".to_owned()),
        ("CREATOR_KEYS_FILE", keys_file.display().to_string()),
        ("PUBLIC_URL", public_url),
    ]);
    // The provider's allowed user gets in; its refused user signs in there but not here.
    env.extend(provider.onair_env(provider.allowed_user().email));
    let log = log_path(&format!("{name}-private-onair.log"))?;
    let mut onair = OnAir::start(onair_binary, port, &env, Some(&log))?;
    onair.wait_healthy()?;
    println!(
        "private onair at {} (log: {}), signing in through the OpenID Connect provider at {} \
         (log: {}) or with a creator key",
        onair.url(),
        log.display(),
        provider.issuer_url(),
        provider.log_file().display()
    );
    Ok(PrivateOnAir {
        onair,
        log,
        creator_key,
        provider,
    })
}
