//! `cargo xtask <command>`: OnAir's developer workflow (see [`USAGE`]). The reusable parts
//! (tool installs, the LiveKit server, process cleanup) live in the `xtask` library.

mod commands;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test [-- <cargo test args>]   fmt check, clippy, tools, a local LiveKit, cargo test --workspace
  run [--with-recording]        build and run OnAir on http://127.0.0.1:3000 (PORT changes it),
                                with a local LiveKit unless LIVEKIT_URL is set
  build                         release build: target/release/onair
  stack                         only the local LiveKit server (ws://127.0.0.1:7880), until Ctrl-C
  bench [--requests N] [--concurrency C]
                                token issuance throughput and LiveKit calls under a burst
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
    let result = match command {
        "test" => commands::test::run(rest),
        "run" => commands::run::run(rest),
        "build" => commands::run::build(rest),
        "stack" => commands::run::stack(rest),
        "bench" => commands::bench::run(rest),
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
