//! The recording stack around one LiveKit server: Redis (which LiveKit must use, in its
//! multi-node mode, to reach egress), PulseAudio, SeaweedFS with the recordings bucket, and the
//! supervised egress worker. Start order matters: [`RecordingStack::start`] brings up Redis,
//! PulseAudio and SeaweedFS; the caller starts LiveKit on [`RecordingStack::redis_address`];
//! then [`RecordingStack::start_egress`] connects the worker to both.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::egress::{Egress, EgressOptions};
use super::pulseaudio::PulseAudio;
use super::redis::Redis;
use super::seaweedfs::SeaweedFs;

/// What the recording stack is built from (see [`crate::tools::ensure_worker_tools`]).
#[derive(Clone, Debug)]
pub struct RecordingTools {
    /// The folder holding the `egress` binary.
    pub egress_dir: PathBuf,
    /// The `weed` binary.
    pub weed: PathBuf,
}

/// A running recording stack. Stopped on `Drop`, egress first.
pub struct RecordingStack {
    egress: Option<Egress>,
    store: SeaweedFs,
    pulse: PulseAudio,
    redis: Redis,
    tools: RecordingTools,
    name: String,
}

impl RecordingStack {
    /// Starts Redis, PulseAudio and SeaweedFS; `name` prefixes their logs under
    /// `target/xtask/logs/`.
    pub fn start(tools: &RecordingTools, name: &str) -> Result<Self> {
        let redis = Redis::start(name).context("starting Redis")?;
        let pulse = PulseAudio::start(name).context("starting PulseAudio")?;
        let store = SeaweedFs::start(&tools.weed, name).context("starting SeaweedFS")?;
        Ok(Self {
            egress: None,
            store,
            pulse,
            redis,
            tools: tools.clone(),
            name: name.to_owned(),
        })
    }

    /// `host:port` of Redis: LiveKit's `redis.address`.
    pub fn redis_address(&self) -> String {
        self.redis.address()
    }

    /// Kills Redis and starts it again, empty, on the same address (a fault test's crash).
    pub fn restart_redis_empty(&mut self) -> Result<()> {
        self.redis.restart_empty()
    }

    /// Starts the egress worker against the LiveKit server at `livekit_url`, which must use
    /// this stack's Redis.
    pub fn start_egress(
        &mut self,
        livekit_url: &str,
        api_key: &str,
        api_secret: &str,
    ) -> Result<()> {
        let egress = Egress::start(&EgressOptions {
            egress_dir: &self.tools.egress_dir,
            livekit_url,
            api_key,
            api_secret,
            redis_address: &self.redis.address(),
            pulse_server: &self.pulse.server(),
            name: &self.name,
        })
        .context("starting the egress worker")?;
        self.egress = Some(egress);
        Ok(())
    }

    /// The S3 settings `onair` records with.
    pub fn onair_env(&self) -> Vec<(&'static str, String)> {
        self.store.onair_env()
    }

    /// The S3 endpoint, `http://127.0.0.1:{port}`.
    pub fn s3_endpoint(&self) -> String {
        self.store.endpoint()
    }

    /// The file holding the egress worker's process id, once started.
    pub fn egress_pid_file(&self) -> Option<&Path> {
        self.egress.as_ref().map(Egress::pid_file)
    }

    /// One line per service, for the console.
    pub fn describe(&self) -> String {
        let egress = self.egress.as_ref().map_or_else(
            || "not started".to_owned(),
            |egress| format!("supervised, log {}", egress.log_file().display()),
        );
        format!(
            "redis at {}, S3 (SeaweedFS) at {} bucket {}, egress {egress}",
            self.redis.address(),
            self.store.endpoint(),
            super::seaweedfs::BUCKET
        )
    }

    /// Stops everything, egress first. Idempotent.
    pub fn stop(&mut self) {
        if let Some(mut egress) = self.egress.take() {
            egress.stop();
        }
        self.store.stop();
        self.pulse.stop();
        self.redis.stop();
    }
}

impl Drop for RecordingStack {
    fn drop(&mut self) {
        self.stop();
    }
}
