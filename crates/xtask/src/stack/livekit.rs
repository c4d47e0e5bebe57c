//! The local LiveKit server, as used by `cargo xtask run|test|stack|bench` and by the
//! real-stack integration tests.
//!
//! [`LiveKitServer::start`] renders `config/livekit.yaml` with its ports and keys into a
//! temporary folder, starts the pinned `livekit-server` with its output in a log file, and
//! returns once `GET /` answers 200. Everything is blocking (std processes and a raw TCP
//! probe), which is fine from inside tokio tests. The server is stopped on `Drop`, and dies
//! with the process that started it (see [`crate::process`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use super::ingress::IngressUrls;
use super::{create_private_dir, log_excerpt, log_file, private_run_dir, write_pid_file};
use crate::net::http_get_ok;
use crate::process::{
    POLL_INTERVAL, Readiness, STOP_GRACE, signal_group, spawn_service, stop_service, wait_until,
};

/// API key of the local dev server (and of the tests' servers).
pub const DEV_API_KEY: &str = "devkey";
/// API secret of the local dev server; LiveKit warns about secrets under 32 characters.
pub const DEV_API_SECRET: &str = "onair-dev-secret-at-least-32-chars-long";

/// How long `start` and `restart` wait for `GET /` to answer 200.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Free-port starts retry with new ports when another process grabbed one in the meantime.
const FREE_PORT_ATTEMPTS: usize = 3;
/// Environment variables `livekit-server` reads that would override the rendered config.
const LIVEKIT_ENV_OVERRIDES: &[&str] = &[
    "LIVEKIT_CONFIG",
    "LIVEKIT_KEYS",
    "LIVEKIT_REGION",
    "NODE_IP",
    "UDP_PORT",
    "REDIS_HOST",
    "REDIS_PASSWORD",
    "LIVEKIT_TURN_CERT",
    "LIVEKIT_TURN_KEY",
];

/// The three loopback ports a LiveKit server uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveKitPorts {
    /// HTTP and WebSocket signalling (`ws://127.0.0.1:{http}`).
    pub http: u16,
    /// WebRTC over TCP.
    pub rtc_tcp: u16,
    /// WebRTC over UDP (one muxed port).
    pub rtc_udp: u16,
}

impl LiveKitPorts {
    /// The fixed ports of the local dev server (`cargo xtask run` and `stack`).
    pub const DEV: Self = Self {
        http: 7880,
        rtc_tcp: 7881,
        rtc_udp: 7882,
    };

    /// Three distinct ports that are free on 127.0.0.1 right now (all held at once while
    /// picking, then released for LiveKit to bind).
    pub fn free() -> io::Result<Self> {
        loop {
            let http = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
            let rtc_tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
            let rtc_udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
            let ports = Self {
                http: http.local_addr()?.port(),
                rtc_tcp: rtc_tcp.local_addr()?.port(),
                rtc_udp: rtc_udp.local_addr()?.port(),
            };
            if ports.rtc_udp != ports.http && ports.rtc_udp != ports.rtc_tcp {
                return Ok(ports);
            }
        }
    }
}

/// Which ports a server gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortChoice {
    /// Exactly these (fails if one is taken).
    Fixed(LiveKitPorts),
    /// Free ports picked at start; a restart keeps them.
    Free,
}

/// How to start a [`LiveKitServer`].
#[derive(Clone, Debug)]
pub struct LiveKitOptions {
    /// The `livekit-server` binary (see [`crate::tools::ensure_livekit_server`]).
    pub binary: PathBuf,
    /// API key written into the config (letters, digits, `_`, `-`, `.`).
    pub api_key: String,
    /// API secret written into the config (same characters as the key).
    pub api_secret: String,
    /// Fixed or free ports.
    pub ports: PortChoice,
    /// Where the server's stdout and stderr go; `None` means
    /// `target/xtask/logs/livekit-{pid}-{n}.log`.
    pub log_file: Option<PathBuf>,
    /// Redis `host:port` for multi-node mode and egress; `None` runs without Redis.
    pub redis_address: Option<String>,
    /// The ingress worker's URLs, which the server hands out with each ingress it creates;
    /// `None` leaves out the `ingress:` block (needs Redis to be of use).
    pub ingress: Option<IngressUrls>,
    /// Where the server sends its webhooks (OnAir's `/api/livekit/webhook`), signed with the
    /// API key; empty leaves out the `webhook:` block.
    pub webhook_urls: Vec<String>,
}

impl LiveKitOptions {
    /// The local dev server: dev keys on the fixed [`LiveKitPorts::DEV`] ports.
    pub fn dev(binary: impl Into<PathBuf>) -> Self {
        Self {
            ports: PortChoice::Fixed(LiveKitPorts::DEV),
            ..Self::free_ports(binary)
        }
    }

    /// A server for tests and benchmarks: dev keys on free ports.
    pub fn free_ports(binary: impl Into<PathBuf>) -> Self {
        Self {
            binary: binary.into(),
            api_key: DEV_API_KEY.to_owned(),
            api_secret: DEV_API_SECRET.to_owned(),
            ports: PortChoice::Free,
            log_file: None,
            redis_address: None,
            ingress: None,
            webhook_urls: Vec::new(),
        }
    }

    /// Sends webhooks to the OnAir listening on loopback `port` too.
    pub fn with_webhooks_to(mut self, onair_port: u16) -> Self {
        self.webhook_urls.push(webhook_url(onair_port));
        self
    }

    /// Sends the server's output to `path` (truncated at start, appended to on restart).
    pub fn with_log_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.log_file = Some(path.into());
        self
    }
}

/// A running `livekit-server` on loopback. Stopped on `Drop`.
#[derive(Debug)]
pub struct LiveKitServer {
    options: LiveKitOptions,
    ports: LiveKitPorts,
    /// Temporary folder holding the rendered config; removed on `Drop`.
    dir: PathBuf,
    log_file: PathBuf,
    child: Option<Child>,
    paused: bool,
}

impl LiveKitServer {
    /// Starts the server and waits (up to 15 s) until `GET /` answers 200. On failure the
    /// error carries the end of the server's log.
    pub fn start(options: LiveKitOptions) -> Result<Self> {
        let template_path = crate::workspace_root().join("config/livekit.yaml");
        let template = fs::read_to_string(&template_path)
            .with_context(|| format!("reading {}", template_path.display()))?;
        if !options.binary.is_file() {
            bail!(
                "livekit-server binary not found at {}",
                options.binary.display()
            );
        }
        let attempts = match options.ports {
            PortChoice::Fixed(ports) => {
                ensure_ports_free(ports)?;
                1
            }
            PortChoice::Free => FREE_PORT_ATTEMPTS,
        };
        let dir = private_run_dir("livekit")?;
        let log_file = match &options.log_file {
            Some(path) => path.clone(),
            None => {
                let instance = dir.file_name().unwrap_or_default().to_string_lossy();
                log_file(&format!("{instance}.log"))?
            }
        };
        if let Some(parent) = log_file.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }

        let mut attempt = 0;
        loop {
            attempt += 1;
            let ports = match options.ports {
                PortChoice::Fixed(ports) => ports,
                PortChoice::Free => {
                    LiveKitPorts::free().context("picking free ports for LiveKit")?
                }
            };
            let config = render_config(&template, &options, ports)?;
            fs::write(dir.join("config.yaml"), config).context("writing the LiveKit config")?;
            File::create(&log_file).with_context(|| format!("creating {}", log_file.display()))?;
            let mut server = Self {
                options: options.clone(),
                ports,
                dir: dir.clone(),
                log_file: log_file.clone(),
                child: None,
                paused: false,
            };
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(error)
                    if attempt < attempts
                        && server.log_tail(40).contains("address already in use") =>
                {
                    eprintln!(
                        "livekit-server: a picked port was taken meanwhile, retrying ({error:#})"
                    );
                    // Dropping the failed attempt deletes the folder: recreate it for the next.
                    drop(server);
                    create_private_dir(&dir)?;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The WebSocket URL clients and the server SDK use: `ws://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.ports.http)
    }

    /// The same endpoint over HTTP: `http://127.0.0.1:{port}`.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.http)
    }

    /// The API key in the server's config.
    pub fn api_key(&self) -> &str {
        &self.options.api_key
    }

    /// The API secret in the server's config.
    pub fn api_secret(&self) -> &str {
        &self.options.api_secret
    }

    /// The ports the server listens on (kept across restarts).
    pub fn ports(&self) -> LiveKitPorts {
        self.ports
    }

    /// The file holding the server's stdout and stderr.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// The server's process id, or `None` once stopped.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the server process is still alive (a paused server counts as alive).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Stops the server: SIGTERM, SIGKILL after 5 s, then reaps it. Idempotent.
    pub fn stop(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        self.paused = false;
        stop_service(&mut child, STOP_GRACE).context("stopping livekit-server")?;
        Ok(())
    }

    /// Freezes the server (SIGSTOP): connections stay open but nothing answers, which is how
    /// tests make LiveKit hang. Undo with [`resume`](Self::resume).
    ///
    /// Returns once every thread is stopped: the kernel acts on a SIGSTOP only when the thread it
    /// picked to take it runs again, and until then the other threads go on serving (seen
    /// right after start-up, where a thread can sit in a killable wait).
    pub fn pause(&mut self) -> Result<()> {
        let pid = self.running_pid()?;
        signal_group(pid, Signal::SIGSTOP);
        self.paused = true;
        let start = Instant::now();
        while !all_threads_stopped(pid) {
            if start.elapsed() > PAUSE_TIMEOUT {
                bail!(
                    "livekit-server (pid {pid}) did not stop within {} s of SIGSTOP",
                    PAUSE_TIMEOUT.as_secs()
                );
            }
            thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    /// Lets a paused server run again (SIGCONT).
    pub fn resume(&mut self) -> Result<()> {
        let pid = self.running_pid()?;
        signal_group(pid, Signal::SIGCONT);
        self.paused = false;
        Ok(())
    }

    /// Whether the server is paused by [`pause`](Self::pause).
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Stops the server and starts it again on the same ports, waiting until it is ready.
    /// Rooms do not survive (without Redis LiveKit keeps them in memory).
    pub fn restart(&mut self) -> Result<()> {
        self.stop()?;
        let mut log = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.log_file)
            .with_context(|| format!("opening {}", self.log_file.display()))?;
        writeln!(log, "\n===== xtask: restarting livekit-server =====\n")?;
        self.launch()
    }

    /// The last `lines` lines of the server's log.
    pub fn log_tail(&self, lines: usize) -> String {
        super::tail(&self.log_file, lines)
    }

    fn running_pid(&mut self) -> Result<Pid> {
        match self.pid() {
            Some(pid) if self.is_running() => Ok(Pid::from_raw(pid as i32)),
            _ => bail!("livekit-server is not running"),
        }
    }

    /// Spawns the server with the current config and ports, and waits until it is ready.
    fn launch(&mut self) -> Result<()> {
        let log = OpenOptions::new()
            .append(true)
            .open(&self.log_file)
            .with_context(|| format!("opening {}", self.log_file.display()))?;
        let mut command = Command::new(&self.options.binary);
        command
            .arg("--config")
            .arg(self.dir.join("config.yaml"))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        for name in LIVEKIT_ENV_OVERRIDES {
            command.env_remove(name);
        }
        let child = spawn_service(command)
            .with_context(|| format!("starting {}", self.options.binary.display()))?;
        self.child = Some(child);
        self.paused = false;
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<()> {
        let port = self.ports.http;
        let child = self
            .child
            .as_mut()
            .context("livekit-server is not running")?;
        match wait_until(child, READY_TIMEOUT, POLL_INTERVAL, || {
            http_get_ok(port, "/")
        })? {
            Readiness::Ready => Ok(()),
            Readiness::Exited(status) => {
                let _ = self.stop();
                bail!(
                    "livekit-server exited ({status}) before it was ready on {}\n{}",
                    self.http_url(),
                    log_excerpt(&self.log_file)
                );
            }
            Readiness::TimedOut => {
                let _ = self.stop();
                bail!(
                    "livekit-server did not answer GET {}/ within {} s\n{}",
                    self.http_url(),
                    READY_TIMEOUT.as_secs(),
                    log_excerpt(&self.log_file)
                );
            }
        }
    }
}

impl Drop for LiveKitServer {
    fn drop(&mut self) {
        let _ = self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// How long [`LiveKitServer::pause`] waits for every thread to stop.
const PAUSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether every thread of `pid` is stopped (`T` in `/proc/{pid}/task/*/stat`). Where there
/// is no `/proc` (not Linux), assumes the signal took effect.
fn all_threads_stopped(pid: Pid) -> bool {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return !Path::new("/proc/self").exists();
    };
    tasks.flatten().all(|task| {
        // The state follows the `)` closing the command name: "… (livekit-server) T …".
        fs::read_to_string(task.path().join("stat")).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state == "T" || state == "t")
        })
    })
}

/// How often the supervisor checks that its server is alive.
const SUPERVISE_INTERVAL: Duration = Duration::from_millis(100);

/// A [`LiveKitServer`] that a supervisor thread restarts on the same ports whenever its process
/// exits, as a service manager (systemd's `Restart=always`) would. The browser suite kills it
/// mid-stream (`kill -9 $(cat pid_file)`) to check that clients reconnect.
///
/// The current process id is kept in a file ([`pid_file`](Self::pid_file)), rewritten
/// atomically after every restart, because a restart changes it. Stopped on `Drop`.
pub struct SupervisedLiveKit {
    server: Arc<Mutex<LiveKitServer>>,
    stopping: Arc<AtomicBool>,
    restarts: Arc<AtomicU32>,
    supervisor: Option<JoinHandle<()>>,
    pid_file: PathBuf,
    url: String,
    http_url: String,
    api_key: String,
    api_secret: String,
    log_file: PathBuf,
}

impl SupervisedLiveKit {
    /// Starts the server (see [`LiveKitServer::start`]), writes its pid to `pid_file` and starts
    /// the supervisor thread.
    pub fn start(options: LiveKitOptions, pid_file: impl Into<PathBuf>) -> Result<Self> {
        let pid_file = pid_file.into();
        let server = LiveKitServer::start(options)?;
        write_pid_file(&pid_file, server.pid())?;
        let (url, http_url) = (server.url(), server.http_url());
        let (api_key, api_secret) = (server.api_key().to_owned(), server.api_secret().to_owned());
        let log_file = server.log_file().to_owned();
        let server = Arc::new(Mutex::new(server));
        let stopping = Arc::new(AtomicBool::new(false));
        let restarts = Arc::new(AtomicU32::new(0));
        let supervisor = {
            let (server, stopping, restarts, pid_file) = (
                server.clone(),
                stopping.clone(),
                restarts.clone(),
                pid_file.clone(),
            );
            thread::Builder::new()
                .name("livekit-supervisor".into())
                .spawn(move || supervise(&server, &stopping, &restarts, &pid_file))
                .context("starting the LiveKit supervisor thread")?
        };
        Ok(Self {
            server,
            stopping,
            restarts,
            supervisor: Some(supervisor),
            pid_file,
            url,
            http_url,
            api_key,
            api_secret,
            log_file,
        })
    }

    /// `ws://127.0.0.1:{port}` (the same after restarts).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `http://127.0.0.1:{port}`.
    pub fn http_url(&self) -> &str {
        &self.http_url
    }

    /// The API key in the server's config.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The API secret in the server's config.
    pub fn api_secret(&self) -> &str {
        &self.api_secret
    }

    /// The file holding the server's output (restarts append to it).
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// The file holding the current process id (decimal, no newline).
    pub fn pid_file(&self) -> &Path {
        &self.pid_file
    }

    /// The current process id, or `None` while it is being restarted or once stopped.
    pub fn pid(&self) -> Option<u32> {
        let mut server = lock(&self.server);
        if server.is_running() {
            server.pid()
        } else {
            None
        }
    }

    /// How many times the supervisor restarted the server.
    pub fn restarts(&self) -> u32 {
        self.restarts.load(Ordering::SeqCst)
    }

    /// Stops the supervisor, then the server. Idempotent.
    pub fn stop(&mut self) -> Result<()> {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(supervisor) = self.supervisor.take() {
            let _ = supervisor.join();
        }
        let _ = fs::remove_file(&self.pid_file);
        lock(&self.server).stop()
    }
}

impl Drop for SupervisedLiveKit {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn lock(server: &Mutex<LiveKitServer>) -> MutexGuard<'_, LiveKitServer> {
    server.lock().unwrap_or_else(|e| e.into_inner())
}

/// The supervisor loop: restart the server whenever it is found dead, until `stopping`.
fn supervise(
    server: &Mutex<LiveKitServer>,
    stopping: &AtomicBool,
    restarts: &AtomicU32,
    pid_file: &Path,
) {
    let stop = || stopping.load(Ordering::SeqCst) || crate::process::is_stopping();
    while !stop() {
        {
            let mut server = lock(server);
            if !server.is_running() && !stop() {
                let old = server.pid();
                eprintln!(
                    "livekit-supervisor: livekit-server (pid {}) exited; restarting it on the \
                     same ports",
                    old.map_or_else(|| "?".to_owned(), |pid| pid.to_string())
                );
                match server.restart() {
                    Ok(()) => {
                        restarts.fetch_add(1, Ordering::SeqCst);
                        if let Err(error) = write_pid_file(pid_file, server.pid()) {
                            eprintln!("livekit-supervisor: {error:#}");
                        }
                        eprintln!(
                            "livekit-supervisor: livekit-server is back (pid {})",
                            server.pid().unwrap_or_default()
                        );
                    }
                    Err(error) => {
                        eprintln!("livekit-supervisor: restart failed, trying again: {error:#}");
                        drop(server);
                        thread::sleep(Duration::from_secs(1));
                        continue;
                    }
                }
            }
        }
        thread::sleep(SUPERVISE_INTERVAL);
    }
}

fn ensure_ports_free(ports: LiveKitPorts) -> Result<()> {
    for port in [ports.http, ports.rtc_tcp] {
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
            bail!(
                "TCP port {port} on 127.0.0.1 is already in use: is another livekit-server \
                 (`cargo xtask stack`?) running? Stop it, or point LIVEKIT_URL at it."
            );
        }
    }
    if UdpSocket::bind((Ipv4Addr::LOCALHOST, ports.rtc_udp)).is_err() {
        bail!("UDP port {} on 127.0.0.1 is already in use", ports.rtc_udp);
    }
    Ok(())
}

/// OnAir's webhook endpoint on loopback `port`.
pub fn webhook_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/api/livekit/webhook")
}

/// Fills the placeholders of `config/livekit.yaml`.
fn render_config(template: &str, options: &LiveKitOptions, ports: LiveKitPorts) -> Result<String> {
    for (what, value) in [
        ("API key", &options.api_key),
        ("API secret", &options.api_secret),
    ] {
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
        if value.is_empty() || !value.chars().all(plain) {
            bail!("the LiveKit {what} must be non-empty letters, digits, '_', '-' or '.'");
        }
    }
    let redis_block = match &options.redis_address {
        Some(address) => format!("redis:\n  address: {address}\n"),
        None => String::new(),
    };
    let ingress_block = match &options.ingress {
        Some(urls) => format!(
            "ingress:\n  rtmp_base_url: {}\n  whip_base_url: {}\n",
            urls.rtmp_base_url, urls.whip_base_url
        ),
        None => String::new(),
    };
    let webhook_block = if options.webhook_urls.is_empty() {
        String::new()
    } else {
        let urls: String = options
            .webhook_urls
            .iter()
            .map(|url| format!("    - {url}\n"))
            .collect();
        format!("webhook:\n  api_key: {}\n  urls:\n{urls}", options.api_key)
    };
    let values = [
        ("{port}", ports.http.to_string()),
        ("{rtc_tcp_port}", ports.rtc_tcp.to_string()),
        ("{rtc_udp_port}", ports.rtc_udp.to_string()),
        ("{api_key}", options.api_key.clone()),
        ("{api_secret}", options.api_secret.clone()),
        ("{redis_block}", redis_block),
        ("{ingress_block}", ingress_block),
        ("{webhook_block}", webhook_block),
    ];
    let mut config = template.to_owned();
    for (placeholder, value) in values {
        if !config.contains(placeholder) {
            bail!("config/livekit.yaml has no {placeholder} placeholder");
        }
        config = config.replace(placeholder, &value);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct() {
        let ports = LiveKitPorts::free().unwrap();
        assert_ne!(ports.http, ports.rtc_tcp);
        assert_ne!(ports.http, ports.rtc_udp);
        assert_ne!(ports.rtc_tcp, ports.rtc_udp);
    }

    #[test]
    fn renders_every_placeholder_of_the_template() {
        let template =
            fs::read_to_string(crate::workspace_root().join("config/livekit.yaml")).unwrap();
        let ports = LiveKitPorts {
            http: 1000,
            rtc_tcp: 1001,
            rtc_udp: 1002,
        };
        let config = render_config(
            &template,
            &LiveKitOptions::free_ports("livekit-server"),
            ports,
        )
        .unwrap();
        assert!(config.contains("port: 1000\n"), "{config}");
        assert!(config.contains("tcp_port: 1001\n"), "{config}");
        assert!(config.contains("udp_port: 1002\n"), "{config}");
        assert!(
            config.contains(&format!("{DEV_API_KEY}: {DEV_API_SECRET}\n")),
            "{config}"
        );
        for placeholder in [
            "{port}",
            "{rtc_tcp_port}",
            "{rtc_udp_port}",
            "{api_key}",
            "{api_secret}",
            "{redis_block}",
            "{webhook_block}",
            "{ingress_block}",
        ] {
            assert!(!config.contains(placeholder), "{config}");
        }
    }

    #[test]
    fn renders_redis_and_the_ingress_urls_when_the_workers_run() {
        let template =
            fs::read_to_string(crate::workspace_root().join("config/livekit.yaml")).unwrap();
        let mut options = LiveKitOptions::free_ports("livekit-server");
        options.redis_address = Some("127.0.0.1:6390".into());
        options.ingress = Some(IngressUrls {
            rtmp_base_url: "rtmp://127.0.0.1:2001/live".into(),
            whip_base_url: "http://127.0.0.1:2002/w".into(),
        });
        let config = render_config(&template, &options, LiveKitPorts::DEV).unwrap();
        assert!(
            config.contains("\nredis:\n  address: 127.0.0.1:6390\n"),
            "{config}"
        );
        assert!(
            config.contains(
                "\ningress:\n  rtmp_base_url: rtmp://127.0.0.1:2001/live\n  \
                 whip_base_url: http://127.0.0.1:2002/w\n"
            ),
            "{config}"
        );
    }

    #[test]
    fn renders_the_webhook_block_for_each_onair() {
        let template =
            fs::read_to_string(crate::workspace_root().join("config/livekit.yaml")).unwrap();
        let options = LiveKitOptions::free_ports("livekit-server")
            .with_webhooks_to(3000)
            .with_webhooks_to(3001);
        let config = render_config(&template, &options, LiveKitPorts::DEV).unwrap();
        assert!(
            config.contains(&format!(
                "\nwebhook:\n  api_key: {DEV_API_KEY}\n  urls:\n    \
                 - http://127.0.0.1:3000/api/livekit/webhook\n    \
                 - http://127.0.0.1:3001/api/livekit/webhook\n"
            )),
            "{config}"
        );
    }

    #[test]
    fn rejects_keys_that_would_break_the_yaml() {
        let options = LiveKitOptions {
            api_secret: "a: b".into(),
            ..LiveKitOptions::free_ports("livekit-server")
        };
        assert!(render_config("{port}", &options, LiveKitPorts::DEV).is_err());
    }
}
