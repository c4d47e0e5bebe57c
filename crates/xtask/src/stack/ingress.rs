//! The LiveKit ingress worker (built by [`crate::tools::ingress`]): what OBS, or ffmpeg, streams
//! to over RTMP or WHIP, and what publishes that stream into a room. Supervised like egress (see
//! `stack/worker.rs`): a supervisor starts it again on the same ports if it exits, and a test
//! may kill it.
//!
//! Its ports are chosen before LiveKit starts ([`IngressPorts::free`]), because livekit-server
//! hands out the RTMP and WHIP URLs with every ingress it creates (its `ingress:` block, see
//! [`IngressPorts::livekit_urls`]). Its config is `config/ingress.yaml` rendered with the LiveKit
//! server's keys, Redis and those ports. ingress has no bind setting: its RTMP, WHIP, WHIP media
//! and health ports listen on every interface, so they are picked free on every interface.
//!
//! ingress re-runs itself as `ingress run-handler` for every stream: its folder goes first on
//! `PATH`, and `TMPDIR` keeps the handlers' scratch files in a private folder.

use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::path::Path;

use anyhow::Result;

use super::render_template;
use super::worker::{Worker, WorkerSpec};
use crate::net::http_get_ok;

/// The ports an ingress worker listens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IngressPorts {
    /// RTMP in (TCP, every interface): `rtmp://127.0.0.1:{rtmp}/live/{stream key}`.
    pub rtmp: u16,
    /// WHIP in (HTTP, every interface): `http://127.0.0.1:{whip}/w/{stream key}`.
    pub whip: u16,
    /// WHIP media (UDP, every interface).
    pub whip_udp: u16,
    /// Between the service and its handlers (HTTP, loopback).
    pub relay: u16,
    /// Health (HTTP, every interface): `GET /` answers 200.
    pub health: u16,
}

/// The URLs livekit-server hands out with each ingress (its `ingress:` config block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressUrls {
    /// `rtmp://127.0.0.1:{port}/live`: the encoder's server URL; the stream key follows.
    pub rtmp_base_url: String,
    /// `http://127.0.0.1:{port}/w`: the WHIP endpoint; the stream key follows (or OBS sends it
    /// as a bearer token).
    pub whip_base_url: String,
}

impl IngressPorts {
    /// Five distinct ports free right now, on every interface since ingress binds them so (all
    /// held at once while picking, then released for ingress to bind).
    pub fn free() -> std::io::Result<Self> {
        let any = Ipv4Addr::UNSPECIFIED;
        let tcp: Vec<TcpListener> = (0..4)
            .map(|_| TcpListener::bind((any, 0)))
            .collect::<std::io::Result<_>>()?;
        let udp = UdpSocket::bind((any, 0))?;
        let port = |i: usize| tcp[i].local_addr().map(|addr| addr.port());
        Ok(Self {
            rtmp: port(0)?,
            whip: port(1)?,
            relay: port(2)?,
            health: port(3)?,
            whip_udp: udp.local_addr()?.port(),
        })
    }

    /// What livekit-server tells encoders to connect to.
    pub fn livekit_urls(&self) -> IngressUrls {
        IngressUrls {
            rtmp_base_url: format!("rtmp://127.0.0.1:{}/live", self.rtmp),
            whip_base_url: format!("http://127.0.0.1:{}/w", self.whip),
        }
    }
}

/// Where ingress finds LiveKit and Redis, and the ports it takes.
pub struct IngressOptions<'a> {
    /// The folder holding the `ingress` binary.
    pub ingress_dir: &'a Path,
    /// `ws://…` of the LiveKit server.
    pub livekit_url: &'a str,
    pub api_key: &'a str,
    pub api_secret: &'a str,
    /// `host:port` of the Redis that LiveKit uses.
    pub redis_address: &'a str,
    pub ports: IngressPorts,
    /// Prefix of the log and pid files under `target/xtask/`.
    pub name: &'a str,
}

/// A running, supervised ingress worker. Stopped on `Drop`.
pub struct Ingress {
    worker: Worker,
}

impl Ingress {
    /// Renders the config, starts the worker and waits until its RTMP and WHIP servers are up
    /// (the WHIP port answers `/health` once RTMP listens, and the health port answers).
    pub fn start(options: &IngressOptions<'_>) -> Result<Self> {
        let ports = options.ports;
        let worker = Worker::start(WorkerSpec {
            name: "ingress",
            binary_dir: options.ingress_dir,
            config: render_config(options)?,
            // The handlers keep each stream's files in the temporary directory.
            tmp_var: "TMPDIR",
            env: Vec::new(),
            stack_name: options.name,
            ready: Box::new(move || {
                http_get_ok(ports.whip, "/health") && http_get_ok(ports.health, "/")
            }),
        })?;
        Ok(Self { worker })
    }

    /// The file holding the worker's current process id (it leads its process group, which
    /// holds the streams' handlers too).
    pub fn pid_file(&self) -> &Path {
        self.worker.pid_file()
    }

    /// The file holding the worker's output (its handlers' too).
    pub fn log_file(&self) -> &Path {
        self.worker.log_file()
    }

    /// Stops the supervisor and the worker. Idempotent.
    pub fn stop(&mut self) {
        self.worker.stop();
    }
}

/// Fills the placeholders of `config/ingress.yaml`.
fn render_config(options: &IngressOptions<'_>) -> Result<String> {
    let ports = options.ports;
    render_template(
        "config/ingress.yaml",
        &[
            ("{api_key}", options.api_key.to_owned()),
            ("{api_secret}", options.api_secret.to_owned()),
            ("{ws_url}", options.livekit_url.to_owned()),
            ("{redis_address}", options.redis_address.to_owned()),
            ("{rtmp_port}", ports.rtmp.to_string()),
            ("{whip_port}", ports.whip.to_string()),
            ("{http_relay_port}", ports.relay.to_string()),
            ("{health_port}", ports.health.to_string()),
            ("{rtc_udp_port}", ports.whip_udp.to_string()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORTS: IngressPorts = IngressPorts {
        rtmp: 2001,
        whip: 2002,
        whip_udp: 2003,
        relay: 2004,
        health: 2005,
    };

    #[test]
    fn renders_the_ports_keys_and_redis_into_the_config() {
        let config = render_config(&IngressOptions {
            ingress_dir: Path::new("/nowhere"),
            livekit_url: "ws://127.0.0.1:7880",
            api_key: "devkey",
            api_secret: "secret-of-the-test",
            redis_address: "127.0.0.1:6390",
            ports: PORTS,
            name: "unit",
        })
        .unwrap();
        for line in [
            "api_key: devkey\n",
            "api_secret: secret-of-the-test\n",
            "ws_url: ws://127.0.0.1:7880\n",
            "  address: 127.0.0.1:6390\n",
            "rtmp_port: 2001\n",
            "whip_port: 2002\n",
            "  udp_port: 2003\n",
            "http_relay_port: 2004\n",
            "health_port: 2005\n",
        ] {
            assert!(config.contains(line), "no {line:?} in\n{config}");
        }
        assert!(
            !config.contains(": {"),
            "a placeholder is left in\n{config}"
        );
    }

    #[test]
    fn livekit_hands_out_urls_on_the_same_ports() {
        let urls = PORTS.livekit_urls();
        assert_eq!(urls.rtmp_base_url, "rtmp://127.0.0.1:2001/live");
        assert_eq!(urls.whip_base_url, "http://127.0.0.1:2002/w");
    }

    #[test]
    fn free_ports_are_distinct() {
        let ports = IngressPorts::free().unwrap();
        let tcp = [ports.rtmp, ports.whip, ports.relay, ports.health];
        for (i, a) in tcp.iter().enumerate() {
            assert!(tcp[i + 1..].iter().all(|b| a != b), "{ports:?}");
        }
    }
}
