//! Every pinned version of an external tool, in one place. Bumping a tool means changing one
//! line here; install paths carry the version, so a bump installs the new one beside the old.
//!
//! npm packages are pinned by their lock files, not here: `frontend/package-lock.json`
//! (`livekit-client`, copied into the app by `cargo xtask build`) and `tests/browser/package-lock.json`
//! (`playwright-core`, which drives the browser suite and `cargo xtask bench-app`). xtask installs
//! them with `npm ci`, which installs exactly what the lock file says. Chromium comes from the
//! Debian package `chromium` (never a browser download of playwright's own).

/// `livekit-server`, installed with `go install` from its Go module.
pub const LIVEKIT_SERVER: &str = "v1.13.5";

/// The Go package that builds the `livekit-server` binary (its binary is named `server`).
pub const LIVEKIT_SERVER_PACKAGE: &str = "github.com/livekit/livekit-server/cmd/server";

/// `wasm-bindgen-cli`, installed with `cargo install` (without `--locked`: its lock file names a
/// crate version the registry no longer serves). It must equal the `wasm-bindgen` version in
/// `Cargo.lock` — the frontend pins `wasm-bindgen = "=…"` — which
/// [`crate::tools::check_wasm_bindgen_lock`] checks before every frontend build.
pub const WASM_BINDGEN: &str = "0.2.130";

/// The Debian package that provides `/usr/bin/chromium` for the browser tests.
pub const CHROMIUM_PACKAGE: &str = "chromium";

/// Colour emoji for that Chromium: the app's reactions (❤️ 👏 🔥 😂 😮 🎉) render as they do on
/// people's machines, in the screenshots too, instead of as empty boxes.
pub const EMOJI_FONT_PACKAGE: &str = "fonts-noto-color-emoji";

/// The LiveKit egress worker (recording), built from its release source: `ONAIR_EGRESS_SOURCE`
/// (a tarball or a folder), else `shared/vendor/livekit-egress-{EGRESS}.tar.gz` beside the
/// checkout or one of its parents, else the Go module proxy (which refuses it on some networks).
pub const EGRESS: &str = "v1.14.1";

/// The egress Go module, for the Go module proxy.
pub const EGRESS_MODULE: &str = "github.com/livekit/egress";

/// sha256 of `git archive` of egress's release tag (the vendored tarball), checked before use.
pub const EGRESS_TARBALL_SHA256: &str =
    "df5c9ce95636aa1163ac83ad2a3372546b37882c3c2654cf7981a5e4aa98b7da";

/// egress v1.14.1's `go.mod` names a server-sdk-go pseudo-version the proxy does not serve; this
/// release replaces it (`go mod edit -replace`).
pub const EGRESS_SERVER_SDK_GO: &str = "v2.18.1";

/// The LiveKit ingress worker (RTMP and WHIP in, for OBS), built unmodified from its release
/// source: `ONAIR_INGRESS_SOURCE` (a tarball or a folder), else
/// `shared/vendor/livekit-ingress-{INGRESS}.tar.gz` beside the checkout or one of its parents,
/// else the Go module proxy (which refuses it on some networks).
pub const INGRESS: &str = "v1.5.0";

/// The ingress Go module, for the Go module proxy.
pub const INGRESS_MODULE: &str = "github.com/livekit/ingress";

/// sha256 of `git archive` of ingress's release tag (the vendored tarball), checked before use.
pub const INGRESS_TARBALL_SHA256: &str =
    "bf7bcb56fc8aa842dcc38c13dcb93e881b94e0269c64d4ae2a617d2aeaa7fc34";

/// pnpm, run with `npx -y pnpm@…` to build egress's RoomComposite page (`template-default`)
/// from its own `pnpm-lock.yaml`.
pub const PNPM: &str = "10.34.9";

/// SeaweedFS, the S3-compatible store of the local stack (Apache-2.0), built from its Go module
/// (`go install` refuses its replace directives, so xtask builds a copy of the module).
pub const SEAWEEDFS: &str = "v0.0.0-20261109003541-7506e5f91cd6";

/// The SeaweedFS Go module.
pub const SEAWEEDFS_MODULE: &str = "github.com/seaweedfs/seaweedfs";

/// Debian packages the workers' stack needs, installed with apt-get when missing: the builds of
/// egress and ingress (`patch`, a C toolchain, GStreamer headers; without the -bad headers
/// "gstreamer-mpegts-1.0 not found"), their runtime (GStreamer plugins, the same for both;
/// Chromium and fonts for egress's RoomComposite page, Xvfb, PulseAudio), Redis, and
/// ffmpeg/ffprobe for the tests (ffmpeg is also what pushes RTMP to the ingress, as OBS would).
pub const WORKERS_DEBIAN_PACKAGES: &[&str] = &[
    "patch",
    "gcc",
    "libc6-dev",
    "pkg-config",
    "libgstreamer1.0-dev",
    "libgstreamer-plugins-base1.0-dev",
    "libgstreamer-plugins-bad1.0-dev",
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-plugins-ugly",
    "gstreamer1.0-libav",
    "gstreamer1.0-tools",
    "chromium",
    "fonts-noto-core",
    "pulseaudio",
    "xvfb",
    "redis-server",
    "ffmpeg",
];

/// `cargo xtask image`: podman builds and runs the image (Debian's podman 4.3 needs `runc`: crun
/// fails on these machines' hybrid cgroups), and `mmdebstrap` makes the base images from Debian's
/// packages, since no container registry is reachable.
pub const IMAGE_DEBIAN_PACKAGES: &[&str] = &["podman", "runc", "mmdebstrap"];

/// `cargo xtask compose-check`: certutil (Caddy's internal CA into Chromium's NSS database) and
/// ffmpeg (the OBS stand-in).
pub const COMPOSE_DEBIAN_PACKAGES: &[&str] = &["libnss3-tools", "ffmpeg"];

/// podman-compose from PyPI (its lock file: config/compose/requirements.txt). Debian 12 has
/// 1.0.3, which cannot run `network_mode: host`, and no Docker Compose v2.
pub const PODMAN_COMPOSE: &str = "1.6.0";

/// The Debian release the base images are made of (`mmdebstrap {DEBIAN_SUITE}`).
pub const DEBIAN_SUITE: &str = "bookworm";

/// The runtime base image the Dockerfile names (`FROM debian:bookworm-slim`), made locally with
/// `mmdebstrap --variant=minbase` when missing.
pub const DEBIAN_BASE_IMAGE: &str = "debian:bookworm-slim";

/// The build base image the Dockerfile names (`FROM rust:1.95-bookworm …`), made locally from the
/// Debian base image, build-essential and the pinned toolchain of `rust-toolchain.toml`.
pub const RUST_BASE_IMAGE: &str = "rust:1.95-bookworm";

/// The image `cargo xtask image` builds and checks.
pub const IMAGE_TAG: &str = "onair:dev";

/// Schemathesis (PyPI), which checks the OpenAPI document against the running server. Its
/// dependencies are pinned by `config/schemathesis/requirements.txt`, which must name this
/// version too.
pub const SCHEMATHESIS: &str = "4.32.5";

/// The OpenID Connect provider of the sign-in tests and of `cargo xtask run --with-sign-in`:
/// the example OP of zitadel/oidc (Apache-2.0), a real, certified OpenID Connect library,
/// installed with `go install` from its Go module. Chosen because it is one binary with its own
/// login page and in-memory users (a test signs in by filling a plain HTML form), configured by
/// three environment variables; Ory Hydra, say, has no login page and would need a separate
/// login and consent app.
pub const OIDC_PROVIDER: &str = "v3.52.0";

/// The Go module of [`OIDC_PROVIDER`].
pub const OIDC_PROVIDER_MODULE: &str = "github.com/zitadel/oidc/v3";

/// Caddy, the TLS front of compose.yaml (its stand-in image `caddy:2.11` is built from it).
pub const CADDY: &str = "v2.11.9";

/// The Go package that builds `caddy`.
pub const CADDY_PACKAGE: &str = "github.com/caddyserver/caddy/v2/cmd/caddy";

/// The Go package that builds the example OP (its binary is named `server`).
pub const OIDC_PROVIDER_PACKAGE: &str = "github.com/zitadel/oidc/v3/example/server";
