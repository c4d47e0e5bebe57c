//! Where the release source of a LiveKit worker comes from, for the workers xtask builds itself
//! because the Go module proxy refuses their modules on some networks (egress, ingress).
//!
//! A [`ReleaseSource`] names the worker; [`ReleaseSource::find`] tries, in order, the
//! `ONAIR_{NAME}_SOURCE` variable (a tarball, whose sha256 is checked, or a folder), then
//! `shared/vendor/livekit-{name}-{version}.tar.gz` beside the checkout or one of its parents
//! (checked too), then the Go module proxy, and its error lists everything it tried. The found
//! [`Source`] unpacks into a writable folder, where [`ReleaseSource::install`] builds it and from
//! which it moves the binary into the tools directory. Also here: the Go helpers both
//! builds share (`go mod download`, a cgo `go` command).

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use super::tools_dir;
use crate::process::run_checked;
use crate::workspace_root;

/// A LiveKit worker built from its release source.
pub(crate) struct ReleaseSource {
    /// Its short name: `egress`, `ingress`.
    pub name: &'static str,
    /// The pinned release tag.
    pub version: &'static str,
    /// Its Go module, for the module proxy.
    pub module: &'static str,
    /// sha256 of `git archive` of the release tag.
    pub tarball_sha256: &'static str,
}

impl ReleaseSource {
    /// The variable naming another copy of the source: `ONAIR_EGRESS_SOURCE`, ….
    pub fn env_var(&self) -> String {
        format!("ONAIR_{}_SOURCE", self.name.to_ascii_uppercase())
    }

    /// The vendored tarball's file name: `livekit-{name}-{version}.tar.gz`.
    pub fn tarball_name(&self) -> String {
        format!("livekit-{}-{}.tar.gz", self.name, self.version)
    }

    /// Finds the source (see the module docs); the error lists everything tried.
    pub fn find(&self) -> Result<Source> {
        let env_var = self.env_var();
        if let Some(named) = std::env::var_os(&env_var).filter(|v| !v.is_empty()) {
            let path = PathBuf::from(named);
            if path.is_dir() {
                return Ok(Source::Folder(path));
            }
            if path.is_file() {
                self.check_tarball(&path)?;
                return Ok(Source::Tarball(path));
            }
            bail!(
                "{env_var}={} is neither a file nor a folder",
                path.display()
            );
        }
        let tarball_name = self.tarball_name();
        // `shared/vendor/` beside the checkout, or beside one of its parent folders.
        let candidates: Vec<PathBuf> = workspace_root()
            .ancestors()
            .skip(1)
            .map(|dir| dir.join("shared/vendor").join(&tarball_name))
            .collect();
        if let Some(vendored) = candidates.iter().find(|path| path.is_file()) {
            self.check_tarball(vendored)?;
            return Ok(Source::Tarball(vendored.clone()));
        }
        let vendored = candidates
            .iter()
            .map(|path| path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let module = format!("{}@{}", self.module, self.version);
        match go_mod_download(&module) {
            Ok(dir) => Ok(Source::Module(dir)),
            Err(proxy_error) => bail!(
                "cannot find the source of LiveKit {} {}. Tried:\n  \
                 - {env_var}: not set (name a release tarball of {} or a folder holding its \
                 source)\n  \
                 - shared/vendor/{tarball_name} beside the checkout or a parent: not in \
                 {vendored}\n  \
                 - the Go module proxy, `go mod download {module}`: {proxy_error:#}",
                self.name,
                self.version,
                self.module,
            ),
        }
    }

    /// Builds the worker when `{dir}/{name}` is missing: finds and unpacks the source in a
    /// staging folder of the tools directory, runs `build(source folder, output binary)`, then
    /// moves the binary into `dir` (so an interrupted build leaves nothing behind). Prints one
    /// "present" line, or where the source came from and how long the build took.
    pub fn install(
        &self,
        dir: &Path,
        build: impl FnOnce(&Path, &Path) -> Result<()>,
    ) -> Result<()> {
        let (name, version) = (self.name, self.version);
        if dir.join(name).is_file() {
            println!("{name} {version}: present");
            return Ok(());
        }
        let started = Instant::now();
        let tools = tools_dir()?;
        fs::create_dir_all(&tools).with_context(|| format!("creating {}", tools.display()))?;
        let staging = tools.join(format!(".build-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&staging);
        fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
        let result = (|| -> Result<()> {
            let source = self.find()?;
            println!("{name} {version}: building from {source}");
            let src = source.unpack_into(&staging)?;
            build(&src, &staging.join(name))?;
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            fs::rename(staging.join(name), dir.join(name))
                .with_context(|| format!("moving the {name} binary into {}", dir.display()))
        })();
        let _ = fs::remove_dir_all(&staging);
        result?;
        println!(
            "{name} {version}: built in {:.0} s, in {}",
            started.elapsed().as_secs_f64(),
            dir.display()
        );
        Ok(())
    }

    /// Fails unless the tarball's sha256 is the pinned one.
    fn check_tarball(&self, path: &Path) -> Result<()> {
        let actual = sha256_file(path)?;
        if actual != self.tarball_sha256 {
            bail!(
                "{} has sha256 {actual}, but {} {} is pinned to {} (crates/xtask/src/versions.rs)",
                path.display(),
                self.name,
                self.version,
                self.tarball_sha256
            );
        }
        Ok(())
    }
}

/// Where a release source was found.
pub(crate) enum Source {
    Tarball(PathBuf),
    Folder(PathBuf),
    /// The module's folder in the Go module cache (read-only).
    Module(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tarball(path) => write!(f, "the tarball {} (sha256 checked)", path.display()),
            Self::Folder(path) => write!(f, "the folder {}", path.display()),
            Self::Module(path) => write!(f, "the Go module proxy ({})", path.display()),
        }
    }
}

impl Source {
    /// Puts a writable copy of the source in `staging/src` and returns that folder.
    pub fn unpack_into(&self, staging: &Path) -> Result<PathBuf> {
        let src = staging.join("src");
        fs::create_dir_all(&src).with_context(|| format!("creating {}", src.display()))?;
        match self {
            Self::Tarball(tarball) => {
                let mut tar = Command::new("tar");
                tar.arg("-xzf")
                    .arg(tarball)
                    .arg("-C")
                    .arg(&src)
                    .arg("--strip-components=1");
                run_checked(tar, &format!("tar -xzf {}", tarball.display()))?;
            }
            Self::Folder(folder) | Self::Module(folder) => {
                let mut cp = Command::new("cp");
                cp.arg("-R").arg(folder.join(".")).arg(&src);
                run_checked(cp, &format!("cp -R {}", folder.display()))?;
                let mut chmod = Command::new("chmod");
                chmod.args(["-R", "u+w"]).arg(&src);
                run_checked(chmod, "chmod -R u+w (the copied source)")?;
            }
        }
        if !src.join("go.mod").is_file() {
            bail!("the source has no go.mod at its top ({self})");
        }
        Ok(src)
    }
}

/// The sha256 of a file, in hex.
fn sha256_file(path: &Path) -> Result<String> {
    let mut file = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex(&hasher.finalize()))
}

/// `go mod download -json {module}` and the folder it filled in the module cache.
pub(crate) fn go_mod_download(module: &str) -> Result<PathBuf> {
    let output = Command::new("go")
        .args(["mod", "download", "-json", module])
        .output()
        .context("running `go mod download` (is Go on PATH?)")?;
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    if let Some(error) = answer["Error"].as_str() {
        bail!("{error}");
    }
    match answer["Dir"].as_str() {
        Some(dir) if output.status.success() => Ok(PathBuf::from(dir)),
        _ => bail!(
            "failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    }
}

/// `go {args}` in `dir`, with cgo (the workers link GStreamer) and the machine's own Go
/// (`GOTOOLCHAIN=local`: no toolchain download). `mod_flag` is `-mod=mod` for a build that edits
/// `go.mod`, `-mod=readonly` for one that builds the release as it is.
pub(crate) fn go(dir: &Path, args: &[&str], mod_flag: &str) -> Command {
    let mut go = Command::new("go");
    go.args(args)
        .current_dir(dir)
        .env("CGO_ENABLED", "1")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", mod_flag);
    go
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions;

    const EGRESS: ReleaseSource = ReleaseSource {
        name: "egress",
        version: versions::EGRESS,
        module: versions::EGRESS_MODULE,
        tarball_sha256: versions::EGRESS_TARBALL_SHA256,
    };

    #[test]
    fn names_the_variable_and_the_vendored_tarball_after_the_worker() {
        assert_eq!(EGRESS.env_var(), "ONAIR_EGRESS_SOURCE");
        assert_eq!(EGRESS.tarball_name(), "livekit-egress-v1.14.1.tar.gz");
    }

    #[test]
    fn refuses_a_tarball_whose_sha256_is_not_the_pinned_one() {
        let dir = std::env::temp_dir().join(format!("onair-release-source-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let tarball = dir.join(EGRESS.tarball_name());
        fs::write(&tarball, b"not the release").unwrap();
        let error = EGRESS.check_tarball(&tarball).unwrap_err().to_string();
        let _ = fs::remove_dir_all(&dir);
        assert!(error.contains("is pinned to"), "{error}");
        assert!(error.contains(versions::EGRESS_TARBALL_SHA256), "{error}");
    }
}
