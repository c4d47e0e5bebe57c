//! `cargo xtask compose-images`: local stand-ins for the upstream images compose.yaml names,
//! under the same names and tags, since no container registry is reachable here. Each is built
//! on the local Debian base image (the one `cargo xtask image` makes) from what the local stack
//! already runs: livekit-server, SeaweedFS and Caddy from their Go modules, egress and ingress
//! from their vendored release sources (egress with our two patches), Redis from Debian, with
//! the users, paths and entrypoints of the official images (read from their Dockerfiles in the
//! vendored sources). An image is rebuilt only when its recipe changes (the Containerfile and
//! the versions of what goes in), so a second run costs seconds. README, "Deploy with compose",
//! says how these differ from the official images.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use xtask::tools::podman::{Podman, local_name};
use xtask::tools::{self, egress, ingress, seaweedfs};
use xtask::{target_dir, versions};

use super::header;

/// One stand-in image: its name in compose.yaml, its Containerfile, and the files it copies in.
struct StandIn {
    /// As compose.yaml names it (`redis:7.0`, `livekit/egress:v1.14.1`).
    name: &'static str,
    containerfile: String,
    /// Files put in the build context: (name in the context, where it comes from).
    files: Vec<(&'static str, PathBuf)>,
    /// What else the recipe depends on (the versions of the binaries it copies).
    recipe_extra: String,
}

/// The image names compose.yaml uses, each with the stand-in's size once built.
pub struct BuiltImages {
    pub sizes: Vec<(String, u64)>,
}

pub fn run(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask compose-images` takes no arguments (got `{arg}`)");
    }
    let built = ensure_compose_images()?;
    header("compose images");
    for (name, size) in &built.sizes {
        println!("  {name:<36} {:>7.1} MB", *size as f64 / 1e6);
    }
    Ok(())
}

/// Builds the stand-ins that are missing or whose recipe changed.
pub fn ensure_compose_images() -> Result<BuiltImages> {
    header("compose images: what goes in");
    let podman = Podman::ensure()?;
    podman.ensure_base_images()?;
    let base = local_name(versions::DEBIAN_BASE_IMAGE);
    let stand_ins = stand_ins(&base)?;
    let mut sizes = Vec::new();
    for stand_in in stand_ins {
        header(&format!("compose image {}", stand_in.name));
        let started = Instant::now();
        let context = target_dir()
            .join("compose-images")
            .join(stand_in.name.replace(['/', ':'], "-"));
        let _ = fs::remove_dir_all(&context);
        fs::create_dir_all(&context).with_context(|| format!("creating {}", context.display()))?;
        for (name, from) in &stand_in.files {
            place(from, &context.join(name))?;
        }
        fs::write(context.join("Containerfile"), &stand_in.containerfile)
            .context("writing the Containerfile")?;
        let recipe = format!(
            "{}\n{}\n{}",
            base, stand_in.containerfile, stand_in.recipe_extra
        );
        let name = local_name(stand_in.name);
        let built =
            podman.build_unless_made(&name, &docker_hub_name(stand_in.name), &context, &recipe)?;
        let _ = fs::remove_dir_all(&context);
        if built {
            println!("{name}: built in {:.0} s", started.elapsed().as_secs_f64());
        }
        sizes.push((stand_in.name.to_owned(), podman.image_size(&name)?));
    }
    Ok(BuiltImages { sizes })
}

/// `docker.io/library/redis:7.0` for `redis:7.0`: the name Docker and podman give an
/// unqualified Docker Hub image, also tagged so that compose finds it either way.
fn docker_hub_name(name: &str) -> String {
    if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    }
}

/// Hard-links `from` into the build context (copies it across file systems).
fn place(from: &Path, to: &Path) -> Result<()> {
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("copying {} into the build context", from.display()))
}

/// `apt-get install` of `packages` in one layer, leaving no lists behind.
fn apt_install(packages: &[&str]) -> String {
    format!(
        "RUN apt-get update \\\n    && apt-get install -y --no-install-recommends {} \\\n    && rm -rf /var/lib/apt/lists/*\n",
        packages.join(" ")
    )
}

/// GStreamer as the workers use it locally (versions::WORKERS_DEBIAN_PACKAGES' runtime part).
const GSTREAMER: &[&str] = &[
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-plugins-ugly",
    "gstreamer1.0-libav",
];

fn stand_ins(base: &str) -> Result<Vec<StandIn>> {
    let livekit = tools::ensure_livekit_server()?;
    let caddy = tools::ensure_caddy()?;
    let weed = seaweedfs::ensure_seaweedfs()?;
    let egress_dir = egress::ensure_egress()?;
    let ingress_dir = ingress::ensure_ingress()?;
    let entrypoint = egress_entrypoint()?;
    let from = format!("# Written by `cargo xtask compose-images`.\nFROM {base}\n");
    let dir_name = |dir: &Path| {
        dir.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    };

    Ok(vec![
        // Official: alpine, /livekit-server as the entrypoint.
        StandIn {
            name: "livekit/livekit-server:v1.13.5",
            containerfile: format!(
                "{from}{}COPY livekit-server /livekit-server\nEXPOSE 7880 7881 7882/udp\nENTRYPOINT [\"/livekit-server\"]\n",
                apt_install(&["ca-certificates", "wget"])
            ),
            files: vec![("livekit-server", livekit)],
            recipe_extra: versions::LIVEKIT_SERVER.to_owned(),
        },
        // Official: livekit/gstreamer (GStreamer 1.24 built from source) with Google Chrome,
        // PulseAudio and Xvfb; user `egress` (group root, also pulse and pulse-access), its
        // home's tmp and XDG_RUNTIME_DIR; /entrypoint.sh starts PulseAudio and runs
        // `/tini -- egress`.
        StandIn {
            name: "livekit/egress:v1.14.1",
            containerfile: format!(
                "{from}{}\
                 RUN ln -s /usr/bin/tini /tini \\\n    && echo \"rlimit-nofile = -1\" >> /etc/pulse/daemon.conf \\\n    && useradd -ms /bin/bash -g root -G pulse,pulse-access egress \\\n    && mkdir -p /home/egress/tmp /home/egress/.cache/xdgr \\\n    && chown -R egress /home/egress\n\
                 COPY egress /bin/egress\n\
                 COPY entrypoint.sh /entrypoint.sh\n\
                 USER egress\n\
                 ENV XDG_RUNTIME_DIR=/home/egress/.cache/xdgr\n\
                 ENTRYPOINT [\"/entrypoint.sh\"]\n",
                apt_install(
                    &[
                        GSTREAMER,
                        &[
                            "chromium",
                            "fonts-noto-core",
                            versions::EMOJI_FONT_PACKAGE,
                            "pulseaudio",
                            "xvfb",
                            "tini",
                            "wget",
                            "ca-certificates",
                        ],
                    ]
                    .concat()
                )
            ),
            files: vec![
                ("egress", egress_dir.join("egress")),
                ("entrypoint.sh", entrypoint),
            ],
            recipe_extra: dir_name(&egress_dir),
        },
        // Official: livekit/gstreamer with wget (for health checks); root; `ingress` as the
        // entrypoint, from /bin.
        StandIn {
            name: "livekit/ingress:v1.5.0",
            containerfile: format!(
                "{from}{}COPY ingress /bin/ingress\nENTRYPOINT [\"ingress\"]\n",
                apt_install(&[GSTREAMER, &["wget", "ca-certificates"]].concat())
            ),
            files: vec![("ingress", ingress_dir.join("ingress"))],
            recipe_extra: dir_name(&ingress_dir),
        },
        // Official: Debian with Redis 7.0 built from source; /data as the working directory
        // and volume; its entrypoint drops to the user `redis`; CMD redis-server.
        StandIn {
            name: "redis:7.0",
            containerfile: format!(
                "{from}{}RUN mkdir -p /data && chown redis:redis /data\nVOLUME /data\nWORKDIR /data\nUSER redis\nEXPOSE 6379\nCMD [\"redis-server\"]\n",
                apt_install(&["redis-server"])
            ),
            files: vec![],
            recipe_extra: String::new(),
        },
        // Official: alpine, /usr/bin/weed, /data as the volume; its entrypoint passes the
        // command to weed (compose.yaml names its own entrypoint for both).
        StandIn {
            name: "chrislusf/seaweedfs:4.53",
            containerfile: format!(
                "{from}{}COPY weed /usr/bin/weed\nRUN mkdir -p /data\nVOLUME /data\nEXPOSE 8333 9333 8080 8888\nENTRYPOINT [\"/usr/bin/weed\"]\n",
                apt_install(&["ca-certificates", "wget"])
            ),
            files: vec![("weed", weed)],
            recipe_extra: versions::SEAWEEDFS.to_owned(),
        },
        // Official: alpine, /usr/bin/caddy, XDG_CONFIG_HOME=/config, XDG_DATA_HOME=/data (both
        // volumes), /srv as the working directory, running /etc/caddy/Caddyfile.
        StandIn {
            name: "caddy:2.11",
            containerfile: format!(
                "{from}{}COPY caddy /usr/bin/caddy\n\
                 RUN mkdir -p /config/caddy /data/caddy /etc/caddy /srv\n\
                 ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data\n\
                 VOLUME /config /data\n\
                 WORKDIR /srv\n\
                 EXPOSE 80 443 443/udp 2019\n\
                 CMD [\"caddy\", \"run\", \"--config\", \"/etc/caddy/Caddyfile\", \"--adapter\", \"caddyfile\"]\n",
                apt_install(&["ca-certificates", "wget"])
            ),
            files: vec![("caddy", caddy)],
            recipe_extra: versions::CADDY.to_owned(),
        },
    ])
}

/// egress's own `build/egress/entrypoint.sh`, in `target/compose-images/`.
fn egress_entrypoint() -> Result<PathBuf> {
    let script = target_dir().join("compose-images/egress-entrypoint.sh");
    fs::create_dir_all(target_dir().join("compose-images"))
        .context("creating target/compose-images")?;
    egress::write_entrypoint_script(&script)?;
    Ok(script)
}
