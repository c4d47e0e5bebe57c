//! Sign-in through the operator's OpenID Connect provider: the authorization code flow with
//! PKCE, a nonce and a CSRF state, by the `openidconnect` crate (discovery, JWKS, ID token
//! signature, issuer, audience, expiry and nonce checks: none of it hand-written). The
//! provider's discovery document (with its keys) is cached for a few minutes, and concurrent
//! sign-ins share one fetch. The flow's state travels in a signed cookie, so the callback may
//! land on any replica. Who may sign in is decided here too: verified emails
//! (`OIDC_ALLOWED_EMAILS`) and groups (`OIDC_ALLOWED_GROUPS`, read from the user info claim
//! `OIDC_GROUPS_CLAIM`).

use moka::future::Cache;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
    HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::config::OidcSettings;

/// How long the provider's discovery document and keys are trusted before being fetched again.
const DISCOVERY_TTL: Duration = Duration::from_secs(300);
/// Upper bound on one call to the provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);

/// What the browser keeps (in a signed cookie) between `/auth/login` and `/auth/callback`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Flow {
    state: String,
    nonce: String,
    pkce_verifier: String,
    /// Where to go once signed in: a path of this app.
    pub return_to: String,
}

/// The account the provider vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub groups: Vec<String>,
}

/// Why a sign-in did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the identity provider could not be reached or answered wrongly: {0}")]
    Provider(String),
    #[error("the sign-in was not started here, took too long, or was replayed")]
    StaleFlow,
    #[error("the identity provider refused: {0}")]
    Refused(String),
    #[error("the identity provider's answer did not verify: {0}")]
    Invalid(String),
}

/// Claims beyond the standard ones, for the groups claim whatever its name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
struct OtherClaims(HashMap<String, serde_json::Value>);
impl AdditionalClaims for OtherClaims {}

/// The HTTP client the provider is called with: no redirects followed (a discovery or token
/// answer that redirects is an error), every call bounded.
struct ProviderHttp(reqwest::Client);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HttpError(String);

impl ProviderHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let mut outgoing = self
            .0
            .request(parts.method, parts.uri.to_string())
            .body(body);
        for (name, value) in &parts.headers {
            outgoing = outgoing.header(name, value);
        }
        let response = outgoing
            .send()
            .await
            .map_err(|e| HttpError(e.without_url().to_string()))?;
        let mut answer = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| HttpError(e.without_url().to_string()))?;
        answer
            .body(body.to_vec())
            .map_err(|e| HttpError(e.to_string()))
    }
}

impl<'c> openidconnect::AsyncHttpClient<'c> for ProviderHttp {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// The operator's identity provider.
pub struct Oidc {
    settings: OidcSettings,
    redirect_url: RedirectUrl,
    http: ProviderHttp,
    discovery: Cache<(), Arc<CoreProviderMetadata>>,
}

impl Oidc {
    /// `public_url`: where browsers reach this app; the provider sends them back to
    /// `{public_url}/auth/callback`.
    pub fn new(settings: OidcSettings, public_url: &url::Url) -> Self {
        let callback = format!(
            "{}/auth/callback",
            public_url.as_str().trim_end_matches('/')
        );
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .expect("a plain HTTP client builds");
        Self {
            settings,
            redirect_url: RedirectUrl::new(callback).expect("PUBLIC_URL is a valid URL"),
            http: ProviderHttp(http),
            discovery: Cache::builder()
                .max_capacity(1)
                .time_to_live(DISCOVERY_TTL)
                .build(),
        }
    }

    async fn metadata(&self) -> Result<Arc<CoreProviderMetadata>, SignInError> {
        self.discovery
            .try_get_with((), async {
                let issuer = IssuerUrl::new(self.settings.issuer_url.clone())
                    .map_err(|e| SignInError::Provider(e.to_string()))?;
                CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map(Arc::new)
                    .map_err(|e| SignInError::Provider(error_chain(&e)))
            })
            .await
            .map_err(|e: Arc<SignInError>| SignInError::Provider(e.to_string()))
    }

    async fn client(
        &self,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        SignInError,
    > {
        let metadata = self.metadata().await?;
        Ok(CoreClient::from_provider_metadata(
            (*metadata).clone(),
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(
                self.settings.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(self.redirect_url.clone()))
    }

    /// Starts a sign-in: the provider's address to send the browser to, and the flow to keep.
    pub async fn start(&self, return_to: String) -> Result<(url::Url, Flow), SignInError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (address, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let flow = Flow {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to,
        };
        Ok((address, flow))
    }

    /// Completes a sign-in with the provider's `code` and `state`: the account it vouched for.
    pub async fn finish(
        &self,
        flow: &Flow,
        code: String,
        state: &str,
    ) -> Result<Account, SignInError> {
        if state != flow.state {
            return Err(SignInError::StaleFlow);
        }
        let client = self.client().await?;
        let http = &self.http;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| SignInError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(answer) => {
                    SignInError::Refused(answer.to_string())
                }
                other => SignInError::Provider(error_chain(&other)),
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| SignInError::Invalid("no ID token in the answer".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(flow.nonce.clone()))
            .map_err(|e| SignInError::Invalid(e.to_string()))?;
        let subject = claims.subject().as_str().to_owned();
        let mut account = Account {
            subject: subject.clone(),
            name: String::new(),
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email_verified().unwrap_or(true),
            groups: Vec::new(),
        };
        let mut names = vec![
            claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            claims.preferred_username().map(|n| n.as_str().to_owned()),
        ];
        // The user info endpoint often holds what the ID token leaves out (email, groups).
        if let Ok(request) = client.user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        ) {
            let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = request
                .request_async(http)
                .await
                .map_err(|e| SignInError::Provider(error_chain(&e)))?;
            if account.email.is_none() {
                account.email = info.email().map(|e| e.as_str().to_owned());
                account.email_verified = info.email_verified().unwrap_or(true);
            }
            names.push(
                info.name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_owned()),
            );
            names.push(info.preferred_username().map(|n| n.as_str().to_owned()));
            account.groups = groups_of(info.additional_claims(), &self.settings.groups_claim);
        }
        account.name = names
            .into_iter()
            .flatten()
            .chain(account.email.clone())
            .find(|n| !n.trim().is_empty())
            .unwrap_or(subject);
        Ok(account)
    }

    /// Whether `account` may create streams here; `Err` says why not, for the person refused.
    pub fn admit(&self, account: &Account) -> Result<(), String> {
        let emails = &self.settings.allowed_emails;
        if !emails.is_empty() {
            let allowed = account
                .email
                .as_deref()
                .filter(|_| account.email_verified)
                .is_some_and(|email| email_allowed(emails, email));
            if !allowed {
                return Err(match &account.email {
                    Some(email) => format!(
                        "The account {email} is not one of those allowed to create streams here."
                    ),
                    None => "Your account has no verified email address, which this server needs \
                             to let you create streams."
                        .into(),
                });
            }
        }
        let groups = &self.settings.allowed_groups;
        if !groups.is_empty() && !account.groups.iter().any(|g| groups.contains(g)) {
            return Err(
                "Your account is in none of the groups allowed to create streams here.".into(),
            );
        }
        Ok(())
    }
}

/// TLS to the identity provider: rustls on ring (the provider the rest of the process uses),
/// trusting the webpki roots.
fn tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring offers the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// Whether `email` is on the list: an exact address, or `*@domain` for all of a domain.
/// Lists hold lowercase entries.
fn email_allowed(list: &[String], email: &str) -> bool {
    let email = email.to_lowercase();
    let domain = email.rsplit_once('@').map(|(_, d)| d);
    list.iter().any(|entry| match entry.strip_prefix("*@") {
        Some(allowed_domain) => domain == Some(allowed_domain),
        None => *entry == email,
    })
}

/// The groups claim named `claim`: a list of strings, or one string.
fn groups_of(claims: &OtherClaims, claim: &str) -> Vec<String> {
    match claims.0.get(claim) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|g| g.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// An error and its sources on one line, for the log.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oidc(emails: &[&str], groups: &[&str]) -> Oidc {
        Oidc::new(
            OidcSettings {
                issuer_url: "http://localhost:9998/".into(),
                client_id: "web".into(),
                client_secret: "secret".to_owned().into(),
                allowed_emails: emails.iter().map(|e| e.to_string()).collect(),
                allowed_groups: groups.iter().map(|g| g.to_string()).collect(),
                groups_claim: "groups".into(),
            },
            &url::Url::parse("http://127.0.0.1:3000").unwrap(),
        )
    }

    fn account(email: &str, verified: bool, groups: &[&str]) -> Account {
        Account {
            subject: "id1".into(),
            name: "Ada".into(),
            email: Some(email.into()),
            email_verified: verified,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    #[test]
    fn allowed_emails_are_addresses_or_whole_domains() {
        let oidc = oidc(&["ada@example.com", "*@team.example"], &[]);
        assert!(oidc.admit(&account("Ada@Example.com", true, &[])).is_ok());
        assert!(
            oidc.admit(&account("grace@team.example", true, &[]))
                .is_ok()
        );
        assert!(oidc.admit(&account("eve@example.com", true, &[])).is_err());
        assert!(
            oidc.admit(&account("eve@evil-team.example", true, &[]))
                .is_err()
        );
        assert!(
            oidc.admit(&account("ada@example.com", false, &[])).is_err(),
            "an unverified address proves nothing"
        );
    }

    #[test]
    fn allowed_groups_let_in_any_member() {
        let oidc = oidc(&[], &["streamers"]);
        assert!(
            oidc.admit(&account("a@b.c", true, &["staff", "streamers"]))
                .is_ok()
        );
        let refusal = oidc.admit(&account("a@b.c", true, &["staff"])).unwrap_err();
        assert!(refusal.contains("groups"), "{refusal}");
    }

    #[test]
    fn a_groups_claim_may_be_a_list_or_one_name() {
        let claims: OtherClaims =
            serde_json::from_value(serde_json::json!({"roles": ["a", "b"], "team": "c"})).unwrap();
        assert_eq!(groups_of(&claims, "roles"), ["a", "b"]);
        assert_eq!(groups_of(&claims, "team"), ["c"]);
        assert!(groups_of(&claims, "groups").is_empty());
    }
}
