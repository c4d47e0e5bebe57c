//! SeaweedFS as the local S3-compatible store: one `weed server` (master, volume, filer and S3
//! gateway) on free loopback ports, data in a private temporary folder, one access key, and the
//! recordings bucket created before it is handed out.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::service::{Service, ServiceSpec};
use super::{log_file, private_run_dir};
use crate::net::{free_tcp_port, http_get_status, http_get_status_within};

/// The bucket recordings go to.
pub const BUCKET: &str = "onair-recordings";
/// The local store's access key.
pub const ACCESS_KEY: &str = "onair-dev-access-key";
/// The local store's secret key.
pub const SECRET_KEY: &str = "onair-dev-secret-key-at-least-32-chars";
/// The region the S3 clients sign for (SeaweedFS accepts any).
pub const REGION: &str = "us-east-1";

/// The ports of one `weed server`: each service has an HTTP port and a gRPC port (SeaweedFS
/// would otherwise take HTTP + 10000, which may be taken or out of range).
struct Ports {
    master: u16,
    master_grpc: u16,
    volume: u16,
    volume_grpc: u16,
    filer: u16,
    filer_grpc: u16,
    s3: u16,
    s3_grpc: u16,
}

impl Ports {
    fn free() -> Result<Self> {
        let mut ports = Vec::new();
        while ports.len() < 8 {
            let port = free_tcp_port()?;
            if !ports.contains(&port) {
                ports.push(port);
            }
        }
        Ok(Self {
            master: ports[0],
            master_grpc: ports[1],
            volume: ports[2],
            volume_grpc: ports[3],
            filer: ports[4],
            filer_grpc: ports[5],
            s3: ports[6],
            s3_grpc: ports[7],
        })
    }
}

/// A running SeaweedFS with the recordings bucket. Stopped on `Drop`.
pub struct SeaweedFs {
    service: Service,
    s3_port: u16,
    dir: PathBuf,
}

impl SeaweedFs {
    /// Starts `weed server` with an S3 gateway, waits until the gateway answers, then creates
    /// [`BUCKET`]. `name` prefixes its log.
    pub fn start(weed: &Path, name: &str) -> Result<Self> {
        let dir = private_run_dir("seaweedfs")?;
        let data = dir.join("data");
        fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
        let identities = dir.join("s3-identities.json");
        fs::write(&identities, identities_json()).context("writing the S3 identities")?;
        let ports = Ports::free()?;
        let s3_port = ports.s3;
        let log_file = log_file(&format!("{name}-seaweedfs.log"))?;
        let weed_binary = weed.to_owned();
        let args = vec![
            "server".to_owned(),
            format!("-dir={}", data.display()),
            "-ip=127.0.0.1".to_owned(),
            "-ip.bind=127.0.0.1".to_owned(),
            format!("-master.port={}", ports.master),
            format!("-master.port.grpc={}", ports.master_grpc),
            // Small volumes: the default reserves 30 GB of address space per volume.
            "-master.volumeSizeLimitMB=256".to_owned(),
            format!("-volume.port={}", ports.volume),
            format!("-volume.port.grpc={}", ports.volume_grpc),
            "-volume.max=16".to_owned(),
            "-filer".to_owned(),
            format!("-filer.port={}", ports.filer),
            format!("-filer.port.grpc={}", ports.filer_grpc),
            "-s3".to_owned(),
            format!("-s3.port={}", ports.s3),
            format!("-s3.port.grpc={}", ports.s3_grpc),
            // Off: the Iceberg and Lance catalogs would take fixed ports (8181, 9101).
            "-s3.port.iceberg=0".to_owned(),
            "-s3.port.lance=0".to_owned(),
            format!("-s3.config={}", identities.display()),
        ];
        let work_dir = dir.clone();
        let service = Service::start(ServiceSpec {
            name: "seaweedfs",
            command: Box::new(move || {
                let mut command = Command::new(&weed_binary);
                command.args(&args).current_dir(&work_dir);
                command
            }),
            log_file,
            // Any HTTP answer from the S3 gateway (it answers 403 to an unsigned request).
            ready: Box::new(move || http_get_status(s3_port, "/").is_some()),
            ready_timeout: Duration::from_secs(60),
        })?;
        let store = Self {
            service,
            s3_port,
            dir,
        };
        // SeaweedFS's "host:port.grpcPort" form: the gRPC ports are not the default port + 10000.
        store.create_bucket(
            weed,
            &format!("127.0.0.1:{}.{}", ports.master, ports.master_grpc),
            &format!("127.0.0.1:{}.{}", ports.filer, ports.filer_grpc),
        )?;
        store.grow_bucket_volumes(ports.master)?;
        Ok(store)
    }

    /// `http://127.0.0.1:{port}`: the S3 endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// The settings `onair` records with into this store.
    pub fn onair_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("S3_BUCKET_NAME", BUCKET.to_owned()),
            ("S3_ENDPOINT", self.endpoint()),
            ("S3_FORCE_PATH_STYLE", "true".to_owned()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ]
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.service.pid()
    }

    /// Stops it. Idempotent.
    pub fn stop(&mut self) {
        self.service.stop();
    }

    /// Allocates the bucket's first volumes now: SeaweedFS otherwise does it on the first write,
    /// which then takes seconds (longer than `onair`'s bound on a store call). Retried while the
    /// volume server is not yet known to the master (it answers 406 then).
    fn grow_bucket_volumes(&self, master_port: u16) -> Result<()> {
        let path = format!("/vol/grow?collection={BUCKET}&count=1");
        let start = Instant::now();
        loop {
            let answer = http_get_status_within(master_port, &path, Duration::from_secs(30));
            if answer == Some(200) {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(30) {
                bail!("SeaweedFS's master did not grow the bucket's volumes: {answer:?}");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Creates the bucket with `weed shell` (`s3.bucket.create`), retrying while the master
    /// elects itself and the filer connects.
    fn create_bucket(&self, weed: &Path, master: &str, filer: &str) -> Result<()> {
        let start = Instant::now();
        loop {
            let output = Command::new(weed)
                .arg("shell")
                .arg(format!("-master={master}"))
                .arg(format!("-filer={filer}"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .and_then(|mut child| {
                    use std::io::Write as _;
                    if let Some(mut stdin) = child.stdin.take() {
                        writeln!(stdin, "s3.bucket.create -name {BUCKET}")?;
                        writeln!(stdin, "s3.bucket.list")?;
                        writeln!(stdin, "exit")?;
                    }
                    child.wait_with_output()
                })
                .context("running `weed shell`")?;
            let said = String::from_utf8_lossy(&output.stdout);
            if said
                .lines()
                .any(|line| line.trim_start().starts_with(BUCKET))
            {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(30) {
                bail!(
                    "`weed shell` did not create the bucket {BUCKET}:\n{said}\n{}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for SeaweedFs {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The S3 gateway's one identity: the local access key, allowed everything.
fn identities_json() -> String {
    serde_json::json!({
        "identities": [{
            "name": "onair",
            "credentials": [{ "accessKey": ACCESS_KEY, "secretKey": SECRET_KEY }],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }]
    })
    .to_string()
}
