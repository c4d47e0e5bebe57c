//! Child processes that never outlive xtask.
//!
//! Every process xtask starts goes through [`spawn_service`] or [`run_tool`]:
//! - it is recorded in a global registry, so the Ctrl-C / SIGTERM / SIGHUP handler installed by
//!   [`install_cleanup_handler`] can stop it before xtask exits with status 130;
//! - on Linux it gets `PR_SET_PDEATHSIG(SIGKILL)`, so it dies even when xtask (or a test binary
//!   using [`crate::stack::LiveKitServer`]) is killed outright. The kernel ties that signal to
//!   the *thread* that forked the child, not the process, so all children are forked by one
//!   long-lived spawner thread: a short-lived test thread or a tokio blocking thread that
//!   started a server must not take the server down when it finishes.
//!
//! Services (livekit-server, onair) run in their own process group, so stopping one signals the
//! group and an interactive Ctrl-C reaches them only through the orderly cleanup. Tools (cargo)
//! stay in xtask's group and see the terminal's Ctrl-C directly.
//!
//! [`wait_until`] is the one readiness loop: every service start (the stack's, onair, the
//! image's container) polls through it until the service answers, exits or times out.
//!
//! `nix` rather than raw `libc`: its safe wrappers (kill, killpg, waitpid, prctl) leave exactly
//! one `unsafe` block, `pre_exec`, which std offers only as an unsafe function.

use std::io;
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// How long a stopped service gets between SIGTERM and SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Registered {
    pid: Pid,
    /// The child leads its own process group: signal the group, not just the process.
    group: bool,
}

static CHILDREN: Mutex<Vec<Registered>> = Mutex::new(Vec::new());

/// Set (under the `CHILDREN` lock) once [`stop_all`] began: nothing new may start after it, so a
/// supervisor cannot bring back a service the interrupt handler just stopped.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Whether xtask is stopping everything (interrupted): supervisors must not restart services.
pub fn is_stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

type SpawnJob = (Command, Sender<io::Result<Child>>);

/// Installs the Ctrl-C / SIGTERM / SIGHUP handler that stops every registered child (SIGTERM to
/// its process group, SIGKILL after [`STOP_GRACE`]) and exits with status 130. Call once, from
/// a binary's `main`; test binaries rely on `Drop` and the parent-death signal instead.
pub fn install_cleanup_handler() -> Result<()> {
    ctrlc::set_handler(|| {
        eprintln!("\nxtask: interrupted, stopping everything it started…");
        stop_all();
        std::process::exit(130);
    })
    .context("installing the Ctrl-C handler")
}

/// Starts a long-running service (livekit-server, onair) in its own process group. Stop it with
/// [`stop_service`].
pub fn spawn_service(mut command: Command) -> io::Result<Child> {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    spawn_registered(command, true)
}

/// Runs a tool (cargo, go, rustup) to completion in xtask's process group and returns its
/// exit status. Its stdio is inherited unless `command` says otherwise.
pub fn run_tool(command: Command) -> io::Result<ExitStatus> {
    let mut child = spawn_registered(command, false)?;
    let status = child.wait();
    unregister(child.id());
    status
}

/// Runs a tool to completion (see [`run_tool`]) and fails unless it exits with 0; `what` names
/// it in the error.
pub fn run_checked(command: Command, what: &str) -> Result<()> {
    let status = run_tool(command).with_context(|| format!("starting `{what}`"))?;
    if !status.success() {
        anyhow::bail!("`{what}` failed ({status})");
    }
    Ok(())
}

/// Stops a service started by [`spawn_service`]: SIGTERM to its group (and SIGCONT, in case it
/// was paused), a second SIGTERM after a second (LiveKit treats it as "stop now instead of
/// draining participants"), SIGKILL after `grace`, then reaps it. Processes it started in
/// sessions of their own (egress's recording handlers, with their Chromium and Xvfb) are
/// killed once it is gone, so nothing outlives it.
pub fn stop_service(child: &mut Child, grace: Duration) -> io::Result<ExitStatus> {
    let pid = Pid::from_raw(child.id() as i32);
    let escaped = descendants(pid);
    let result = (|| {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        signal_group(pid, Signal::SIGTERM);
        signal_group(pid, Signal::SIGCONT);
        let start = Instant::now();
        let mut second_term_sent = false;
        while start.elapsed() < grace {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if !second_term_sent && start.elapsed() >= Duration::from_secs(1) {
                signal_group(pid, Signal::SIGTERM);
                second_term_sent = true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        signal_group(pid, Signal::SIGKILL);
        child.wait()
    })();
    for process in escaped {
        let _ = kill(process, Signal::SIGKILL);
    }
    unregister(child.id());
    match result {
        // The interrupt handler's `stop_all` reaped it first: it is stopped all the same.
        Err(e) if e.raw_os_error() == Some(nix::errno::Errno::ECHILD as i32) => {
            use std::os::unix::process::ExitStatusExt;
            Ok(ExitStatus::from_raw(0))
        }
        other => other,
    }
}

/// How often a starting service is probed when nothing asks for faster.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How [`wait_until`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// The probe said the service is ready.
    Ready,
    /// The process exited first, with this status.
    Exited(ExitStatus),
    /// The timeout passed first.
    TimedOut,
}

/// Waits for a service that `child` runs: every `poll` checks that it is alive, then asks
/// `ready`, until it answers, the process exits or `timeout` passes. The caller words the
/// failure (with its own log) and decides whether to stop the process.
pub fn wait_until(
    child: &mut Child,
    timeout: Duration,
    poll: Duration,
    mut ready: impl FnMut() -> bool,
) -> io::Result<Readiness> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Readiness::Exited(status));
        }
        if ready() {
            return Ok(Readiness::Ready);
        }
        if start.elapsed() > timeout {
            return Ok(Readiness::TimedOut);
        }
        thread::sleep(poll);
    }
}

/// Kills `pid` and every process it started, directly or not (SIGKILL, all at once), as a crash
/// of its machine would. Used by tests that kill a service mid-work.
pub fn kill_tree(pid: u32) {
    let pid = Pid::from_raw(pid as i32);
    let tree = descendants(pid);
    let _ = kill(pid, Signal::SIGKILL);
    for process in tree {
        let _ = kill(process, Signal::SIGKILL);
    }
}

/// The processes below `root` in the process tree (children, their children, …), read from
/// `/proc/*/stat`; empty where there is no `/proc`.
pub fn descendants(root: Pid) -> Vec<Pid> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    // (pid, parent) of every process; the parent follows the `)` closing the command name.
    let parents: Vec<(i32, i32)> = entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root.as_raw()];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            parents
                .iter()
                .filter(|(_, ppid)| *ppid == parent)
                .map(|(pid, _)| *pid),
        );
        next += 1;
    }
    found.into_iter().skip(1).map(Pid::from_raw).collect()
}

/// Sends `signal` to a service's process group (falling back to the process itself). Errors are
/// ignored: the process may already be gone.
pub(crate) fn signal_group(pid: Pid, signal: Signal) {
    if killpg(pid, signal).is_err() {
        let _ = kill(pid, signal);
    }
}

/// Stops every registered child: SIGTERM (and SIGCONT) now, SIGKILL for those still alive after
/// [`STOP_GRACE`]. Used by the interrupt handler.
pub(crate) fn stop_all() {
    let children: Vec<Registered> = {
        let children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
        STOPPING.store(true, Ordering::SeqCst);
        children.clone()
    };
    for child in &children {
        signal(child, Signal::SIGTERM);
        signal(child, Signal::SIGCONT);
    }
    let start = Instant::now();
    let mut alive = children;
    while !alive.is_empty() && start.elapsed() < STOP_GRACE {
        alive.retain(|child| {
            matches!(
                waitpid(child.pid, Some(WaitPidFlag::WNOHANG)),
                Ok(WaitStatus::StillAlive)
            )
        });
        thread::sleep(Duration::from_millis(20));
    }
    for child in &alive {
        signal(child, Signal::SIGKILL);
    }
}

fn signal(child: &Registered, signal: Signal) {
    if child.group {
        signal_group(child.pid, signal);
    } else {
        let _ = kill(child.pid, signal);
    }
}

fn spawn_registered(mut command: Command, group: bool) -> io::Result<Child> {
    die_with_parent(&mut command);
    // Register while holding the lock across the spawn, so an interrupt arriving right after
    // the fork still finds the child.
    let mut children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    if STOPPING.load(Ordering::SeqCst) {
        return Err(io::Error::other(
            "xtask is stopping: not starting anything new",
        ));
    }
    let child = spawn_on_spawner_thread(command)?;
    children.push(Registered {
        pid: Pid::from_raw(child.id() as i32),
        group,
    });
    Ok(child)
}

fn unregister(pid: u32) {
    let pid = Pid::from_raw(pid as i32);
    let mut children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    children.retain(|child| child.pid != pid);
}

/// Forks `command` on the one long-lived spawner thread (see the module docs for why).
fn spawn_on_spawner_thread(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Sender<SpawnJob>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (jobs, incoming) = mpsc::channel::<SpawnJob>();
        thread::Builder::new()
            .name("xtask-spawner".into())
            .spawn(move || {
                for (mut command, reply) in incoming {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("starting the xtask spawner thread");
        jobs
    });
    let (reply, result) = mpsc::channel();
    spawner
        .send((command, reply))
        .map_err(|_| io::Error::other("xtask spawner thread is gone"))?;
    result
        .recv()
        .map_err(|_| io::Error::other("xtask spawner thread is gone"))?
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = nix::unistd::getpid();
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // calls are allowed: it makes two system calls (prctl, getppid) and allocates nothing (an
    // `Errno` converts to `io::Error` without allocating).
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            // The parent may have died between fork and prctl: then no signal will come.
            if nix::unistd::getppid() != parent {
                return Err(nix::errno::Errno::ESRCH.into());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleeper() -> Child {
        let mut command = Command::new("sleep");
        command.arg("30");
        spawn_service(command).unwrap()
    }

    #[test]
    fn wait_until_returns_once_the_probe_says_ready() {
        let mut child = sleeper();
        let mut probes = 0;
        let readiness = wait_until(&mut child, STOP_GRACE, Duration::from_millis(1), || {
            probes += 1;
            probes == 3
        });
        stop_service(&mut child, STOP_GRACE).unwrap();
        assert_eq!(readiness.unwrap(), Readiness::Ready);
        assert_eq!(probes, 3);
    }

    #[test]
    fn wait_until_says_when_the_process_exits_first() {
        let mut child = spawn_service(Command::new("false")).unwrap();
        let readiness = wait_until(&mut child, STOP_GRACE, Duration::from_millis(1), || false);
        stop_service(&mut child, STOP_GRACE).unwrap();
        match readiness.unwrap() {
            Readiness::Exited(status) => assert_eq!(status.code(), Some(1)),
            other => panic!("expected an exit, got {other:?}"),
        }
    }

    #[test]
    fn wait_until_gives_up_after_the_timeout() {
        let mut child = sleeper();
        let start = Instant::now();
        let readiness = wait_until(
            &mut child,
            Duration::from_millis(50),
            Duration::from_millis(5),
            || false,
        );
        let waited = start.elapsed();
        stop_service(&mut child, STOP_GRACE).unwrap();
        assert_eq!(readiness.unwrap(), Readiness::TimedOut);
        assert!(
            waited >= Duration::from_millis(50),
            "gave up after {waited:?}"
        );
    }
}
