//! Every pinned version of an external tool, in one place. Bumping a tool means changing one
//! line here; install paths carry the version, so a bump installs the new one beside the old.

/// `livekit-server`, installed with `go install` from its Go module.
pub const LIVEKIT_SERVER: &str = "v1.13.5";

/// The Go package that builds the `livekit-server` binary (its binary is named `server`).
pub const LIVEKIT_SERVER_PACKAGE: &str = "github.com/livekit/livekit-server/cmd/server";
