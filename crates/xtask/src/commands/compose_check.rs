//! `cargo xtask compose-check` (a step of `cargo xtask test`): the operator's deployment, run for
//! real. compose.yaml and its Caddyfile are copied, unchanged, into `target/compose-check/`
//! beside a generated `.env` (names under `.localhost`, which Chromium resolves to this machine
//! by itself; `ONAIR_TLS=internal`), then brought up with podman-compose (pinned, from PyPI:
//! Debian's 1.0.3 cannot run `network_mode: host`) on the stand-in images of
//! `cargo xtask compose-images` and the `onair:dev` image. Once every service's health check
//! passes, Caddy's internal root certificate goes into an NSS database that Chromium reads (as a
//! LAN's users would import it), `tests/compose/journey.test.mjs` drives a stream through
//! Caddy's HTTPS, and `onair doctor` runs inside the onair container. Then `down` and `up`
//! again: the recording must still be listed (the volumes are kept). At the end (or on failure)
//! everything goes `down` with its volumes. Prints the images' sizes, `up` → healthy, and the
//! journey's timings.

use std::fs;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use xtask::process::run_tool;
use xtask::tools::debian;
use xtask::tools::podman::{Podman, ensure_podman_compose, local_name};
use xtask::{target_dir, versions, workspace_root};

use super::browser::{ensure_browser_tools, screenshots_dir};
use super::compose_images::ensure_compose_images;
use super::image::build_image;
use super::{header, run_checked};

/// podman-compose's project name (containers are `{PROJECT}_{service}_1`).
const PROJECT: &str = "onair-check";

/// The three names of the generated `.env`: Chromium resolves `*.localhost` to this machine.
const ONAIR_DOMAIN: &str = "onair.localhost";
const LIVEKIT_DOMAIN: &str = "livekit.onair.localhost";
const S3_DOMAIN: &str = "s3.onair.localhost";

/// How long every service gets to pass its health check after `up`.
const HEALTHY_WITHIN: Duration = Duration::from_secs(180);

/// The services with a health check (the image's own, for onair).
const CHECKED_SERVICES: &[&str] = &[
    "caddy", "onair", "livekit", "egress", "ingress", "redis", "s3",
];

/// The host ports compose.yaml's services take (all use the host's network).
const TCP_PORTS: &[u16] = &[
    80, 443, 2019, 3000, 7880, 7881, 1935, 8085, 6379, 8333, 9333, 19333, 8080, 18080, 8888, 18888,
    9091, 9092, 9093, 7980,
];
const UDP_PORTS: &[u16] = &[443, 7882, 7885];

pub fn run(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask compose-check` takes no arguments (got `{arg}`)");
    }
    let started = Instant::now();
    debian::ensure_packages("compose check", versions::COMPOSE_DEBIAN_PACKAGES)?;
    ensure_browser_tools()?;
    let images = ensure_compose_images()?;
    let podman = Podman::ensure()?;
    let onair_image = local_name(versions::IMAGE_TAG);
    if !podman.image_exists(&onair_image)? {
        build_image(&podman)?;
    }
    let mut sizes = images.sizes;
    sizes.push((
        versions::IMAGE_TAG.to_owned(),
        podman.image_size(&onair_image)?,
    ));
    let compose = Compose::prepare(podman, ensure_podman_compose()?)?;
    // Whatever a previous run left (containers, volumes) goes first.
    compose.down(true)?;
    check_ports_free()?;
    let mut report = vec![];
    let result = (|| -> Result<()> {
        let up = compose.up_until_healthy()?;
        report.push(format!("up → healthy: {:.0} s", up.as_secs_f64()));
        let chromium_home = compose.trust_caddy_root()?;
        compose.journey(&chromium_home, "journey")?;
        compose.doctor()?;
        header("compose down, then up again (volumes kept)");
        compose.down(false)?;
        let again = compose.up_until_healthy()?;
        report.push(format!("up again → healthy: {:.0} s", again.as_secs_f64()));
        compose.journey(&chromium_home, "after-down-up")
    })();
    if result.is_err() {
        compose.print_logs();
    }
    let down = compose.down(true);
    header("compose check");
    for (name, size) in &sizes {
        println!("  {name:<36} {:>7.1} MB", *size as f64 / 1e6);
    }
    for line in &report {
        println!("  {line}");
    }
    println!("  whole check: {:.0} s", started.elapsed().as_secs_f64());
    result?;
    down
}

/// Fails, naming them, when ports compose.yaml needs are taken on this machine.
fn check_ports_free() -> Result<()> {
    let taken_tcp: Vec<u16> = TCP_PORTS
        .iter()
        .copied()
        .filter(|port| TcpListener::bind(("0.0.0.0", *port)).is_err())
        .collect();
    let taken_udp: Vec<u16> = UDP_PORTS
        .iter()
        .copied()
        .filter(|port| UdpSocket::bind(("0.0.0.0", *port)).is_err())
        .collect();
    if !taken_tcp.is_empty() || !taken_udp.is_empty() {
        bail!(
            "compose.yaml's services use the host's network, and these ports are taken here: \
             TCP {taken_tcp:?}, UDP {taken_udp:?} (`ss -ltnup` says by what); stop it and run again"
        );
    }
    Ok(())
}

/// compose.yaml in its own folder with a generated `.env`, run by podman-compose.
struct Compose {
    podman: Podman,
    /// podman-compose's venv.
    venv: PathBuf,
    dir: PathBuf,
}

impl Compose {
    /// Copies compose.yaml and its Caddyfile into `target/compose-check/` and writes the `.env`.
    fn prepare(podman: Podman, venv: PathBuf) -> Result<Self> {
        let dir = target_dir().join("compose-check");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("config/compose"))
            .with_context(|| format!("creating {}", dir.display()))?;
        fs::copy(
            workspace_root().join("compose.yaml"),
            dir.join("compose.yaml"),
        )
        .context("copying compose.yaml")?;
        fs::copy(
            workspace_root().join("config/compose/Caddyfile"),
            dir.join("config/compose/Caddyfile"),
        )
        .context("copying config/compose/Caddyfile")?;
        let env = format!(
            "# Written by `cargo xtask compose-check`.\n\
             ONAIR_DOMAIN={ONAIR_DOMAIN}\n\
             LIVEKIT_DOMAIN={LIVEKIT_DOMAIN}\n\
             S3_DOMAIN={S3_DOMAIN}\n\
             ONAIR_TLS=internal\n\
             LIVEKIT_NODE_IP=127.0.0.1\n\
             # Browsers on this very machine: LiveKit offers its loopback address too.\n\
             LIVEKIT_LOOPBACK_CANDIDATE=true\n\
             LIVEKIT_API_KEY=compose-check\n\
             LIVEKIT_API_SECRET={}\n\
             S3_ACCESS_KEY=onair\n\
             S3_SECRET_KEY={}\n\
             # A 2-core machine that runs the browsers too: the workers admit every stream\n\
             # (as the local stack's configs do).\n\
             EGRESS_ROOM_COMPOSITE_CPU_COST=0.05\n\
             EGRESS_MAX_CPU_UTILIZATION=0.95\n\
             INGRESS_RTMP_CPU_COST=-1\n\
             INGRESS_WHIP_CPU_COST=-1\n\
             INGRESS_MIN_IDLE_RATIO=0.01\n",
            random_hex(24)?,
            random_hex(24)?,
        );
        fs::write(dir.join(".env"), env).context("writing the .env")?;
        Ok(Self { podman, venv, dir })
    }

    fn compose(&self, args: &[&str]) -> Command {
        let mut command = self.podman.compose(&self.venv);
        command
            .args(["-p", PROJECT, "-f", "compose.yaml"])
            .args(args)
            .current_dir(&self.dir);
        command
    }

    /// `down`, with the volumes when `volumes` (a clean slate).
    fn down(&self, volumes: bool) -> Result<()> {
        let mut args = vec!["down"];
        if volumes {
            args.push("-v");
        }
        let mut down = self.compose(&args);
        down.stdout(Stdio::null());
        run_checked(down, "podman-compose down")
    }

    /// `up -d`, then waits until every health check passes and the bucket is made; returns how
    /// long that took.
    fn up_until_healthy(&self) -> Result<Duration> {
        header("podman-compose up -d (compose.yaml, unchanged)");
        let started = Instant::now();
        run_checked(self.compose(&["up", "-d"]), "podman-compose up -d")?;
        let mut waiting: Vec<&str> = CHECKED_SERVICES.to_vec();
        let mut bucket_made = false;
        while !waiting.is_empty() || !bucket_made {
            if started.elapsed() > HEALTHY_WITHIN {
                bail!(
                    "not healthy {} s after `up`: {waiting:?}{}",
                    HEALTHY_WITHIN.as_secs(),
                    if bucket_made {
                        ""
                    } else {
                        ", and the bucket is not made"
                    }
                );
            }
            waiting.retain(|service| !self.healthy(service));
            if !bucket_made {
                bucket_made = self.exited_cleanly("s3-bucket")?;
            }
            thread::sleep(Duration::from_millis(500));
        }
        let took = started.elapsed();
        println!(
            "every service healthy {:.0} s after `up`",
            took.as_secs_f64()
        );
        Ok(took)
    }

    fn container(service: &str) -> String {
        format!("{PROJECT}_{service}_1")
    }

    /// Whether `service`'s health check passes now (run here: podman's own timer needs systemd).
    fn healthy(&self, service: &str) -> bool {
        self.podman
            .command(["healthcheck", "run", &Self::container(service)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Whether the one-shot `service` has run and exited with 0 (fails if it exited otherwise).
    fn exited_cleanly(&self, service: &str) -> Result<bool> {
        let state = self.podman.output(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            &Self::container(service),
        ])?;
        match state.split_once(' ') {
            Some(("exited", "0")) => Ok(true),
            Some(("exited", code)) => bail!("{service} exited with {code}"),
            _ => Ok(false),
        }
    }

    /// Copies Caddy's internal root certificate out of its container into a new NSS database
    /// under a home folder for Chromium; returns that folder.
    fn trust_caddy_root(&self) -> Result<PathBuf> {
        let root = self.dir.join("caddy-root.crt");
        let from = format!(
            "{}:/data/caddy/pki/authorities/local/root.crt",
            Self::container("caddy")
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while self
            .podman
            .command(["cp", &from])
            .arg(&root)
            .stderr(Stdio::null())
            .status()
            .map_or(true, |status| !status.success())
        {
            if Instant::now() > deadline {
                bail!("Caddy made no internal root certificate within 30 s");
            }
            thread::sleep(Duration::from_millis(500));
        }
        let home = self.dir.join("chromium-home");
        let nssdb = home.join(".pki/nssdb");
        fs::create_dir_all(&nssdb).with_context(|| format!("creating {}", nssdb.display()))?;
        let db = format!("sql:{}", nssdb.display());
        let mut create = Command::new("certutil");
        create.args(["-N", "--empty-password", "-d", &db]);
        run_checked(create, "certutil -N")?;
        let mut add = Command::new("certutil");
        add.args([
            "-A",
            "-t",
            "C,,",
            "-n",
            "Caddy Local Authority",
            "-d",
            &db,
            "-i",
        ])
        .arg(&root);
        run_checked(add, "certutil -A (Caddy's root)")?;
        println!("Caddy's internal root certificate is trusted by the test browsers");
        Ok(home)
    }

    /// `onair doctor` inside the onair container, against the deployment, trusting Caddy's
    /// internal CA as an operator on a LAN would tell it to (`SSL_CERT_FILE`).
    fn doctor(&self) -> Result<()> {
        header("onair doctor (inside the onair container)");
        let onair = Self::container("onair");
        let root = self.dir.join("caddy-root.crt");
        let mut copy = self.podman.command(["cp"]);
        copy.arg(&root).arg(format!("{onair}:/tmp/caddy-root.crt"));
        run_checked(copy, "podman cp (Caddy's root into the onair container)")?;
        let mut doctor = self.podman.command([
            "exec",
            "-e",
            "SSL_CERT_FILE=/tmp/caddy-root.crt",
            &onair,
            "onair",
            "doctor",
        ]);
        doctor.stdin(Stdio::null());
        let status = run_tool(doctor).context("running `onair doctor`")?;
        if !status.success() {
            bail!("`onair doctor` found a problem in the deployment ({status})");
        }
        Ok(())
    }

    /// Runs `tests/compose/journey.test.mjs` in `phase` against `https://onair.localhost`.
    fn journey(&self, chromium_home: &Path, phase: &str) -> Result<()> {
        header(&format!("browser journey through Caddy's HTTPS ({phase})"));
        let screenshots = screenshots_dir();
        fs::create_dir_all(&screenshots).context("creating the screenshots folder")?;
        let restart = format!(
            "CONTAINERS_CONF={} podman restart --time 10 {}",
            self.podman.containers_conf().display(),
            Self::container("onair")
        );
        let mut node = Command::new("node");
        node.args([
            "--test",
            "--test-concurrency=1",
            "tests/compose/journey.test.mjs",
        ])
        .current_dir(workspace_root())
        .env("ONAIR_E2E_URL", format!("https://{ONAIR_DOMAIN}"))
        .env("ONAIR_E2E_SCREENSHOTS", &screenshots)
        .env("ONAIR_E2E_CHROMIUM", xtask::tools::chromium_path())
        .env("ONAIR_E2E_CHROMIUM_HOME", chromium_home)
        .env("ONAIR_COMPOSE_PHASE", phase)
        .env("ONAIR_COMPOSE_STATE", self.dir.join("journey-state.json"))
        .env("ONAIR_COMPOSE_RTMP_HOST", "127.0.0.1")
        .env("ONAIR_COMPOSE_RESTART_ONAIR", restart);
        let status = run_tool(node).context("starting `node --test`")?;
        if !status.success() {
            bail!("the compose journey ({phase}) failed ({status})");
        }
        Ok(())
    }

    /// The last lines of every container's log, to see why something failed.
    fn print_logs(&self) {
        for service in CHECKED_SERVICES.iter().chain(["s3-bucket"].iter()) {
            let container = Self::container(service);
            println!("\n--- last lines of {container}'s log ---");
            let _ = self
                .podman
                .command(["logs", "--tail", "40", &container])
                .status();
        }
    }
}

/// `bytes` random bytes in hex, from the kernel.
fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    use std::io::Read as _;
    fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut buffer))
        .context("reading /dev/urandom")?;
    Ok(buffer.iter().map(|byte| format!("{byte:02x}")).collect())
}
