//! Serving the built browser app from `STATIC_DIR`: files as they are, `index.html` for the
//! app's own routes (`/`, `/host/:id`, `/stream/:id`, `/recordings/:id`) so a reload or a shared
//! link works, long-lived caching for content-hashed files and none for `index.html`. API paths
//! never fall through to the app: a miss under `/api/` stays a JSON 404.
//!
//! trunk starts the app with an inline `<script type="module">`; its SHA-256 is read from
//! `index.html` at start-up and allowed in the Content-Security-Policy, so no other inline
//! script can run.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::error::ApiError;

/// `Cache-Control` of files whose name carries a content hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of files without one (the LiveKit SDK copied as is).
const REVALIDATE_HOURLY: &str = "public, max-age=3600";
/// `Cache-Control` of `index.html`: always ask, so a new deployment is picked up at once.
const NO_CACHE: &str = "no-cache";

/// The built app, read once at start-up.
#[derive(Clone)]
pub struct WebApp {
    dir: PathBuf,
    index_html: Option<bytes::Bytes>,
    inline_script_hashes: Vec<String>,
}

impl WebApp {
    /// Reads `dir/index.html`. A missing build is not fatal: the API still works, and app
    /// pages answer with a page saying how to build it.
    pub fn load(dir: &Path) -> Self {
        let index_html = std::fs::read(dir.join("index.html"))
            .ok()
            .map(bytes::Bytes::from);
        if index_html.is_none() {
            tracing::warn!(static_dir = %dir.display(), "no built app found (index.html missing): serving the API only; run `cargo xtask build`");
        }
        let inline_script_hashes = index_html
            .as_deref()
            .map(|html| inline_script_hashes(&String::from_utf8_lossy(html)))
            .unwrap_or_default();
        Self {
            dir: dir.to_owned(),
            index_html,
            inline_script_hashes,
        }
    }

    /// CSP sources (`'sha256-…'`) for the inline scripts of `index.html`.
    pub fn script_hash_sources(&self) -> String {
        self.inline_script_hashes
            .iter()
            .map(|h| format!(" 'sha256-{h}'"))
            .collect()
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
        if is_app_route(&path) {
            return self.index(StatusCode::OK);
        }
        let mut response = match ServeDir::new(&self.dir).oneshot(request).await {
            Ok(response) => response.map(Body::new),
            Err(never) => match never {},
        };
        if response.status() == StatusCode::NOT_FOUND {
            // An unknown page: the app shows its own "not found" view.
            return if looks_like_a_file(&path) {
                response
            } else {
                self.index(StatusCode::NOT_FOUND)
            };
        }
        if response.status().is_success() {
            let policy = if is_content_hashed(&path) {
                IMMUTABLE
            } else {
                REVALIDATE_HOURLY
            };
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        }
        response
    }

    fn index(&self, status: StatusCode) -> Response {
        match &self.index_html {
            Some(html) => (
                status,
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CACHE_CONTROL, NO_CACHE),
                ],
                html.clone(),
            )
                .into_response(),
            None => (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "The OnAir app is not built. Run `cargo xtask build` (or set STATIC_DIR).",
            )
                .into_response(),
        }
    }
}

/// Paths the app routes itself.
fn is_app_route(path: &str) -> bool {
    if path == "/" || path == "/index.html" {
        return true;
    }
    ["/host/", "/stream/", "/recordings/"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
    })
}

fn looks_like_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|name| name.contains('.'))
}

/// trunk names built files `name-<16 hex digits>.ext` or `name-<hash>_bg.wasm`, and snippet
/// folders likewise.
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

/// Base64 SHA-256 of each inline `<script>` body in `html`.
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after_tag = &rest[start..];
        let Some(open_end) = after_tag.find('>') else {
            break;
        };
        let opening = &after_tag[..open_end];
        let body_and_more = &after_tag[open_end + 1..];
        let Some(close) = body_and_more.find("</script>") else {
            break;
        };
        if !opening.contains("src=") {
            let digest = Sha256::digest(&body_and_more.as_bytes()[..close]);
            hashes.push(base64::engine::general_purpose::STANDARD.encode(digest));
        }
        rest = &body_and_more[close..];
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_routes_get_the_app() {
        for path in ["/", "/host/abc", "/stream/abc", "/recordings/abc"] {
            assert!(is_app_route(path), "{path}");
        }
        for path in ["/host/", "/stream/a/b", "/app.css", "/hosting"] {
            assert!(!is_app_route(path), "{path}");
        }
    }

    #[test]
    fn trunk_hashed_names_are_recognised() {
        assert!(is_content_hashed(
            "/onair-frontend-65ec41138183b6a3_bg.wasm"
        ));
        assert!(is_content_hashed("/onair-frontend-65ec41138183b6a3.js"));
        assert!(is_content_hashed("/app-5061b0f1ce75418e.css"));
        assert!(is_content_hashed(
            "/snippets/onair-frontend-ef3b1ecee4ada7e5/js/livekit.js"
        ));
        assert!(!is_content_hashed("/livekit-client.umd.js"));
    }

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_skipped() {
        let html = r#"<script src="/a.js"></script><script type="module">boot()</script>"#;
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"boot()"));
        assert_eq!(inline_script_hashes(html), vec![expected]);
    }
}
