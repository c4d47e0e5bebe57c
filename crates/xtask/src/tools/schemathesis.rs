//! Schemathesis (from PyPI), the property-based API tester that `cargo xtask schemathesis` runs
//! against OnAir's OpenAPI document: installed with `python3 -m venv` and pip into a venv of its
//! own under the tools dir, every package at the exact version that
//! `config/schemathesis/requirements.txt` names (`pip install --no-deps`, so nothing is resolved
//! at install time). Skipped when present; built in a staging folder, then renamed into place.

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
use crate::versions::SCHEMATHESIS;

/// The lock file of the venv: Schemathesis and its dependencies at exact versions.
pub fn requirements_path() -> PathBuf {
    crate::workspace_root().join("config/schemathesis/requirements.txt")
}

/// An installed Schemathesis.
#[derive(Clone, Debug)]
pub struct Schemathesis {
    venv: PathBuf,
}

impl Schemathesis {
    /// `st` as a command: the venv's Python running `schemathesis.cli` (the venv was renamed
    /// after pip wrote it, so its `bin/st` script names the staging folder and cannot be used).
    pub fn command(&self) -> Command {
        let mut command = Command::new(self.venv.join("bin/python"));
        // -I: ignore PYTHONPATH, PYTHONHOME and the user's site-packages; only the venv counts.
        command.args(["-I", "-m", "schemathesis.cli"]);
        command
    }
}

/// `{tools}/schemathesis-{version}-{digest of the requirements}`: a changed list is a new venv.
fn venv_dir(requirements: &[u8]) -> Result<PathBuf> {
    let digest = hex(&Sha256::digest(requirements));
    Ok(tools_dir()?.join(format!("schemathesis-{SCHEMATHESIS}-{}", &digest[..10])))
}

/// Returns the pinned Schemathesis, installing it when missing (about 15 s: a venv and some
/// thirty wheels from PyPI). Needs `python3` (3.10 or newer) with its `venv` module.
pub fn ensure_schemathesis() -> Result<Schemathesis> {
    let requirements_file = requirements_path();
    let requirements = fs::read(&requirements_file)
        .with_context(|| format!("reading {}", requirements_file.display()))?;
    check_pin(&String::from_utf8_lossy(&requirements))?;
    let venv = venv_dir(&requirements)?;
    let installed = Schemathesis { venv: venv.clone() };
    if venv.join("bin/python").exists() {
        println!("schemathesis {SCHEMATHESIS}: present");
        return Ok(installed);
    }
    let started = Instant::now();
    println!(
        "schemathesis {SCHEMATHESIS}: installing with pip into {} (about 15 s)…",
        venv.display()
    );
    let tools = tools_dir()?;
    fs::create_dir_all(&tools).with_context(|| format!("creating {}", tools.display()))?;
    let staging = tools.join(format!(".install-schemathesis-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let result = (|| -> Result<()> {
        create_venv(&staging)?;
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
        .arg(&requirements_file);
        let status = run_tool(pip).context("running pip")?;
        if !status.success() {
            bail!(
                "`pip install --no-deps --requirement {}` failed ({status})",
                requirements_file.display()
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
        "schemathesis {SCHEMATHESIS}: installed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(installed)
}

/// `python3 -m venv {dir}`, with a message that says what to install when it cannot.
fn create_venv(dir: &Path) -> Result<()> {
    let mut venv = Command::new("python3");
    venv.args(["-m", "venv"]).arg(dir);
    match run_tool(venv) {
        Err(e) if e.kind() == ErrorKind::NotFound => bail!(
            "`python3` is not on PATH: Schemathesis needs Python 3.10 or newer with its venv \
             module (Debian: `apt-get install python3 python3-venv`)"
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

/// Fails unless the requirements name exactly the pinned Schemathesis.
fn check_pin(requirements: &str) -> Result<()> {
    let pinned = requirements.lines().find_map(|line| {
        let (name, version) = line.split_once("==")?;
        name.trim()
            .eq_ignore_ascii_case("schemathesis")
            .then(|| version.trim().to_owned())
    });
    match pinned {
        Some(version) if version == SCHEMATHESIS => Ok(()),
        Some(version) => bail!(
            "{} has schemathesis=={version} but xtask pins {SCHEMATHESIS}: change both together",
            requirements_path().display()
        ),
        None => bail!(
            "{} does not name schemathesis=={SCHEMATHESIS}",
            requirements_path().display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_requirements_pin_the_same_schemathesis() {
        let requirements = fs::read_to_string(requirements_path()).unwrap();
        check_pin(&requirements).unwrap();
        for line in requirements.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            assert!(
                line.contains("=="),
                "every package at an exact version: {line}"
            );
        }
    }

    #[test]
    fn another_version_in_the_requirements_is_refused() {
        assert!(check_pin("schemathesis==1.0.0\n").is_err());
        assert!(check_pin("hypothesis==6.0.0\n").is_err());
    }
}
