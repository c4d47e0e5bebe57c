//! Every pinned version of an external tool, in one place. Bumping a tool means changing one
//! line here; install paths carry the version, so a bump installs the new one beside the old.
//!
//! npm packages are pinned by their lock files, not here: `frontend/package-lock.json`
//! (`livekit-client`, copied into the app by trunk) and `tests/browser/package-lock.json`
//! (`playwright-core`, which drives the browser suite and `cargo xtask bench-app`). xtask installs
//! them with `npm ci`, which installs exactly what the lock file says. Chromium comes from the
//! Debian package `chromium` (never a browser download of playwright's own).

/// `livekit-server`, installed with `go install` from its Go module.
pub const LIVEKIT_SERVER: &str = "v1.13.5";

/// The Go package that builds the `livekit-server` binary (its binary is named `server`).
pub const LIVEKIT_SERVER_PACKAGE: &str = "github.com/livekit/livekit-server/cmd/server";

/// `trunk`, the app's builder, installed with `cargo install trunk --locked`. (0.22 needs a
/// newer Rust than the pinned toolchain.)
pub const TRUNK: &str = "0.21.14";

/// `wasm-bindgen-cli`, installed with `cargo install` (without `--locked`: its lock file names a
/// crate version the registry no longer serves). It must equal the `wasm-bindgen` version in
/// `Cargo.lock` — the frontend pins `wasm-bindgen = "=…"` — which
/// [`crate::tools::check_wasm_bindgen_lock`] checks before every frontend build.
pub const WASM_BINDGEN: &str = "0.2.130";

/// The Debian package that provides `/usr/bin/chromium` for the browser tests.
pub const CHROMIUM_PACKAGE: &str = "chromium";
