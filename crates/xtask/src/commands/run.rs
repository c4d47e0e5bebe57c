//! `cargo xtask run`, `build` and `stack`: the app for a developer's browser (with
//! `--with-recording`, over the whole recording stack), the release build (server and app), and
//! the local LiveKit server alone.

use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use xtask::stack::recording::RecordingStack;
use xtask::stack::{LiveKitOptions, LiveKitServer};
use xtask::tools;
use xtask::tools::egress::ensure_recording_tools;

use super::{OnAir, build_frontend, build_onair, header, log_path};

/// Where onair listens unless `PORT` says otherwise.
const DEFAULT_PORT: u16 = 3000;

pub fn run(args: &[String]) -> Result<()> {
    let with_recording = with_recording_flag("run", args)?;
    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse::<u16>()
            .with_context(|| format!("PORT={port} is not a port number"))?,
        Err(_) => DEFAULT_PORT,
    };

    let external_livekit = std::env::var_os("LIVEKIT_URL").is_some();
    if with_recording && external_livekit {
        bail!(
            "--with-recording starts its own LiveKit (on Redis, with an egress worker), but \
             LIVEKIT_URL is set: unset it, or record with your own LiveKit's egress by setting \
             S3_BUCKET_NAME and the AWS_* variables (see README, Recording)"
        );
    }

    header("tools");
    tools::ensure_wasm_target()?;
    let recording_tools = if with_recording {
        Some(ensure_recording_tools()?)
    } else {
        None
    };

    let mut env = Vec::new();
    let mut recording = None;
    let mut livekit = None;
    if !external_livekit {
        let binary = tools::ensure_livekit_server()?;
        if let Some(tools) = &recording_tools {
            header("recording stack (Redis, PulseAudio, SeaweedFS)");
            recording = Some(RecordingStack::start(tools, "run")?);
        }
        header("livekit-server (local, dev keys)");
        let mut options = LiveKitOptions::dev(binary).with_log_file(log_path("livekit.log")?);
        options.redis_address = recording.as_ref().map(RecordingStack::redis_address);
        let server = LiveKitServer::start(options)?;
        println!(
            "livekit-server at {} (log: {})",
            server.url(),
            server.log_file().display()
        );
        if let Some(recording) = recording.as_mut() {
            header("egress worker");
            recording.start_egress(&server.url(), server.api_key(), server.api_secret())?;
            println!("recording stack: {}", recording.describe());
            env.extend(recording.onair_env());
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

    header("start onair");
    let mut onair = OnAir::start(&binary, port, &env, None)?;
    onair.wait_healthy()?;
    let banner = format!("OnAir is running: open {}", onair.url());
    let rule = "=".repeat(banner.len() + 8);
    let recording_line = if recording.is_some() {
        "recording: on (the studio's record button; replays at /recordings/<stream id>)"
    } else {
        "recording: off (`cargo xtask run --with-recording` starts egress, Redis and SeaweedFS)"
    };
    println!("\n{rule}\n    {banner}\n{rule}\n{recording_line}\n(Ctrl-C stops it)\n");

    loop {
        if let Some(status) = onair.try_wait()? {
            if let Some(mut recording) = recording.take() {
                recording.stop();
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
    let with_recording = with_recording_flag("stack", args)?;
    let binary = tools::ensure_livekit_server()?;
    let mut recording = if with_recording {
        Some(RecordingStack::start(&ensure_recording_tools()?, "stack")?)
    } else {
        None
    };
    let mut options = LiveKitOptions::dev(binary).with_log_file(log_path("livekit.log")?);
    options.redis_address = recording.as_ref().map(RecordingStack::redis_address);
    let mut server = LiveKitServer::start(options)?;
    let mut settings = vec![
        ("LIVEKIT_URL", server.url()),
        ("LIVEKIT_API_KEY", server.api_key().to_owned()),
        ("LIVEKIT_API_SECRET", server.api_secret().to_owned()),
    ];
    if let Some(recording) = recording.as_mut() {
        recording.start_egress(&server.url(), server.api_key(), server.api_secret())?;
        println!("recording stack: {}", recording.describe());
        settings.extend(recording.onair_env());
    }
    println!("\nthe local stack is running (Ctrl-C stops it); onair's settings:");
    for (name, value) in &settings {
        println!("  {name}={value}");
    }
    println!("  (livekit log: {})\n", server.log_file().display());
    while server.is_running() {
        thread::sleep(Duration::from_millis(200));
    }
    if let Some(mut recording) = recording {
        recording.stop();
    }
    let _ = server.stop();
    bail!(
        "livekit-server stopped unexpectedly; last lines of its log:\n{}",
        server.log_tail(30)
    )
}

/// Whether `args`, the arguments of `cargo xtask {command}`, ask for `--with-recording`, the only
/// one `run` and `stack` take.
fn with_recording_flag(command: &str, args: &[String]) -> Result<bool> {
    let mut with_recording = false;
    for arg in args {
        match arg.as_str() {
            "--with-recording" => with_recording = true,
            other => {
                bail!("`cargo xtask {command}` does not take `{other}` (only --with-recording)")
            }
        }
    }
    Ok(with_recording)
}
