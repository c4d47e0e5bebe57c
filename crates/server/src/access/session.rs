//! Signed cookies: the creator's session and the OpenID Connect flow's state. Each is an HS256
//! JWT for one purpose (`aud`), with an expiry, in an `HttpOnly`, `SameSite=Lax` cookie (and
//! `Secure` when `PUBLIC_URL` is https). Signed rather than encrypted: what they hold (a name,
//! an email, a PKCE verifier of the browser's own sign-in) is the browser's own to see, and
//! signing is the host key's proven scheme, so any replica with the secret verifies a session
//! and none keeps state. Logging out clears the cookie in the browser; a copy taken before
//! stays valid until it expires (`SESSION_TTL_SECONDS`), as with any stateless session.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use onair_api::SignInMethod;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The creator session's cookie.
pub const SESSION_COOKIE: &str = "onair_session";
/// The cookie that carries an OpenID Connect sign-in from `/auth/login` to `/auth/callback`.
pub const OIDC_FLOW_COOKIE: &str = "onair_oidc_flow";
const SESSION_AUDIENCE: &str = "onair-creator-session";
const OIDC_FLOW_AUDIENCE: &str = "onair-oidc-flow";
/// How long a sign-in at the identity provider may take.
pub const OIDC_FLOW_TTL: Duration = Duration::from_secs(600);
/// Clock skew tolerated between replicas.
const LEEWAY_SECONDS: u64 = 5;

/// A signed-in creator, as the session says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Creator {
    /// Stable and unique: `oidc:{issuer subject}` or `key:{key name}`. Quotas count by it.
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub via: SignInMethod,
}

#[derive(Serialize, Deserialize)]
struct Claims<T> {
    aud: String,
    iat: u64,
    exp: u64,
    #[serde(rename = "dat")]
    data: T,
}

/// Seals values into signed cookies and opens them again.
pub struct SignedCookies {
    encoding: EncodingKey,
    decoding: DecodingKey,
    session_ttl: Duration,
    secure: bool,
}

impl SignedCookies {
    /// `secure`: the app is served over https, so cookies are only sent back over https.
    pub fn new(secret: &SecretString, session_ttl: Duration, secure: bool) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            session_ttl,
            secure,
        }
    }

    fn seal<T: Serialize>(&self, audience: &str, data: T, ttl: Duration) -> String {
        let now = crate::livekit::unix_millis() / 1000;
        let claims = Claims {
            aud: audience.to_owned(),
            iat: now,
            exp: now + ttl.as_secs(),
            data,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    fn open<T: DeserializeOwned>(&self, audience: &str, token: &str) -> Option<T> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "aud"]);
        validation.leeway = LEEWAY_SECONDS;
        jsonwebtoken::decode::<Claims<T>>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims.data)
    }

    fn cookie(&self, name: &'static str, value: String, max_age: Duration) -> HeaderValue {
        let cookie = Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .max_age(cookie::time::Duration::seconds(
                i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
            ))
            .build();
        HeaderValue::from_str(&cookie.to_string()).expect("a cookie of ASCII parts")
    }

    /// `Set-Cookie` that signs `creator` in.
    pub fn session_cookie(&self, creator: &Creator) -> HeaderValue {
        let token = self.seal(SESSION_AUDIENCE, creator, self.session_ttl);
        self.cookie(SESSION_COOKIE, token, self.session_ttl)
    }

    /// The creator the request's session cookie names, if it has a valid one.
    pub fn session(&self, headers: &HeaderMap) -> Option<Creator> {
        self.open(SESSION_AUDIENCE, &cookie_value(headers, SESSION_COOKIE)?)
    }

    /// `Set-Cookie` carrying the state of an OpenID Connect sign-in under way.
    pub fn oidc_flow_cookie<T: Serialize>(&self, flow: T) -> HeaderValue {
        let token = self.seal(OIDC_FLOW_AUDIENCE, flow, OIDC_FLOW_TTL);
        self.cookie(OIDC_FLOW_COOKIE, token, OIDC_FLOW_TTL)
    }

    /// The OpenID Connect sign-in under way in this browser, if any.
    pub fn oidc_flow<T: DeserializeOwned>(&self, headers: &HeaderMap) -> Option<T> {
        self.open(
            OIDC_FLOW_AUDIENCE,
            &cookie_value(headers, OIDC_FLOW_COOKIE)?,
        )
    }

    /// `Set-Cookie` that removes cookie `name` from the browser.
    pub fn expired(&self, name: &'static str) -> HeaderValue {
        self.cookie(name, String::new(), Duration::ZERO)
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(secret: &str) -> SignedCookies {
        SignedCookies::new(
            &SecretString::from(secret.repeat(32)),
            Duration::from_secs(3600),
            false,
        )
    }

    fn ada() -> Creator {
        Creator {
            id: "key:ada".into(),
            name: "Ada".into(),
            email: None,
            via: SignInMethod::CreatorKey,
        }
    }

    /// The request a browser sends back with the cookie of `set_cookie`.
    fn sent_back(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("theme=dark; {pair}")).unwrap(),
        );
        headers
    }

    #[test]
    fn a_session_cookie_names_its_creator_on_any_replica() {
        let set_cookie = cookies("a").session_cookie(&ada());
        let attributes = set_cookie.to_str().unwrap();
        assert!(attributes.contains("HttpOnly"), "{attributes}");
        assert!(attributes.contains("SameSite=Lax"), "{attributes}");
        assert!(!attributes.contains("Secure"), "{attributes}");
        assert_eq!(cookies("a").session(&sent_back(&set_cookie)), Some(ada()));
    }

    #[test]
    fn a_session_from_another_secret_or_tampered_with_is_refused() {
        let set_cookie = cookies("a").session_cookie(&ada());
        assert_eq!(cookies("b").session(&sent_back(&set_cookie)), None);
        let tampered =
            set_cookie
                .to_str()
                .unwrap()
                .replacen("onair_session=e", "onair_session=f", 1);
        assert_eq!(
            cookies("a").session(&sent_back(&HeaderValue::from_str(&tampered).unwrap())),
            None
        );
    }

    #[test]
    fn a_flow_cookie_is_not_a_session() {
        let flow = cookies("a").oidc_flow_cookie(ada());
        let renamed = flow
            .to_str()
            .unwrap()
            .replacen(OIDC_FLOW_COOKIE, SESSION_COOKIE, 1);
        let headers = sent_back(&HeaderValue::from_str(&renamed).unwrap());
        assert_eq!(cookies("a").session(&headers), None);
    }

    #[test]
    fn cookies_are_secure_on_https() {
        let secure = SignedCookies::new(
            &SecretString::from("a".repeat(32)),
            Duration::from_secs(60),
            true,
        );
        assert!(
            secure
                .session_cookie(&ada())
                .to_str()
                .unwrap()
                .contains("Secure")
        );
        assert!(
            secure
                .expired(SESSION_COOKIE)
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }
}
