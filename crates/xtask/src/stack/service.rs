//! A service of the local stack as a child process: started from a [`ServiceSpec`] (how to
//! build its command, where its output goes, how to tell it is ready), and optionally kept
//! alive by a supervisor thread that starts it again whenever it exits, as systemd's
//! `Restart=always` would. LiveKit's egress worker needs that: its service process exits after
//! some internal errors, and the tests kill it on purpose.
//!
//! Like a container runtime, the supervisor takes down what a dead service started: egress
//! runs each recording in a handler process of its own session, which would otherwise go on
//! recording for a worker that no longer exists.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{log_excerpt, write_pid_file};
use crate::process::{
    POLL_INTERVAL, Readiness, STOP_GRACE, descendants, spawn_service, stop_service, wait_until,
};

/// How a service is started and how to tell it is ready.
pub struct ServiceSpec {
    /// Its name in messages ("redis-server", "egress").
    pub name: &'static str,
    /// Builds the command for every (re)start; stdio is set by [`Service`].
    pub command: Box<dyn Fn() -> Command + Send + Sync>,
    /// Receives stdout and stderr (truncated at start, appended to on restarts).
    pub log_file: PathBuf,
    /// Whether the service answers yet.
    pub ready: Box<dyn Fn() -> bool + Send + Sync>,
    /// How long a (re)start may take to become ready.
    pub ready_timeout: Duration,
}

struct Running {
    spec: ServiceSpec,
    child: Option<Child>,
}

impl Running {
    fn is_alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Spawns the service and waits until it is ready, failing (with the end of its log) if it
    /// exits first or takes too long.
    fn launch(&mut self) -> Result<()> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.spec.log_file)
            .with_context(|| format!("opening {}", self.spec.log_file.display()))?;
        let mut command = (self.spec.command)();
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let name = self.spec.name;
        let child = self
            .child
            .insert(spawn_service(command).with_context(|| format!("starting {name}"))?);
        let readiness = wait_until(
            child,
            self.spec.ready_timeout,
            POLL_INTERVAL,
            &*self.spec.ready,
        );
        match readiness {
            Ok(Readiness::Ready) => Ok(()),
            Ok(Readiness::Exited(status)) => {
                self.child = None;
                bail!(
                    "{name} exited ({status}) before it was ready\n{}",
                    log_excerpt(&self.spec.log_file)
                );
            }
            Ok(Readiness::TimedOut) => {
                self.stop();
                bail!(
                    "{name} was not ready within {} s\n{}",
                    self.spec.ready_timeout.as_secs(),
                    log_excerpt(&self.spec.log_file)
                );
            }
            Err(error) => {
                self.stop();
                Err(error).with_context(|| format!("waiting for {name}"))
            }
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = stop_service(&mut child, STOP_GRACE);
        }
    }
}

/// A running service. Stopped on `Drop`.
pub struct Service {
    name: &'static str,
    running: Arc<Mutex<Running>>,
    stopping: Arc<AtomicBool>,
    restarts: Arc<AtomicU32>,
    supervisor: Option<JoinHandle<()>>,
    pid_file: Option<PathBuf>,
    log_file: PathBuf,
}

impl Service {
    /// Starts the service and waits until it is ready. Not restarted if it exits.
    pub fn start(spec: ServiceSpec) -> Result<Self> {
        File::create(&spec.log_file)
            .with_context(|| format!("creating {}", spec.log_file.display()))?;
        let (name, log_file) = (spec.name, spec.log_file.clone());
        let mut running = Running { spec, child: None };
        running.launch()?;
        Ok(Self {
            name,
            running: Arc::new(Mutex::new(running)),
            stopping: Arc::new(AtomicBool::new(false)),
            restarts: Arc::new(AtomicU32::new(0)),
            supervisor: None,
            pid_file: None,
            log_file,
        })
    }

    /// Starts the service, then a supervisor thread that starts it again whenever it exits. The
    /// current process id is kept in `pid_file` (rewritten atomically after every restart), so
    /// that a test can kill it.
    pub fn start_supervised(spec: ServiceSpec, pid_file: PathBuf) -> Result<Self> {
        let mut service = Self::start(spec)?;
        write_pid_file(&pid_file, service.pid())?;
        let (running, stopping, restarts, pid_file_of_thread) = (
            service.running.clone(),
            service.stopping.clone(),
            service.restarts.clone(),
            pid_file.clone(),
        );
        service.supervisor = Some(
            thread::Builder::new()
                .name(format!("{}-supervisor", service.name))
                .spawn(move || supervise(&running, &stopping, &restarts, &pid_file_of_thread))
                .context("starting a supervisor thread")?,
        );
        service.pid_file = Some(pid_file);
        Ok(service)
    }

    /// The process id, or `None` while it is being restarted or once stopped.
    pub fn pid(&self) -> Option<u32> {
        let mut running = lock(&self.running);
        if running.is_alive() {
            running.child.as_ref().map(Child::id)
        } else {
            None
        }
    }

    /// Whether the process is alive.
    pub fn is_running(&self) -> bool {
        lock(&self.running).is_alive()
    }

    /// How many times the supervisor started it again.
    pub fn restarts(&self) -> u32 {
        self.restarts.load(Ordering::SeqCst)
    }

    /// The file holding the current process id, when supervised.
    pub fn pid_file(&self) -> Option<&Path> {
        self.pid_file.as_deref()
    }

    /// The file holding the service's output.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// The last `lines` lines of its output.
    pub fn log_tail(&self, lines: usize) -> String {
        super::tail(&self.log_file, lines)
    }

    /// Stops the supervisor, then the service (SIGTERM to its process group, SIGKILL after the
    /// grace period). Idempotent.
    pub fn stop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(supervisor) = self.supervisor.take() {
            let _ = supervisor.join();
        }
        if let Some(pid_file) = &self.pid_file {
            let _ = std::fs::remove_file(pid_file);
        }
        lock(&self.running).stop();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock(running: &Mutex<Running>) -> MutexGuard<'_, Running> {
    running.lock().unwrap_or_else(|e| e.into_inner())
}

/// How often a supervisor checks that its service is alive.
const SUPERVISE_INTERVAL: Duration = Duration::from_millis(200);

fn supervise(
    running: &Mutex<Running>,
    stopping: &AtomicBool,
    restarts: &AtomicU32,
    pid_file: &Path,
) {
    let stop = || stopping.load(Ordering::SeqCst) || crate::process::is_stopping();
    // What the service had started, as last seen while it was alive.
    let mut started_by_it = Vec::new();
    while !stop() {
        {
            let mut running = lock(running);
            if running.is_alive() {
                if let Some(pid) = running.child.as_ref().map(Child::id) {
                    started_by_it = descendants(Pid::from_raw(pid as i32));
                }
            } else if !stop() {
                for orphan in std::mem::take(&mut started_by_it) {
                    let _ = kill(orphan, Signal::SIGKILL);
                }
                let name = running.spec.name;
                let status = running
                    .child
                    .take()
                    .and_then(|mut child| child.try_wait().ok().flatten())
                    .map_or_else(|| "?".to_owned(), |status| status.to_string());
                eprintln!("{name}-supervisor: {name} exited ({status}); starting it again");
                if let Ok(mut log) = OpenOptions::new().append(true).open(&running.spec.log_file) {
                    let _ = writeln!(
                        log,
                        "\n===== xtask: {name} exited ({status}), restarting =====\n"
                    );
                }
                match running.launch() {
                    Ok(()) => {
                        restarts.fetch_add(1, Ordering::SeqCst);
                        let pid = running.child.as_ref().map(Child::id);
                        if let Err(error) = write_pid_file(pid_file, pid) {
                            eprintln!("{name}-supervisor: {error:#}");
                        }
                        eprintln!(
                            "{name}-supervisor: {name} is back (pid {})",
                            pid.unwrap_or_default()
                        );
                    }
                    Err(error) => {
                        eprintln!("{name}-supervisor: restart failed, trying again: {error:#}");
                        drop(running);
                        thread::sleep(Duration::from_secs(1));
                        continue;
                    }
                }
            }
        }
        thread::sleep(SUPERVISE_INTERVAL);
    }
}
