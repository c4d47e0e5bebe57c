//! Creator sign-in: who this browser is (`GET /api/me`), sign-in with a creator key
//! (`POST /auth/key`), through the operator's OpenID Connect provider (`GET /auth/login`, then
//! the provider sends the browser to `GET /auth/callback`), and sign-out (`POST /auth/logout`).
//! The two navigations answer with a redirect or a small page a person can read, not JSON.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use onair_api::{CreatorKeySignIn, ErrorBody, Me};

use crate::access::oidc::{Flow, SignInError};
use crate::access::session::{Creator, OIDC_FLOW_COOKIE, SESSION_COOKIE};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::rate_limit::ClientIp;
use crate::state::AppState;

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// GET /api/me — whether this browser is signed in as a creator, and how one signs in here.
#[utoipa::path(
    get, path = "/api/me", tag = "access",
    security((), ("creatorSession" = [])),
    responses((status = 200, body = Me))
)]
pub async fn get_me(State(app): State<AppState>, headers: HeaderMap) -> Response {
    (
        [(header::CACHE_CONTROL, NO_STORE)],
        Json(app.access.me(&headers)),
    )
        .into_response()
}

/// POST /auth/key — sign in with a creator key; the answer sets the session cookie.
#[utoipa::path(
    post, path = "/auth/key", tag = "access",
    request_body = CreatorKeySignIn,
    responses(
        (status = 204, description = "Signed in: `Set-Cookie` carries the creator session"),
        (status = 400, description = "Malformed JSON, or `key` missing or invalid", body = ErrorBody),
        (status = 401, description = "`creator_key_rejected`: not a key of this server", body = ErrorBody),
        (status = 404, description = "`sign_in_unavailable`: this server has no creator keys", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many wrong keys from this address", body = ErrorBody),
    )
)]
pub async fn sign_in_with_key(
    State(app): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(request): ApiJson<CreatorKeySignIn>,
) -> Result<Response, ApiError> {
    let creator = app
        .access
        .sign_in_with_key(request.key.expose(), client)
        .await?;
    tracing::info!(creator = %creator.id, "creator signed in with a key");
    Ok(signed_in(
        &app,
        &creator,
        StatusCode::NO_CONTENT.into_response(),
    ))
}

/// POST /auth/logout — sign out: the session cookie is removed from the browser.
#[utoipa::path(
    post, path = "/auth/logout", tag = "access",
    responses((status = 204, description = "Signed out: `Set-Cookie` removes the session"))
)]
pub async fn sign_out(State(app): State<AppState>) -> Response {
    let expired = app.access.cookies.expired(SESSION_COOKIE);
    (
        StatusCode::NO_CONTENT,
        [
            (header::SET_COOKIE, expired),
            (header::CACHE_CONTROL, NO_STORE),
        ],
    )
        .into_response()
}

/// GET /auth/login — sends the browser to the identity provider to sign in, then back to
/// `returnTo` (a path of this app; default `/`).
#[utoipa::path(
    get, path = "/auth/login", tag = "access",
    params(("returnTo" = Option<String>, Query, description = "Where to come back to once signed in: a path of this app, such as `/`")),
    responses(
        (status = 303, description = "To the identity provider's sign-in page"),
        (status = 404, description = "`sign_in_unavailable`: no OpenID Connect provider is configured", body = ErrorBody),
        (status = 503, description = "The identity provider cannot be reached (a page saying so)"),
    )
)]
pub async fn start_sign_in(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let oidc = app
        .access
        .oidc
        .as_ref()
        .ok_or(ApiError::SignInUnavailable)?;
    let return_to = query_param(query.as_deref(), "returnTo")
        .filter(|path| is_own_path(path))
        .unwrap_or_else(|| "/".to_owned());
    match oidc.start(return_to).await {
        Ok((provider, flow)) => Ok(redirect(
            provider.as_str(),
            Some(app.access.cookies.oidc_flow_cookie(flow)),
        )),
        Err(err) => {
            tracing::warn!(error = %err, "sign-in could not start");
            Ok(sign_in_failure(&err))
        }
    }
}

/// GET /auth/callback — where the identity provider sends the browser back: the session
/// cookie is set and the browser goes where it started, or a page says why not.
#[utoipa::path(
    get, path = "/auth/callback", tag = "access",
    params(
        ("code" = Option<String>, Query, description = "The provider's authorization code"),
        ("state" = Option<String>, Query, description = "The sign-in's CSRF state"),
        ("error" = Option<String>, Query, description = "The provider's refusal, instead of a code"),
    ),
    responses(
        (status = 303, description = "Signed in: back to where the sign-in started, with the session cookie"),
        (status = 403, description = "A sign-in that was not started here (no or another flow cookie, another `state`), expired, or was refused by the provider; or an account that may not create streams here (a page saying which)"),
        (status = 404, description = "`sign_in_unavailable`: no OpenID Connect provider is configured", body = ErrorBody),
        (status = 502, description = "The provider's answer did not verify (a page saying so)"),
        (status = 503, description = "The provider cannot be reached (a page saying so)"),
    )
)]
pub async fn finish_sign_in(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(oidc) = app.access.oidc.as_ref() else {
        return ApiError::SignInUnavailable.into_response();
    };
    let query = query.as_deref();
    let flow: Option<Flow> = app.access.cookies.oidc_flow(&headers);
    let outcome = match (
        flow,
        query_param(query, "code"),
        query_param(query, "state"),
    ) {
        _ if query_param(query, "error").is_some() => Err(SignInError::Refused(
            query_param(query, "error_description")
                .or_else(|| query_param(query, "error"))
                .unwrap_or_default(),
        )),
        (Some(flow), Some(code), Some(state)) => oidc
            .finish(&flow, code, &state)
            .await
            .map(|account| (flow, account)),
        _ => Err(SignInError::StaleFlow),
    };
    let mut response = match outcome {
        Err(err) => {
            tracing::warn!(error = %err, "sign-in did not complete");
            sign_in_failure(&err)
        }
        Ok((flow, account)) => match oidc.admit(&account) {
            Err(why) => {
                tracing::info!(subject = %account.subject, "sign-in refused: account not allowed");
                page(
                    StatusCode::FORBIDDEN,
                    "sign-in-refused",
                    "You cannot create streams here",
                    &why,
                )
            }
            Ok(()) => {
                let creator = Creator {
                    id: format!("oidc:{}", account.subject),
                    name: account.name,
                    email: account.email,
                    via: onair_api::SignInMethod::Oidc,
                };
                tracing::info!(creator = %creator.id, "creator signed in through the identity provider");
                signed_in(&app, &creator, redirect(&flow.return_to, None))
            }
        },
    };
    response.headers_mut().append(
        header::SET_COOKIE,
        app.access.cookies.expired(OIDC_FLOW_COOKIE),
    );
    response
}

/// `response` with the session cookie of `creator`.
fn signed_in(app: &AppState, creator: &Creator, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        app.access.cookies.session_cookie(creator),
    );
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    response
}

/// 303 See Other to `location`, optionally setting a cookie.
fn redirect(location: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, location);
    }
    if let Some(cookie) = cookie {
        headers.insert(header::SET_COOKIE, cookie);
    }
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    response
}

/// The page for a sign-in that failed for `err`.
fn sign_in_failure(err: &SignInError) -> Response {
    let (status, message) = match err {
        SignInError::Provider(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The sign-in service cannot be reached just now. Try again in a few seconds.",
        ),
        SignInError::StaleFlow => (
            StatusCode::FORBIDDEN,
            "This sign-in was not started here, or took too long. Start it again.",
        ),
        SignInError::Refused(_) => (
            StatusCode::FORBIDDEN,
            "The sign-in service did not sign you in. Start again, or ask this server's operator.",
        ),
        SignInError::Invalid(_) => (
            StatusCode::BAD_GATEWAY,
            "The sign-in service's answer could not be verified. Ask this server's operator.",
        ),
    };
    let mut response = page(
        status,
        "sign-in-failed",
        "Sign-in did not complete",
        message,
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(crate::error::UPSTREAM_RETRY_AFTER_SECONDS),
        );
    }
    response
}

/// A small page for a person, with a way home.
fn page(status: StatusCode, test_id: &str, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · OnAir</title>\
         <style>body{{font-family:system-ui,sans-serif;background:#0f1115;color:#e8eaed;\
         display:grid;place-items:center;min-height:100vh;margin:0;padding:1rem}}\
         main{{max-width:28rem;background:#181b22;border-radius:12px;padding:2rem}}\
         a{{color:#ff5a5f}}</style></head><body><main data-testid=\"{test_id}\">\
         <h1>{title}</h1><p>{message}</p><p><a href=\"/\">Back to OnAir</a></p></main></body></html>",
        title = escape(title),
        message = escape(message),
    );
    let mut response = (status, Html(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, NO_STORE);
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The first value of `name` in a query string (which never fails to parse).
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A path of this app to come back to: `/…`, never another site (`//host`, `/\host`).
fn is_own_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= 512
        && path.bytes().all(|byte| byte.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_own_paths_are_returned_to() {
        assert!(is_own_path("/"));
        assert!(is_own_path("/host/abc?x=1"));
        assert!(!is_own_path("https://evil.example"));
        assert!(!is_own_path("//evil.example"));
        assert!(!is_own_path("/\\evil.example"));
        assert!(!is_own_path("/a\nb"));
        assert!(
            !is_own_path("/watch/é"),
            "a Location header holds visible ASCII only"
        );
    }

    #[test]
    fn pages_escape_what_they_show() {
        let response = page(StatusCode::FORBIDDEN, "x", "<b>", "a & \"b\"");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }
}
