//! The commands of the `xtask` binary, and what they share: running cargo, step headers, the
//! frontend build, and the `onair` binary as a child service.

pub mod bench;
pub mod bench_app;
pub mod browser;
pub mod compose_check;
pub mod compose_images;
pub mod image;
pub mod run;
pub mod schemathesis;
pub mod test;

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
pub use xtask::process::run_checked;
use xtask::process::{
    POLL_INTERVAL, Readiness, STOP_GRACE, spawn_service, stop_service, wait_until,
};
use xtask::{net, target_dir, workspace_root};

/// How long onair gets to answer `GET /healthz` after it starts.
const ONAIR_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Prints a step header, flushed before the step's own output.
pub fn header(title: &str) {
    println!("\n==> {title}");
    let _ = std::io::stdout().flush();
}

/// The flag that starts the LiveKit workers with the stack (egress, ingress, Redis, SeaweedFS).
pub const WITH_WORKERS: &str = "--with-workers";

/// Whether `arg` asks for the workers: `--with-workers`, or its old name `--with-recording`,
/// still accepted with a note (the flag now starts the ingress too).
pub fn is_workers_flag(arg: &str) -> bool {
    match arg {
        WITH_WORKERS => true,
        "--with-recording" => {
            eprintln!(
                "note: --with-recording is the old name of {WITH_WORKERS}, which starts egress, \
                 ingress, Redis and SeaweedFS"
            );
            true
        }
        _ => false,
    }
}

/// Whether `args`, the arguments of `cargo xtask {command}`, ask for the workers, the only
/// option `stack` takes.
pub fn with_workers_flag(command: &str, args: &[String]) -> Result<bool> {
    let mut with_workers = false;
    for arg in args {
        if is_workers_flag(arg) {
            with_workers = true;
        } else {
            bail!("`cargo xtask {command}` does not take `{arg}` (only {WITH_WORKERS})");
        }
    }
    Ok(with_workers)
}

/// A `cargo` command in the workspace root, using the cargo that runs xtask.
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(args).current_dir(workspace_root());
    command
}

/// Builds the release `onair` binary.
pub fn build_onair() -> Result<PathBuf> {
    const ARGS: [&str; 6] = ["build", "--release", "-p", "onair-server", "--bin", "onair"];
    run_checked(cargo(ARGS), &format!("cargo {}", ARGS.join(" ")))?;
    Ok(target_dir().join("release/onair"))
}

/// Builds the browser app into `frontend/dist` (see [`xtask::app`]). Returns the dist folder.
pub fn build_frontend(release: bool) -> Result<PathBuf> {
    xtask::app::build(release)
}

/// Builds the debug `onair` binary (what the API suites and the browser suite start).
pub fn build_onair_debug() -> Result<PathBuf> {
    const ARGS: [&str; 5] = ["build", "--package", "onair-server", "--bin", "onair"];
    run_checked(cargo(ARGS), &format!("cargo {}", ARGS.join(" ")))?;
    Ok(target_dir().join("debug/onair"))
}

/// A log file under `target/xtask/`, for the output of the services xtask starts.
pub fn log_path(name: &str) -> Result<PathBuf> {
    let dir = target_dir().join("xtask");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir.join(name))
}

/// Makes a creator key named `name` the way an operator does, `onair creator-key add {name}`
/// with `CREATOR_KEYS_FILE={keys_file}`, after removing `keys_file` (a stale one would already
/// hold the name). onair prints the key alone on standard output; its explanations go to the
/// terminal. Returns the key.
pub fn make_creator_key(onair_binary: &Path, keys_file: &Path, name: &str) -> Result<String> {
    match std::fs::remove_file(keys_file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("removing {}", keys_file.display()));
        }
        _ => {}
    }
    let what = format!(
        "CREATOR_KEYS_FILE={} {} creator-key add {name}",
        keys_file.display(),
        onair_binary.display()
    );
    let output = Command::new(onair_binary)
        .args(["creator-key", "add", name])
        .env("CREATOR_KEYS_FILE", keys_file)
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running `{what}`"))?;
    if !output.status.success() {
        bail!(
            "`{what}` failed ({}): a private onair needs a creator key (does this onair have \
             the `creator-key` command?)",
            output.status
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty());
    match (lines.next(), lines.next()) {
        (Some(key), None) => Ok(key.to_owned()),
        _ => bail!(
            "`{what}` printed {} non-empty lines on standard output; expected the new key alone",
            stdout
                .lines()
                .filter(|line| !line.trim().is_empty())
                .count()
        ),
    }
}

/// The release `onair` server running as a child service. Stopped on `Drop`.
pub struct OnAir {
    child: Option<Child>,
    port: u16,
}

impl OnAir {
    /// Starts `binary` on `port` with `env` (plus `PORT` and, unless set, `PUBLIC_URL`), in the
    /// workspace root so its default `STATIC_DIR` resolves. Output goes to `log` or the terminal.
    pub fn start(
        binary: &Path,
        port: u16,
        env: &[(&str, String)],
        log: Option<&Path>,
    ) -> Result<Self> {
        if !binary.is_file() {
            bail!("{} does not exist: build it first", binary.display());
        }
        let mut command = Command::new(binary);
        command
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .env("PORT", port.to_string());
        if std::env::var_os("PUBLIC_URL").is_none() {
            command.env("PUBLIC_URL", format!("http://127.0.0.1:{port}"));
        }
        command.envs(env.iter().map(|(name, value)| (name, value)));
        if let Some(log) = log {
            let file = File::create(log).with_context(|| format!("creating {}", log.display()))?;
            command.stdout(file.try_clone()?).stderr(file);
        }
        let child =
            spawn_service(command).with_context(|| format!("starting {}", binary.display()))?;
        Ok(Self {
            child: Some(child),
            port,
        })
    }

    /// Waits until `GET /healthz` answers 200, failing if onair exits or takes too long.
    pub fn wait_healthy(&mut self) -> Result<()> {
        self.wait_for("/healthz", ONAIR_READY_TIMEOUT, POLL_INTERVAL)
    }

    /// Waits until `GET {path}` answers 200, probing every `poll`; fails if onair exits first,
    /// and stops it and fails after `timeout`.
    pub fn wait_for(&mut self, path: &str, timeout: Duration, poll: Duration) -> Result<()> {
        let port = self.port;
        let child = self.child.as_mut().context("onair is not running")?;
        match wait_until(child, timeout, poll, || net::http_get_ok(port, path))? {
            Readiness::Ready => Ok(()),
            Readiness::Exited(status) => {
                bail!("onair exited ({status}) before answering GET {path}")
            }
            Readiness::TimedOut => {
                self.stop();
                bail!(
                    "onair did not answer GET http://127.0.0.1:{port}{path} within {} s",
                    timeout.as_secs()
                );
            }
        }
    }

    /// `Some(status)` once onair has exited.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        match self.child.as_mut() {
            Some(child) => Ok(child.try_wait()?),
            None => bail!("onair is not running"),
        }
    }

    /// The process id, while onair runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The base URL, `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops onair (SIGTERM, SIGKILL after the grace period). Idempotent.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = stop_service(&mut child, STOP_GRACE);
        }
    }
}

impl Drop for OnAir {
    fn drop(&mut self) {
        self.stop();
    }
}
