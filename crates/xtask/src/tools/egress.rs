//! The LiveKit egress worker (recording), built from its release source, because the Go module
//! proxy refuses `github.com/livekit/egress` on some networks.
//!
//! The source comes from `ONAIR_EGRESS_SOURCE` (a tarball, whose sha256 is checked, or a
//! folder), else from `shared/vendor/livekit-egress-{version}.tar.gz` beside the checkout (or
//! beside one of its parent folders), else from the Go module proxy (see
//! `tools/release_source.rs`). The build follows egress's own recipe on Debian's GStreamer:
//! the patches of `config/egress/patches/` (each says why), the RoomComposite page
//! (`template-default`, built with pnpm from its lock file) embedded into the binary, a
//! `go.mod` replace for a server-sdk-go version the proxy serves, then `go build` with cgo.
//! The binary lands in `{tools}/egress-{version}-{recipe}/egress`, where the recipe digest
//! changes with the patches, so a new patch means a new build.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use super::release_source::{ReleaseSource, go, hex};
use super::tools_dir;
use crate::process::run_checked;
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
    let dir = egress_dir()?;
    SOURCE.install(&dir, |src, output| {
        apply_patches(src)?;
        build_template(src)?;
        go_build(src, output)
    })?;
    Ok(dir)
}

/// Writes egress's own `build/egress/entrypoint.sh` (start PulseAudio, then `/tini -- egress`),
/// read from its release source, to `to`, executable: the compose stand-in image runs it, as the
/// official image does. It is never copied into the project.
pub fn write_entrypoint_script(to: &Path) -> Result<()> {
    let staging = to.with_extension("source");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
    let result = (|| -> Result<()> {
        let src = SOURCE.find()?.unpack_into(&staging)?;
        let script = src.join("build/egress/entrypoint.sh");
        fs::copy(&script, to).with_context(|| format!("copying {}", script.display()))?;
        let mut chmod = Command::new("chmod");
        chmod.arg("755").arg(to);
        run_checked(chmod, "chmod 755 (egress's entrypoint.sh)")
    })();
    let _ = fs::remove_dir_all(&staging);
    result
}

/// egress's release source.
const SOURCE: ReleaseSource = ReleaseSource {
    name: "egress",
    version: versions::EGRESS,
    module: versions::EGRESS_MODULE,
    tarball_sha256: versions::EGRESS_TARBALL_SHA256,
};

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
    // The build edits go.mod and go.sum.
    const MOD_MOD: &str = "-mod=mod";
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
        run_checked(go(src, &args, MOD_MOD), &format!("go {}", args.join(" ")))?;
    }
    let mut build = go(src, &["build", "-o"], MOD_MOD);
    build.arg(output).arg("./cmd/server");
    run_checked(build, "go build ./cmd/server (egress)")?;
    println!(
        "egress: go build in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
