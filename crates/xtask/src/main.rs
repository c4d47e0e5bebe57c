//! `cargo xtask <command>`: OnAir's developer workflow (see [`USAGE`]). The reusable parts
//! (tool installs, the LiveKit server, process cleanup) live in the `xtask` library.

mod commands;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test [-- <cargo test args>]   fmt check, clippy, tools, a local LiveKit, cargo test, then the
                                browser suite (tests/browser) in headless Chromium
  run [--with-workers] [--with-sign-in]
                                build and run OnAir on http://127.0.0.1:3000 (PORT changes it),
                                with a local LiveKit unless LIVEKIT_URL is set; --with-workers
                                adds LiveKit's egress (recording) and ingress (RTMP/WHIP from
                                OBS) with Redis and SeaweedFS; --with-sign-in makes it private
                                (ACCESS_MODE=private) with a local OpenID Connect provider and
                                prints its test users
  e2e [-- <node args>]          only the browser suite: release app, its own LiveKit and onair,
                                node --test tests/browser/ (screenshots in target/e2e-screenshots)
  api [-- <cargo test args>]    only the API suites (tests/api) against LiveKit and its workers,
                                e.g. `cargo xtask api -- webhooks`
  build                         release build: target/release/onair and the app in frontend/dist
  stack [--with-workers]        only the local LiveKit server (ws://127.0.0.1:7880), with
                                Redis, egress, ingress and SeaweedFS when asked; prints onair's
                                settings and the RTMP/WHIP URLs
  bench [--requests N] [--concurrency C] [--viewers V] [--no-app]
                                one table: token throughput against a bare Axum handler, LiveKit
                                calls under a burst, RSS, start to ready, first frame, page weights
  bench-app [--viewers N]       app size (wasm, page transfers) and viewers' time to first frame
  schemathesis [--with-workers] [--private] [-- <st run args>]
                                Schemathesis, every phase and check, against /api/openapi.json
                                (--private: of an onair in private mode, streams created with a
                                creator key)
  image                         build the Dockerfile with podman (onair:dev) and check the image:
                                probes, home page in Chromium, non-root, HEALTHCHECK, SIGTERM
  compose-images                build local stand-ins of the images compose.yaml names (same
                                names and tags; no registry is reachable here)
  compose-check                 compose.yaml up with podman compose, a browser journey through
                                Caddy's HTTPS, down and up again (a step of `test`)

--with-recording, the old name of --with-workers, is still accepted.
";

fn main() -> ExitCode {
    if let Err(error) = xtask::process::install_cleanup_handler() {
        eprintln!("warning: {error:#}");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if rest
        .first()
        .is_some_and(|arg| arg == "-h" || arg == "--help")
    {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = match command {
        "test" => commands::test::run(rest),
        "run" => commands::run::run(rest),
        "e2e" => commands::test::e2e(rest),
        "api" => commands::test::api(rest),
        "build" => commands::run::build(rest),
        "stack" => commands::run::stack(rest),
        "bench" => commands::bench::run(rest),
        // Internal: the load generator `bench` runs from a release build of xtask.
        "bench-load" => commands::bench::load(rest),
        "bench-app" => commands::bench_app::run(rest),
        "schemathesis" => commands::schemathesis::run(rest),
        "image" => commands::image::run(rest),
        "compose-images" => commands::compose_images::run(rest),
        "compose-check" => commands::compose_check::run(rest),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprint!("unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nerror: {error:#}");
            ExitCode::FAILURE
        }
    }
}
