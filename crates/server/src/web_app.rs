//! Serving the built browser app from `STATIC_DIR`: files as they are, `index.html` for the
//! app's own routes (`/`, `/host/:id`, `/stream/:id`, `/recordings/:id`) so a reload or a shared
//! link works, long-lived caching for content-hashed files and none for `index.html`. API paths
//! never fall through to the app: a miss under `/api/` stays a JSON 404.
//!
//! trunk starts the app with an inline `<script type="module">`; `index.html` is read for each
//! page (it is small, and a rebuild is picked up at once) and the SHA-256 of its inline scripts
//! is allowed in that response's Content-Security-Policy, so no other inline script can run.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::config::Config;
use crate::error::ApiError;

/// `Cache-Control` of files whose name carries a content hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of files without one (the LiveKit SDK copied as is).
const REVALIDATE_HOURLY: &str = "public, max-age=3600";
/// `Cache-Control` of `index.html`: always ask, so a new deployment is picked up at once.
const NO_CACHE: &str = "no-cache";

/// Where the built app is, and the policy its pages get.
#[derive(Clone)]
pub struct WebApp {
    dir: PathBuf,
    /// The Content-Security-Policy of every response; pages add their inline scripts' hashes.
    csp: String,
}

impl WebApp {
    /// A missing build is not fatal: the API still works, and app pages say how to build it.
    pub fn new(dir: &Path, csp: String) -> Self {
        if !dir.join("index.html").is_file() {
            tracing::warn!(static_dir = %dir.display(), "no built app found (index.html missing): serving the API only; run `cargo xtask build`");
        }
        Self {
            dir: dir.to_owned(),
            csp,
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
        if is_app_route(&path) {
            return self.index(StatusCode::OK).await;
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
                self.index(StatusCode::NOT_FOUND).await
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

    async fn index(&self, status: StatusCode) -> Response {
        match tokio::fs::read_to_string(self.dir.join("index.html")).await {
            Ok(html) => {
                let hashes: String = inline_script_hashes(&html)
                    .iter()
                    .map(|h| format!(" 'sha256-{h}'"))
                    .collect();
                let csp = self.csp.replacen(
                    "'wasm-unsafe-eval'",
                    &format!("'wasm-unsafe-eval'{hashes}"),
                    1,
                );
                (
                    status,
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                        (header::CACHE_CONTROL, NO_CACHE.to_owned()),
                        (header::CONTENT_SECURITY_POLICY, csp),
                    ],
                    html,
                )
                    .into_response()
            }
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
/// network access to this origin and to LiveKit; recordings played from the bucket.
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
         connect-src 'self' {livekit_ws} {livekit_http}; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
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
