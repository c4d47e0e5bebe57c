//! Podman as these machines need it, and the two base images the Dockerfile names, made from
//! Debian's packages because no container registry is reachable (shared/STACK.md, "Container
//! image"). The Dockerfile itself is never edited: `FROM rust:1.95-bookworm` and
//! `FROM debian:bookworm-slim` resolve to the local `localhost/…` images with `--pull=never`.
//!
//! Two podman settings are needed here, written to a `containers.conf` named by
//! `CONTAINERS_CONF` on every podman command: `runtime = "runc"` (crun fails with "cgroups in
//! hybrid mode not supported") and the open-files limit of this machine as the containers'
//! default (podman's default is higher than the hard limit here, and `setrlimit` then fails).
//! Builds and containers use the host's network, so no CNI plugin or firewall is involved.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::process::run_checked;
use crate::tools::debian;
use crate::tools::pip_venv::PipVenv;
use crate::versions;

/// Podman with this machine's settings.
pub struct Podman {
    containers_conf: PathBuf,
}

impl Podman {
    /// Installs podman, runc and mmdebstrap when missing, and writes the `containers.conf`.
    pub fn ensure() -> Result<Self> {
        debian::ensure_packages("podman", versions::IMAGE_DEBIAN_PACKAGES)?;
        let dir = crate::target_dir().join("podman");
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let containers_conf = dir.join("containers.conf");
        let (_, hard_open_files) =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
                .context("reading the open-files limit")?;
        let open_files = hard_open_files.min(1 << 20);
        fs::write(
            &containers_conf,
            format!(
                "# Written by `cargo xtask image` (crates/xtask/src/tools/podman.rs).\n\
                 [containers]\n\
                 default_ulimits = [\"nofile={open_files}:{open_files}\", \"nproc=32768:32768\"]\n\
                 \n\
                 [engine]\n\
                 runtime = \"runc\"\n\
                 cgroup_manager = \"cgroupfs\"\n\
                 events_logger = \"file\"\n"
            ),
        )
        .with_context(|| format!("writing {}", containers_conf.display()))?;
        Ok(Self { containers_conf })
    }

    /// `podman {args}` with this machine's settings.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new("podman");
        command
            .env("CONTAINERS_CONF", &self.containers_conf)
            .args(args);
        command
    }

    /// The `containers.conf` every podman command here is given (`CONTAINERS_CONF`).
    pub fn containers_conf(&self) -> &Path {
        &self.containers_conf
    }

    /// `podman-compose` (from the venv [`ensure_podman_compose`] returns) with this machine's
    /// podman settings.
    pub fn compose(&self, venv: &Path) -> Command {
        let mut command = Command::new(venv.join("bin/python"));
        command
            .env("CONTAINERS_CONF", &self.containers_conf)
            // -I: only the venv counts, not the user's site-packages.
            .args(["-I", "-m", "podman_compose"]);
        command
    }

    /// Runs `podman {args}` and returns its trimmed standard output, failing with its standard
    /// error when it does not exit with 0.
    pub fn output(&self, args: &[&str]) -> Result<String> {
        let output = self
            .command(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running `podman {}`", args.join(" ")))?;
        if !output.status.success() {
            bail!(
                "`podman {}` failed ({}): {}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Whether the local image `name` exists.
    pub fn image_exists(&self, name: &str) -> Result<bool> {
        let status = self
            .command(["image", "exists", name])
            .stdin(Stdio::null())
            .status()
            .context("running `podman image exists`")?;
        Ok(status.success())
    }

    /// Makes the two base images of the Dockerfile when they are missing, or were made by
    /// another recipe (about 1 minute).
    pub fn ensure_base_images(&self) -> Result<()> {
        let debian = local_name(versions::DEBIAN_BASE_IMAGE);
        let debian_recipe = recipe_digest(&debian_recipe_text());
        if self.recipe_of(&debian)?.as_deref() == Some(debian_recipe.as_str()) {
            println!("{debian}: present");
        } else {
            self.make_debian_base(&debian, &debian_recipe)?;
        }
        let rust = local_name(versions::RUST_BASE_IMAGE);
        let containerfile = rust_containerfile(&debian);
        let toolchain_name = pinned_toolchain()?;
        let rust_recipe = recipe_digest(&format!(
            "{debian_recipe}\n{toolchain_name}\n{containerfile}"
        ));
        if self.recipe_of(&rust)?.as_deref() == Some(rust_recipe.as_str()) {
            println!("{rust}: present");
        } else {
            self.make_rust_base(&rust, &toolchain_name, &containerfile, &rust_recipe)?;
        }
        Ok(())
    }

    /// Builds the folder `context` (holding its `Containerfile`) as the local image `name`,
    /// also tagged `also_as`, unless `name` was made by the same `recipe` already (a text naming
    /// everything that goes in: the Containerfile, the versions of the binaries). Returns
    /// whether it built.
    pub fn build_unless_made(
        &self,
        name: &str,
        also_as: &str,
        context: &Path,
        recipe: &str,
    ) -> Result<bool> {
        let digest = recipe_digest(recipe);
        if self.recipe_of(name)?.as_deref() == Some(digest.as_str())
            && self.image_exists(also_as)?
        {
            println!("{name}: present");
            return Ok(false);
        }
        let label = format!("{RECIPE_LABEL}={digest}");
        let mut build = self.command([
            "build",
            "--pull=never",
            "--network=host",
            // HEALTHCHECK and the like are Docker's image format, not OCI's.
            "--format=docker",
            "--label",
            &label,
            "-t",
            name,
            "-t",
            also_as,
        ]);
        build.arg(context);
        run_checked(build, &format!("podman build ({name})"))?;
        Ok(true)
    }

    /// The size of the local image `name`, in bytes.
    pub fn image_size(&self, name: &str) -> Result<u64> {
        self.output(&["image", "inspect", "--format", "{{.Size}}", name])?
            .parse()
            .with_context(|| format!("reading the size of {name}"))
    }

    /// The recipe label of the local image `name`, `None` when there is no such image.
    fn recipe_of(&self, name: &str) -> Result<Option<String>> {
        if !self.image_exists(name)? {
            return Ok(None);
        }
        let format = format!("{{{{index .Labels \"{RECIPE_LABEL}\"}}}}");
        Ok(Some(self.output(&[
            "image", "inspect", "--format", &format, name,
        ])?))
    }

    /// `mmdebstrap --variant=minbase` of the pinned Debian suite, trimmed like the official
    /// slim image, imported as `name` (about 15 s).
    fn make_debian_base(&self, name: &str, recipe: &str) -> Result<()> {
        let start = Instant::now();
        println!("{name}: making it with mmdebstrap from Debian's packages (about 15 s)…");
        let work = crate::target_dir().join("podman");
        let rootfs = work.join(format!("{}-rootfs.tar", versions::DEBIAN_SUITE));
        let mut mmdebstrap = Command::new("mmdebstrap");
        mmdebstrap.args(debian_mmdebstrap_args()).arg(&rootfs);
        run_checked(mmdebstrap, "mmdebstrap")?;
        let label = format!("LABEL {RECIPE_LABEL}={recipe}");
        let mut import = self.command(["import", "--change", "CMD [\"bash\"]", "--change", &label]);
        import.arg(&rootfs).arg(name).stdout(Stdio::null());
        run_checked(import, "podman import")?;
        let _ = fs::remove_file(&rootfs);
        println!("{name}: made in {:.0} s", start.elapsed().as_secs_f64());
        Ok(())
    }

    /// The official Rust image's layout (`RUSTUP_HOME=/usr/local/rustup`,
    /// `CARGO_HOME=/usr/local/cargo` on `PATH`) over the Debian base image with build-essential,
    /// holding this machine's copy of the pinned toolchain (its documentation left out) and this
    /// machine's extra CA certificates, so that crates.io and npm answer inside builds.
    fn make_rust_base(
        &self,
        name: &str,
        toolchain_name: &str,
        containerfile: &str,
        recipe: &str,
    ) -> Result<()> {
        let start = Instant::now();
        println!(
            "{name}: making it from the Debian base and the pinned toolchain (about 1 minute)…"
        );
        let context = crate::target_dir().join("podman/rust-base");
        let _ = fs::remove_dir_all(&context);
        let toolchain = toolchain_sysroot()?;
        let rustup_home = context.join("rustup");
        let toolchain_copy = rustup_home.join("toolchains").join(toolchain_name);
        copy_tree_without_docs(&toolchain, &toolchain_copy)?;
        fs::write(
            rustup_home.join("settings.toml"),
            format!(
                "version = \"12\"\ndefault_toolchain = \"{toolchain_name}\"\nprofile = \
                 \"minimal\"\nauto_self_update = \"disable\"\n"
            ),
        )
        .context("writing rustup's settings.toml")?;
        let cargo_bin = context.join("cargo/bin");
        fs::create_dir_all(&cargo_bin).context("creating cargo/bin")?;
        let rustup = which("rustup").context(
            "`rustup` is not on PATH: the Rust base image is made from the machine's rustup",
        )?;
        fs::copy(&rustup, cargo_bin.join("rustup"))
            .with_context(|| format!("copying {}", rustup.display()))?;
        for proxy in [
            "cargo",
            "cargo-clippy",
            "cargo-fmt",
            "clippy-driver",
            "rustc",
            "rustdoc",
            "rustfmt",
        ] {
            std::os::unix::fs::symlink("rustup", cargo_bin.join(proxy))
                .with_context(|| format!("linking {proxy}"))?;
        }
        let certificates = context.join("ca-certificates");
        fs::create_dir_all(&certificates).context("creating ca-certificates")?;
        if let Ok(entries) = fs::read_dir("/usr/local/share/ca-certificates") {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|ext| ext == "crt") {
                    fs::copy(&path, certificates.join(entry.file_name()))
                        .with_context(|| format!("copying {}", path.display()))?;
                }
            }
        }
        fs::write(context.join("Containerfile"), containerfile)
            .context("writing the Containerfile")?;
        let label = format!("{RECIPE_LABEL}={recipe}");
        let mut build =
            self.command(["build", "--pull=never", "--network=host", "--label", &label]);
        build.args(["-t", name]).arg(&context);
        run_checked(build, "podman build (Rust base image)")?;
        let _ = fs::remove_dir_all(&context);
        println!("{name}: made in {:.0} s", start.elapsed().as_secs_f64());
        Ok(())
    }
}

/// Installs the pinned podman-compose (from PyPI, `config/compose/requirements.txt`) when
/// missing; returns its venv. Debian 12's podman-compose (1.0.3) adds a network to every
/// container, so it cannot run compose.yaml's `network_mode: host`, which later versions can.
pub fn ensure_podman_compose() -> Result<PathBuf> {
    PipVenv {
        name: "podman-compose",
        version: versions::PODMAN_COMPOSE,
        requirements: crate::workspace_root().join("config/compose/requirements.txt"),
    }
    .ensure()
}

/// The label that records which recipe made a local image, so that a changed recipe makes it
/// again.
const RECIPE_LABEL: &str = "org.onair.base-recipe";

/// dpkg settings of the official slim images: no documentation (but the copyright files), man
/// pages or translations.
const SLIM_DPKG_OPTIONS: &[&str] = &[
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/groff/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/lintian/*",
    "path-exclude=/usr/share/linda/*",
    "path-exclude=/usr/share/locale/*",
    "path-include=/usr/share/locale/locale.alias",
];

/// apt settings of the official images: no package caches left behind in a layer, no
/// translations, compressed indexes.
const SLIM_APT_OPTIONS: &[&str] = &[
    "Dir::Cache::pkgcache \"\"",
    "Dir::Cache::srcpkgcache \"\"",
    "Acquire::Languages \"none\"",
    "Acquire::GzipIndexes \"true\"",
];

/// mmdebstrap's arguments for the Debian base image, before the output path. The options are
/// written into the image (`/etc/dpkg/dpkg.cfg.d`, `/etc/apt/apt.conf.d`), so they hold for
/// every later `apt-get install` too, as in the official image. The merged-usr hook keeps perl
/// out.
fn debian_mmdebstrap_args() -> Vec<String> {
    let mut args = vec![
        "--variant=minbase".to_owned(),
        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr".to_owned(),
    ];
    args.extend(
        SLIM_DPKG_OPTIONS
            .iter()
            .map(|option| format!("--dpkgopt={option}")),
    );
    args.extend(
        SLIM_APT_OPTIONS
            .iter()
            .map(|option| format!("--aptopt={option}")),
    );
    // Downloaded packages are deleted once installed, as in the official image (mmdebstrap needs
    // them kept while it works, so this is written at the end).
    args.push(
        "--customize-hook=echo 'APT::Keep-Downloaded-Packages \"false\";' \
         > \"$1/etc/apt/apt.conf.d/docker-clean\""
            .to_owned(),
    );
    args.push(versions::DEBIAN_SUITE.to_owned());
    args
}

fn debian_recipe_text() -> String {
    debian_mmdebstrap_args().join("\n")
}

/// The Containerfile of the Rust base image, over the Debian base image `debian`.
fn rust_containerfile(debian: &str) -> String {
    format!(
        "# Written by `cargo xtask image`: a local stand-in for the official {rust} image.\n\
         FROM {debian}\n\
         RUN apt-get update \\\n\
         \x20   && apt-get install -y --no-install-recommends build-essential pkg-config \
         libssl-dev ca-certificates curl git xz-utils \\\n\
         \x20   && rm -rf /var/lib/apt/lists/*\n\
         COPY ca-certificates/ /usr/local/share/ca-certificates/\n\
         RUN update-ca-certificates\n\
         COPY rustup /usr/local/rustup\n\
         COPY cargo /usr/local/cargo\n\
         ENV RUSTUP_HOME=/usr/local/rustup \\\n\
         \x20   CARGO_HOME=/usr/local/cargo \\\n\
         \x20   PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n\
         RUN cargo --version && rustc --version\n",
        rust = versions::RUST_BASE_IMAGE,
    )
}

/// The first 10 hex digits of the sha256 of `recipe`.
fn recipe_digest(recipe: &str) -> String {
    super::release_source::hex(&Sha256::digest(recipe.as_bytes()))[..10].to_owned()
}

/// `localhost/{image}`: where podman keeps an image made here.
pub fn local_name(image: &str) -> String {
    format!("localhost/{image}")
}

/// The toolchain `rust-toolchain.toml` pins, as rustup names it on this machine
/// (`1.95.0-x86_64-unknown-linux-gnu`).
fn pinned_toolchain() -> Result<String> {
    let output = Command::new("rustup")
        .args(["show", "active-toolchain"])
        .current_dir(crate::workspace_root())
        .output()
        .context("running `rustup show active-toolchain`")?;
    let active = String::from_utf8_lossy(&output.stdout);
    let name = active.split_whitespace().next().unwrap_or_default();
    if !output.status.success() || name.is_empty() {
        bail!("`rustup show active-toolchain` named no toolchain");
    }
    Ok(name.to_owned())
}

/// The pinned toolchain's folder (`rustc --print sysroot`, symlinks resolved).
fn toolchain_sysroot() -> Result<PathBuf> {
    let output = Command::new("rustc")
        .args(["--print", "sysroot"])
        .current_dir(crate::workspace_root())
        .output()
        .context("running `rustc --print sysroot`")?;
    if !output.status.success() {
        bail!("`rustc --print sysroot` failed ({})", output.status);
    }
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    sysroot
        .canonicalize()
        .with_context(|| format!("resolving {}", sysroot.display()))
}

/// Copies the toolchain at `from` to `to` without `share/doc` (800 MB of HTML no build reads).
fn copy_tree_without_docs(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut copy = Command::new("sh");
    copy.args([
        "-c",
        "tar -C \"$1\" --exclude=./share/doc -cf - . | tar -C \"$2\" -xf -",
        "copy-toolchain",
    ])
    .arg(from)
    .arg(to);
    run_checked(copy, "tar (copying the toolchain)")
}

/// The first `name` on `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}
