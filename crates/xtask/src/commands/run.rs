//! `cargo xtask run`, `build` and `stack`: the app for a developer's browser (with
//! `--with-workers`, over LiveKit's egress and ingress workers, Redis and SeaweedFS), the release
//! build (server and app), and the local LiveKit server alone (with the workers when asked).

use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use xtask::stack::workers::WorkerStack;
use xtask::stack::{LiveKitOptions, LiveKitServer};
use xtask::tools;

use super::{
    OnAir, WITH_WORKERS, build_frontend, build_onair, header, log_path, with_workers_flag,
};

/// Where onair listens unless `PORT` says otherwise.
const DEFAULT_PORT: u16 = 3000;

pub fn run(args: &[String]) -> Result<()> {
    let with_workers = with_workers_flag("run", args)?;
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
        let mut options = LiveKitOptions::dev(binary).with_log_file(log_path("livekit.log")?);
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
    println!("\n{rule}\n    {banner}\n{rule}\n{workers_lines}\n(Ctrl-C stops it)\n");

    loop {
        if let Some(status) = onair.try_wait()? {
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
    let mut options = LiveKitOptions::dev(binary).with_log_file(log_path("livekit.log")?);
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
