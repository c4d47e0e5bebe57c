//! `cargo xtask run`, `build` and `stack`: the app for a developer's browser (with
//! `--with-workers`, over LiveKit's egress and ingress workers, Redis and SeaweedFS; with
//! `--with-sign-in`, private behind a local OpenID Connect provider), the release build (server
//! and app), and the local LiveKit server alone (with the workers when asked).

use std::path::Path;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use xtask::stack::oidc_provider::OidcProvider;
use xtask::stack::workers::WorkerStack;
use xtask::stack::{LiveKitOptions, LiveKitServer, tail};
use xtask::{target_dir, tools, workspace_root};

use super::{
    OnAir, WITH_WORKERS, build_frontend, build_onair, header, is_workers_flag, log_path,
    with_workers_flag,
};

/// Where onair listens unless `PORT` says otherwise.
const DEFAULT_PORT: u16 = 3000;

/// The flag that makes `run` private, signing in through a local OpenID Connect provider.
const WITH_SIGN_IN: &str = "--with-sign-in";

/// What `cargo xtask run` was asked for.
#[derive(Debug, Default, PartialEq, Eq)]
struct RunOptions {
    with_workers: bool,
    with_sign_in: bool,
}

impl RunOptions {
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self::default();
        for arg in args {
            if arg == WITH_SIGN_IN {
                options.with_sign_in = true;
            } else if is_workers_flag(arg) {
                options.with_workers = true;
            } else {
                bail!(
                    "`cargo xtask run` does not take `{arg}` (only {WITH_WORKERS}, {WITH_SIGN_IN})"
                );
            }
        }
        Ok(options)
    }
}

pub fn run(args: &[String]) -> Result<()> {
    let RunOptions {
        with_workers,
        with_sign_in,
    } = RunOptions::parse(args)?;
    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse::<u16>()
            .with_context(|| format!("PORT={port} is not a port number"))?,
        Err(_) => DEFAULT_PORT,
    };

    let external_livekit = std::env::var_os("LIVEKIT_URL").is_some();
    if with_workers && external_livekit {
        bail!(
            "{WITH_WORKERS} starts its own LiveKit (on Redis, with egress and ingress workers), \
             but LIVEKIT_URL is set: unset it, or use your own LiveKit's workers (for \
             recording set S3_BUCKET_NAME and the AWS_* variables, see README, Recording)"
        );
    }

    header("tools");
    tools::ensure_wasm_target()?;
    let worker_tools = if with_workers {
        Some(tools::ensure_worker_tools()?)
    } else {
        None
    };
    let oidc_provider_binary = if with_sign_in {
        Some(tools::oidc_provider::ensure_oidc_provider()?)
    } else {
        None
    };

    let mut env = Vec::new();
    let mut workers = None;
    let mut livekit = None;
    if !external_livekit {
        let binary = tools::ensure_livekit_server()?;
        if let Some(tools) = &worker_tools {
            header("workers' stack (Redis, PulseAudio, SeaweedFS)");
            workers = Some(WorkerStack::start(tools, "run")?);
        }
        header("livekit-server (local, dev keys)");
        let mut options = LiveKitOptions::dev(binary)
            .with_log_file(log_path("livekit.log")?)
            .with_webhooks_to(port);
        if let Some(workers) = &workers {
            options = workers.livekit_options(options);
        }
        let server = LiveKitServer::start(options)?;
        println!(
            "livekit-server at {} (log: {})",
            server.url(),
            server.log_file().display()
        );
        if let Some(workers) = workers.as_mut() {
            header("egress and ingress workers");
            workers.start_workers(&server.url(), server.api_key(), server.api_secret())?;
            println!("workers: {}", workers.describe());
            env.extend(workers.onair_env());
        }
        env.push(("LIVEKIT_URL", server.url()));
        env.push(("LIVEKIT_API_KEY", server.api_key().to_owned()));
        env.push(("LIVEKIT_API_SECRET", server.api_secret().to_owned()));
        livekit = Some(server);
    } else {
        println!("using the LiveKit server at LIVEKIT_URL (from the environment)");
    }

    header("build the app (one wasm app per page, precompressed)");
    let dist = build_frontend(true)?;
    env.push(("STATIC_DIR", dist.display().to_string()));

    header("build onair (release)");
    let binary = build_onair()?;

    let mut sign_in = None;
    if let Some(provider_binary) = &oidc_provider_binary {
        header("OpenID Connect provider (zitadel/oidc's example, for signing in)");
        let started = SignIn::start(provider_binary, &binary, port)?;
        env.extend(started.settings.iter().cloned());
        sign_in = Some(started);
    }

    header("start onair");
    let mut onair = OnAir::start(&binary, port, &env, None)?;
    onair.wait_healthy()?;
    let banner = format!("OnAir is running: open {}", onair.url());
    let rule = "=".repeat(banner.len() + 8);
    let workers_lines = match &workers {
        Some(workers) => {
            let urls = workers.ingress_ports().livekit_urls();
            format!(
                "recording: on (the studio's record button; replays at /recordings/<stream id>)\n\
                 streaming from OBS: on (RTMP {}, WHIP {}; the studio shows the stream key)",
                urls.rtmp_base_url, urls.whip_base_url
            )
        }
        None => format!(
            "recording and streaming from OBS: off (`cargo xtask run {WITH_WORKERS}` starts \
             egress, ingress, Redis and SeaweedFS)"
        ),
    };
    let sign_in_lines = match &sign_in {
        Some(sign_in) => sign_in.lines.clone(),
        None => format!(
            "sign-in: off, anyone creates streams (`cargo xtask run {WITH_SIGN_IN}` makes it \
             private, with a local OpenID Connect provider)"
        ),
    };
    println!(
        "\n{rule}\n    {banner}\n{rule}\n{workers_lines}\n{sign_in_lines}\n(Ctrl-C stops it)\n"
    );

    loop {
        if let Some(sign_in) = &sign_in
            && sign_in.provider.pid().is_none()
        {
            let log = sign_in.provider.log_file().to_owned();
            onair.stop();
            bail!(
                "the OpenID Connect provider stopped unexpectedly; last lines of its log:\n{}",
                tail(&log, 30)
            );
        }
        if let Some(status) = onair.try_wait()? {
            drop(sign_in.take());
            if let Some(mut workers) = workers.take() {
                workers.stop();
            }
            if let Some(mut server) = livekit.take() {
                server.stop()?;
            }
            if status.success() {
                return Ok(());
            }
            bail!("onair exited ({status})");
        }
        if let Some(server) = livekit.as_mut()
            && !server.is_running()
        {
            let tail = server.log_tail(30);
            onair.stop();
            bail!("livekit-server stopped unexpectedly; last lines of its log:\n{tail}");
        }
        thread::sleep(Duration::from_millis(200));
    }
}

pub fn build(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask build` takes no arguments (got `{arg}`)");
    }
    header("build the app (one wasm app per page, precompressed)");
    let dist = build_frontend(true)?;
    header("build onair (release)");
    let binary = build_onair()?;
    println!(
        "\nbuilt {} and the app in {}",
        binary.display(),
        dist.display()
    );
    Ok(())
}

pub fn stack(args: &[String]) -> Result<()> {
    let with_workers = with_workers_flag("stack", args)?;
    let binary = tools::ensure_livekit_server()?;
    let mut workers = if with_workers {
        Some(WorkerStack::start(&tools::ensure_worker_tools()?, "stack")?)
    } else {
        None
    };
    // Webhooks go to an onair started on PORT (default 3000) with the settings printed below.
    let onair_port = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(DEFAULT_PORT);
    let mut options = LiveKitOptions::dev(binary)
        .with_log_file(log_path("livekit.log")?)
        .with_webhooks_to(onair_port);
    if let Some(workers) = &workers {
        options = workers.livekit_options(options);
    }
    let mut server = LiveKitServer::start(options)?;
    let mut settings = vec![
        ("LIVEKIT_URL", server.url()),
        ("LIVEKIT_API_KEY", server.api_key().to_owned()),
        ("LIVEKIT_API_SECRET", server.api_secret().to_owned()),
    ];
    if let Some(workers) = workers.as_mut() {
        workers.start_workers(&server.url(), server.api_key(), server.api_secret())?;
        println!("workers: {}", workers.describe());
        settings.extend(workers.onair_env());
    }
    println!("\nthe local stack is running (Ctrl-C stops it); onair's settings:");
    for (name, value) in &settings {
        println!("  {name}={value}");
    }
    println!("  (livekit log: {})", server.log_file().display());
    if let Some(workers) = &workers {
        // Not onair's settings: livekit-server hands these out with every ingress it creates.
        let urls = workers.ingress_ports().livekit_urls();
        println!(
            "encoders (OBS, ffmpeg) stream to: RTMP {}/<stream key>, WHIP {}/<stream key>",
            urls.rtmp_base_url, urls.whip_base_url
        );
    }
    println!();
    while server.is_running() {
        thread::sleep(Duration::from_millis(200));
    }
    if let Some(mut workers) = workers {
        workers.stop();
    }
    let _ = server.stop();
    bail!(
        "livekit-server stopped unexpectedly; last lines of its log:\n{}",
        server.log_tail(30)
    )
}

/// `--with-sign-in`: the OpenID Connect provider (stopped on drop), onair's settings for signing
/// in with it, and the lines that tell the developer how.
struct SignIn {
    provider: OidcProvider,
    settings: Vec<(&'static str, String)>,
    lines: String,
}

impl SignIn {
    /// Starts the provider for an onair on `port` (or at `PUBLIC_URL`, when set).
    /// `ACCESS_MODE`, `OIDC_ALLOWED_EMAILS` and `CREATOR_KEYS_FILE` from the environment win
    /// over the defaults (private, the provider's test user, a file under `target/xtask/`).
    fn start(provider_binary: &Path, onair_binary: &Path, port: u16) -> Result<Self> {
        let from_env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let mut redirect_uris = vec![
            format!("http://127.0.0.1:{port}/auth/callback"),
            format!("http://localhost:{port}/auth/callback"),
        ];
        if let Some(public_url) = from_env("PUBLIC_URL") {
            let uri = format!("{}/auth/callback", public_url.trim_end_matches('/'));
            if !redirect_uris.contains(&uri) {
                redirect_uris.push(uri);
            }
        }
        let provider = OidcProvider::start(
            provider_binary,
            &redirect_uris,
            log_path("oidc-provider.log")?,
        )?;
        let allowed_emails = from_env("OIDC_ALLOWED_EMAILS")
            .unwrap_or_else(|| provider.allowed_user().email.to_owned());
        let mut settings = provider.onair_env(&allowed_emails);
        let access_mode = match from_env("ACCESS_MODE") {
            // onair inherits it from the environment.
            Some(mode) => format!("ACCESS_MODE={mode}, from the environment"),
            None => {
                settings.push(("ACCESS_MODE", "private".to_owned()));
                "ACCESS_MODE=private: creating a stream needs a signed-in creator".to_owned()
            }
        };
        let keys_file = match from_env("CREATOR_KEYS_FILE") {
            Some(file) => file,
            None => {
                let file = target_dir()
                    .join("xtask/run-creator-keys.json")
                    .display()
                    .to_string();
                settings.push(("CREATOR_KEYS_FILE", file.clone()));
                file
            }
        };
        let (allowed, refused) = (provider.allowed_user(), provider.refused_user());
        let onair_command = onair_binary
            .strip_prefix(workspace_root())
            .unwrap_or(onair_binary)
            .display()
            .to_string();
        println!(
            "OpenID Connect provider at {} (log: {})",
            provider.issuer_url(),
            provider.log_file().display()
        );
        let lines = format!(
            "sign-in: on ({access_mode})\n\
             \x20 OpenID Connect provider: {} (zitadel/oidc's example; listens on every \
             interface)\n\
             \x20 sign in as {} / {} (email {}; OIDC_ALLOWED_EMAILS={allowed_emails})\n\
             \x20 refused: {} / {} (the provider signs it in; OnAir refuses its email {} \
             unless OIDC_ALLOWED_EMAILS names it)\n\
             \x20 creator keys, instead of signing in: CREATOR_KEYS_FILE={keys_file} \
             {onair_command} creator-key add <name>",
            provider.issuer_url(),
            allowed.username,
            allowed.password,
            allowed.email,
            refused.username,
            refused.password,
            refused.email,
        );
        Ok(Self {
            provider,
            settings,
            lines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn run_takes_the_workers_and_sign_in_flags_in_any_order() {
        assert_eq!(RunOptions::parse(&[]).unwrap(), RunOptions::default());
        let both = RunOptions {
            with_workers: true,
            with_sign_in: true,
        };
        assert_eq!(
            RunOptions::parse(&args(&["--with-sign-in", "--with-workers"])).unwrap(),
            both
        );
        assert_eq!(
            RunOptions::parse(&args(&["--with-workers", "--with-sign-in"])).unwrap(),
            both
        );
        assert!(
            RunOptions::parse(&args(&["--with-sign-in"]))
                .unwrap()
                .with_sign_in
        );
        assert!(RunOptions::parse(&args(&["--private"])).is_err());
    }
}
