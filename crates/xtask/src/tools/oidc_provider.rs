//! The OpenID Connect provider of the sign-in tests: the example OP of zitadel/oidc
//! ([`versions::OIDC_PROVIDER`]), installed with `go install` of its package into
//! `{tools}/zitadel-oidc-op-{version}/zitadel-oidc-op`. Should `go install` refuse the module
//! (as it refuses SeaweedFS's replace directives), xtask builds a copy of the module instead, as
//! [`super::seaweedfs`] does. Started by [`crate::stack::oidc_provider`].

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::release_source::go_mod_download;
use super::tools_dir;
use crate::process::{run_checked, run_tool};
use crate::versions;

/// The binary's name in the tools dir (`go install` names it `server`).
const BINARY: &str = "zitadel-oidc-op";

/// Where the pinned OP lives (whether or not it is installed yet).
pub fn oidc_provider_path() -> Result<PathBuf> {
    Ok(tools_dir()?
        .join(format!("zitadel-oidc-op-{}", versions::OIDC_PROVIDER))
        .join(BINARY))
}

/// Returns the pinned OP, installing it when missing (about half a minute on two cores with
/// Go's caches empty; needs Go on `PATH`).
pub fn ensure_oidc_provider() -> Result<PathBuf> {
    let version = versions::OIDC_PROVIDER;
    let target = oidc_provider_path()?;
    if target.is_file() {
        println!("zitadel-oidc-op {version}: present");
        return Ok(target);
    }
    match Command::new("go").arg("version").output() {
        Err(e) if e.kind() == ErrorKind::NotFound => bail!(
            "the OpenID Connect provider {} {version} is not installed and `go` is not on PATH: \
             install Go (1.26 or newer, https://go.dev/doc/install) and run again",
            versions::OIDC_PROVIDER_PACKAGE
        ),
        Err(e) => return Err(e).context("running `go version`"),
        Ok(out) if !out.status.success() => bail!("`go version` failed: {}", out.status),
        Ok(_) => {}
    }
    let started = Instant::now();
    let tools = tools_dir()?;
    fs::create_dir_all(&tools).with_context(|| format!("creating {}", tools.display()))?;
    let staging = tools.join(format!(".install-zitadel-oidc-op-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let result = (|| -> Result<()> {
        fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
        let built = match go_install(&staging) {
            Ok(built) => built,
            Err(install_error) => {
                println!(
                    "zitadel-oidc-op {version}: {install_error:#}; building a copy of the \
                     module instead…"
                );
                build_from_module_copy(&staging).with_context(|| {
                    format!("after `go install` failed ({install_error:#}), building a copy")
                })?
            }
        };
        let dir = target.parent().context("the OP's path has no parent")?;
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        // Same filesystem (both inside the tools dir), so the rename is atomic.
        fs::rename(&built, &target)
            .with_context(|| format!("moving {} to {}", built.display(), target.display()))
    })();
    let _ = fs::remove_dir_all(&staging);
    result?;
    println!(
        "zitadel-oidc-op {version}: installed in {:.0} s, at {}",
        started.elapsed().as_secs_f64(),
        target.display()
    );
    Ok(target)
}

/// `GOBIN={staging} go install {package}@{version}`; returns the binary it wrote.
fn go_install(staging: &Path) -> Result<PathBuf> {
    let package = format!(
        "{}@{}",
        versions::OIDC_PROVIDER_PACKAGE,
        versions::OIDC_PROVIDER
    );
    println!(
        "zitadel-oidc-op {}: installing with `go install {package}`…",
        versions::OIDC_PROVIDER
    );
    let mut go = Command::new("go");
    go.args(["install", &package])
        .env("GOBIN", staging)
        .env("GOTOOLCHAIN", "local");
    let status = run_tool(go).context("running `go install`")?;
    if !status.success() {
        bail!("`go install {package}` failed ({status})");
    }
    let built = staging.join("server");
    if !built.is_file() {
        bail!(
            "`go install {package}` succeeded but left no {}",
            built.display()
        );
    }
    Ok(built)
}

/// `go mod download` of the module, then `go build ./example/server` of a writable copy (what
/// `go install` cannot do for a module with replace directives); returns the binary.
fn build_from_module_copy(staging: &Path) -> Result<PathBuf> {
    let module = format!(
        "{}@{}",
        versions::OIDC_PROVIDER_MODULE,
        versions::OIDC_PROVIDER
    );
    let downloaded =
        go_mod_download(&module).with_context(|| format!("`go mod download {module}` failed"))?;
    let src = staging.join("src");
    let mut cp = Command::new("cp");
    cp.arg("-R").arg(&downloaded).arg(&src);
    run_checked(cp, "cp -R (zitadel/oidc module)")?;
    let mut chmod = Command::new("chmod");
    chmod.args(["-R", "u+w"]).arg(&src);
    run_checked(chmod, "chmod -R u+w (zitadel/oidc module)")?;
    let built = staging.join(BINARY);
    let mut build = Command::new("go");
    build
        .args(["build", "-o"])
        .arg(&built)
        .arg("./example/server")
        .current_dir(&src)
        .env("GOTOOLCHAIN", "local");
    run_checked(build, "go build ./example/server (zitadel/oidc)")?;
    Ok(built)
}
