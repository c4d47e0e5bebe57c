//! `cargo xtask bench`: how fast the release server issues viewer tokens, and how many LiveKit
//! calls a burst of viewers opening one link costs (the spec wants far fewer than one each).
//!
//! Everything runs on loopback: a local LiveKit on free ports, the release `onair` on a free
//! port, and a bounded number of requests from a reqwest client on a tokio runtime.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use xtask::stack::{LiveKitOptions, LiveKitServer};
use xtask::{net, tools};

use super::{OnAir, build_onair, header, log_path};

const DEFAULT_REQUESTS: usize = 5000;
const DEFAULT_CONCURRENCY: usize = 64;
const WARMUP_REQUESTS: usize = 200;
const BURST_REQUESTS: usize = 500;
/// Long enough for the server's short room-lookup cache to expire before the burst.
const CACHE_EXPIRY_WAIT: Duration = Duration::from_secs(3);
const LIVEKIT_CALLS_METRIC: &str = "onair_livekit_requests_total";

pub fn run(args: &[String]) -> Result<()> {
    let (requests, concurrency) = parse_args(args)?;

    header("tools");
    let livekit_binary = tools::ensure_livekit_server()?;
    header("build onair (release)");
    let onair_binary = build_onair()?;

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
    let mut onair = OnAir::start(&onair_binary, port, &env, Some(&onair_log))?;
    onair.wait_healthy()?;
    println!(
        "livekit-server at {}, onair at {} (log: {})",
        livekit.url(),
        onair.url(),
        onair_log.display()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let result = runtime.block_on(bench(onair.url(), requests, concurrency));
    onair.stop();
    drop(livekit);
    result
}

fn parse_args(args: &[String]) -> Result<(usize, usize)> {
    let mut requests = DEFAULT_REQUESTS;
    let mut concurrency = DEFAULT_CONCURRENCY;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let target = match flag {
            "--requests" => &mut requests,
            "--concurrency" => &mut concurrency,
            other => {
                bail!("`cargo xtask bench` does not take `{other}` (--requests N, --concurrency C)")
            }
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
    Ok((requests, concurrency))
}

async fn bench(base: String, requests: usize, concurrency: usize) -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .context("building the HTTP client")?;

    let created: Value = client
        .post(format!("{base}/api/rooms"))
        .json(&json!({ "hostName": "Bench" }))
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
        .with_context(|| format!("POST /api/rooms answered without a roomId: {created}"))?
        .to_owned();
    let load = Load {
        client: client.clone(),
        url: format!("{base}/api/token"),
        body: json!({ "roomName": room_id, "participantName": "viewer", "isHost": false }),
    };

    header(&format!("warm-up: {WARMUP_REQUESTS} viewer tokens"));
    let warmup = load.run(WARMUP_REQUESTS.min(requests), concurrency).await;
    println!(
        "{} ok, {} errors",
        warmup.latencies.len() - warmup.errors,
        warmup.errors
    );

    header(&format!(
        "throughput: {requests} viewer tokens (POST /api/token), concurrency {concurrency}"
    ));
    let throughput = load.run(requests, concurrency).await;
    throughput.print();

    header(&format!(
        "burst: {BURST_REQUESTS} viewer tokens at once, after the room cache expired"
    ));
    let before = livekit_calls(&client, &base).await?;
    tokio::time::sleep(CACHE_EXPIRY_WAIT).await;
    let burst = load.run(BURST_REQUESTS, BURST_REQUESTS).await;
    let after = livekit_calls(&client, &base).await?;
    burst.print();
    println!("  LiveKit calls during the burst ({LIVEKIT_CALLS_METRIC} by method):");
    match (before, after) {
        (Some(before), Some(after)) => {
            let mut total = 0.0;
            for (method, count) in &after {
                let delta = count - before.get(method).copied().unwrap_or(0.0);
                if delta > 0.0 {
                    println!("    {method:<28} {delta:>8}");
                    total += delta;
                }
            }
            println!(
                "    {:<28} {total:>8}  (for {BURST_REQUESTS} tokens)",
                "total"
            );
        }
        _ => println!("    unknown: GET /metrics has no {LIVEKIT_CALLS_METRIC}"),
    }

    if throughput.errors > 0 || burst.errors > 0 {
        bail!("{} requests failed", throughput.errors + burst.errors);
    }
    Ok(())
}

/// One kind of request, repeated.
struct Load {
    client: reqwest::Client,
    url: String,
    body: Value,
}

/// The outcome of a load run: every request's latency (failed ones included).
struct Stats {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
    elapsed: Duration,
}

impl Load {
    /// Sends `total` requests from `concurrency` tasks, each sending its next one as soon as
    /// the previous one is answered.
    async fn run(&self, total: usize, concurrency: usize) -> Stats {
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let mut tasks = Vec::with_capacity(concurrency);
        for _ in 0..concurrency.min(total) {
            let (client, url, body, next) = (
                self.client.clone(),
                self.url.clone(),
                self.body.clone(),
                next.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut results = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let sent = Instant::now();
                    let outcome = match client.post(&url).json(&body).send().await {
                        Ok(response) if response.status().is_success() => {
                            response.bytes().await.map(drop).map_err(|e| e.to_string())
                        }
                        Ok(response) => Err(format!("HTTP {}", response.status())),
                        Err(error) => Err(error.to_string()),
                    };
                    results.push((sent.elapsed(), outcome.err()));
                }
                results
            }));
        }
        let mut stats = Stats {
            latencies: Vec::with_capacity(total),
            errors: 0,
            first_error: None,
            elapsed: Duration::ZERO,
        };
        for task in tasks {
            let results = task.await.unwrap_or_default();
            for (latency, error) in results {
                stats.latencies.push(latency);
                if let Some(error) = error {
                    stats.errors += 1;
                    stats.first_error.get_or_insert(error);
                }
            }
        }
        stats.elapsed = start.elapsed();
        stats.latencies.sort_unstable();
        stats
    }
}

impl Stats {
    /// Nearest-rank percentile of the sorted latencies.
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    fn print(&self) {
        let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
        let rate = self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON);
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
