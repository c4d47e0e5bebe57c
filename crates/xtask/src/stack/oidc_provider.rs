//! A real OpenID Connect provider for operator sign-in: the example OP of zitadel/oidc
//! ([`crate::versions::OIDC_PROVIDER`], installed by [`crate::tools::oidc_provider`]) on a free
//! port, with its in-memory users and clients. Its issuer is `http://localhost:{port}/`; a test
//! signs in on its login page (a form POSTing `username` and `password` to `/login/username`).
//!
//! **It listens on every interface, not only loopback**: the example listens on `:{PORT}` and
//! has no bind setting. It accepts the users below, whose passwords are in its source; on a
//! shared machine, firewall its port if others must not sign in to the OnAir it serves.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use super::service::{Service, ServiceSpec};
use crate::net::{free_tcp_port, http_get_ok};

/// Where the OP describes itself.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// The OP's confidential client for the code flow (client secret sent with HTTP basic auth).
pub const CLIENT_ID: &str = "web";
/// The secret of [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "secret";

/// How long the OP may take to answer its discovery document after it starts.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// One of the OP's built-in users.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestUser {
    /// What the login page's `username` field takes.
    pub username: &'static str,
    pub password: &'static str,
    /// The verified `email` the OP gives in its user info (not in the ID token).
    pub email: &'static str,
}

/// The user OnAir lets in: its email is the one the stacks put in `OIDC_ALLOWED_EMAILS`. The
/// OP names it after the issuer's host (`localhost`).
pub const ALLOWED_USER: TestUser = TestUser {
    username: "test-user@localhost",
    password: "verysecure",
    email: "test-user@zitadel.ch",
};

/// A user the OP signs in but OnAir refuses: its email is not in `OIDC_ALLOWED_EMAILS`.
pub const REFUSED_USER: TestUser = TestUser {
    username: "test-user2",
    password: "verysecure",
    email: "test-user2@zitadel.ch",
};

/// A running OP. Stopped on `Drop`.
pub struct OidcProvider {
    service: Service,
    port: u16,
}

impl OidcProvider {
    /// Starts `binary` on a free port, its clients accepting exactly `redirect_uris` (such as
    /// `http://127.0.0.1:{onair port}/auth/callback`), its output in `log_file`, and waits until
    /// its discovery document answers 200.
    pub fn start(binary: &Path, redirect_uris: &[String], log_file: PathBuf) -> Result<Self> {
        let port = free_tcp_port()?;
        let binary = binary.to_owned();
        let redirect_uris = redirect_uris.join(",");
        let service = Service::start(ServiceSpec {
            name: "zitadel-oidc-op",
            command: Box::new(move || {
                let mut command = Command::new(&binary);
                command
                    .env("PORT", port.to_string())
                    .env("REDIRECT_URI", &redirect_uris)
                    // The built-in users, whatever the caller's environment says.
                    .env_remove("USERS_FILE");
                command
            }),
            log_file,
            ready: Box::new(move || http_get_ok(port, DISCOVERY_PATH)),
            ready_timeout: READY_TIMEOUT,
        })?;
        Ok(Self { service, port })
    }

    /// The port it listens on (every interface).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://localhost:{port}/`: the issuer, exactly as the OP writes it in its tokens.
    pub fn issuer_url(&self) -> String {
        format!("http://localhost:{}/", self.port)
    }

    /// The discovery document's URL.
    pub fn discovery_url(&self) -> String {
        format!("http://localhost:{}{DISCOVERY_PATH}", self.port)
    }

    /// The client OnAir signs in with ([`CLIENT_ID`]).
    pub fn client_id(&self) -> &'static str {
        CLIENT_ID
    }

    /// Its secret ([`CLIENT_SECRET`]).
    pub fn client_secret(&self) -> &'static str {
        CLIENT_SECRET
    }

    /// The user OnAir lets in ([`ALLOWED_USER`]) when `OIDC_ALLOWED_EMAILS` is its email.
    pub fn allowed_user(&self) -> TestUser {
        ALLOWED_USER
    }

    /// A user the OP signs in and OnAir refuses ([`REFUSED_USER`]).
    pub fn refused_user(&self) -> TestUser {
        REFUSED_USER
    }

    /// OnAir's settings for signing in with this OP, letting in `allowed_emails` (a comma list).
    pub fn onair_env(&self, allowed_emails: &str) -> Vec<(&'static str, String)> {
        vec![
            ("OIDC_ISSUER_URL", self.issuer_url()),
            ("OIDC_CLIENT_ID", CLIENT_ID.to_owned()),
            ("OIDC_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("OIDC_ALLOWED_EMAILS", allowed_emails.to_owned()),
        ]
    }

    /// The file holding its output.
    pub fn log_file(&self) -> &Path {
        self.service.log_file()
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.service.pid()
    }

    /// Stops it (SIGTERM to its process group, SIGKILL after the grace period). Idempotent.
    pub fn stop(&mut self) {
        self.service.stop();
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.stop();
    }
}
