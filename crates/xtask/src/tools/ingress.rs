//! The LiveKit ingress worker (RTMP and WHIP in, what OBS streams to), built from its release
//! source because the Go module proxy refuses `github.com/livekit/ingress` on some networks.
//!
//! The source comes from `ONAIR_INGRESS_SOURCE` (a tarball, whose sha256 is checked, or a
//! folder), else from `shared/vendor/livekit-ingress-{version}.tar.gz` beside the checkout (or
//! beside one of its parent folders), else from the Go module proxy (see
//! `tools/release_source.rs`). Unlike egress it builds unmodified against Debian bookworm's
//! GStreamer 1.22: no patch, no `go.mod` edit (`-mod=readonly` proves it), just `go build` with
//! cgo. The binary lands in `{tools}/ingress-{version}/ingress`; it must keep that name, since
//! the service re-runs itself as `ingress run-handler` for every stream.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;

use super::release_source::{ReleaseSource, go};
use super::tools_dir;
use crate::process::run_checked;
use crate::versions;

/// ingress's release source.
const SOURCE: ReleaseSource = ReleaseSource {
    name: "ingress",
    version: versions::INGRESS,
    module: versions::INGRESS_MODULE,
    tarball_sha256: versions::INGRESS_TARBALL_SHA256,
};

/// The folder holding the pinned `ingress` binary (whether or not it is built yet).
pub fn ingress_dir() -> Result<PathBuf> {
    Ok(tools_dir()?.join(format!("ingress-{}", versions::INGRESS)))
}

/// Returns the folder holding the pinned `ingress` binary, building it when missing (about 6
/// minutes on two cores; needs Go and the workers' Debian packages). ingress re-runs itself as
/// `ingress run-handler`: put this folder first on its `PATH`.
pub fn ensure_ingress() -> Result<PathBuf> {
    let dir = ingress_dir()?;
    SOURCE.install(&dir, go_build)?;
    Ok(dir)
}

/// `go build ./cmd/server` with cgo, the release's `go.mod` and `go.sum` as they are.
fn go_build(src: &Path, output: &Path) -> Result<()> {
    let started = Instant::now();
    let mut build = go(src, &["build", "-o"], "-mod=readonly");
    build.arg(output).arg("./cmd/server");
    run_checked(build, "go build ./cmd/server (ingress)")?;
    println!(
        "ingress: go build in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
