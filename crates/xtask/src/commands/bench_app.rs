//! `cargo xtask bench-app`: what the app costs a visitor — each built file raw, gzip and brotli,
//! the bytes on the wire of the home page and of a viewer page against their goals, and a
//! viewer's time to first video frame after opening a share link (no click), with its
//! breakdown, side by side with a bare page on the same SDK (the limit of any app on
//! livekit-client) and their ratio — measured in headless Chromium by
//! `tests/browser/bench-app.mjs`.
//!
//! Same stack as the browser suite: the release app in `frontend/dist`, a local LiveKit on free
//! ports and the release `onair` in front of it, all on loopback and stopped at the end.
//! [`measure`] also hands the figures back, for the summary table of `cargo xtask bench`.

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::browser::{BrowserStack, ensure_browser_tools};
use super::{build_frontend, build_onair, header, log_path};

/// Viewers whose time to first frame is measured (each in a fresh browser context).
pub const DEFAULT_VIEWERS: usize = 5;

/// What `cargo xtask bench-app` was asked for.
struct Options {
    viewers: usize,
    /// Print a CPU profile of the first viewer's page (`--profile`).
    profile: bool,
}

pub fn run(args: &[String]) -> Result<()> {
    let options = parse_args(args)?;
    measure_with(options.viewers, options.profile).map(drop)
}

/// What one page received from onair (every response, API calls included).
#[derive(Debug, Clone, Copy)]
pub struct PageWeight {
    pub files: usize,
    /// Decoded body bytes.
    pub raw: u64,
    /// Body bytes as onair sent them (compressed or not).
    pub sent: u64,
    /// Response headers plus body bytes as sent: what crossed the wire.
    pub wire: u64,
}

/// The figures of one `bench-app` run.
#[derive(Debug, Clone)]
pub struct AppFigures {
    pub home: PageWeight,
    pub viewer: PageWeight,
    /// The bare page (the same SDK file and token request, nothing else).
    pub bare: PageWeight,
    /// Each new viewer's time from opening the link to the first video frame, in ms.
    pub first_frames_ms: Vec<f64>,
    /// The bare page's, measured alternately with them.
    pub bare_first_frames_ms: Vec<f64>,
    /// Each returning viewer's (name remembered), in ms.
    pub returning_first_frames_ms: Vec<f64>,
}

impl AppFigures {
    /// OnAir's median time to first frame over the bare page's.
    pub fn first_frame_ratio(&self) -> f64 {
        median(&self.first_frames_ms) / median(&self.bare_first_frames_ms)
    }
}

/// The median of `values` (NaN when there are none).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Builds the release app and onair, runs `tests/browser/bench-app.mjs` with `viewers` viewers
/// on its own stack (it prints its report as it goes) and returns the figures.
pub fn measure(viewers: usize) -> Result<AppFigures> {
    measure_with(viewers, false)
}

fn measure_with(viewers: usize, profile: bool) -> Result<AppFigures> {
    header("tools");
    let (livekit_binary, chromium) = ensure_browser_tools()?;

    header("build the app (one wasm app per page, precompressed)");
    build_frontend(true)?;
    header("build onair (release)");
    let onair_binary = build_onair()?;

    header("start livekit-server and onair");
    let mut stack = BrowserStack::start(
        "bench-app",
        &livekit_binary,
        &onair_binary,
        &chromium,
        None,
        None,
    )?;
    let viewers = viewers.to_string();
    let summary = log_path("bench-app-summary.json")?;
    let _ = std::fs::remove_file(&summary);
    let summary_arg = summary.display().to_string();
    let mut script = vec![
        "tests/browser/bench-app.mjs",
        "--viewers",
        &viewers,
        "--summary",
        &summary_arg,
    ];
    if profile {
        script.push("--profile");
    }
    let result = stack.node(&script);
    stack.stop()?;
    result?;
    let text = std::fs::read_to_string(&summary)
        .with_context(|| format!("reading {}", summary.display()))?;
    parse_summary(&text).with_context(|| format!("reading the figures in {}", summary.display()))
}

fn parse_summary(text: &str) -> Result<AppFigures> {
    let json: Value = serde_json::from_str(text)?;
    let page = |name: &str| -> Result<PageWeight> {
        let page = &json[name];
        let number = |key: &str| {
            page[key]
                .as_u64()
                .with_context(|| format!("{name}.{key} is not a number"))
        };
        Ok(PageWeight {
            files: number("files")? as usize,
            raw: number("raw")?,
            sent: number("sent")?,
            wire: number("wire")?,
        })
    };
    let times = |key: &str| -> Result<Vec<f64>> {
        json[key]
            .as_array()
            .with_context(|| format!("{key} is not a list"))?
            .iter()
            .map(|v| {
                v.as_f64()
                    .with_context(|| format!("a time in {key} is not a number"))
            })
            .collect()
    };
    Ok(AppFigures {
        home: page("home")?,
        viewer: page("viewer")?,
        bare: page("bare")?,
        first_frames_ms: times("firstFramesMs")?,
        bare_first_frames_ms: times("bareFirstFramesMs")?,
        returning_first_frames_ms: times("returningFirstFramesMs")?,
    })
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut options = Options {
        viewers: DEFAULT_VIEWERS,
        profile: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--profile" {
            options.profile = true;
            continue;
        }
        let value = match arg.split_once('=') {
            Some(("--viewers", value)) => value.to_owned(),
            None if arg == "--viewers" => match args.next() {
                Some(value) => value.clone(),
                None => bail!("--viewers needs a number"),
            },
            _ => bail!(
                "`cargo xtask bench-app` does not take `{arg}` (only --viewers N and --profile)"
            ),
        };
        options.viewers = match value.parse() {
            Ok(n) if (1..=50).contains(&n) => n,
            _ => bail!("--viewers {value}: expected a number from 1 to 50"),
        };
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_summary_of_bench_app_mjs() {
        let text = r#"{
            "home": { "files": 6, "raw": 1000, "sent": 380, "wire": 1380 },
            "viewer": { "files": 7, "raw": 2000, "sent": 550, "wire": 2550 },
            "bare": { "files": 3, "raw": 900, "sent": 200, "wire": 400 },
            "firstFramesMs": [720.5, 699, 709],
            "bareFirstFramesMs": [640, 650, 660],
            "returningFirstFramesMs": [410, 390.5, 400, 380]
        }"#;
        let figures = parse_summary(text).unwrap();
        assert_eq!(figures.home.files, 6);
        assert_eq!(figures.viewer.wire, 2550);
        assert_eq!(median(&figures.first_frames_ms), 709.0);
        assert_eq!(median(&figures.returning_first_frames_ms), 395.25);
        assert_eq!(figures.bare.wire, 400);
        assert!((figures.first_frame_ratio() - 709.0 / 650.0).abs() < 1e-9);
        assert!(parse_summary(r#"{"home":{}}"#).is_err());
    }
}
