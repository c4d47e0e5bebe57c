//! Helpers for the black-box API suites: start the real `onair` binary against a real
//! `livekit-server` and talk to it over HTTP, one method per endpoint.
//!
//! The shared LiveKit server comes from `cargo xtask test` through `ONAIR_TEST_LIVEKIT_*`;
//! suites that must stop or freeze LiveKit start their own with [`own_livekit`]. The `onair`
//! binary is `ONAIR_TEST_BIN`, else `target/debug/onair` (built by `cargo xtask test`).
//!
//! The recording stack around the shared LiveKit (egress, Redis, SeaweedFS) comes the same way:
//! `ONAIR_TEST_S3_*` / `ONAIR_TEST_AWS_*` (the bucket) and `ONAIR_TEST_EGRESS_PID_FILE` (the
//! supervised egress worker, which a test may kill). [`Publisher`] puts Chromium's fake camera
//! and microphone into a room, as a host would.
//!
//! Sign-in suites start an OpenID Connect provider of their own per test with
//! [`start_oidc_provider`] (the binary is `ONAIR_TEST_OIDC_PROVIDER_BIN`, else where xtask
//! installs it): its redirect URI names the onair's port, so pick the port first
//! ([`free_port`]), start the provider, then onair on that port ([`spawn_app_on`]) with the
//! provider's [`onair_env`](OidcProvider::onair_env) and `ACCESS_MODE=private`.

use anyhow::{Context, Result, bail};
use onair_api::CreatedRoom;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};
use xtask::stack::ingress::IngressUrls;
use xtask::stack::recording::{RecordingStack, RecordingTools};
use xtask::stack::{LiveKitOptions, LiveKitServer};

pub use xtask::stack::oidc_provider::{ALLOWED_USER, OidcProvider, REFUSED_USER, TestUser};

/// Where a LiveKit server is and how to sign for it.
#[derive(Debug, Clone)]
pub struct LiveKitTarget {
    pub url: String,
    pub api_key: String,
    pub api_secret: String,
}

impl LiveKitTarget {
    /// The LiveKit server `cargo xtask test` started for the whole run.
    pub fn shared() -> Self {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("{name} is not set: run the suites with `cargo xtask test`, which starts livekit-server")
            })
        };
        Self {
            url: var("ONAIR_TEST_LIVEKIT_URL"),
            api_key: var("ONAIR_TEST_LIVEKIT_API_KEY"),
            api_secret: var("ONAIR_TEST_LIVEKIT_API_SECRET"),
        }
    }

    pub fn of(server: &LiveKitServer) -> Self {
        Self {
            url: server.url(),
            api_key: server.api_key().to_owned(),
            api_secret: server.api_secret().to_owned(),
        }
    }

    /// `http://` form of the URL, for LiveKit's own HTTP endpoints such as `/rtc/validate`.
    pub fn http_url(&self) -> String {
        self.url
            .replacen("ws://", "http://", 1)
            .replacen("wss://", "https://", 1)
    }
}

/// The settings that make `onair` record into the shared stack's bucket (`ONAIR_TEST_` + the
/// setting's name, from `cargo xtask test`).
pub fn recording_settings() -> Vec<(String, String)> {
    [
        "S3_BUCKET_NAME",
        "S3_ENDPOINT",
        "S3_FORCE_PATH_STYLE",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ]
    .into_iter()
    .map(|name| {
        let value = std::env::var(format!("ONAIR_TEST_{name}")).unwrap_or_else(|_| {
            panic!("ONAIR_TEST_{name} is not set: run the suites with `cargo xtask test`, which starts the recording stack")
        });
        (name.to_owned(), value)
    })
    .collect()
}

/// Starts `onair` against the shared LiveKit, recording into the shared bucket.
pub async fn spawn_recording_app() -> TestApp {
    spawn_recording_app_on(free_port()).await
}

/// [`spawn_recording_app`] on `port` (such as [`webhook_port`], where LiveKit's webhooks go).
pub async fn spawn_recording_app_on(port: u16) -> TestApp {
    spawn_recording_app_with(port, &[]).await
}

/// [`spawn_recording_app_on`] with more settings on top.
pub async fn spawn_recording_app_with(port: u16, extra: &[(&str, &str)]) -> TestApp {
    let settings = recording_settings();
    let overrides: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(extra.iter().copied())
        .collect();
    spawn_app_on(port, &LiveKitTarget::shared(), &overrides).await
}

/// The egress worker's current process id.
pub fn egress_pid() -> u32 {
    let file = std::env::var("ONAIR_TEST_EGRESS_PID_FILE")
        .expect("ONAIR_TEST_EGRESS_PID_FILE is not set: run the suites with `cargo xtask test`");
    std::fs::read_to_string(&file)
        .ok()
        .and_then(|pid| pid.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid in {file}"))
}

/// A second livekit-server node on the shared stack's Redis (`ONAIR_TEST_REDIS_ADDRESS`), with
/// the shared server's keys: LiveKit's multi-node mode, where any node reaches every room. It
/// hands out the same ingress URLs as the first (`ONAIR_TEST_INGRESS_{RTMP,WHIP}_URL`), as
/// every node of a real deployment would.
pub fn second_livekit_node() -> LiveKitServer {
    let redis = std::env::var("ONAIR_TEST_REDIS_ADDRESS").expect(
        "ONAIR_TEST_REDIS_ADDRESS is not set: run the suites with `cargo xtask test`, which starts Redis",
    );
    let shared = LiveKitTarget::shared();
    let mut options = LiveKitOptions::free_ports(livekit_binary());
    options.api_key = shared.api_key;
    options.api_secret = shared.api_secret;
    options.redis_address = Some(redis);
    if let (Ok(rtmp_base_url), Ok(whip_base_url)) = (
        std::env::var("ONAIR_TEST_INGRESS_RTMP_URL"),
        std::env::var("ONAIR_TEST_INGRESS_WHIP_URL"),
    ) {
        options.ingress = Some(IngressUrls {
            rtmp_base_url,
            whip_base_url,
        });
    }
    LiveKitServer::start(options).expect("a second livekit-server node starts")
}

/// `node tests/browser/tools/{script} {livekit_url} {token}`, run from the workspace with the
/// suite's Chromium.
fn browser_tool(script: &str, livekit_url: &str, token: &str) -> Command {
    let mut command = Command::new("node");
    command
        .arg(
            xtask::workspace_root()
                .join("tests/browser/tools")
                .join(script),
        )
        .arg(livekit_url)
        .arg(token)
        .current_dir(xtask::workspace_root());
    if let Ok(chromium) = std::env::var("ONAIR_TEST_CHROMIUM") {
        command.env("ONAIR_E2E_CHROMIUM", chromium);
    }
    command
}

/// Watches the room that `token` admits to on the LiveKit at `livekit_url`, with
/// `tests/browser/tools/viewer.mjs` (Chromium decoding the first camera track), and returns what
/// it printed: `watched N frames of {identity}`. Panics when no frames came within 30 s.
pub async fn watch(livekit_url: &str, token: &str) -> String {
    let mut command = browser_tool("viewer.mjs", livekit_url, token);
    command.stdin(Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the viewer's thread")
        .expect("node runs the viewer");
    let said = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        output.status.success(),
        "the viewer saw nothing ({}): {said}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    said
}

/// Chromium's fake camera and microphone published into a LiveKit room by
/// `tests/browser/tools/publisher.mjs`. Stops publishing on drop.
pub struct Publisher {
    child: Child,
    log_file: PathBuf,
}

impl Publisher {
    /// Publishes with `token` into the LiveKit at `livekit_url`, returning once the camera and
    /// microphone tracks are published.
    pub async fn start(livekit_url: &str, token: &str) -> Self {
        let log_file = std::env::temp_dir().join(format!(
            "onair-publisher-{}-{}.log",
            std::process::id(),
            xtask::net::free_tcp_port().unwrap_or_default()
        ));
        let log = std::fs::File::create(&log_file).expect("publisher log");
        let mut command = browser_tool("publisher.mjs", livekit_url, token);
        command
            .stdin(Stdio::piped())
            .stdout(log.try_clone().expect("publisher log"))
            .stderr(log);
        let mut publisher = Self {
            child: xtask::process::spawn_service(command).expect("node runs the publisher"),
            log_file,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = publisher.log();
            if log.lines().any(|line| line == "publishing") {
                return publisher;
            }
            if let Ok(Some(status)) = publisher.child.try_wait() {
                panic!("the publisher exited ({status}):\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "the publisher did not publish within 60 s:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// What the publisher printed.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        let _ = xtask::process::stop_service(&mut self.child, Duration::from_secs(5));
        let _ = std::fs::remove_file(&self.log_file);
    }
}

/// A TCP proxy on loopback in front of an address, that a test can cut: every connection through
/// it is dropped and new ones are refused, as when a network path to S3 fails mid-recording (the
/// fault SeaweedFS cannot produce on demand for one client while it serves the others).
pub struct CuttableProxy {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl CuttableProxy {
    /// Forwards `127.0.0.1:{port}` to `upstream` (`host:port`) until [`cut`](Self::cut).
    pub async fn start(upstream: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let upstream = upstream.to_owned();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                connections.spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Self { port, task }
    }

    /// `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Drops every connection and stops listening (the `JoinSet` aborts its tasks when dropped).
    pub fn cut(&self) {
        self.task.abort();
    }
}

impl Drop for CuttableProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An HTTP proxy on loopback in front of a LiveKit server that passes every request on at once
/// but holds back LiveKit's answer to one API method for a while: a LiveKit that did what it
/// was asked and answered late, as one waiting on a busy ingress worker does (a fault the real
/// one cannot be made to produce on demand).
pub struct SlowAnswerProxy {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

/// Where [`SlowAnswerProxy`] forwards to, and which answer it delays.
struct SlowAnswerRoute {
    upstream: String,
    slow_path: String,
    delay: Duration,
    client: reqwest::Client,
}

impl SlowAnswerProxy {
    /// Forwards to `livekit` (its `ws://` or `http://` URL), delaying the answers to the Twirp
    /// method `service_method` (such as `Ingress/DeleteIngress`) by `delay`.
    pub async fn start(livekit: &str, service_method: &str, delay: Duration) -> Self {
        let route = std::sync::Arc::new(SlowAnswerRoute {
            upstream: livekit.replacen("ws://", "http://", 1),
            slow_path: format!("/twirp/livekit.{service_method}"),
            delay,
            client: http_client(),
        });
        let app = axum::Router::new()
            .fallback(forward_slowly)
            .with_state(route);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { port, task }
    }

    /// The URL to give onair as `LIVEKIT_URL`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }
}

impl Drop for SlowAnswerProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward_slowly(
    axum::extract::State(route): axum::extract::State<std::sync::Arc<SlowAnswerRoute>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = parts.headers;
    headers.remove(reqwest::header::HOST);
    let answer = route
        .client
        .request(parts.method, format!("{}{path}", route.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await;
    if parts.uri.path() == route.slow_path {
        tokio::time::sleep(route.delay).await;
    }
    let Ok(answer) = answer else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let body = answer.bytes().await.unwrap_or_default();
    (status, headers, body).into_response()
}

/// A recording stack of the test's own (Redis, PulseAudio, SeaweedFS and the egress worker)
/// around a LiveKit node of its own, for faults that would break the shared stack, such as
/// Redis crashing. Started by xtask's own code from the tools `cargo xtask test` installed.
/// Stopped on `Drop`, egress first.
pub struct OwnRecordingStack {
    pub stack: RecordingStack,
    pub livekit: LiveKitServer,
}

impl OwnRecordingStack {
    /// `name` prefixes the services' logs under `target/xtask/logs/`.
    pub fn start(name: &str) -> Self {
        let tools = RecordingTools {
            egress_dir: xtask::tools::egress::egress_dir().expect("the egress folder"),
            weed: xtask::tools::seaweedfs::weed_path().expect("the weed binary"),
        };
        let mut stack = RecordingStack::start(&tools, name).expect("the recording stack starts");
        let mut options = LiveKitOptions::free_ports(livekit_binary());
        options.redis_address = Some(stack.redis_address());
        let livekit = LiveKitServer::start(options).expect("livekit-server starts on the Redis");
        stack
            .start_egress(&livekit.url(), livekit.api_key(), livekit.api_secret())
            .expect("the egress worker starts");
        Self { stack, livekit }
    }

    /// The settings that make `onair` record into this stack's bucket.
    pub fn onair_settings(&self) -> Vec<(&'static str, String)> {
        self.stack.onair_env()
    }
}

/// The pinned `livekit-server`: `ONAIR_TEST_LIVEKIT_BIN` from `cargo xtask test`, else where
/// xtask installs it.
fn livekit_binary() -> PathBuf {
    std::env::var("ONAIR_TEST_LIVEKIT_BIN")
        .map(PathBuf::from)
        .or_else(|_| xtask::tools::livekit_server_path())
        .expect("ONAIR_TEST_LIVEKIT_BIN is not set: run the suites with `cargo xtask test`")
}

/// The pinned OpenID Connect provider (zitadel/oidc's example OP): `ONAIR_TEST_OIDC_PROVIDER_BIN`
/// from `cargo xtask test`, else where xtask installs it.
fn oidc_provider_binary() -> PathBuf {
    std::env::var("ONAIR_TEST_OIDC_PROVIDER_BIN")
        .map(PathBuf::from)
        .or_else(|_| xtask::tools::oidc_provider::oidc_provider_path())
        .expect("ONAIR_TEST_OIDC_PROVIDER_BIN is not set: run the suites with `cargo xtask test`")
}

/// An OpenID Connect provider of the test's own (on a free port, every interface), whose clients
/// accept the redirect URI of an onair on `onair_port`
/// (`http://127.0.0.1:{onair_port}/auth/callback`). Its users: [`ALLOWED_USER`],
/// [`REFUSED_USER`]; its client: `web` / `secret`. Stopped on drop, its log removed.
pub struct OidcProviderHandle {
    provider: OidcProvider,
    log_file: PathBuf,
}

impl OidcProviderHandle {
    /// What the provider printed so far (one line per request it served).
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }
}

impl std::ops::Deref for OidcProviderHandle {
    type Target = OidcProvider;

    fn deref(&self) -> &OidcProvider {
        &self.provider
    }
}

impl std::ops::DerefMut for OidcProviderHandle {
    fn deref_mut(&mut self) -> &mut OidcProvider {
        &mut self.provider
    }
}

impl Drop for OidcProviderHandle {
    fn drop(&mut self) {
        self.provider.stop();
        let _ = std::fs::remove_file(&self.log_file);
    }
}

/// Starts an OpenID Connect provider for an onair that will listen on `onair_port` (see
/// [`OidcProviderHandle`]); returns once its discovery document answers (about 0.1 s; it blocks
/// the thread meanwhile, as the other starters here do).
pub fn start_oidc_provider(onair_port: u16) -> OidcProviderHandle {
    let log_file = std::env::temp_dir().join(format!(
        "onair-test-oidc-{onair_port}-{}.log",
        std::process::id()
    ));
    let provider = OidcProvider::start(
        &oidc_provider_binary(),
        &[format!("http://127.0.0.1:{onair_port}/auth/callback")],
        log_file.clone(),
    )
    .unwrap_or_else(|e| panic!("the OpenID Connect provider starts: {e:#}"));
    OidcProviderHandle { provider, log_file }
}

/// Makes a creator key named `name` in `keys_file` as an operator does
/// (`onair creator-key add {name}` with `CREATOR_KEYS_FILE`), returning the key it printed.
pub fn add_creator_key(keys_file: &Path, name: &str) -> String {
    let output = Command::new(onair_binary())
        .args(["creator-key", "add", name])
        .env_clear()
        .env("ONAIR_CONFIG", "/nonexistent/onair.toml")
        .env("CREATOR_KEYS_FILE", keys_file)
        .stdin(Stdio::null())
        .output()
        .expect("onair runs");
    assert!(
        output.status.success(),
        "`onair creator-key add {name}` failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("a UTF-8 key")
        .trim()
        .to_owned()
}

/// A LiveKit server of the test's own, on free ports, that it may pause, stop and restart.
pub fn own_livekit() -> LiveKitServer {
    LiveKitServer::start(LiveKitOptions::free_ports(livekit_binary()))
        .expect("livekit-server starts")
}

/// An HTTP client for the tests. reqwest is built with rustls but without a crypto provider in
/// this workspace, so the process-wide default (ring, like livekit-api's client) is set first.
pub fn http_client() -> reqwest::Client {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::new()
}

fn onair_binary() -> PathBuf {
    std::env::var("ONAIR_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| xtask::target_dir().join("debug/onair"))
}

/// A running `onair` process. Killed on drop.
pub struct TestApp {
    pub address: String,
    pub livekit: LiveKitTarget,
    pub client: reqwest::Client,
    /// The environment it runs with (on top of an empty one), for `onair doctor` beside it.
    settings: Vec<(String, String)>,
    log_file: PathBuf,
    child: Child,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = xtask::process::stop_service(&mut self.child, Duration::from_secs(2));
        let _ = std::fs::remove_file(&self.log_file);
    }
}

/// Settings every test app gets unless it overrides them: a generous room-creation limit, so
/// that suites creating many streams from 127.0.0.1 are not throttled.
fn base_settings(livekit: &LiveKitTarget, port: u16) -> Vec<(String, String)> {
    [
        ("LIVEKIT_URL", livekit.url.clone()),
        ("LIVEKIT_API_KEY", livekit.api_key.clone()),
        ("LIVEKIT_API_SECRET", livekit.api_secret.clone()),
        ("PORT", port.to_string()),
        ("PUBLIC_URL", format!("http://127.0.0.1:{port}")),
        ("ROOM_CREATE_PER_MINUTE", "10000".into()),
        ("ROOM_CREATE_BURST", "10000".into()),
        ("RUST_LOG", "info".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The port the shared LiveKit sends its webhooks to (`ONAIR_TEST_WEBHOOK_PORT`): a test that
/// needs them starts its onair there, one test at a time.
pub fn webhook_port() -> u16 {
    std::env::var("ONAIR_TEST_WEBHOOK_PORT")
        .expect("ONAIR_TEST_WEBHOOK_PORT is not set: run the suites with `cargo xtask test`")
        .parse()
        .expect("ONAIR_TEST_WEBHOOK_PORT is a port")
}

/// Starts `onair` against the shared LiveKit server.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&LiveKitTarget::shared(), &[]).await
}

/// Starts `onair` against `livekit`, with extra settings (environment variables) on top.
pub async fn spawn_app_with(livekit: &LiveKitTarget, overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_on(free_port(), livekit, overrides).await
}

/// A loopback port that was free a moment ago: for an onair whose port must be known before it
/// starts (an OpenID Connect provider's redirect URI names it), see [`spawn_app_on`].
pub fn free_port() -> u16 {
    xtask::net::free_tcp_port().expect("a free port")
}

/// Starts `onair` on `port` (and `PUBLIC_URL` `http://127.0.0.1:{port}`) against `livekit`, with
/// extra settings on top.
pub async fn spawn_app_on(
    port: u16,
    livekit: &LiveKitTarget,
    overrides: &[(&str, &str)],
) -> TestApp {
    let mut settings = base_settings(livekit, port);
    for (key, value) in overrides {
        settings.retain(|(k, _)| k != key);
        settings.push(((*key).to_owned(), (*value).to_owned()));
    }
    let log_file =
        std::env::temp_dir().join(format!("onair-test-{port}-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_file).expect("log file");
    let client = http_client();
    let mut command = Command::new(onair_binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ONAIR_CONFIG", "/nonexistent/onair.toml")
        .envs(settings.clone())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log);
    // Through xtask, so the process dies with the test binary even if a test panics.
    let child = xtask::process::spawn_service(command).unwrap_or_else(|e| {
        panic!(
            "starting {}: {e} (build it with `cargo build -p onair-server`)",
            onair_binary().display()
        )
    });
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        livekit: livekit.clone(),
        client,
        settings,
        log_file,
        child,
    };
    app.wait_until_healthy().await;
    app
}

/// What `onair doctor` printed and how it exited.
#[derive(Debug)]
pub struct DoctorReport {
    /// The exit code (`None`: killed by a signal).
    pub status: Option<i32>,
    /// Its standard output: one line per check.
    pub output: String,
    pub errors: String,
}

impl DoctorReport {
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.output.lines()
    }

    /// The line of the check about `what` (the first that mentions it).
    pub fn line(&self, what: &str) -> &str {
        self.lines()
            .find(|line| line.contains(what))
            .unwrap_or_else(|| panic!("no line about {what:?} in:\n{self}"))
    }
}

impl std::fmt::Display for DoctorReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}(exit {:?}){}",
            self.output,
            self.status,
            if self.errors.is_empty() {
                String::new()
            } else {
                format!("\nstderr:\n{}", self.errors)
            }
        )
    }
}

/// Runs `onair` with `settings` only (no defaults) and returns its exit code and output, for
/// start-up failures.
pub fn run_app_expecting_exit(settings: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = Command::new(onair_binary())
        .env_clear()
        .env("ONAIR_CONFIG", "/nonexistent/onair.toml")
        .envs(settings.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("onair runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code(), text)
}

impl TestApp {
    /// Runs `onair doctor` as an operator does beside this server: the same binary, with the
    /// same settings. Panics if it has not finished within 90 s (each check is bounded).
    pub async fn doctor(&self) -> DoctorReport {
        let mut command = tokio::process::Command::new(onair_binary());
        command
            .arg("doctor")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("ONAIR_CONFIG", "/nonexistent/onair.toml")
            .envs(self.settings.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let output = tokio::time::timeout(Duration::from_secs(90), command.output())
            .await
            .expect("onair doctor finishes within 90 s")
            .expect("onair doctor runs");
        DoctorReport {
            status: output.status.code(),
            output: String::from_utf8_lossy(&output.stdout).into_owned(),
            errors: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    async fn wait_until_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let response = self.client.get(self.url("/healthz")).send().await;
            if response.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("onair did not become healthy; its log:\n{}", self.logs());
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends SIGTERM, as a container runtime or systemd does to stop a service.
    pub fn send_sigterm(&self) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .expect("SIGTERM sent");
    }

    /// Waits for the process to exit; `None` if it is still running after `within`.
    pub async fn exit_status(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("waiting for onair") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// Everything the process printed so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }

    pub async fn post_json(&self, path: &str, body: &Value, host_key: Option<&str>) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(key) = host_key {
            request = request.bearer_auth(key);
        }
        request.send().await.expect("request sent")
    }

    /// PUT with a JSON body and, when given, `Authorization: Bearer <key>`.
    pub async fn put_json(&self, path: &str, body: &Value, key: Option<&str>) -> Response {
        let mut request = self.client.put(self.url(path)).json(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send().await.expect("request sent")
    }

    /// POST with a raw body and content type, for malformed input.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// GET with `Authorization: Bearer <key>` (a host key or a participant token).
    pub async fn get_with_key(&self, path: &str, key: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn delete(&self, path: &str, host_key: Option<&str>) -> Response {
        let mut request = self.client.delete(self.url(path));
        if let Some(key) = host_key {
            request = request.bearer_auth(key);
        }
        request.send().await.expect("request sent")
    }

    /// POST /api/rooms
    pub async fn create_stream(&self, body: &Value) -> Response {
        self.post_json("/api/rooms", body, None).await
    }

    /// POST /api/rooms, expecting success.
    pub async fn create_stream_as(&self, host_name: &str) -> CreatedRoom {
        let response = self
            .create_stream(&json!({"hostName": host_name, "title": "Test stream"}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "creating a stream");
        response.json().await.expect("CreatedRoom JSON")
    }

    /// GET /api/rooms/:roomId
    pub async fn get_stream(&self, room_id: &str) -> Response {
        self.get(&format!("/api/rooms/{room_id}")).await
    }

    /// DELETE /api/rooms/:roomId
    pub async fn end_stream(&self, room_id: &str, host_key: Option<&str>) -> Response {
        self.delete(&format!("/api/rooms/{room_id}"), host_key)
            .await
    }

    /// DELETE /api/rooms/:roomId/participants/:identity
    pub async fn remove_participant(
        &self,
        room_id: &str,
        identity: &str,
        host_key: Option<&str>,
    ) -> Response {
        self.delete(
            &format!("/api/rooms/{room_id}/participants/{identity}"),
            host_key,
        )
        .await
    }

    /// POST /api/token as a viewer.
    pub async fn viewer_token(&self, room_id: &str, name: &str) -> Response {
        self.post_json(
            "/api/token",
            &json!({"roomName": room_id, "participantName": name, "isHost": false}),
            None,
        )
        .await
    }

    /// POST /api/token as the host.
    pub async fn host_token(&self, room_id: &str, name: &str, host_key: Option<&str>) -> Response {
        self.post_json(
            "/api/token",
            &json!({"roomName": room_id, "participantName": name, "isHost": true}),
            host_key,
        )
        .await
    }

    /// POST /api/recordings/start
    pub async fn start_recording(&self, room_id: &str, host_key: Option<&str>) -> Response {
        self.post_json(
            "/api/recordings/start",
            &json!({"roomName": room_id}),
            host_key,
        )
        .await
    }

    /// POST /api/recordings/stop
    pub async fn stop_recording(&self, egress_id: &str, host_key: Option<&str>) -> Response {
        self.post_json(
            "/api/recordings/stop",
            &json!({"egressId": egress_id}),
            host_key,
        )
        .await
    }

    /// GET /api/recordings/:roomId
    pub async fn list_recordings(&self, room_id: &str) -> Response {
        self.get(&format!("/api/recordings/{room_id}")).await
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.get("/metrics")
            .await
            .text()
            .await
            .expect("metrics text")
    }

    /// How many LiveKit webhooks of `event` (e.g. `egress_ended`) this process accepted so far.
    pub async fn webhooks_accepted(&self, event: &str) -> u64 {
        let metrics = self.metrics().await;
        metrics
            .lines()
            .filter(|line| line.starts_with("onair_livekit_webhooks_total{"))
            .filter(|line| line.contains(&format!("event=\"{event}\"")))
            .filter(|line| line.contains("outcome=\"accepted\""))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    }

    /// A webhook body signed as `livekit` signs its webhooks: a JWT with the API key and secret
    /// whose `sha256` claim is the body's hash in base64.
    pub fn sign_webhook(livekit: &LiveKitTarget, body: &str) -> String {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(body.as_bytes());
        livekit_api::access_token::AccessToken::with_api_key(&livekit.api_key, &livekit.api_secret)
            .with_sha256(&base64_simd::STANDARD.encode_to_string(hash))
            .to_jwt()
            .expect("a webhook token")
    }

    /// POST /api/livekit/webhook with `body` and, when given, `Authorization: {authorization}`.
    pub async fn send_webhook(
        &self,
        body: impl Into<reqwest::Body>,
        authorization: Option<&str>,
    ) -> Response {
        let mut request = self
            .client
            .post(self.url("/api/livekit/webhook"))
            .header("content-type", "application/webhook+json")
            .body(body);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.send().await.expect("request sent")
    }

    /// How many calls of `method` (e.g. `ListRooms`) this process made to LiveKit so far.
    pub async fn livekit_calls(&self, method: &str) -> u64 {
        let metrics = self.metrics().await;
        metrics
            .lines()
            .filter(|line| line.starts_with("onair_livekit_requests_total{"))
            .filter(|line| line.contains(&format!("method=\"{method}\"")))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    }

    /// How many ingresses LiveKit itself holds for `room` (its Twirp API, in JSON).
    pub async fn ingress_count(&self, room: &str) -> usize {
        let grants = livekit_api::access_token::VideoGrants {
            ingress_admin: true,
            ..Default::default()
        };
        let listed = self
            .livekit_twirp(
                "livekit.Ingress/ListIngress",
                grants,
                json!({"room_name": room}),
            )
            .await;
        listed["items"].as_array().map_or(0, Vec::len)
    }

    /// How many egresses LiveKit itself counts running for `room`.
    pub async fn running_egress_count(&self, room: &str) -> usize {
        let grants = livekit_api::access_token::VideoGrants {
            room_record: true,
            ..Default::default()
        };
        let listed = self
            .livekit_twirp(
                "livekit.Egress/ListEgress",
                grants,
                json!({"room_name": room, "active": true}),
            )
            .await;
        listed["items"].as_array().map_or(0, Vec::len)
    }

    /// Calls livekit-server's Twirp `method` (`service/Method`) in JSON, with `grants`.
    async fn livekit_twirp(
        &self,
        method: &str,
        grants: livekit_api::access_token::VideoGrants,
        body: Value,
    ) -> Value {
        let admin = livekit_api::access_token::AccessToken::with_api_key(
            &self.livekit.api_key,
            &self.livekit.api_secret,
        )
        .with_grants(grants)
        .to_jwt()
        .expect("an admin token");
        self.client
            .post(format!("{}/twirp/{method}", self.livekit.http_url()))
            .bearer_auth(admin)
            .json(&body)
            .send()
            .await
            .expect("asking livekit-server")
            .json()
            .await
            .unwrap_or_else(|err| panic!("{method} answers JSON: {err}"))
    }

    /// Asks livekit-server itself whether it accepts `token` (`GET /rtc/validate`).
    pub async fn livekit_accepts(&self, token: &str) -> Result<()> {
        let url = format!(
            "{}/rtc/validate?access_token={token}",
            self.livekit.http_url()
        );
        let response = self
            .client
            .get(url)
            .send()
            .await
            .context("asking livekit-server")?;
        if response.status() != StatusCode::OK {
            bail!(
                "livekit-server refused the token: {} {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
        }
        Ok(())
    }

    /// The claims of a LiveKit token, verified with the LiveKit secret.
    pub fn token_claims(&self, token: &str) -> livekit_api::access_token::Claims {
        livekit_api::access_token::TokenVerifier::with_api_key(
            &self.livekit.api_key,
            &self.livekit.api_secret,
        )
        .verify(token)
        .expect("a token signed with the LiveKit secret")
    }
}

/// The `error` object of a JSON error response, after checking its status.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "errors are JSON, got {content_type:?}"
    );
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["error"]["code"], code, "error code in {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "a message in {body}"
    );
    body["error"].clone()
}

/// Polls `check` until it returns true or `within` passes; returns the time it took.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < within {
        if check().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}
