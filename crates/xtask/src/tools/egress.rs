//! The LiveKit egress worker (recording), built from its release source, because the Go module
//! proxy refuses `github.com/livekit/egress` on some networks.
//!
//! The source comes from `ONAIR_EGRESS_SOURCE` (a tarball, whose sha256 is checked, or a
//! folder), else from `shared/vendor/livekit-egress-{version}.tar.gz` beside the checkout (or
//! beside one of its parent folders), else from the Go module proxy. The build follows egress's own recipe on Debian's GStreamer:
//! the patches of `config/egress/patches/` (each says why), the RoomComposite page
//! (`template-default`, built with pnpm from its lock file) embedded into the binary, a
//! `go.mod` replace for a server-sdk-go version the proxy serves, then `go build` with cgo.
//! The binary lands in `{tools}/egress-{version}-{recipe}/egress`, where the recipe digest
//! changes with the patches, so a new patch means a new build.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use super::{debian, tools_dir};
use crate::process::run_checked;
use crate::stack::recording::RecordingTools;
use crate::{versions, workspace_root};

/// Where egress's patches live, applied in name order.
fn patches_dir() -> PathBuf {
    workspace_root().join("config/egress/patches")
}

/// The patches, in the order they are applied.
fn patches() -> Result<Vec<PathBuf>> {
    let dir = patches_dir();
    let mut patches: Vec<PathBuf> = fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "patch"))
        .collect();
    patches.sort();
    Ok(patches)
}

/// The folder holding the pinned `egress` binary (whether or not it is built yet): named after
/// the version and a digest of the build recipe (patches, replaced module, pnpm).
pub fn egress_dir() -> Result<PathBuf> {
    let mut recipe = Sha256::new();
    for patch in patches()? {
        recipe.update(fs::read(&patch).with_context(|| format!("reading {}", patch.display()))?);
    }
    recipe.update(versions::EGRESS_SERVER_SDK_GO);
    recipe.update(versions::PNPM);
    let digest = hex(&recipe.finalize());
    Ok(tools_dir()?.join(format!("egress-{}-{}", versions::EGRESS, &digest[..10])))
}

/// Returns the folder holding the pinned, patched `egress` binary, building it when missing
/// (about 8 minutes on two cores; needs Go, Node.js and the recording Debian packages).
/// egress re-runs itself as `egress run-handler`: put this folder first on its `PATH`.
pub fn ensure_egress() -> Result<PathBuf> {
    let version = versions::EGRESS;
    let dir = egress_dir()?;
    if dir.join("egress").is_file() {
        println!("egress {version}: present");
        return Ok(dir);
    }
    let started = Instant::now();
    let tools = tools_dir()?;
    fs::create_dir_all(&tools).with_context(|| format!("creating {}", tools.display()))?;
    let staging = tools.join(format!(".build-egress-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
    let result = (|| -> Result<()> {
        let source = find_source()?;
        println!("egress {version}: building from {source}");
        let src = source.unpack_into(&staging)?;
        apply_patches(&src)?;
        build_template(&src)?;
        go_build(&src, &staging.join("egress"))?;
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        fs::rename(staging.join("egress"), dir.join("egress"))
            .with_context(|| format!("moving the egress binary into {}", dir.display()))
    })();
    let _ = fs::remove_dir_all(&staging);
    result?;
    println!(
        "egress {version}: built in {:.0} s, in {}",
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(dir)
}

/// Where egress's release source was found.
enum Source {
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
    fn unpack_into(&self, staging: &Path) -> Result<PathBuf> {
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
                run_checked(tar, "tar -xzf (egress source)")?;
            }
            Self::Folder(folder) | Self::Module(folder) => {
                let mut cp = Command::new("cp");
                cp.arg("-R").arg(folder.join(".")).arg(&src);
                run_checked(cp, "cp -R (egress source)")?;
                let mut chmod = Command::new("chmod");
                chmod.args(["-R", "u+w"]).arg(&src);
                run_checked(chmod, "chmod -R u+w (egress source)")?;
            }
        }
        if !src.join("go.mod").is_file() {
            bail!("the egress source has no go.mod at its top ({})", self);
        }
        Ok(src)
    }
}

/// Finds egress's source, trying in order `ONAIR_EGRESS_SOURCE`, the vendored tarball beside
/// the checkout, and the Go module proxy; the error lists everything tried.
fn find_source() -> Result<Source> {
    let version = versions::EGRESS;
    if let Some(named) = std::env::var_os("ONAIR_EGRESS_SOURCE").filter(|v| !v.is_empty()) {
        let path = PathBuf::from(named);
        if path.is_dir() {
            return Ok(Source::Folder(path));
        }
        if path.is_file() {
            check_tarball(&path)?;
            return Ok(Source::Tarball(path));
        }
        bail!(
            "ONAIR_EGRESS_SOURCE={} is neither a file nor a folder",
            path.display()
        );
    }
    let tarball_name = format!("livekit-egress-{version}.tar.gz");
    // `shared/vendor/` beside the checkout, or beside one of its parent folders.
    let candidates: Vec<PathBuf> = workspace_root()
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("shared/vendor").join(&tarball_name))
        .collect();
    if let Some(vendored) = candidates.iter().find(|path| path.is_file()) {
        check_tarball(vendored)?;
        return Ok(Source::Tarball(vendored.clone()));
    }
    let vendored = candidates
        .iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let module = format!("{}@{version}", versions::EGRESS_MODULE);
    match go_mod_download(&module) {
        Ok(dir) => Ok(Source::Module(dir)),
        Err(proxy_error) => bail!(
            "cannot find the source of LiveKit egress {version}. Tried:\n  \
             - ONAIR_EGRESS_SOURCE: not set (name a release tarball of {} or a folder holding \
             its source)\n  \
             - shared/vendor/{tarball_name} beside the checkout or a parent: not in {vendored}\n  \
             - the Go module proxy, `go mod download {module}`: {proxy_error:#}",
            versions::EGRESS_MODULE,
        ),
    }
}

/// Fails unless the tarball's sha256 is the pinned one.
fn check_tarball(path: &Path) -> Result<()> {
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
    let actual = hex(&hasher.finalize());
    if actual != versions::EGRESS_TARBALL_SHA256 {
        bail!(
            "{} has sha256 {actual}, but egress {} is pinned to {} (crates/xtask/src/versions.rs)",
            path.display(),
            versions::EGRESS,
            versions::EGRESS_TARBALL_SHA256
        );
    }
    Ok(())
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

fn apply_patches(src: &Path) -> Result<()> {
    for patch in patches()? {
        // GNU patch rather than `git apply`, which skips files silently when the tools folder
        // happens to sit inside a git work tree.
        let mut apply = Command::new("patch");
        apply
            .args(["--batch", "--forward", "-p1", "-i"])
            .arg(&patch)
            .current_dir(src);
        run_checked(apply, &format!("patch -p1 -i {}", patch.display()))?;
    }
    Ok(())
}

/// Builds the page RoomComposite egress loads (it is not in the release source) and puts it
/// where the binary embeds it from, `cmd/server/templates/`.
fn build_template(src: &Path) -> Result<()> {
    let started = Instant::now();
    let template = src.join("template-default");
    let pnpm = format!("pnpm@{}", versions::PNPM);
    for args in [
        vec!["-y", pnpm.as_str(), "install", "--frozen-lockfile"],
        vec!["-y", pnpm.as_str(), "build"],
    ] {
        let mut npx = Command::new("npx");
        npx.args(&args)
            .current_dir(&template)
            .env("CI", "true")
            .env("npm_config_update_notifier", "false");
        run_checked(npx, &format!("npx {} (egress template)", args.join(" ")))?;
    }
    let templates = src.join("cmd/server/templates");
    fs::create_dir_all(&templates).with_context(|| format!("creating {}", templates.display()))?;
    let mut cp = Command::new("cp");
    cp.arg("-R").arg(template.join("build/.")).arg(&templates);
    run_checked(cp, "cp -R (egress template)")?;
    let mut prune = Command::new("find");
    prune.arg(&templates).args(["-name", "*.map", "-delete"]);
    run_checked(prune, "find -delete (source maps)")?;
    println!(
        "egress: RoomComposite page built in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `go build` of `./cmd/server` with cgo, after replacing the server-sdk-go version the proxy
/// does not serve.
fn go_build(src: &Path, output: &Path) -> Result<()> {
    let started = Instant::now();
    let replace = format!(
        "github.com/livekit/server-sdk-go/v2=github.com/livekit/server-sdk-go/v2@{}",
        versions::EGRESS_SERVER_SDK_GO
    );
    let steps: [Vec<&str>; 3] = [
        vec!["mod", "edit", "-replace", &replace],
        vec!["mod", "download"],
        // The replaced module brings go.sum entries of its own.
        vec![
            "get",
            "github.com/livekit/egress/pkg/config",
            "github.com/livekit/egress/pkg/pipeline/source",
        ],
    ];
    for args in steps {
        run_checked(go(src, &args), &format!("go {}", args.join(" ")))?;
    }
    let mut build = go(src, &["build", "-o"]);
    build.arg(output).arg("./cmd/server");
    run_checked(build, "go build ./cmd/server (egress)")?;
    println!(
        "egress: go build in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn go(dir: &Path, args: &[&str]) -> Command {
    let mut go = Command::new("go");
    go.args(args)
        .current_dir(dir)
        .env("CGO_ENABLED", "1")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod");
    go
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the recording stack needs installed: its Debian packages, egress and SeaweedFS.
pub fn ensure_recording_tools() -> Result<RecordingTools> {
    debian::ensure_packages("recording stack", versions::RECORDING_DEBIAN_PACKAGES)?;
    let egress_dir = ensure_egress()?;
    let weed = super::seaweedfs::ensure_seaweedfs()?;
    Ok(RecordingTools { egress_dir, weed })
}
