//! `cargo xtask run`, `build` and `stack`: the app for a developer's browser, the release
//! build (server and app), and the local LiveKit server alone.

use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use xtask::stack::{LiveKitOptions, LiveKitServer};
use xtask::tools;

use super::{OnAir, build_frontend, build_onair, header, log_path};

/// Where onair listens unless `PORT` says otherwise.
const DEFAULT_PORT: u16 = 3000;

pub fn run(args: &[String]) -> Result<()> {
    let mut with_recording = false;
    for arg in args {
        match arg.as_str() {
            "--with-recording" => with_recording = true,
            other => bail!("`cargo xtask run` does not take `{other}` (only --with-recording)"),
        }
    }
    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse::<u16>()
            .with_context(|| format!("PORT={port} is not a port number"))?,
        Err(_) => DEFAULT_PORT,
    };

    header("tools");
    tools::ensure_wasm_target()?;
    if with_recording {
        println!("recording stack not available yet: running without recording");
    }

    let mut env = Vec::new();
    let mut livekit = None;
    if std::env::var_os("LIVEKIT_URL").is_none() {
        let binary = tools::ensure_livekit_server()?;
        header("livekit-server (local, dev keys)");
        let server = LiveKitServer::start(
            LiveKitOptions::dev(binary).with_log_file(log_path("livekit.log")?),
        )?;
        println!(
            "livekit-server at {} (log: {})",
            server.url(),
            server.log_file().display()
        );
        env.push(("LIVEKIT_URL", server.url()));
        env.push(("LIVEKIT_API_KEY", server.api_key().to_owned()));
        env.push(("LIVEKIT_API_SECRET", server.api_secret().to_owned()));
        livekit = Some(server);
    } else {
        println!("using the LiveKit server at LIVEKIT_URL (from the environment)");
    }

    header("build the app (trunk build --release)");
    let dist = build_frontend(true)?;
    env.push(("STATIC_DIR", dist.display().to_string()));

    header("build onair (release)");
    let binary = build_onair()?;

    header("start onair");
    let mut onair = OnAir::start(&binary, port, &env, None)?;
    onair.wait_healthy()?;
    let banner = format!("OnAir is running: open {}", onair.url());
    let rule = "=".repeat(banner.len() + 8);
    println!("\n{rule}\n    {banner}\n{rule}\n(Ctrl-C stops it)\n");

    loop {
        if let Some(status) = onair.try_wait()? {
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
    header("build the app (trunk build --release)");
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
    if let Some(arg) = args.first() {
        bail!("`cargo xtask stack` takes no arguments (got `{arg}`)");
    }
    let binary = tools::ensure_livekit_server()?;
    let mut server =
        LiveKitServer::start(LiveKitOptions::dev(binary).with_log_file(log_path("livekit.log")?))?;
    println!(
        "\nlivekit-server is running (Ctrl-C stops it)\n  \
         LIVEKIT_URL={}\n  LIVEKIT_API_KEY={}\n  LIVEKIT_API_SECRET={}\n  log: {}\n",
        server.url(),
        server.api_key(),
        server.api_secret(),
        server.log_file().display()
    );
    while server.is_running() {
        thread::sleep(Duration::from_millis(200));
    }
    bail!(
        "livekit-server stopped unexpectedly; last lines of its log:\n{}",
        server.log_tail(30)
    )
}
