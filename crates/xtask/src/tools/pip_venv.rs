//! Python tools from PyPI, each in a venv of its own under the tools dir, every package at the
//! exact version its requirements file names (`pip install --no-deps`, so nothing is resolved
//! at install time): Schemathesis, podman-compose. Skipped when present; built in a staging
//! folder, then renamed into place.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use super::release_source::hex;
use super::tools_dir;
use crate::process::run_tool;

/// A venv holding `name` `version` and the rest of `requirements`.
pub(crate) struct PipVenv {
    pub name: &'static str,
    pub version: &'static str,
    /// The lock file: every package at an exact version.
    pub requirements: PathBuf,
}

impl PipVenv {
    /// Returns the venv's folder, installing it when missing (a few seconds per wheel from
    /// PyPI). Needs `python3` (3.10 or newer) with its `venv` module. The folder is
    /// `{tools}/{name}-{version}-{digest of the requirements}`: a changed list is a new venv.
    pub fn ensure(&self) -> Result<PathBuf> {
        let Self {
            name,
            version,
            requirements,
        } = self;
        let locked = fs::read(requirements)
            .with_context(|| format!("reading {}", requirements.display()))?;
        let digest = hex(&Sha256::digest(&locked));
        let venv = tools_dir()?.join(format!("{name}-{version}-{}", &digest[..10]));
        if venv.join("bin/python").exists() {
            println!("{name} {version}: present");
            return Ok(venv);
        }
        let started = Instant::now();
        println!(
            "{name} {version}: installing with pip into {}…",
            venv.display()
        );
        let tools = tools_dir()?;
        fs::create_dir_all(&tools).with_context(|| format!("creating {}", tools.display()))?;
        let staging = tools.join(format!(".install-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&staging);
        let result = (|| -> Result<()> {
            create_venv(name, &staging)?;
            let mut pip = Command::new(staging.join("bin/python"));
            pip.args([
                "-I",
                "-m",
                "pip",
                "install",
                "--no-input",
                "--disable-pip-version-check",
                "--no-deps",
                "--requirement",
            ])
            .arg(requirements);
            let status = run_tool(pip).context("running pip")?;
            if !status.success() {
                bail!(
                    "`pip install --no-deps --requirement {}` failed ({status})",
                    requirements.display()
                );
            }
            // Same filesystem (both in the tools dir), so the rename is atomic.
            fs::rename(&staging, &venv)
                .with_context(|| format!("moving {} to {}", staging.display(), venv.display()))
        })();
        if result.is_err() {
            let _ = fs::remove_dir_all(&staging);
        }
        result?;
        println!(
            "{name} {version}: installed in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        Ok(venv)
    }
}

/// `python3 -m venv {dir}`, with a message that says what to install when it cannot.
fn create_venv(name: &str, dir: &Path) -> Result<()> {
    let mut venv = Command::new("python3");
    venv.args(["-m", "venv"]).arg(dir);
    match run_tool(venv) {
        Err(e) if e.kind() == ErrorKind::NotFound => bail!(
            "`python3` is not on PATH: {name} needs Python 3.10 or newer with its venv module \
             (Debian: `apt-get install python3 python3-venv`)"
        ),
        Err(e) => Err(e).context("running `python3 -m venv`"),
        Ok(status) if !status.success() => bail!(
            "`python3 -m venv {}` failed ({status}); on Debian the venv module is the \
             `python3-venv` package",
            dir.display()
        ),
        Ok(_) => Ok(()),
    }
}
