//! SeaweedFS (`weed`), the S3-compatible store of the local stack, built from its Go module:
//! `go install` refuses a module with replace directives, so xtask downloads the module
//! (`go mod download`), builds a writable copy of it, and keeps the binary in
//! `{tools}/seaweedfs-{version}/weed`.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};

use super::release_source::go_mod_download;
use super::tools_dir;
use crate::process::run_checked;
use crate::versions;

/// Where the pinned `weed` lives (whether or not it is built yet).
pub fn weed_path() -> Result<PathBuf> {
    Ok(tools_dir()?
        .join(format!("seaweedfs-{}", versions::SEAWEEDFS))
        .join("weed"))
}

/// Returns the pinned `weed`, building it when missing (about 6 minutes and 2.7 GB of memory on
/// two cores; needs Go).
pub fn ensure_seaweedfs() -> Result<PathBuf> {
    let version = versions::SEAWEEDFS;
    let target = weed_path()?;
    if target.is_file() {
        println!("seaweedfs {version}: present");
        return Ok(target);
    }
    let started = Instant::now();
    let module = format!("{}@{version}", versions::SEAWEEDFS_MODULE);
    println!("seaweedfs {version}: building `weed` from the Go module {module} (about 6 minutes)…");
    let downloaded =
        go_mod_download(&module).with_context(|| format!("`go mod download {module}` failed"))?;
    let tools = tools_dir()?;
    let staging = tools.join(format!(".build-seaweedfs-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let result = (|| -> Result<()> {
        fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
        let src = staging.join("src");
        let mut cp = Command::new("cp");
        cp.arg("-R").arg(&downloaded).arg(&src);
        run_checked(cp, "cp -R (seaweedfs module)")?;
        let mut chmod = Command::new("chmod");
        chmod.args(["-R", "u+w"]).arg(&src);
        run_checked(chmod, "chmod -R u+w (seaweedfs module)")?;
        let mut build = Command::new("go");
        build
            .args(["build", "-p", "2", "-o"])
            .arg(staging.join("weed"))
            .arg("./weed")
            .current_dir(&src)
            .env("GOTOOLCHAIN", "local");
        run_checked(build, "go build ./weed (seaweedfs)")?;
        let dir = target.parent().context("weed path has no parent")?;
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        fs::rename(staging.join("weed"), &target)
            .with_context(|| format!("moving weed to {}", target.display()))
    })();
    let _ = fs::remove_dir_all(&staging);
    result?;
    println!(
        "seaweedfs {version}: built in {:.0} s, at {}",
        started.elapsed().as_secs_f64(),
        target.display()
    );
    Ok(target)
}
