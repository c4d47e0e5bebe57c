//! The LiveKit workers around one LiveKit server, what `--with-workers` starts: the recording
//! stack ([`super::recording`]: Redis, PulseAudio, SeaweedFS, egress) and the ingress worker
//! ([`super::ingress`]: RTMP and WHIP in, for OBS). Both workers reach livekit-server over its
//! Redis.
//!
//! Start order matters: [`WorkerStack::start`] brings up Redis, PulseAudio and SeaweedFS and
//! picks the ingress ports; the caller starts LiveKit with [`WorkerStack::livekit_options`]
//! (Redis, and the `ingress:` block with the URLs it hands out); then
//! [`WorkerStack::start_workers`] connects egress and ingress to it. Stopped on `Drop`, the
//! workers first.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::LiveKitOptions;
use super::ingress::{Ingress, IngressOptions, IngressPorts};
use super::recording::{RecordingStack, RecordingTools};

/// What the workers are built from (see [`crate::tools::ensure_worker_tools`]).
#[derive(Clone, Debug)]
pub struct WorkerTools {
    /// egress and SeaweedFS.
    pub recording: RecordingTools,
    /// The folder holding the `ingress` binary.
    pub ingress_dir: PathBuf,
}

/// A running workers' stack. Stopped on `Drop`, the workers first.
pub struct WorkerStack {
    // Declared (so dropped) first: the ingress leaves before Redis goes.
    ingress: Option<Ingress>,
    recording: RecordingStack,
    ingress_ports: IngressPorts,
    ingress_dir: PathBuf,
    name: String,
}

impl WorkerStack {
    /// Starts Redis, PulseAudio and SeaweedFS and picks the ingress ports; `name` prefixes the
    /// logs under `target/xtask/logs/`.
    pub fn start(tools: &WorkerTools, name: &str) -> Result<Self> {
        let recording = RecordingStack::start(&tools.recording, name)?;
        let ingress_ports = IngressPorts::free().context("picking free ports for ingress")?;
        Ok(Self {
            ingress: None,
            recording,
            ingress_ports,
            ingress_dir: tools.ingress_dir.clone(),
            name: name.to_owned(),
        })
    }

    /// `options` for a LiveKit server the workers can serve: on this stack's Redis, handing out
    /// this stack's ingress URLs.
    pub fn livekit_options(&self, mut options: LiveKitOptions) -> LiveKitOptions {
        options.redis_address = Some(self.recording.redis_address());
        options.ingress = Some(self.ingress_ports.livekit_urls());
        options
    }

    /// `host:port` of Redis: LiveKit's `redis.address`.
    pub fn redis_address(&self) -> String {
        self.recording.redis_address()
    }

    /// Starts egress, then ingress, against the LiveKit server at `livekit_url`, which must have
    /// been started with [`livekit_options`](Self::livekit_options).
    pub fn start_workers(
        &mut self,
        livekit_url: &str,
        api_key: &str,
        api_secret: &str,
    ) -> Result<()> {
        self.recording
            .start_egress(livekit_url, api_key, api_secret)?;
        let ingress = Ingress::start(&IngressOptions {
            ingress_dir: &self.ingress_dir,
            livekit_url,
            api_key,
            api_secret,
            redis_address: &self.recording.redis_address(),
            ports: self.ingress_ports,
            name: &self.name,
        })
        .context("starting the ingress worker")?;
        self.ingress = Some(ingress);
        Ok(())
    }

    /// The recording stack (egress, Redis, SeaweedFS).
    pub fn recording(&self) -> &RecordingStack {
        &self.recording
    }

    /// The S3 settings `onair` records with. (Ingress needs none: onair asks livekit-server,
    /// which answers with the URL and stream key.)
    pub fn onair_env(&self) -> Vec<(&'static str, String)> {
        self.recording.onair_env()
    }

    /// The ingress ports (chosen at start, kept across restarts of the worker).
    pub fn ingress_ports(&self) -> IngressPorts {
        self.ingress_ports
    }

    /// What a test needs to reach the ingress, unprefixed (`cargo xtask test` exports them as
    /// `ONAIR_TEST_…`, the browser suite as `ONAIR_E2E_…`): the RTMP and WHIP base URLs and
    /// ports, and once started the file holding the worker's pid (a test may kill it).
    pub fn ingress_env(&self) -> Vec<(&'static str, String)> {
        ingress_env(self.ingress_ports, self.ingress_pid_file())
    }

    /// The file holding the egress worker's process id, once started.
    pub fn egress_pid_file(&self) -> Option<&Path> {
        self.recording.egress_pid_file()
    }

    /// The file holding the ingress worker's process id, once started.
    pub fn ingress_pid_file(&self) -> Option<&Path> {
        self.ingress.as_ref().map(Ingress::pid_file)
    }

    /// A few lines for the console: the recording stack, then where encoders stream to.
    pub fn describe(&self) -> String {
        let urls = self.ingress_ports.livekit_urls();
        let ingress = self.ingress.as_ref().map_or_else(
            || "not started".to_owned(),
            |ingress| format!("supervised, log {}", ingress.log_file().display()),
        );
        format!(
            "{}\ningress {ingress}\n  RTMP (OBS: Custom, server) {}\n  WHIP {}\n  \
             (ingress listens on every interface, not only loopback: RTMP {}, WHIP {} and its \
             media UDP {}, health {})",
            self.recording.describe(),
            urls.rtmp_base_url,
            urls.whip_base_url,
            self.ingress_ports.rtmp,
            self.ingress_ports.whip,
            self.ingress_ports.whip_udp,
            self.ingress_ports.health,
        )
    }

    /// Stops everything, the workers first. Idempotent.
    pub fn stop(&mut self) {
        if let Some(mut ingress) = self.ingress.take() {
            ingress.stop();
        }
        self.recording.stop();
    }
}

impl Drop for WorkerStack {
    fn drop(&mut self) {
        self.stop();
    }
}

/// See [`WorkerStack::ingress_env`].
fn ingress_env(ports: IngressPorts, pid_file: Option<&Path>) -> Vec<(&'static str, String)> {
    let urls = ports.livekit_urls();
    let mut env = vec![
        ("INGRESS_RTMP_URL", urls.rtmp_base_url),
        ("INGRESS_RTMP_PORT", ports.rtmp.to_string()),
        ("INGRESS_WHIP_URL", urls.whip_base_url),
        ("INGRESS_WHIP_PORT", ports.whip.to_string()),
    ];
    if let Some(pid_file) = pid_file {
        env.push(("INGRESS_PID_FILE", pid_file.display().to_string()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suites_learn_the_ingress_urls_ports_and_pid_file() {
        let ports = IngressPorts {
            rtmp: 2001,
            whip: 2002,
            whip_udp: 2003,
            relay: 2004,
            health: 2005,
        };
        let env = ingress_env(ports, Some(Path::new("/tmp/test-ingress.pid")));
        let expected = [
            ("INGRESS_RTMP_URL", "rtmp://127.0.0.1:2001/live"),
            ("INGRESS_RTMP_PORT", "2001"),
            ("INGRESS_WHIP_URL", "http://127.0.0.1:2002/w"),
            ("INGRESS_WHIP_PORT", "2002"),
            ("INGRESS_PID_FILE", "/tmp/test-ingress.pid"),
        ];
        let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (*n, v.as_str())).collect();
        assert_eq!(env, expected);
    }
}
