//! Schemathesis (from PyPI), the property-based API tester that `cargo xtask schemathesis` runs
//! against OnAir's OpenAPI document: installed with `python3 -m venv` and pip into a venv of its
//! own under the tools dir, every package at the exact version that
//! `config/schemathesis/requirements.txt` names (`pip install --no-deps`, so nothing is resolved
//! at install time). Skipped when present; built in a staging folder, then renamed into place.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::pip_venv::PipVenv;
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

/// Returns the pinned Schemathesis, installing it when missing (about 15 s: a venv and some
/// thirty wheels from PyPI). Needs `python3` (3.10 or newer) with its `venv` module.
pub fn ensure_schemathesis() -> Result<Schemathesis> {
    let requirements_file = requirements_path();
    let requirements = fs::read_to_string(&requirements_file)
        .with_context(|| format!("reading {}", requirements_file.display()))?;
    check_pin(&requirements)?;
    let venv = PipVenv {
        name: "schemathesis",
        version: SCHEMATHESIS,
        requirements: requirements_file,
    }
    .ensure()?;
    Ok(Schemathesis { venv })
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
