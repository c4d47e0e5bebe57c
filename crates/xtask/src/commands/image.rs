//! `cargo xtask image`: builds the project's `Dockerfile`, unchanged, with podman (tagged
//! `onair:dev`), then runs the image against a local LiveKit and checks what an operator relies
//! on: `/healthz` and `/readyz` answer 200, the app's home page renders in Chromium, the process
//! is not root, the system's CA bundle is there, a `HEALTHCHECK` is declared and passes, and SIGTERM stops it within 10 s with
//! exit 0. Prints the image's size and build time.

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use xtask::process::{
    POLL_INTERVAL, Readiness, STOP_GRACE, spawn_service, stop_service, wait_until,
};
use xtask::stack::{LiveKitOptions, LiveKitServer, tail};
use xtask::tools::podman::{Podman, local_name};
use xtask::{net, versions, workspace_root};

use super::browser::{ensure_browser_tools, screenshots_dir, suite_dir};
use super::{header, log_path, run_checked};

/// Goal for the image's size (issue 9): under 120 MB.
const SIZE_GOAL_BYTES: u64 = 120 * 1_000_000;

/// What the operator's runtime allows between SIGTERM and SIGKILL.
const STOP_LIMIT: Duration = Duration::from_secs(10);

/// How long the container gets to answer `/healthz`, then `/readyz`.
const START_LIMIT: Duration = Duration::from_secs(30);

pub fn run(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask image` takes no arguments (got `{arg}`)");
    }
    header("podman and the Dockerfile's base images");
    check_dockerfile_bases()?;
    let podman = Podman::ensure()?;
    podman.ensure_base_images()?;

    let build_time = build_image(&podman)?;

    header("checking the image");
    let checks = check_image(&podman)?;
    header("image");
    println!("  {:<28} {}", "image", local_name(versions::IMAGE_TAG));
    println!(
        "  {:<28} {:.1} MB (goal: under {} MB)",
        "size",
        checks.size_bytes as f64 / 1e6,
        SIZE_GOAL_BYTES / 1_000_000
    );
    println!("  {:<28} {:.0} s", "build time", build_time.as_secs_f64());
    for line in &checks.passed {
        println!("  ok  {line}");
    }
    ensure!(
        checks.size_bytes < SIZE_GOAL_BYTES,
        "the image is {:.1} MB, over the {} MB goal",
        checks.size_bytes as f64 / 1e6,
        SIZE_GOAL_BYTES / 1_000_000
    );
    Ok(())
}

/// `podman build` of the Dockerfile, unchanged, as `onair:dev`; returns how long it took.
pub fn build_image(podman: &Podman) -> Result<Duration> {
    header(&format!(
        "podman build -t {} (the Dockerfile, unchanged)",
        versions::IMAGE_TAG
    ));
    let build_start = Instant::now();
    let mut build = podman.command([
        "build",
        "--pull=never",
        "--network=host",
        // HEALTHCHECK is part of Docker's image format, not OCI's: podman drops it otherwise.
        "--format=docker",
        "-t",
        versions::IMAGE_TAG,
        "-f",
        "Dockerfile",
        ".",
    ]);
    build.current_dir(workspace_root());
    run_checked(build, "podman build")?;
    Ok(build_start.elapsed())
}

/// The Dockerfile must name the base images that xtask makes, or podman would try a registry.
fn check_dockerfile_bases() -> Result<()> {
    let dockerfile = workspace_root().join("Dockerfile");
    let text = fs::read_to_string(&dockerfile)
        .with_context(|| format!("reading {}", dockerfile.display()))?;
    let bases: Vec<&str> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("FROM "))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    for expected in [versions::RUST_BASE_IMAGE, versions::DEBIAN_BASE_IMAGE] {
        ensure!(
            bases.contains(&expected),
            "the Dockerfile no longer names `{expected}` (it names {bases:?}): update \
             RUST_BASE_IMAGE / DEBIAN_BASE_IMAGE in crates/xtask/src/versions.rs and the base \
             images in crates/xtask/src/tools/podman.rs"
        );
    }
    Ok(())
}

struct ImageChecks {
    size_bytes: u64,
    passed: Vec<String>,
}

fn check_image(podman: &Podman) -> Result<ImageChecks> {
    let mut passed = Vec::new();
    let image = versions::IMAGE_TAG;
    let size_bytes: u64 = podman
        .output(&["image", "inspect", "--format", "{{.Size}}", image])?
        .parse()
        .context("reading the image size")?;
    let user = podman.output(&["image", "inspect", "--format", "{{.Config.User}}", image])?;
    ensure!(
        !user.is_empty() && user != "0" && !user.starts_with("0:") && user != "root",
        "the image runs as root (USER is `{user}`)"
    );
    let healthcheck = podman.output(&[
        "image",
        "inspect",
        "--format",
        "{{json .HealthCheck}}",
        image,
    ])?;
    ensure!(
        healthcheck.contains("onair") && healthcheck.contains("healthcheck"),
        "the image declares no HEALTHCHECK running `onair healthcheck` (inspect says {healthcheck})"
    );
    passed.push(format!("HEALTHCHECK declared: {healthcheck}"));

    let (livekit_binary, chromium) = ensure_browser_tools()?;
    let livekit = LiveKitServer::start(
        LiveKitOptions::free_ports(livekit_binary).with_log_file(log_path("image-livekit.log")?),
    )?;
    let port = net::free_tcp_port().context("finding a free port")?;
    let log = log_path("image-onair.log")?;
    let mut container = Container::start(podman, port, &livekit, &log)?;

    container.wait_for(port, "/healthz")?;
    passed.push(format!("GET /healthz → 200 (port {port})"));
    container.wait_for(port, "/readyz")?;
    passed.push("GET /readyz → 200 (LiveKit reachable from the container)".to_owned());

    let health = podman
        .command(["healthcheck", "run", &container.name])
        .stdin(Stdio::null())
        .output()
        .context("running `podman healthcheck run`")?;
    ensure!(
        health.status.success(),
        "`podman healthcheck run` says unhealthy: {}{}",
        String::from_utf8_lossy(&health.stdout).trim(),
        String::from_utf8_lossy(&health.stderr).trim()
    );
    passed.push("`podman healthcheck run` → healthy".to_owned());

    let uid = podman.output(&["exec", &container.name, "id", "-u"])?;
    ensure!(uid != "0", "the container's process runs as root");
    passed.push(format!("runs as uid {uid} (USER {user}), not root"));

    // The S3 client reads the system's roots: an S3 endpoint over https needs the bundle.
    let bundle = "/etc/ssl/certs/ca-certificates.crt";
    let bundle_size = podman
        .output(&["exec", &container.name, "wc", "-c", bundle])
        .with_context(|| format!("the image has no CA bundle at {bundle}"))?;
    passed.push(format!("CA bundle present ({bundle_size})"));

    let screenshot = screenshots_dir().join("image-home.png");
    fs::create_dir_all(screenshots_dir()).context("creating the screenshots folder")?;
    let mut node = Command::new("node");
    node.current_dir(workspace_root())
        .env("ONAIR_E2E_CHROMIUM", &chromium)
        .arg(suite_dir().join("tools/open-page.mjs"))
        .arg(format!("http://127.0.0.1:{port}/"))
        .arg("create-stream")
        .arg(&screenshot);
    run_checked(node, "node tests/browser/tools/open-page.mjs")?;
    passed.push(format!(
        "home page rendered in Chromium from the container ({})",
        screenshot.display()
    ));

    let stopped_in = container.terminate()?;
    passed.push(format!(
        "SIGTERM → exit 0 in {:.2} s (limit {} s)",
        stopped_in.as_secs_f64(),
        STOP_LIMIT.as_secs()
    ));
    drop(livekit);
    Ok(ImageChecks { size_bytes, passed })
}

/// The image running in the foreground under `podman run --rm` (a child of xtask, so Ctrl-C
/// stops it: podman passes the signal on). Removed on `Drop`.
struct Container<'a> {
    podman: &'a Podman,
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl<'a> Container<'a> {
    /// Runs the image on the host's network, listening on `127.0.0.1:{port}`, against `livekit`.
    fn start(
        podman: &'a Podman,
        port: u16,
        livekit: &LiveKitServer,
        log: &PathBuf,
    ) -> Result<Self> {
        let name = format!("onair-image-check-{}", std::process::id());
        let file = fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let mut run = podman.command(["run", "--rm", "--pull=never", "--network=host", "--name"]);
        run.arg(&name)
            .args(["-e", "BIND_ADDRESS=127.0.0.1"])
            .arg("-e")
            .arg(format!("PORT={port}"))
            .arg("-e")
            .arg(format!("PUBLIC_URL=http://127.0.0.1:{port}"))
            .arg("-e")
            .arg(format!("LIVEKIT_URL={}", livekit.url()))
            .arg("-e")
            .arg(format!("LIVEKIT_API_KEY={}", livekit.api_key()))
            // The value comes from xtask's environment, so it never shows in a process list.
            .args(["-e", "LIVEKIT_API_SECRET"])
            .env("LIVEKIT_API_SECRET", livekit.api_secret())
            .arg(versions::IMAGE_TAG)
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file);
        let child = spawn_service(run).context("starting `podman run`")?;
        println!(
            "container {name} on http://127.0.0.1:{port} (log: {})",
            log.display()
        );
        Ok(Self {
            podman,
            name,
            child: Some(child),
            log: log.clone(),
        })
    }

    /// Waits until `GET {path}` answers 200, failing if the container exits or takes too long.
    fn wait_for(&mut self, port: u16, path: &str) -> Result<()> {
        let child = self
            .child
            .as_mut()
            .context("the container is not running")?;
        match wait_until(child, START_LIMIT, POLL_INTERVAL, || {
            net::http_get_ok(port, path)
        })? {
            Readiness::Ready => Ok(()),
            Readiness::Exited(status) => bail!(
                "the container exited ({status}) before GET {path} answered 200; its log:\n{}",
                tail(&self.log, 30)
            ),
            Readiness::TimedOut => bail!(
                "GET {path} did not answer 200 within {} s; the container's log:\n{}",
                START_LIMIT.as_secs(),
                tail(&self.log, 30)
            ),
        }
    }

    /// Sends SIGTERM to the container's process and returns how long it took to exit with 0.
    fn terminate(&mut self) -> Result<Duration> {
        let start = Instant::now();
        let mut kill = self
            .podman
            .command(["kill", "--signal", "TERM", &self.name]);
        kill.stdout(Stdio::null());
        run_checked(kill, "podman kill --signal TERM")?;
        let child = self
            .child
            .as_mut()
            .context("the container is not running")?;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if start.elapsed() > STOP_LIMIT {
                bail!(
                    "the container was still running {} s after SIGTERM",
                    STOP_LIMIT.as_secs()
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        let elapsed = start.elapsed();
        self.child = None;
        ensure!(
            status.success(),
            "after SIGTERM the container exited with {status}, not 0; its log:\n{}",
            tail(&self.log, 30)
        );
        Ok(elapsed)
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = stop_service(&mut child, STOP_GRACE);
        }
        let _ = self
            .podman
            .command(["rm", "--force", "--time", "0", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
