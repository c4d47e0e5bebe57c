//! `cargo xtask bench-app`: what the app costs a visitor — the release wasm's size, the bytes the
//! home page and a viewer page transfer, and a viewer's time to first video frame after opening
//! a share link — measured in headless Chromium by `tests/browser/bench-app.mjs`.
//!
//! Same stack as the browser suite: the release app in `frontend/dist`, a local LiveKit on free
//! ports and the release `onair` in front of it, all on loopback and stopped at the end.

use anyhow::{Result, bail};

use super::browser::{BrowserStack, ensure_browser_tools};
use super::{build_frontend, build_onair, header};

/// Viewers whose time to first frame is measured (each in a fresh browser context).
const DEFAULT_VIEWERS: usize = 5;

pub fn run(args: &[String]) -> Result<()> {
    let viewers = parse_args(args)?;

    header("tools");
    let (livekit_binary, chromium) = ensure_browser_tools()?;

    header("build the app (trunk build --release)");
    build_frontend(true)?;
    header("build onair (release)");
    let onair_binary = build_onair()?;

    header("start livekit-server and onair");
    let mut stack =
        BrowserStack::start("bench-app", &livekit_binary, &onair_binary, &chromium, None)?;
    let viewers = viewers.to_string();
    let result = stack.node(&["tests/browser/bench-app.mjs", "--viewers", &viewers]);
    stack.stop()?;
    result
}

fn parse_args(args: &[String]) -> Result<usize> {
    let mut viewers = DEFAULT_VIEWERS;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = match arg.split_once('=') {
            Some(("--viewers", value)) => value.to_owned(),
            None if arg == "--viewers" => match args.next() {
                Some(value) => value.clone(),
                None => bail!("--viewers needs a number"),
            },
            _ => bail!("`cargo xtask bench-app` does not take `{arg}` (only --viewers N)"),
        };
        viewers = match value.parse() {
            Ok(n) if (1..=50).contains(&n) => n,
            _ => bail!("--viewers {value}: expected a number from 1 to 50"),
        };
    }
    Ok(viewers)
}
