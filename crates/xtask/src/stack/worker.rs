//! What LiveKit's workers ([`super::egress`], [`super::ingress`]) share as services: each is a
//! Go binary that re-runs itself for every job (`{name} run-handler`), so its folder goes first on
//! its `PATH`; each reads a YAML config, which xtask renders into a private run folder (and clears
//! the variables that would override it); each writes scratch files, which go to a private
//! folder; and each runs supervised, its log and pid files named after the stack and the worker.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::service::{Service, ServiceSpec};
use super::{create_private_dir, log_file, private_run_dir};
use crate::tools::path_with;

/// How to run one worker.
pub(crate) struct WorkerSpec<'a> {
    /// `egress` or `ingress`: the binary's name, and the stem of its files and variables.
    pub name: &'static str,
    /// The folder holding the binary.
    pub binary_dir: &'a Path,
    /// The rendered config.
    pub config: String,
    /// The variable that points the worker at its scratch folder.
    pub tmp_var: &'static str,
    /// Other variables it needs.
    pub env: Vec<(&'static str, OsString)>,
    /// Prefix of the log and pid files under `target/xtask/logs/`.
    pub stack_name: &'a str,
    /// Whether it is ready to take work.
    pub ready: Box<dyn Fn() -> bool + Send + Sync>,
}

/// A running, supervised worker. Stopped on `Drop`, its run folder removed.
pub(crate) struct Worker {
    service: Service,
    dir: PathBuf,
}

impl Worker {
    /// Writes the config into a fresh run folder, starts the worker and waits (30 s at most)
    /// until it is ready; a supervisor starts it again whenever it exits.
    pub fn start(spec: WorkerSpec<'_>) -> Result<Self> {
        let name = spec.name;
        let binary = spec.binary_dir.join(name);
        if !binary.is_file() {
            bail!("{name} binary not found at {}", binary.display());
        }
        let dir = private_run_dir(name)?;
        let tmp = dir.join("tmp");
        create_private_dir(&tmp)?;
        let config = dir.join(format!("{name}.yaml"));
        fs::write(&config, &spec.config).with_context(|| format!("writing the {name} config"))?;
        let path = path_with(&[spec.binary_dir])?;
        let work_dir = dir.clone();
        let (tmp_var, env) = (spec.tmp_var, spec.env);
        let overrides = ["CONFIG_FILE", "CONFIG_BODY"]
            .map(|suffix| format!("{}_{suffix}", name.to_ascii_uppercase()));
        let service = Service::start_supervised(
            ServiceSpec {
                name,
                command: Box::new(move || {
                    let mut command = Command::new(&binary);
                    command
                        .arg("--config")
                        .arg(&config)
                        .current_dir(&work_dir)
                        .env("PATH", &path)
                        .env(tmp_var, &tmp)
                        .envs(env.iter().map(|(name, value)| (name, value)));
                    for variable in &overrides {
                        command.env_remove(variable);
                    }
                    command
                }),
                log_file: log_file(&format!("{}-{name}.log", spec.stack_name))?,
                ready: spec.ready,
                ready_timeout: Duration::from_secs(30),
            },
            log_file(&format!("{}-{name}.pid", spec.stack_name))?,
        )?;
        Ok(Self { service, dir })
    }

    /// The file holding the worker's current process id.
    pub fn pid_file(&self) -> &Path {
        self.service
            .pid_file()
            .expect("a worker always runs supervised")
    }

    /// The file holding the worker's output.
    pub fn log_file(&self) -> &Path {
        self.service.log_file()
    }

    /// Stops the supervisor and the worker. Idempotent.
    pub fn stop(&mut self) {
        self.service.stop();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
