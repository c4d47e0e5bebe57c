//! Building the browser app into `frontend/dist`: one small app per page, content-hashed files,
//! an HTML page per app, and (release) every asset precompressed.
//!
//! Each page of OnAir is its own wasm binary (`frontend/src/bin/*.rs`), so the home page never
//! downloads the studio's or the viewer's code, and only the pages that connect carry the LiveKit
//! bindings. The steps, all offline and pinned:
//! 1. `cargo build --bins` for `wasm32-unknown-unknown` (release: the `wasm-release` profile);
//! 2. the pinned `wasm-bindgen` CLI (`--target web`) per binary;
//! 3. release only: binaryen's `wasm-opt -Oz` (from npm, pinned by `frontend/package-lock.json`);
//! 4. every file named after its content (`name-{hash}.ext`), the JS glue starting its own wasm,
//!    and `frontend/index.html` filled in per page ([`PAGES`]);
//! 5. release only: `.gz` (gzip -9) and `.br` (brotli, quality 11) beside each asset, which the
//!    server sends as they are, so no request pays for compression.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::process::run_checked;
use crate::{target_dir, tools, workspace_root};

/// A page of the app: the wasm binary that renders it and the HTML file the server sends for it.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// `frontend/src/bin/{bin}.rs`.
    pub bin: &'static str,
    /// The HTML file in `dist` (the server maps paths to these: see `crates/server/src/web_app.rs`).
    pub html: &'static str,
    /// Pages that join a LiveKit room start fetching the SDK with the page.
    pub connects: bool,
    /// The page plays before its app starts (the viewer's early join, `js/livekit.js`): its
    /// wasm is not preloaded, so the SDK has the connection to itself.
    pub plays_before_app: bool,
    /// The page may play an HLS playlist (the broadcast, a replay): it names the hls.js
    /// script, which is fetched only when it does.
    pub plays_hls: bool,
}

/// Every page, in the order the server documents them.
pub const PAGES: [Page; 4] = [
    Page {
        bin: "home",
        html: "index.html",
        connects: false,
        plays_before_app: false,
        plays_hls: false,
    },
    Page {
        bin: "studio",
        html: "studio.html",
        connects: true,
        plays_before_app: false,
        plays_hls: false,
    },
    Page {
        bin: "watch",
        html: "watch.html",
        connects: true,
        plays_before_app: true,
        plays_hls: true,
    },
    Page {
        bin: "replay",
        html: "replay.html",
        connects: false,
        plays_before_app: false,
        plays_hls: true,
    },
];

/// The LiveKit SDK as npm installed it (pinned by `frontend/package-lock.json`).
const SDK_SOURCE: &str = "node_modules/livekit-client/dist/livekit-client.umd.js";

/// hls.js as npm installed it (pinned likewise): the light build, without subtitles, alternate
/// audio and DRM, which OnAir's broadcasts do not carry.
const HLS_PLAYER_SOURCE: &str = "node_modules/hls.js/dist/hls.light.min.js";

/// Builds the app into `frontend/dist` (replaced whole) and returns that folder.
pub fn build(release: bool) -> Result<PathBuf> {
    let frontend = workspace_root().join("frontend");
    tools::ensure_wasm_target()?;
    tools::ensure_npm(&frontend)?;
    let bindgen = tools::ensure_wasm_bindgen()?.join("wasm-bindgen");

    let profile = if release { "wasm-release" } else { "dev" };
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo
        .args(["build", "-p", "onair-frontend", "--bins"])
        .args(["--target", "wasm32-unknown-unknown", "--profile", profile])
        .current_dir(workspace_root());
    run_checked(
        cargo,
        &format!(
            "cargo build -p onair-frontend --bins --target wasm32-unknown-unknown --profile {profile}"
        ),
    )?;
    let wasm_dir = target_dir()
        .join("wasm32-unknown-unknown")
        .join(if release { "wasm-release" } else { "debug" });

    let staging = target_dir().join("xtask/app-staging");
    let _ = fs::remove_dir_all(&staging);
    let dist_next = frontend.join("dist.next");
    let _ = fs::remove_dir_all(&dist_next);
    fs::create_dir_all(&dist_next).with_context(|| format!("creating {}", dist_next.display()))?;
    let mut dist = Dist::new(&dist_next);

    let stylesheet = dist.add_file(&frontend.join("style/app.css"), "app", "css")?;
    let favicon = dist.add_file(&frontend.join("public/favicon.svg"), "favicon", "svg")?;
    let sdk = dist.add_file(&frontend.join(SDK_SOURCE), "livekit-client", "js")?;
    let hls_player = dist.add_file(&frontend.join(HLS_PLAYER_SOURCE), "hls", "js")?;
    let template = read_text(&frontend.join("index.html"))?;

    // wasm-bindgen and wasm-opt for every page at once (wasm-opt takes seconds per page).
    std::thread::scope(|scope| {
        let handles: Vec<_> = PAGES
            .iter()
            .map(|page| {
                let (bindgen, frontend) = (&bindgen, &frontend);
                let (out, input) = (
                    staging.join(page.bin),
                    wasm_dir.join(format!("{}.wasm", page.bin)),
                );
                scope.spawn(move || -> Result<()> {
                    let mut bindgen_run = Command::new(bindgen);
                    bindgen_run
                        .args(["--target", "web", "--no-typescript", "--out-dir"])
                        .arg(&out)
                        .arg(input);
                    run_checked(bindgen_run, &format!("wasm-bindgen {}", page.bin))?;
                    if release {
                        shrink_wasm(frontend, &out.join(format!("{}_bg.wasm", page.bin)))?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|handle| handle.join().expect("a wasm-bindgen thread panicked"))
    })?;

    for page in PAGES {
        let out = staging.join(page.bin);
        let wasm = out.join(format!("{}_bg.wasm", page.bin));
        let wasm_name = dist.add_file(&wasm, &format!("{}_bg", page.bin), "wasm")?;
        let (glue, snippets) = glue_with_snippets(&mut dist, &out, page, &wasm_name)?;
        let entry = dist.add_bytes(glue.as_bytes(), page.bin, "js")?;
        let html = fill_template(
            &template,
            &PageAssets {
                entry: &entry,
                wasm: &wasm_name,
                modules: &snippets,
                stylesheet: &stylesheet,
                favicon: &favicon,
                sdk: page.connects.then_some(sdk.as_str()),
                hls_player: page.plays_hls.then_some(hls_player.as_str()),
                plays_before_app: page.plays_before_app,
            },
        )?;
        fs::write(dist_next.join(page.html), html)
            .with_context(|| format!("writing {}", page.html))?;
    }

    if release {
        let started = std::time::Instant::now();
        dist.precompress()?;
        println!("precompressed in {:.1} s", started.elapsed().as_secs_f64());
    }
    let dist_dir = frontend.join("dist");
    let _ = fs::remove_dir_all(&dist_dir);
    fs::rename(&dist_next, &dist_dir)
        .with_context(|| format!("moving {} to {}", dist_next.display(), dist_dir.display()))?;
    dist.print_sizes();
    Ok(dist_dir)
}

/// The wasm-bindgen glue of one page, made to start itself: the snippets it imports (our
/// `frontend/js/*.js`) are renamed after their content and imported by that name, and a last
/// line loads the page's wasm by its hashed name. The HTML then needs no inline script.
/// Returns the glue and the names of the snippets it imports.
fn glue_with_snippets(
    dist: &mut Dist,
    out: &Path,
    page: Page,
    wasm_name: &str,
) -> Result<(String, Vec<String>)> {
    let mut glue = read_text(&out.join(format!("{}.js", page.bin)))?;
    let mut imported = Vec::new();
    let snippets = out.join("snippets");
    if snippets.is_dir() {
        for snippet in files_under(&snippets)? {
            let relative = snippet
                .strip_prefix(out)
                .expect("under the out dir")
                .to_string_lossy()
                .replace('\\', "/");
            let stem = snippet
                .file_stem()
                .and_then(|s| s.to_str())
                .context("a snippet without a name")?;
            // wasm-bindgen writes every snippet of the crate; a page carries only those it uses.
            let import = format!("'./{relative}'");
            if glue.contains(&import) {
                let hashed = dist.add_file(&snippet, stem, "js")?;
                glue = glue.replace(&import, &format!("'./{hashed}'"));
                imported.push(hashed);
            }
        }
    }
    if glue.contains("'./snippets/") {
        bail!("the {} glue imports a snippet that was not found", page.bin);
    }
    if !glue.contains("export { initSync, __wbg_init as default };") {
        bail!(
            "the wasm-bindgen glue of {} has no `__wbg_init` export: was the CLI upgraded?",
            page.bin
        );
    }
    let start =
        format!("__wbg_init({{ module_or_path: new URL('./{wasm_name}', import.meta.url) }})");
    // A page that connects starts its app when `js/livekit.js` says (a viewer's page lets the
    // SDK run first: see `appMayStart` there).
    match imported.iter().find(|name| name.starts_with("livekit-")) {
        Some(livekit) => glue.push_str(&format!(
            "\nimport {{ appMayStart as __onairAppMayStart }} from './{livekit}';\n__onairAppMayStart().then(() => {start});\n"
        )),
        None => glue.push_str(&format!("\n{start};\n")),
    }
    Ok((glue, imported))
}

/// What one page's HTML links to (names in `dist`).
struct PageAssets<'a> {
    entry: &'a str,
    wasm: &'a str,
    /// Modules the entry imports (found only once it is parsed, so preloaded with the page).
    modules: &'a [String],
    stylesheet: &'a str,
    favicon: &'a str,
    sdk: Option<&'a str>,
    /// hls.js, named in a `<meta name="onair-hls-player">` for `js/hls-player.js` to load when
    /// the page plays HLS (most viewers never need it).
    hls_player: Option<&'a str>,
    /// The page plays before its app starts: its modules (the early join) run as soon as they
    /// are fetched, and the wasm is not preloaded.
    plays_before_app: bool,
}

/// `frontend/index.html` with its `{{…}}` placeholders filled in.
fn fill_template(template: &str, assets: &PageAssets<'_>) -> Result<String> {
    // The wasm starts downloading with the page, beside the JS glue, instead of after it has
    // run — except on a page that plays before its app, where the SDK is the first frame's path
    // and the wasm is needed only after it. On pages that connect, the SDK is an async script
    // of the page: it downloads and runs while the wasm compiles, not after the app asks for it.
    // Where the page plays before its app, the SDK and the early join are its first frame's
    // path: fetched at high priority (async scripts are low by default).
    let priority = if assets.plays_before_app {
        " fetchpriority=\"high\""
    } else {
        ""
    };
    let mut preloads = assets
        .sdk
        .map(|sdk| {
            format!("<script async{priority} src=\"/{sdk}\" id=\"livekit-sdk\"></script>\n    ")
        })
        .unwrap_or_default();
    if !assets.plays_before_app {
        preloads.push_str(&format!(
            r#"<link rel="preload" href="/{}" as="fetch" type="application/wasm" crossorigin>"#,
            assets.wasm
        ));
    }
    if let Some(hls_player) = assets.hls_player {
        preloads.push_str(&format!(
            "\n    <meta name=\"onair-hls-player\" content=\"/{hls_player}\">"
        ));
    }
    for module in assets.modules {
        // An async module runs as soon as it is fetched, before the page is parsed and its
        // stylesheet loaded; the entry's import of the same URL finds it run.
        let tag = if assets.plays_before_app {
            format!("<script type=\"module\" async{priority} src=\"/{module}\"></script>")
        } else {
            format!("<link rel=\"modulepreload\" href=\"/{module}\">")
        };
        preloads.push_str(&format!("\n    {tag}"));
    }
    let mut html = template.to_owned();
    for (placeholder, value) in [
        ("{{stylesheet}}", format!("/{}", assets.stylesheet)),
        ("{{favicon}}", format!("/{}", assets.favicon)),
        ("{{entry}}", format!("/{}", assets.entry)),
        ("{{preloads}}", preloads),
    ] {
        if !html.contains(placeholder) {
            bail!("frontend/index.html has no {placeholder}");
        }
        html = html.replace(placeholder, &value);
    }
    Ok(html)
}

/// The files of `dist` as they are written, by name, with their sizes for the summary.
struct Dist {
    dir: PathBuf,
    sizes: BTreeMap<String, u64>,
}

impl Dist {
    fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            sizes: BTreeMap::new(),
        }
    }

    fn add_file(&mut self, source: &Path, stem: &str, extension: &str) -> Result<String> {
        let bytes = fs::read(source).with_context(|| format!("reading {}", source.display()))?;
        self.add_bytes(&bytes, stem, extension)
    }

    /// Writes `bytes` as `{stem}-{hash}.{extension}`, the hash being the first 16 hex digits of
    /// their SHA-256, and returns that name.
    fn add_bytes(&mut self, bytes: &[u8], stem: &str, extension: &str) -> Result<String> {
        let hash = Sha256::digest(bytes);
        let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
        let name = format!("{stem}-{hex}.{extension}");
        let path = self.dir.join(&name);
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        self.sizes.insert(name.clone(), bytes.len() as u64);
        Ok(name)
    }

    /// Writes `{file}.gz` (gzip -9) and `{file}.br` (brotli 11) beside every asset, in parallel,
    /// reusing earlier results for unchanged content (names carry the content hash).
    fn precompress(&self) -> Result<()> {
        let cache = target_dir().join("xtask/precompressed");
        fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
        let names: Vec<&String> = self.sizes.keys().collect();
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|worker| {
                    let names = &names;
                    let cache = &cache;
                    scope.spawn(move || -> Result<()> {
                        for name in names.iter().skip(worker).step_by(workers) {
                            self.precompress_one(name, cache)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            handles
                .into_iter()
                .try_for_each(|handle| handle.join().expect("a precompression thread panicked"))
        })
    }

    fn precompress_one(&self, name: &str, cache: &Path) -> Result<()> {
        let source = self.dir.join(name);
        // Read only when a twin has to be made, and then once for both.
        let mut raw: Option<Vec<u8>> = None;
        for (suffix, compress) in [("gz", gzip as fn(&[u8]) -> Result<Vec<u8>>), ("br", brotli)] {
            let cached = cache.join(format!("{name}.{suffix}"));
            if !cached.is_file() {
                let raw = match &raw {
                    Some(raw) => raw,
                    None => raw.insert(
                        fs::read(&source)
                            .with_context(|| format!("reading {}", source.display()))?,
                    ),
                };
                fs::write(&cached, compress(raw)?)
                    .with_context(|| format!("writing {}", cached.display()))?;
            }
            let target = self.dir.join(format!("{name}.{suffix}"));
            fs::copy(&cached, &target)
                .with_context(|| format!("copying {} to {}", cached.display(), target.display()))?;
        }
        Ok(())
    }

    fn print_sizes(&self) {
        println!("frontend/dist:");
        for (name, raw) in &self.sizes {
            let gz = fs::metadata(self.dir_final().join(format!("{name}.gz")))
                .map(|m| format!(", {:.1} KiB gzip", m.len() as f64 / 1024.0))
                .unwrap_or_default();
            println!("  {name:<40} {:>7.1} KiB{gz}", *raw as f64 / 1024.0);
        }
    }

    /// Where the files are once `dist.next` has become `dist`.
    fn dir_final(&self) -> PathBuf {
        self.dir.with_file_name("dist")
    }
}

fn gzip(raw: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(raw).context("gzip")?;
    encoder.finish().context("gzip")
}

fn brotli(raw: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(raw).context("brotli")?;
    }
    Ok(out)
}

/// Runs binaryen's `wasm-opt -Oz` (from npm) over `wasm` in place: it drops the names section
/// and shrinks the code. wasm-bindgen's own output keeps names, which the dev build wants.
fn shrink_wasm(frontend: &Path, wasm: &Path) -> Result<()> {
    let wasm_opt = frontend.join("node_modules/binaryen/bin/wasm-opt");
    let mut command = Command::new("node");
    command.arg(&wasm_opt).arg("-Oz");
    // The features rustc enables by default for wasm32-unknown-unknown.
    for feature in [
        "bulk-memory",
        "mutable-globals",
        "nontrapping-float-to-int",
        "sign-ext",
        "reference-types",
        "multivalue",
    ] {
        command.arg(format!("--enable-{feature}"));
    }
    command.arg(wasm).arg("-o").arg(wasm);
    run_checked(command, "wasm-opt -Oz")
}

fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(files_under(&path)?);
        } else {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_links_its_own_hashed_files_and_only_connecting_pages_run_the_sdk() {
        let template = "<link rel=\"icon\" href=\"{{favicon}}\"><link rel=\"stylesheet\" \
                        href=\"{{stylesheet}}\">{{preloads}}<script type=\"module\" \
                        src=\"{{entry}}\"></script>";
        let assets = PageAssets {
            entry: "watch-00.js",
            wasm: "watch_bg-11.wasm",
            modules: &["livekit-55.js".to_owned()],
            stylesheet: "app-22.css",
            favicon: "favicon-33.svg",
            sdk: Some("livekit-client-44.js"),
            hls_player: Some("hls-66.js"),
            plays_before_app: false,
        };
        let html = fill_template(template, &assets).unwrap();
        assert!(html.contains("src=\"/watch-00.js\""));
        assert!(html.contains("href=\"/watch_bg-11.wasm\" as=\"fetch\""));
        assert!(html.contains("<script async src=\"/livekit-client-44.js\" id=\"livekit-sdk\">"));
        assert!(html.contains("<link rel=\"modulepreload\" href=\"/livekit-55.js\">"));
        // hls.js is named, not fetched: most viewers watch over WebRTC.
        assert!(html.contains("<meta name=\"onair-hls-player\" content=\"/hls-66.js\">"));
        let home = fill_template(
            template,
            &PageAssets {
                sdk: None,
                hls_player: None,
                ..assets
            },
        )
        .unwrap();
        assert!(!home.contains("livekit-client") && !home.contains("hls-66"));
        let plays_first = fill_template(
            template,
            &PageAssets {
                plays_before_app: true,
                ..assets
            },
        )
        .unwrap();
        assert!(!plays_first.contains(".wasm"), "{plays_first}");
        assert!(
            plays_first.contains(
                "<script type=\"module\" async fetchpriority=\"high\" src=\"/livekit-55.js\">"
            ),
            "{plays_first}"
        );
        assert!(fill_template("no placeholders", &assets).is_err());
    }
}
