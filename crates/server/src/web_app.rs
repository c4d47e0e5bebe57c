//! Serving the built browser app from `STATIC_DIR`. Each page is its own small app (built by
//! `crates/xtask/src/app.rs`): `/` gets `index.html`, `/host/:id` `studio.html`, `/stream/:id`
//! `watch.html`, `/recordings/:id` `replay.html`, so a reload or a shared link works and a page
//! downloads only its own code; any other page path gets `index.html` with a 404, and that app
//! says "not found". API paths never fall through to the app: a miss under `/api/` stays a JSON
//! 404.
//!
//! Files are sent as built, precompressed ones as their `.br` or `.gz` twin when the browser
//! accepts it (with `Vary: Accept-Encoding`); content-hashed files are cached for a year, pages
//! are always revalidated. Pages are read for each request (they are small, and a rebuild is
//! picked up at once). They have no inline script, so the Content-Security-Policy that
//! `startup` puts on every response needs no exception for them.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::config::Config;
use crate::error::ApiError;

/// `Cache-Control` of files whose name carries a content hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of files without one.
const REVALIDATE_HOURLY: &str = "public, max-age=3600";
/// `Cache-Control` of pages: always ask, so a new deployment is picked up at once.
const NO_CACHE: &str = "no-cache";

/// Where the built app is.
#[derive(Clone)]
pub struct WebApp {
    dir: PathBuf,
    files: ServeDir,
}

impl WebApp {
    /// A missing build is not fatal: the API still works, and app pages say how to build it.
    pub fn new(dir: &Path) -> Self {
        if !dir.join("index.html").is_file() {
            tracing::warn!(static_dir = %dir.display(), "no built app found (index.html missing): serving the API only; run `cargo xtask build`");
        }
        Self {
            dir: dir.to_owned(),
            files: ServeDir::new(dir).precompressed_br().precompressed_gzip(),
        }
    }

    /// Answers a request no API route matched.
    pub async fn serve(&self, request: Request<Body>) -> Response {
        let path = request.uri().path().to_owned();
        if path == "/api" || path.starts_with("/api/") {
            return ApiError::NotFound("no such API route".into()).into_response();
        }
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return ApiError::MethodNotAllowed.into_response();
        }
        if let Some(page) = page_for(&path) {
            return self.page(page, StatusCode::OK).await;
        }
        let mut response = match self.files.clone().oneshot(request).await {
            Ok(response) => response.map(Body::new),
            Err(never) => match never {},
        };
        if response.status() == StatusCode::NOT_FOUND {
            // An unknown page: the home app shows its own "not found" view.
            return if looks_like_a_file(&path) {
                response
            } else {
                self.page("index.html", StatusCode::NOT_FOUND).await
            };
        }
        if response.status().is_success() {
            let policy = if is_content_hashed(&path) {
                IMMUTABLE
            } else {
                REVALIDATE_HOURLY
            };
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        response
    }

    async fn page(&self, page: &str, status: StatusCode) -> Response {
        match tokio::fs::read_to_string(self.dir.join(page)).await {
            Ok(html) => (
                status,
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CACHE_CONTROL, NO_CACHE),
                ],
                html,
            )
                .into_response(),
            Err(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "The OnAir app is not built. Run `cargo xtask build` (or set STATIC_DIR).",
            )
                .into_response(),
        }
    }
}

/// Scripts and WASM only from this origin (pages add their inline boot script, by hash);
/// network access to this origin and to LiveKit; recordings played from the bucket; workers
/// from this origin or made by its scripts (hls.js transmuxes the broadcast in a blob worker,
/// off the main thread).
pub fn content_security_policy(config: &Config) -> String {
    let livekit_ws = config.livekit.public_url.origin().ascii_serialization();
    let livekit_http = livekit_ws.replacen("ws", "http", 1);
    let recordings = match &config.s3 {
        None => String::new(),
        Some(s3) => match s3.public_endpoint.as_ref().or(s3.endpoint.as_ref()) {
            Some(endpoint) => format!(" {}", endpoint.origin().ascii_serialization()),
            // Presigned AWS URLs name the bucket and region in the host.
            None => " https://*.amazonaws.com".to_owned(),
        },
    };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; media-src 'self' blob:{recordings}; font-src 'self'; \
         connect-src 'self' {livekit_ws} {livekit_http}; worker-src 'self' blob:; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The page the server sends for an app path: each page is its own small app (built by
/// `crates/xtask/src/app.rs`), so a reload or a shared link works and a page downloads only its
/// own code.
fn page_for(path: &str) -> Option<&'static str> {
    if path == "/" || path == "/index.html" {
        return Some("index.html");
    }
    let pages = [
        ("/host/", "studio.html"),
        ("/stream/", "watch.html"),
        ("/recordings/", "replay.html"),
    ];
    pages.into_iter().find_map(|(prefix, page)| {
        let rest = path.strip_prefix(prefix)?;
        let id = rest.strip_suffix('/').unwrap_or(rest);
        (!id.is_empty() && !id.contains('/')).then_some(page)
    })
}

fn looks_like_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|name| name.contains('.'))
}

/// The build names files `name-<16 hex digits>.ext` (see `crates/xtask/src/app.rs`).
fn is_content_hashed(path: &str) -> bool {
    path.split('/').any(|segment| {
        segment.match_indices('-').any(|(at, _)| {
            let hash = &segment.as_bytes()[at + 1..];
            hash.len() >= 16
                && hash[..16].iter().all(u8::is_ascii_hexdigit)
                && matches!(hash.get(16), None | Some(b'.') | Some(b'_'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_app_path_gets_its_own_page() {
        for (path, page) in [
            ("/", "index.html"),
            ("/host/abc", "studio.html"),
            ("/stream/abc", "watch.html"),
            ("/stream/abc/", "watch.html"),
            ("/recordings/abc", "replay.html"),
        ] {
            assert_eq!(page_for(path), Some(page), "{path}");
        }
        for path in ["/host/", "/stream/a/b", "/app.css", "/hosting"] {
            assert_eq!(page_for(path), None, "{path}");
        }
    }

    #[test]
    fn built_names_with_a_content_hash_are_recognised() {
        assert!(is_content_hashed("/watch_bg-13cd029737c2e876.wasm"));
        assert!(is_content_hashed("/watch-cac1654e00b92acf.js"));
        assert!(is_content_hashed("/livekit-client-fb646f2260d84f91.js"));
        assert!(is_content_hashed("/app-5061b0f1ce75418e.css"));
        assert!(!is_content_hashed("/livekit-client.umd.js"));
        assert!(!is_content_hashed("/watch.html"));
    }
}
