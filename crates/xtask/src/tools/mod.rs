//! Installation of the pinned external tools (versions in [`crate::versions`]) into the tools
//! directory, and of the npm packages and Debian Chromium the app and its browser tests need;
//! the workers' stack's parts in [`debian`] (apt packages), [`egress`], [`ingress`] (both built
//! from their release sources, found by `release_source.rs`) and [`seaweedfs`];
//! Schemathesis, in a venv of its own, in [`schemathesis`]; the OpenID Connect provider of the
//! sign-in tests in [`oidc_provider`].
//! Each install is skipped when the pinned version is already there (printing one
//! "X: present" line), and the tools-dir installs land atomically (built in a temporary folder,
//! then renamed), so an interrupted install never leaves a half-written binary behind.

use std::ffi::OsString;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

use crate::process::run_tool;
use crate::stack::recording::RecordingTools;
use crate::stack::workers::WorkerTools;
use crate::versions;

pub mod debian;
pub mod egress;
pub mod ingress;
pub mod oidc_provider;
pub(crate) mod pip_venv;
pub mod podman;
pub(crate) mod release_source;
pub mod schemathesis;
pub mod seaweedfs;

/// What `--with-workers` needs installed: the workers' Debian packages, egress, SeaweedFS and
/// ingress (each skipped when present).
pub fn ensure_worker_tools() -> Result<WorkerTools> {
    debian::ensure_packages("workers' stack", versions::WORKERS_DEBIAN_PACKAGES)?;
    let egress_dir = egress::ensure_egress()?;
    let weed = seaweedfs::ensure_seaweedfs()?;
    let ingress_dir = ingress::ensure_ingress()?;
    Ok(WorkerTools {
        recording: RecordingTools { egress_dir, weed },
        ingress_dir,
    })
}

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
    GoInstall {
        name: "livekit-server",
        version: versions::LIVEKIT_SERVER,
        package: versions::LIVEKIT_SERVER_PACKAGE,
        built_as: "server",
        target: livekit_server_path()?,
    }
    .ensure()
}

/// Where the pinned `caddy` lives (whether or not it is installed yet).
pub fn caddy_path() -> Result<PathBuf> {
    Ok(tools_dir()?
        .join(format!("caddy-{}", versions::CADDY))
        .join("caddy"))
}

/// Returns the path of the pinned `caddy` (the TLS front of compose.yaml's stand-in image),
/// installing it with `go install` when missing (about 3 minutes on two cores; needs Go).
pub fn ensure_caddy() -> Result<PathBuf> {
    GoInstall {
        name: "caddy",
        version: versions::CADDY,
        package: versions::CADDY_PACKAGE,
        built_as: "caddy",
        target: caddy_path()?,
    }
    .ensure()
}

/// A tool installed with `go install {package}@{version}`, which names the binary `built_as`,
/// kept at `target`.
struct GoInstall {
    name: &'static str,
    version: &'static str,
    package: &'static str,
    built_as: &'static str,
    target: PathBuf,
}

impl GoInstall {
    fn ensure(self) -> Result<PathBuf> {
        let Self {
            name,
            version,
            package,
            built_as,
            target,
        } = self;
        if target.is_file() {
            println!("{name} {version}: present");
            return Ok(target);
        }
        match Command::new("go").arg("version").output() {
            Err(e) if e.kind() == ErrorKind::NotFound => bail!(
                "{name} {version} is not installed and `go` is not on PATH: install Go \
                 (1.26 or newer, https://go.dev/doc/install) and run again"
            ),
            Err(e) => return Err(e).context("running `go version`"),
            Ok(out) if !out.status.success() => bail!("`go version` failed: {}", out.status),
            Ok(_) => {}
        }
        let tools = tools_dir()?;
        let staging = tools.join(format!(".install-{name}-{}", std::process::id()));
        fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
        let module = format!("{package}@{version}");
        println!("{name} {version}: installing with `go install {module}` (takes a few minutes)…");
        let result = (|| -> Result<()> {
            let mut go = Command::new("go");
            go.args(["install", &module]).env("GOBIN", &staging);
            let status = run_tool(go).context("running `go install`")?;
            if !status.success() {
                bail!("`go install {module}` failed ({status})");
            }
            let built = staging.join(built_as);
            if !built.is_file() {
                bail!(
                    "`go install {module}` succeeded but left no {}",
                    built.display()
                );
            }
            let dir = target.parent().context("the tool's path has no parent")?;
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            // Same filesystem (both inside the tools dir), so the rename is atomic.
            fs::rename(&built, &target)
                .with_context(|| format!("moving {} to {}", built.display(), target.display()))
        })();
        let _ = fs::remove_dir_all(&staging);
        result?;
        println!("{name} {version}: installed at {}", target.display());
        Ok(target)
    }
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

/// The `cargo` that runs xtask (`$CARGO`), else the one on `PATH`.
fn cargo_command() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `{tools}/{name}-{version}`: the `cargo install --root` of a pinned crate.
fn cargo_tool_root(name: &str, version: &str) -> Result<PathBuf> {
    Ok(tools_dir()?.join(format!("{name}-{version}")))
}

/// Installs the binary `binary` of crate `krate` at `version` with `cargo install --root`, unless
/// `{tools}/{root_name}-{version}/bin/{binary}` is already there. Installs into a staging root
/// that is renamed into place when complete. Returns the `bin` folder.
fn ensure_cargo_tool(
    krate: &str,
    root_name: &str,
    binary: &str,
    version: &str,
    extra_args: &[&str],
    duration_hint: &str,
) -> Result<PathBuf> {
    let root = cargo_tool_root(root_name, version)?;
    let bin_dir = root.join("bin");
    if bin_dir.join(binary).is_file() {
        println!("{binary} {version}: present");
        return Ok(bin_dir);
    }
    let tools = tools_dir()?;
    fs::create_dir_all(&tools).with_context(|| format!("creating {}", tools.display()))?;
    let staging = tools.join(format!(".install-{root_name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let spec = format!("={version}");
    let mut args = vec!["install", krate, "--version", &spec];
    args.extend_from_slice(extra_args);
    println!(
        "{binary} {version}: installing with `cargo {} --root …` ({duration_hint})…",
        args.join(" ")
    );
    let mut install = cargo_command();
    install
        .args(&args)
        .arg("--root")
        .arg(&staging)
        // Build tools with cargo's default release profile, whatever the tool's own asks for:
        // fat LTO and one codegen unit cost minutes on two cores for a tool that runs for seconds.
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");
    let result = (|| -> Result<()> {
        let status = run_tool(install).context("running `cargo install`")?;
        if !status.success() {
            bail!("`cargo {}` failed ({status})", args.join(" "));
        }
        if !staging.join("bin").join(binary).is_file() {
            bail!(
                "`cargo {}` succeeded but left no bin/{binary}",
                args.join(" ")
            );
        }
        // A leftover root without the binary (an older, interrupted layout) makes way.
        let _ = fs::remove_dir_all(&root);
        fs::rename(&staging, &root)
            .with_context(|| format!("moving {} to {}", staging.display(), root.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result?;
    println!("{binary} {version}: installed in {}", bin_dir.display());
    Ok(bin_dir)
}

/// Returns the `bin` folder holding the pinned `wasm-bindgen`
/// (`{tools}/wasm-bindgen-{WASM_BINDGEN}/bin/wasm-bindgen`), installing `wasm-bindgen-cli`
/// when missing (about 2 minutes). Deliberately without `--locked`: the crate's lock file names
/// a `webpki-roots` version the registry does not serve. Checks first that `Cargo.lock` uses
/// the same `wasm-bindgen` version: the CLI must match the library exactly.
pub fn ensure_wasm_bindgen() -> Result<PathBuf> {
    check_wasm_bindgen_lock()?;
    ensure_cargo_tool(
        "wasm-bindgen-cli",
        "wasm-bindgen",
        "wasm-bindgen",
        versions::WASM_BINDGEN,
        &[],
        "about 2 minutes",
    )
}

/// Fails with a clear message unless every `wasm-bindgen` crate in the workspace's `Cargo.lock`
/// is [`versions::WASM_BINDGEN`]: the CLI that builds the app must match the library exactly.
pub fn check_wasm_bindgen_lock() -> Result<()> {
    let lock_path = crate::workspace_root().join("Cargo.lock");
    let lock = fs::read_to_string(&lock_path)
        .with_context(|| format!("reading {}", lock_path.display()))?;
    let locked = locked_versions(&lock, "wasm-bindgen");
    let pinned = versions::WASM_BINDGEN;
    if locked.is_empty() {
        bail!(
            "{} has no `wasm-bindgen` package: is `frontend` a workspace member? \
             (xtask pins wasm-bindgen-cli {pinned})",
            lock_path.display()
        );
    }
    if let Some(other) = locked.iter().find(|v| v.as_str() != pinned) {
        bail!(
            "wasm-bindgen version mismatch: Cargo.lock has wasm-bindgen {other} but \
             crates/xtask/src/versions.rs pins wasm-bindgen-cli {pinned}. They must be equal \
             (the glue it writes must match the library): change WASM_BINDGEN there and \
             `wasm-bindgen = \"={pinned}\"` in frontend/Cargo.toml together."
        );
    }
    Ok(())
}

/// The versions of package `name` listed in a `Cargo.lock`.
fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let mut found = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|line| {
                let (k, v) = line.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
            })
        };
        if field("name").as_deref() == Some(name)
            && let Some(version) = field("version")
        {
            found.push(version);
        }
    }
    found
}

/// Installs the npm packages of `dir` exactly as its `package-lock.json` says
/// (`npm ci --no-audit --no-fund`) when `node_modules` is missing or older than the lock file.
pub fn ensure_npm(dir: &Path) -> Result<()> {
    let name = dir
        .strip_prefix(crate::workspace_root())
        .unwrap_or(dir)
        .display()
        .to_string();
    let lock = dir.join("package-lock.json");
    let lock_time = modified(&lock).with_context(|| {
        format!(
            "{} is missing: npm packages are pinned by it",
            lock.display()
        )
    })?;
    let modules = dir.join("node_modules");
    // npm writes node_modules/.package-lock.json at the end of every install.
    let installed = modified(&modules.join(".package-lock.json")).or_else(|_| modified(&modules));
    if let Ok(installed) = installed
        && installed >= lock_time
    {
        println!("npm packages of {name}: present");
        return Ok(());
    }
    println!("npm packages of {name}: installing with `npm ci`…");
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund"]).current_dir(dir);
    match run_tool(npm) {
        Err(e) if e.kind() == ErrorKind::NotFound => bail!(
            "`npm` is not on PATH: install Node.js 20 or newer with npm (Debian: \
             `apt-get install nodejs npm`) and run again"
        ),
        Err(e) => Err(e).context("running `npm ci`"),
        Ok(status) if !status.success() => bail!("`npm ci` in {} failed ({status})", dir.display()),
        Ok(_) => Ok(()),
    }
}

fn modified(path: &Path) -> std::io::Result<SystemTime> {
    fs::metadata(path)?.modified()
}

/// The Chromium the browser tests drive: `$ONAIR_CHROMIUM`, else Debian's `/usr/bin/chromium`.
pub fn chromium_path() -> PathBuf {
    std::env::var_os("ONAIR_CHROMIUM")
        .filter(|value| !value.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Returns the Chromium for the browser tests, installing Debian's `chromium` package when it
/// is missing and xtask runs as root; otherwise fails saying what to install.
pub fn ensure_chromium() -> Result<PathBuf> {
    let path = chromium_path();
    // Emoji first: a Chromium given by ONAIR_CHROMIUM still renders with the system's fonts.
    debian::ensure_packages("emoji font", &[versions::EMOJI_FONT_PACKAGE])?;
    if path.is_file() {
        println!("chromium: present ({})", path.display());
        return Ok(path);
    }
    if std::env::var_os("ONAIR_CHROMIUM").is_some_and(|v| !v.is_empty()) {
        bail!("ONAIR_CHROMIUM={} is not a file", path.display());
    }
    debian::ensure_packages("chromium", &[versions::CHROMIUM_PACKAGE])?;
    if !path.is_file() {
        bail!(
            "Debian's `{}` is installed but {} is missing: point ONAIR_CHROMIUM at a Chromium",
            versions::CHROMIUM_PACKAGE,
            path.display()
        );
    }
    Ok(path)
}

/// `PATH` with `dirs` in front, for children that must find the pinned tools first.
pub fn path_with(dirs: &[&Path]) -> Result<OsString> {
    let mut paths: Vec<PathBuf> = dirs.iter().map(|dir| dir.to_path_buf()).collect();
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).context("a tool folder contains ':'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_locked_version_of_a_package() {
        let lock = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen-futures"
version = "0.4.50"

[[package]]
name = "wasm-bindgen"
version = "0.2.99"
"#;
        assert_eq!(
            locked_versions(lock, "wasm-bindgen"),
            vec!["0.2.130".to_owned(), "0.2.99".to_owned()]
        );
        assert!(locked_versions(lock, "wasm-bindgen-cli").is_empty());
    }

    #[test]
    fn the_workspace_lock_matches_the_pinned_wasm_bindgen() {
        check_wasm_bindgen_lock().unwrap();
    }
}
