//! `cargo xtask bench`: what the server costs, in one table — how fast the release server issues
//! viewer tokens compared with a bare Axum handler doing the least the same request needs, how
//! many LiveKit calls a burst of viewers opening one link costs (the spec wants far fewer than one
//! each), onair's memory idle and under load, its time from start to ready, and, through
//! [`bench_app::measure`], a viewer's time to first frame and what the pages weigh.
//!
//! Everything runs on loopback: a local LiveKit on free ports, the release `onair` and the bare
//! handler (`crates/server/examples/bare_token.rs`, same profile and Axum) on free ports, and a
//! bounded number of requests from kept-alive HTTP/1.1 connections on a one-thread runtime. The
//! two servers take turns under the same load, round after round, so a busy machine slows both
//! alike; the CPU each spends per request is read too, which a busy machine hardly moves.
//!
//! The load comes from a release build of xtask itself (`xtask bench-load`, see [`load`]): the
//! `cargo xtask` binary is a dev build, and an unoptimised client on the same two cores would
//! cost more than the server it measures, so the bench would measure the client.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use xtask::process::{Readiness, STOP_GRACE, spawn_service, stop_service, wait_until};
use xtask::stack::{LiveKitOptions, LiveKitServer};
use xtask::{net, target_dir, tools, workspace_root};

use super::bench_app::{self, AppFigures, PageWeight};
use super::{OnAir, build_onair, cargo, header, log_path, run_checked};

/// Viewer token requests per server, over all rounds.
const DEFAULT_REQUESTS: usize = 150_000;
/// Connections (tasks, each with one request in flight) of the throughput runs.
const DEFAULT_CONCURRENCY: usize = 32;
/// The servers take turns this many times. On a shared VM a round's ratio can swing by a third
/// when a neighbour wakes; the median of many short rounds holds still where the ratio of the
/// totals does not.
const ROUNDS: usize = 10;
const WARMUP_REQUESTS: usize = 2_000;
const BURST_REQUESTS: usize = 500;
/// Long enough for the server's short room-lookup cache to expire before the burst.
const CACHE_EXPIRY_WAIT: Duration = Duration::from_secs(3);
const LIVEKIT_CALLS_METRIC: &str = "onair_livekit_requests_total";
/// How long onair gets to answer `GET /readyz` with 200, and the bare handler `GET /healthz`.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// What Chromium sends with every request: the load asks as a viewer's browser does, so a server
/// that compresses answers pays for it here too.
const BROWSER_ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";
/// Issue 9's goals for the token path.
const GOAL_RATIO: f64 = 0.75;
const GOAL_P99: Duration = Duration::from_millis(2);

struct Options {
    requests: usize,
    concurrency: usize,
    viewers: usize,
    app: bool,
}

pub fn run(args: &[String]) -> Result<()> {
    let options = parse_args(args)?;

    header("tools");
    let livekit_binary = tools::ensure_livekit_server()?;
    header("build onair and the bare Axum handler (release)");
    let onair_binary = build_onair()?;
    let bare_binary = build_bare_token()?;
    let loader = build_loader()?;

    header("start livekit-server and onair");
    let livekit = LiveKitServer::start(
        LiveKitOptions::free_ports(livekit_binary).with_log_file(log_path("bench-livekit.log")?),
    )?;
    let port = net::free_tcp_port()?;
    let onair_log = log_path("bench-onair.log")?;
    let env = [
        ("LIVEKIT_URL", livekit.url()),
        ("LIVEKIT_API_KEY", livekit.api_key().to_owned()),
        ("LIVEKIT_API_SECRET", livekit.api_secret().to_owned()),
        ("PUBLIC_URL", format!("http://127.0.0.1:{port}")),
        ("ROOM_CREATE_PER_MINUTE", "1000".to_owned()),
    ];
    let spawned = Instant::now();
    let mut onair = OnAir::start(&onair_binary, port, &env, Some(&onair_log))?;
    // Polled every few milliseconds: the time to the first 200 is one of the results.
    onair.wait_for("/readyz", READY_TIMEOUT, Duration::from_millis(2))?;
    let start_to_ready = spawned.elapsed();
    let pid = onair.pid().context("onair is not running")?;
    // Idle: ready, nothing asked yet but the readiness probe.
    std::thread::sleep(Duration::from_millis(500));
    let rss_idle = rss_kib(pid)?;
    println!(
        "livekit-server at {}, onair at {} (pid {pid}, log: {}); ready {} after spawn",
        livekit.url(),
        onair.url(),
        onair_log.display(),
        ms(start_to_ready)
    );

    let (runtime, client) = runtime_and_client()?;
    let target = runtime.block_on(TokenTarget::create(&client, &onair.url()))?;

    header(&format!(
        "start the bare Axum handler ({} byte answers, like onair's)",
        target.response_bytes
    ));
    let bare = BareServer::start(&bare_binary, target.response_bytes)?;
    println!("bare handler at {}", bare.url());

    let sampler = RssSampler::start(pid);
    let tokens = bench_tokens(
        &runtime,
        &client,
        &loader,
        &target,
        (&onair.url(), &bare.url()),
        (pid, bare.child.id()),
        &options,
    );
    let rss_load = sampler.stop();
    drop(bare);
    onair.stop();
    drop(livekit);
    let tokens = tokens?;

    let app = if options.app {
        Some(bench_app::measure(options.viewers)?)
    } else {
        None
    };

    header("summary");
    let figures = Figures {
        tokens,
        concurrency: options.concurrency,
        rss_idle_kib: rss_idle,
        rss_load_kib: rss_load,
        start_to_ready,
        app,
    };
    println!("{}\n", machine());
    print!("{}", figures.table());
    let t = &figures.tokens;
    let failed = t.onair.errors + t.burst.errors + t.passcode.errors;
    if failed > 0 {
        bail!("{failed} requests failed");
    }
    if t.wrong_passcodes.errors != t.wrong_passcodes.latencies.len() {
        bail!("a wrong passcode was let in");
    }
    Ok(())
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut options = Options {
        requests: DEFAULT_REQUESTS,
        concurrency: DEFAULT_CONCURRENCY,
        viewers: bench_app::DEFAULT_VIEWERS,
        app: true,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--no-app" {
            options.app = false;
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let target = match flag {
            "--requests" => &mut options.requests,
            "--concurrency" => &mut options.concurrency,
            "--viewers" => &mut options.viewers,
            other => bail!(
                "`cargo xtask bench` does not take `{other}` \
                 (--requests N, --concurrency C, --viewers V, --no-app)"
            ),
        };
        let value = inline
            .or_else(|| args.next().cloned())
            .with_context(|| format!("{flag} needs a number"))?;
        *target = value
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .with_context(|| format!("{flag} {value}: expected a positive number"))?;
    }
    Ok(options)
}

/// Builds `crates/server/examples/bare_token.rs` with the release profile.
fn build_bare_token() -> Result<PathBuf> {
    const ARGS: [&str; 6] = [
        "build",
        "--release",
        "-p",
        "onair-server",
        "--example",
        "bare_token",
    ];
    run_checked(cargo(ARGS), &format!("cargo {}", ARGS.join(" ")))?;
    Ok(target_dir().join("release/examples/bare_token"))
}

/// Builds xtask itself with the release profile, for `xtask bench-load`.
fn build_loader() -> Result<PathBuf> {
    const ARGS: [&str; 6] = ["build", "--release", "-p", "xtask", "--bin", "xtask"];
    run_checked(cargo(ARGS), &format!("cargo {}", ARGS.join(" ")))?;
    Ok(target_dir().join("release/xtask"))
}

/// `VmRSS` of a process, in KiB.
fn rss_kib(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("{path} has no VmRSS line"))
}

/// Reads a process's `VmRSS` every 20 ms on a thread of its own and keeps the largest.
struct RssSampler {
    running: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while flag.load(Ordering::Relaxed) {
                peak = peak.max(rss_kib(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        });
        Self { running, thread }
    }

    /// The peak `VmRSS` seen, in KiB.
    fn stop(self) -> u64 {
        self.running.store(false, Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

/// The bare Axum handler as a child service. Stopped on `Drop`.
struct BareServer {
    child: Child,
    port: u16,
}

impl BareServer {
    fn start(binary: &Path, response_bytes: usize) -> Result<Self> {
        let port = net::free_tcp_port()?;
        let mut command = Command::new(binary);
        command
            .args([port.to_string(), response_bytes.to_string()])
            .current_dir(workspace_root())
            .stdin(Stdio::null());
        let child =
            spawn_service(command).with_context(|| format!("starting {}", binary.display()))?;
        let mut server = Self { child, port };
        let ready = || net::http_get_ok(port, "/healthz");
        match wait_until(
            &mut server.child,
            READY_TIMEOUT,
            Duration::from_millis(10),
            ready,
        )? {
            Readiness::Ready => Ok(server),
            Readiness::Exited(status) => {
                bail!("the bare handler exited ({status}) before answering")
            }
            Readiness::TimedOut => bail!(
                "the bare handler did not answer within {} s",
                READY_TIMEOUT.as_secs()
            ),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for BareServer {
    fn drop(&mut self) {
        let _ = stop_service(&mut self.child, STOP_GRACE);
    }
}

/// A stream to ask tokens for, and the size of onair's answer.
struct TokenTarget {
    body: Value,
    response_bytes: usize,
}

/// The passcode of the bench's passcode stream.
const BENCH_PASSCODE: &str = "bench passcode";

impl TokenTarget {
    async fn create(client: &reqwest::Client, base: &str) -> Result<Self> {
        Self::create_with(client, base, json!({ "hostName": "Bench" }), json!({})).await
    }

    /// A passcode stream, and its viewers' requests carrying the passcode.
    async fn create_private(client: &reqwest::Client, base: &str) -> Result<Self> {
        let stream =
            json!({ "hostName": "Bench", "visibility": "passcode", "passcode": BENCH_PASSCODE });
        Self::create_with(client, base, stream, json!({ "passcode": BENCH_PASSCODE })).await
    }

    /// Creates the stream `stream` describes; viewers ask with `extra` in their body.
    async fn create_with(
        client: &reqwest::Client,
        base: &str,
        stream: Value,
        extra: Value,
    ) -> Result<Self> {
        let created: Value = client
            .post(format!("{base}/api/rooms"))
            .json(&stream)
            .send()
            .await
            .context("POST /api/rooms")?
            .error_for_status()
            .context("POST /api/rooms")?
            .json()
            .await
            .context("POST /api/rooms: reading the JSON body")?;
        let room_id = created["roomId"]
            .as_str()
            .with_context(|| format!("POST /api/rooms answered without a roomId: {created}"))?;
        let mut body = json!({ "roomName": room_id, "participantName": "viewer", "isHost": false });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let answer = client
            .post(format!("{base}/api/token"))
            .json(&body)
            .send()
            .await
            .context("POST /api/token")?
            .error_for_status()
            .context("POST /api/token")?
            .bytes()
            .await
            .context("POST /api/token: reading the body")?;
        Ok(Self {
            body,
            response_bytes: answer.len(),
        })
    }
}

/// The token figures of both servers.
struct TokenFigures {
    onair: Stats,
    bare: Stats,
    burst: Stats,
    /// LiveKit calls during the burst by method; `None` if `/metrics` does not count them.
    burst_calls: Option<BTreeMap<String, f64>>,
    /// onair's requests/s as a fraction of the bare handler's, in each round.
    round_ratios: Vec<f64>,
    /// Viewer tokens of a passcode stream, with the passcode.
    passcode: Stats,
    /// Wrong passcodes from one address, past the lock-out: what a guessing storm costs.
    wrong_passcodes: Stats,
}

impl TokenFigures {
    /// The median of the rounds' ratios: both servers ran back to back in each round, so a
    /// round compares them under the same disturbance, and a round a neighbour disturbed more
    /// than the rest does not move the median.
    fn ratio(&self) -> f64 {
        bench_app::median(&self.round_ratios)
    }
}

fn bench_tokens(
    runtime: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    loader: &Path,
    target: &TokenTarget,
    (onair_base, bare_base): (&str, &str),
    (onair_pid, bare_pid): (u32, u32),
    options: &Options,
) -> Result<TokenFigures> {
    let load = |base: &str, server_pid| Load {
        loader: loader.to_owned(),
        url: format!("{base}/api/token"),
        body: target.body.to_string(),
        server_pid,
    };
    let (onair, bare) = (load(onair_base, onair_pid), load(bare_base, bare_pid));
    let concurrency = options.concurrency;

    header(&format!(
        "warm-up: {WARMUP_REQUESTS} viewer tokens from each server"
    ));
    for (name, load) in [("bare", &bare), ("onair", &onair)] {
        let warmup = load.run(WARMUP_REQUESTS, concurrency)?;
        println!(
            "  {name:<6} {} ok, {} errors",
            warmup.latencies.len() - warmup.errors,
            warmup.errors
        );
    }

    let per_round = options.requests.div_ceil(ROUNDS);
    header(&format!(
        "throughput: {ROUNDS} rounds of {per_round} viewer tokens (POST /api/token) per server, \
         {concurrency} connections"
    ));
    let mut totals = (Stats::default(), Stats::default());
    let mut round_ratios = Vec::with_capacity(ROUNDS);
    for round in 1..=ROUNDS {
        let b = bare.run(per_round, concurrency)?;
        let o = onair.run(per_round, concurrency)?;
        round_ratios.push(o.rate() / b.rate().max(f64::EPSILON));
        println!(
            "  round {round}: bare {:>9.0}/s p99 {:>8} CPU {:>5.1} µs/req   onair {:>9.0}/s p99 {:>8} \
             CPU {:>5.1} µs/req   ratio {:.2}",
            b.rate(),
            ms(b.percentile(99.0)),
            micros(b.cpu_per_request()),
            o.rate(),
            ms(o.percentile(99.0)),
            micros(o.cpu_per_request()),
            round_ratios[round - 1]
        );
        totals.0.absorb(b);
        totals.1.absorb(o);
    }
    let (bare_total, onair_total) = totals;
    println!("\n  bare Axum handler");
    bare_total.print();
    println!("\n  onair");
    onair_total.print();

    header(&format!(
        "burst: {BURST_REQUESTS} viewer tokens at once, after the room cache expired"
    ));
    std::thread::sleep(CACHE_EXPIRY_WAIT);
    let before = runtime.block_on(livekit_calls(client, onair_base))?;
    let burst = onair.run(BURST_REQUESTS, BURST_REQUESTS)?;
    let after = runtime.block_on(livekit_calls(client, onair_base))?;
    burst.print();
    let burst_calls = match (before, after) {
        (Some(before), Some(after)) => Some(
            after
                .iter()
                .map(|(method, count)| {
                    (
                        method.clone(),
                        count - before.get(method).copied().unwrap_or(0.0),
                    )
                })
                .filter(|(_, delta)| *delta > 0.0)
                .collect(),
        ),
        _ => None,
    };
    let private = runtime.block_on(TokenTarget::create_private(client, onair_base))?;
    let private_load = Load {
        body: private.body.to_string(),
        ..load(onair_base, onair_pid)
    };
    header(&format!(
        "passcode stream: {per_round} viewer tokens with the passcode, {concurrency} connections"
    ));
    let passcode = private_load.run(per_round, concurrency)?;
    passcode.print();
    let mut wrong_body = private.body.clone();
    wrong_body["passcode"] = json!("not the passcode");
    let wrong_load = Load {
        body: wrong_body.to_string(),
        ..load(onair_base, onair_pid)
    };
    header(&format!(
        "wrong passcode storm: {per_round} wrong passcodes from one address, {concurrency} \
         connections (after the 5th a minute, each is refused with 429)"
    ));
    let wrong_passcodes = wrong_load.run(per_round, concurrency)?;
    wrong_passcodes.print();
    Ok(TokenFigures {
        onair: onair_total,
        bare: bare_total,
        burst,
        burst_calls,
        round_ratios,
        passcode,
        wrong_passcodes,
    })
}

/// Everything the summary table shows.
struct Figures {
    tokens: TokenFigures,
    concurrency: usize,
    rss_idle_kib: u64,
    rss_load_kib: u64,
    start_to_ready: Duration,
    app: Option<AppFigures>,
}

impl Figures {
    /// The summary as a Markdown table (it goes into the README as printed).
    fn table(&self) -> String {
        let t = &self.tokens;
        let (ratio, p99) = (t.ratio(), t.onair.percentile(99.0));
        let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
        let mut rows = vec![
            (
                format!("viewer tokens/s, {} connections", self.concurrency),
                format!(
                    "{:.0} — {ratio:.2} of the bare Axum handler's {:.0} (median of {} rounds' \
                     ratios, {:.2}–{:.2}; goal ≥ {GOAL_RATIO}: {})",
                    t.onair.rate(),
                    t.bare.rate(),
                    t.round_ratios.len(),
                    t.round_ratios.iter().copied().fold(f64::INFINITY, f64::min),
                    t.round_ratios.iter().copied().fold(0.0, f64::max),
                    verdict(ratio >= GOAL_RATIO)
                ),
            ),
            (
                format!("token p99, {} connections", self.concurrency),
                format!(
                    "{} — bare handler {} (goal ≤ {}: {})",
                    ms(p99),
                    ms(t.bare.percentile(99.0)),
                    ms(GOAL_P99),
                    verdict(p99 <= GOAL_P99)
                ),
            ),
            (
                "server CPU per viewer token".to_owned(),
                format!(
                    "{:.1} µs — bare handler {:.1} µs",
                    micros(t.onair.cpu_per_request()),
                    micros(t.bare.cpu_per_request())
                ),
            ),
            (
                "passcode stream: viewer tokens with the passcode".to_owned(),
                format!(
                    "{:.0}/s, p99 {}, {:.1} µs of server CPU each (public stream: {:.1} µs)",
                    t.passcode.rate(),
                    ms(t.passcode.percentile(99.0)),
                    micros(t.passcode.cpu_per_request()),
                    micros(t.onair.cpu_per_request())
                ),
            ),
            (
                "wrong passcode storm from one address".to_owned(),
                format!(
                    "{:.0}/s refused ({} of {} with 403/429), {:.1} µs of server CPU each",
                    t.wrong_passcodes.rate(),
                    t.wrong_passcodes.errors,
                    t.wrong_passcodes.latencies.len(),
                    micros(t.wrong_passcodes.cpu_per_request())
                ),
            ),
            (
                format!("LiveKit calls per {BURST_REQUESTS}-viewer burst"),
                match &t.burst_calls {
                    None => format!("unknown (no {LIVEKIT_CALLS_METRIC} in /metrics)"),
                    Some(calls) => {
                        let total: f64 = calls.values().sum();
                        let each: Vec<String> =
                            calls.iter().map(|(m, n)| format!("{m} {n}")).collect();
                        format!("{total} ({})", each.join(", "))
                    }
                },
            ),
        ];
        if let Some(app) = &self.app {
            let times = |values: &[f64]| {
                let each: Vec<String> = values.iter().map(|ms| format!("{ms:.0}")).collect();
                format!(
                    "median {:.0} ms ({} viewers: {} ms)",
                    bench_app::median(values),
                    each.len(),
                    each.join(", ")
                )
            };
            rows.push((
                "viewer time to first frame, from opening the link (no click)".to_owned(),
                times(&app.first_frames_ms),
            ));
            rows.push((
                "bare page on the same SDK (the limit), alternated with them".to_owned(),
                times(&app.bare_first_frames_ms),
            ));
            rows.push((
                "ratio OnAir / bare page (medians)".to_owned(),
                format!("{:.2} (goal ≤ 1.10)", app.first_frame_ratio()),
            ));
            rows.push((
                "returning viewer (name remembered), to first frame".to_owned(),
                times(&app.returning_first_frames_ms),
            ));
            rows.push(("home page, on the wire".to_owned(), page(&app.home)));
            rows.push(("viewer page, on the wire".to_owned(), page(&app.viewer)));
            rows.push((
                "bare page (SDK, token, connect, play), on the wire".to_owned(),
                page(&app.bare),
            ));
        }
        rows.push((
            "onair RSS idle / under load (VmRSS)".to_owned(),
            format!(
                "{} / {} (peak)",
                mib(self.rss_idle_kib),
                mib(self.rss_load_kib)
            ),
        ));
        rows.push((
            "start to ready (spawn → /readyz 200)".to_owned(),
            ms(self.start_to_ready),
        ));
        let mut table = String::from("| | |\n|---|---|\n");
        for (what, value) in rows {
            table.push_str(&format!("| {what} | {value} |\n"));
        }
        table
    }
}

/// A page's weight: headers plus bodies as sent, and the decoded size for scale.
fn page(weight: &PageWeight) -> String {
    format!(
        "{} ({} files; bodies {} as sent, {} decoded)",
        kib(weight.wire),
        weight.files,
        kib(weight.sent),
        kib(weight.raw)
    )
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// "2 cores, <CPU model>" from `nproc`'s view and `/proc/cpuinfo`.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("machine: {cores} cores (nproc), {model}")
}

/// One kind of request, repeated by a release build of xtask (`xtask bench-load`).
struct Load {
    loader: PathBuf,
    url: String,
    /// The JSON body.
    body: String,
    /// The server answering, whose CPU time the run reads.
    server_pid: u32,
}

/// The outcome of a load run: every request's latency (failed ones included), and the CPU
/// time the server spent meanwhile.
#[derive(Default)]
struct Stats {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
    elapsed: Duration,
    server_cpu: Duration,
}

/// User plus system CPU time of a process so far (`/proc/<pid>/stat`, in the kernel's fixed
/// 100 ticks a second). Unlike requests/s, the CPU a server spends per request hardly moves
/// when a busy neighbour slows the whole machine down.
fn cpu_time(pid: u32) -> Result<Duration> {
    const TICKS_PER_SECOND: u64 = 100;
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // Fields after the command name (which may hold spaces), from the 3rd: utime is the 14th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => Ok(Duration::from_millis(
            (user + system) * 1000 / TICKS_PER_SECOND,
        )),
        _ => bail!("{path}: no utime and stime"),
    }
}

impl Load {
    /// Sends `total` requests from `concurrency` connections (see [`fire`]).
    fn run(&self, total: usize, concurrency: usize) -> Result<Stats> {
        let out = log_path("bench-load.json")?;
        let mut command = Command::new(&self.loader);
        command.arg("bench-load").arg(&out).args([
            &self.url,
            &self.body,
            &total.to_string(),
            &concurrency.to_string(),
        ]);
        let cpu_before = cpu_time(self.server_pid)?;
        run_checked(command, "xtask bench-load")?;
        let server_cpu = cpu_time(self.server_pid)?.saturating_sub(cpu_before);
        let text =
            std::fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
        let report: Value = serde_json::from_str(&text)
            .with_context(|| format!("reading the report in {}", out.display()))?;
        let nanos = |v: &Value| Duration::from_nanos(v.as_u64().unwrap_or_default());
        let mut latencies: Vec<Duration> = report["latenciesNs"]
            .as_array()
            .context("bench-load wrote no latencies")?
            .iter()
            .map(nanos)
            .collect();
        latencies.sort_unstable();
        Ok(Stats {
            latencies,
            errors: report["errors"].as_u64().unwrap_or_default() as usize,
            first_error: report["firstError"].as_str().map(str::to_owned),
            elapsed: nanos(&report["elapsedNs"]),
            server_cpu,
        })
    }
}

/// `xtask bench-load OUT URL BODY TOTAL CONCURRENCY` (run by `bench` from a release build):
/// POSTs the JSON `BODY` to `URL` `TOTAL` times from `CONCURRENCY` connections, accepting
/// compressed answers as a browser does (they are not decoded), and writes to
/// `OUT`, as JSON, each request's latency, the errors and the wall time.
pub fn load(args: &[String]) -> Result<()> {
    let [out, url, body, total, concurrency] = args else {
        bail!("usage: xtask bench-load OUT URL BODY TOTAL CONCURRENCY");
    };
    serde_json::from_str::<Value>(body).context("BODY is not JSON")?;
    let request = RequestTemplate::new(url, body)?;
    let total: usize = total.parse().context("TOTAL is not a number")?;
    let concurrency: usize = concurrency.parse().context("CONCURRENCY is not a number")?;
    let runtime = loader_runtime()?;
    let (results, elapsed) = runtime.block_on(fire(Arc::new(request), total, concurrency));
    let errors: Vec<&String> = results.iter().filter_map(|(_, e)| e.as_ref()).collect();
    let report = json!({
        "elapsedNs": elapsed.as_nanos() as u64,
        "latenciesNs": results.iter().map(|(l, _)| l.as_nanos() as u64).collect::<Vec<_>>(),
        "errors": errors.len(),
        "firstError": errors.first(),
    });
    std::fs::write(out, report.to_string()).with_context(|| format!("writing {out}"))
}

/// The loader's runtime: one thread. The loader shares the machine's cores with the server it
/// measures, so every cycle it spends is taken from that server; one thread driving all the
/// connections spends the fewest (no work stealing, no cross-thread wake-ups), and on these
/// 2-core machines it still sends faster than either server answers.
fn loader_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the loader's tokio runtime")
}

/// A tokio runtime and an HTTP client whose requests give up after 10 s: what the bench sets up
/// its stream and reads `/metrics` with.
fn runtime_and_client() -> Result<(tokio::runtime::Runtime, reqwest::Client)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .context("building the HTTP client")?;
    Ok((runtime, client))
}

/// The one request the loader repeats, parsed once: where to connect, and the parts of a
/// `POST` with a JSON body that each send only clones (no URL parsing or JSON encoding per
/// request, which a general-purpose client would spend on the shared cores).
struct RequestTemplate {
    address: SocketAddr,
    path: hyper::Uri,
    host: hyper::header::HeaderValue,
    body: hyper::body::Bytes,
}

impl RequestTemplate {
    fn new(url: &str, body: &str) -> Result<Self> {
        let uri: hyper::Uri = url.parse().with_context(|| format!("{url} is not a URL"))?;
        if uri.scheme_str() != Some("http") {
            bail!("the loader speaks plain http only, not {url}");
        }
        let authority = uri
            .authority()
            .with_context(|| format!("{url} names no host"))?;
        let address = authority
            .as_str()
            .parse()
            .with_context(|| format!("{url}: the host must be an IP address and a port"))?;
        Ok(Self {
            address,
            path: uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .parse()
                .context("the URL's path")?,
            host: authority.as_str().parse().context("the URL's host")?,
            body: hyper::body::Bytes::copy_from_slice(body.as_bytes()),
        })
    }

    fn request(&self) -> hyper::Request<Full<hyper::body::Bytes>> {
        let mut request = hyper::Request::new(Full::new(self.body.clone()));
        *request.method_mut() = hyper::Method::POST;
        *request.uri_mut() = self.path.clone();
        let headers = request.headers_mut();
        headers.insert(hyper::header::HOST, self.host.clone());
        headers.insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/json"),
        );
        headers.insert(
            hyper::header::ACCEPT_ENCODING,
            hyper::header::HeaderValue::from_static(BROWSER_ACCEPT_ENCODING),
        );
        request
    }
}

/// A kept-alive HTTP/1.1 connection, as a browser holds one.
type Connection = hyper::client::conn::http1::SendRequest<Full<hyper::body::Bytes>>;

async fn connect(address: SocketAddr) -> Result<Connection, String> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| format!("connecting to {address}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Sends one request on `connection` and reads the whole answer: `Err` when the connection
/// failed, else `Ok` of whether the answer was a success (`Err` with the status when not).
async fn send(
    connection: &mut Connection,
    request: &RequestTemplate,
) -> Result<Result<(), String>, String> {
    connection.ready().await.map_err(|e| e.to_string())?;
    let response = connection
        .send_request(request.request())
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok(if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {status}"))
    })
}

/// Sends `total` requests from `concurrency` connections, each sending its next request as soon
/// as the previous one is answered (a connection that fails is opened again for the next);
/// each request's latency and error, and the wall time.
async fn fire(
    request: Arc<RequestTemplate>,
    total: usize,
    concurrency: usize,
) -> (Vec<(Duration, Option<String>)>, Duration) {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.min(total) {
        let (request, next) = (request.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut results = Vec::new();
            let mut connection = None;
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let sent = Instant::now();
                let outcome = async {
                    let mut open = match connection.take() {
                        Some(open) => open,
                        None => connect(request.address).await?,
                    };
                    let answered = send(&mut open, &request).await?;
                    // An error status is an answer: the connection stays open, as a
                    // client's would (a refused guess must not cost a new connection).
                    connection = Some(open);
                    answered
                }
                .await;
                results.push((sent.elapsed(), outcome.err()));
            }
            results
        }));
    }
    let mut results = Vec::with_capacity(total);
    for task in tasks {
        results.extend(task.await.unwrap_or_default());
    }
    (results, start.elapsed())
}

impl Stats {
    /// Requests per second of wall time.
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Adds another run's requests and time to these.
    fn absorb(&mut self, other: Stats) {
        self.latencies.extend(other.latencies);
        self.latencies.sort_unstable();
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.elapsed += other.elapsed;
        self.server_cpu += other.server_cpu;
    }

    /// The server's CPU time per request.
    fn cpu_per_request(&self) -> Duration {
        self.server_cpu / u32::try_from(self.latencies.len().max(1)).unwrap_or(u32::MAX)
    }

    /// Nearest-rank percentile of the sorted latencies.
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    fn print(&self) {
        let rate = self.rate();
        println!("  {:<14} {:>12}", "requests", self.latencies.len());
        println!("  {:<14} {:>12}", "wall time", ms(self.elapsed));
        println!("  {:<14} {:>12.1}", "requests/s", rate);
        println!("  {:<14} {:>12}", "p50", ms(self.percentile(50.0)));
        println!("  {:<14} {:>12}", "p99", ms(self.percentile(99.0)));
        println!(
            "  {:<14} {:>12}",
            "max",
            ms(self.latencies.last().copied().unwrap_or_default())
        );
        println!(
            "  {:<14} {:>9.1} µs",
            "server CPU/req",
            micros(self.cpu_per_request())
        );
        println!("  {:<14} {:>12}", "errors", self.errors);
        if let Some(error) = &self.first_error {
            println!("  first error: {error}");
        }
    }
}

/// Sums `onair_livekit_requests_total` by its `method` label; `None` if the metric is absent.
async fn livekit_calls(
    client: &reqwest::Client,
    base: &str,
) -> Result<Option<BTreeMap<String, f64>>> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .context("GET /metrics")?
        .error_for_status()
        .context("GET /metrics")?
        .text()
        .await
        .context("GET /metrics: reading the body")?;
    Ok(parse_calls(&text))
}

fn parse_calls(metrics: &str) -> Option<BTreeMap<String, f64>> {
    let mut calls = BTreeMap::new();
    let mut seen = false;
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix(LIVEKIT_CALLS_METRIC) else {
            continue;
        };
        let (labels, value) = match rest.strip_prefix('{') {
            Some(rest) => match rest.split_once('}') {
                Some((labels, value)) => (labels, value),
                None => continue,
            },
            None if rest.starts_with(' ') => ("", rest),
            None => continue, // another metric sharing the prefix
        };
        let Some(value) = value
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
        else {
            continue;
        };
        seen = true;
        let method = labels
            .split(',')
            .find_map(|label| label.trim().strip_prefix("method=\""))
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or("(none)");
        *calls.entry(method.to_owned()).or_insert(0.0) += value;
    }
    seen.then_some(calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_process_cpu_time() {
        let before = cpu_time(std::process::id()).unwrap();
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_millis(60) {
            std::hint::black_box(spin.elapsed());
        }
        assert!(cpu_time(std::process::id()).unwrap() > before);
        assert!(cpu_time(u32::MAX).is_err());
    }

    #[test]
    fn sums_livekit_calls_by_method() {
        let text = "# TYPE onair_livekit_requests_total counter\n\
            onair_livekit_requests_total{method=\"ListRooms\",outcome=\"ok\"} 3\n\
            onair_livekit_requests_total{method=\"ListRooms\",outcome=\"error\"} 1\n\
            onair_livekit_requests_total{outcome=\"ok\",method=\"CreateRoom\"} 2\n\
            onair_livekit_requests_total_created{method=\"ListRooms\"} 1700000000\n";
        let calls = parse_calls(text).unwrap();
        assert_eq!(calls.get("ListRooms"), Some(&4.0));
        assert_eq!(calls.get("CreateRoom"), Some(&2.0));
        assert_eq!(calls.len(), 2);
        assert_eq!(parse_calls("other_metric 1\n"), None);
    }
}
