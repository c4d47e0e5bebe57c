//! Redis on a free loopback port, in memory only: LiveKit's multi-node state and the message bus
//! between livekit-server and its egress worker (Debian's `redis-server`).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use super::service::{Service, ServiceSpec};
use super::{log_file, private_run_dir};

/// A running `redis-server`. Stopped on `Drop`.
pub struct Redis {
    service: Service,
    port: u16,
    dir: PathBuf,
    name: String,
}

impl Redis {
    /// Starts `redis-server` on a free port of 127.0.0.1 without persistence, and waits until it
    /// answers `PING`. `name` prefixes its log file.
    pub fn start(name: &str) -> Result<Self> {
        let dir = private_run_dir("redis")?;
        let port = crate::net::free_tcp_port()?;
        let service = Self::serve(name, port, &dir)?;
        Ok(Self {
            service,
            port,
            dir,
            name: name.to_owned(),
        })
    }

    fn serve(name: &str, port: u16, dir: &Path) -> Result<Service> {
        let data_dir = dir.to_owned();
        Service::start(ServiceSpec {
            name: "redis-server",
            command: Box::new(move || {
                let mut command = Command::new("redis-server");
                command
                    .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
                    .args([
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--protected-mode",
                        "yes",
                    ])
                    .arg("--dir")
                    .arg(&data_dir)
                    .current_dir(&data_dir);
                command
            }),
            log_file: log_file(&format!("{name}-redis.log"))?,
            ready: Box::new(move || answers_ping(port)),
            ready_timeout: Duration::from_secs(10),
        })
    }

    /// Kills it and starts it again, empty, on the same port: what a Redis restart without
    /// persistence does to LiveKit (which keeps rooms and egress states there).
    pub fn restart_empty(&mut self) -> Result<()> {
        if let Some(pid) = self.service.pid() {
            crate::process::kill_tree(pid);
        }
        self.service.stop();
        self.service = Self::serve(&self.name, self.port, &self.dir)?;
        Ok(())
    }

    /// `127.0.0.1:{port}`, as LiveKit and egress configs want it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.service.pid()
    }

    /// Stops it. Idempotent.
    pub fn stop(&mut self) {
        self.service.stop();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether Redis at `127.0.0.1:{port}` answers `PING` with `+PONG`.
fn answers_ping(port: u16) -> bool {
    let timeout = Duration::from_secs(1);
    let Ok(mut stream) =
        TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)), timeout)
    else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}
