//! Installation of the pinned external tools (versions in [`crate::versions`]) into the tools
//! directory. Each install is skipped when the pinned version is already there, and lands
//! atomically (built in a temporary folder, then renamed), so an interrupted install never
//! leaves a half-written binary behind.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::process::run_tool;
use crate::versions;

/// Where pinned tools live: `$ONAIR_TOOLS_DIR`, else `$XDG_CACHE_HOME/onair/tools`, else
/// `$HOME/.cache/onair/tools`.
pub fn tools_dir() -> Result<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = non_empty("ONAIR_TOOLS_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(cache) = non_empty("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(cache).join("onair/tools"));
    }
    let home =
        non_empty("HOME").context("neither ONAIR_TOOLS_DIR nor XDG_CACHE_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cache/onair/tools"))
}

/// Where the pinned `livekit-server` lives (whether or not it is installed yet).
pub fn livekit_server_path() -> Result<PathBuf> {
    Ok(tools_dir()?
        .join(format!("livekit-server-{}", versions::LIVEKIT_SERVER))
        .join("livekit-server"))
}

/// Returns the path of the pinned `livekit-server`, installing it with `go install` first when
/// it is missing (a few minutes on two cores; needs Go on `PATH`).
pub fn ensure_livekit_server() -> Result<PathBuf> {
    let version = versions::LIVEKIT_SERVER;
    let target = livekit_server_path()?;
    if target.is_file() {
        println!("livekit-server {version}: present");
        return Ok(target);
    }
    let go_version = Command::new("go").arg("version").output();
    match go_version {
        Err(e) if e.kind() == ErrorKind::NotFound => bail!(
            "livekit-server {version} is not installed and `go` is not on PATH: install Go \
             (1.26 or newer, https://go.dev/doc/install) and run again"
        ),
        Err(e) => return Err(e).context("running `go version`"),
        Ok(out) if !out.status.success() => bail!("`go version` failed: {}", out.status),
        Ok(_) => {}
    }

    let tools = tools_dir()?;
    let staging = tools.join(format!(".install-livekit-server-{}", std::process::id()));
    fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
    let result = go_install_into(&staging, &target);
    let _ = fs::remove_dir_all(&staging);
    result?;
    println!(
        "livekit-server {version}: installed at {}",
        target.display()
    );
    Ok(target)
}

fn go_install_into(staging: &Path, target: &Path) -> Result<()> {
    let module = format!(
        "{}@{}",
        versions::LIVEKIT_SERVER_PACKAGE,
        versions::LIVEKIT_SERVER
    );
    println!(
        "livekit-server {}: installing with `go install {module}` (takes a few minutes)…",
        versions::LIVEKIT_SERVER
    );
    let mut go = Command::new("go");
    go.args(["install", &module]).env("GOBIN", staging);
    let status = run_tool(go).context("running `go install`")?;
    if !status.success() {
        bail!("`go install {module}` failed ({status})");
    }
    let built = staging.join("server");
    if !built.is_file() {
        bail!(
            "`go install {module}` succeeded but left no {}",
            built.display()
        );
    }
    let dir = target
        .parent()
        .context("livekit-server path has no parent")?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // Same filesystem (both inside the tools dir), so the rename is atomic.
    fs::rename(&built, target)
        .with_context(|| format!("moving {} to {}", built.display(), target.display()))
}

/// Makes sure the `wasm32-unknown-unknown` target is installed for the workspace's toolchain,
/// running `rustup target add` only when `rustup target list --installed` lacks it.
pub fn ensure_wasm_target() -> Result<()> {
    const TARGET: &str = "wasm32-unknown-unknown";
    let root = crate::workspace_root();
    let listed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(&root)
        .stderr(Stdio::inherit())
        .output();
    let installed = match listed {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == TARGET),
        Ok(out) => bail!("`rustup target list --installed` failed ({})", out.status),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // No rustup (e.g. a distribution's Rust): accept the target if the sysroot has it.
            return if sysroot_has_target(&root, TARGET) {
                println!("{TARGET}: present");
                Ok(())
            } else {
                bail!("the {TARGET} Rust target is missing and rustup is not on PATH to add it")
            };
        }
        Err(e) => return Err(e).context("running rustup"),
    };
    if installed {
        println!("{TARGET}: present");
        return Ok(());
    }
    println!("{TARGET}: installing with rustup…");
    let mut add = Command::new("rustup");
    add.args(["target", "add", TARGET]).current_dir(&root);
    let status = run_tool(add).context("running `rustup target add`")?;
    if !status.success() {
        bail!("`rustup target add {TARGET}` failed ({status})");
    }
    Ok(())
}

fn sysroot_has_target(root: &Path, target: &str) -> bool {
    let Ok(out) = Command::new("rustc")
        .args(["--print", "sysroot"])
        .current_dir(root)
        .output()
    else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(target)
        .is_dir()
}
