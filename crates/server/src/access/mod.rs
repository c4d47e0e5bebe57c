//! Who may go live: the access mode, the creator's session (a signed cookie), sign-in with a
//! creator key or through the operator's OpenID Connect provider, and the per-creator quotas'
//! bookkeeping tag. Viewing is decided elsewhere (a stream's passcode, `crate::passcode`).

pub mod creator_keys;
pub mod oidc;
pub mod session;

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use onair_api::{AccessMode, Me, SignInMethod};
use secrecy::ExposeSecret;
use std::net::IpAddr;

use crate::config::AccessSettings;
use crate::error::ApiError;
use crate::rate_limit::WrongGuesses;
use creator_keys::CreatorKeys;
use oidc::Oidc;
pub use session::Creator;
use session::SignedCookies;

/// Wrong creator keys allowed per minute from one address.
pub const WRONG_KEYS_PER_MINUTE: u32 = 5;

/// The access rules of one server and the means to sign creators in.
pub struct Access {
    pub mode: AccessMode,
    pub cookies: SignedCookies,
    pub oidc: Option<Oidc>,
    pub creator_keys: Option<CreatorKeys>,
    wrong_keys: WrongGuesses<Option<IpAddr>>,
    /// Keys the tag a stream's metadata carries to say whose it is.
    creator_tags: Hmac<sha2::Sha256>,
    pub max_live_streams_per_creator: u32,
    pub max_recording_minutes_per_day: Option<u32>,
}

impl Access {
    pub fn new(settings: &AccessSettings, public_url: &url::Url) -> Self {
        let mut tags = Hmac::<sha2::Sha256>::new_from_slice(
            settings.session_secret.expose_secret().as_bytes(),
        )
        .expect("HMAC takes keys of any length");
        tags.update(b"onair creator tag v1");
        let tag_key = tags.finalize().into_bytes();
        Self {
            mode: settings.mode,
            cookies: SignedCookies::new(
                &settings.session_secret,
                settings.session_ttl,
                public_url.scheme() == "https",
            ),
            oidc: settings
                .oidc
                .clone()
                .map(|oidc| Oidc::new(oidc, public_url)),
            creator_keys: settings.creator_keys_file.clone().map(CreatorKeys::new),
            wrong_keys: WrongGuesses::per_minute(WRONG_KEYS_PER_MINUTE),
            creator_tags: Hmac::new_from_slice(&tag_key).expect("HMAC takes keys of any length"),
            max_live_streams_per_creator: settings.max_live_streams_per_creator,
            max_recording_minutes_per_day: settings.max_recording_minutes_per_day,
        }
    }

    /// The ways to sign in this server offers.
    pub fn methods(&self) -> Vec<SignInMethod> {
        let mut methods = Vec::new();
        if self.oidc.is_some() {
            methods.push(SignInMethod::Oidc);
        }
        if self.creator_keys.is_some() {
            methods.push(SignInMethod::CreatorKey);
        }
        methods
    }

    /// `GET /api/me` for the request's cookies.
    pub fn me(&self, headers: &HeaderMap) -> Me {
        let creator = self.cookies.session(headers);
        Me {
            signed_in: creator.is_some(),
            name: creator.as_ref().map(|c| c.name.clone()),
            email: creator.as_ref().and_then(|c| c.email.clone()),
            via: creator.as_ref().map(|c| c.via),
            access_mode: self.mode,
            sign_in_methods: self.methods(),
        }
    }

    /// The creator of a stream being created: the session's, else the creator key sent as
    /// `Authorization: Bearer` (a wrong one: 401 `creator_key_rejected`). `None` in open mode
    /// without either; in private mode that is 401 `sign_in_required`.
    pub async fn creator(
        &self,
        headers: &HeaderMap,
        bearer: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<Option<Creator>, ApiError> {
        if let Some(creator) = self.cookies.session(headers) {
            return Ok(Some(creator));
        }
        let private = self.mode == AccessMode::Private;
        match bearer {
            // In open mode a bearer is taken for a creator key only when it looks like one (a
            // client may send its host key everywhere); in private mode any bearer must be one.
            Some(key)
                if self.creator_keys.is_some() && (private || looks_like_creator_key(key)) =>
            {
                self.sign_in_with_key(key, client).await.map(Some)
            }
            _ if private => Err(ApiError::SignInRequired),
            _ => Ok(None),
        }
    }

    /// The creator whose key `key` is. Wrong keys are limited per client address (429 past
    /// [`WRONG_KEYS_PER_MINUTE`]) and never logged.
    pub async fn sign_in_with_key(
        &self,
        key: &str,
        client: Option<IpAddr>,
    ) -> Result<Creator, ApiError> {
        let keys = self
            .creator_keys
            .clone()
            .ok_or(ApiError::SignInUnavailable)?;
        self.wrong_keys.check(&client)?;
        let key = key.to_owned();
        let verified = tokio::task::spawn_blocking(move || keys.verify(&key))
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
            .map_err(|e| ApiError::Internal(e.into()))?;
        match verified {
            Some(name) => Ok(Creator {
                id: format!("key:{name}"),
                name,
                email: None,
                via: SignInMethod::CreatorKey,
            }),
            None => {
                tracing::info!(client = ?client, "wrong creator key");
                self.wrong_keys.wrong(client)?;
                Err(ApiError::CreatorKeyRejected)
            }
        }
    }

    /// The opaque tag that marks `creator`'s streams in their room metadata (which LiveKit
    /// shows every participant): stable per creator, telling nothing of who it is.
    pub fn creator_tag(&self, creator: &Creator) -> String {
        let mut mac = self.creator_tags.clone();
        mac.update(creator.id.as_bytes());
        let digest = mac.finalize().into_bytes();
        base64_simd::URL_SAFE_NO_PAD.encode_to_string(&digest[..12])
    }
}

/// Whether a bearer token has the shape of a creator key (not, say, a host key).
fn looks_like_creator_key(token: &str) -> bool {
    token.starts_with(creator_keys::KEY_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn access(pairs: &[(&'static str, &str)]) -> Access {
        let mut all = vec![
            ("LIVEKIT_URL", "ws://127.0.0.1:7880".to_owned()),
            ("LIVEKIT_API_KEY", "devkey".to_owned()),
            (
                "LIVEKIT_API_SECRET",
                "a-secret-that-is-long-enough-000000".to_owned(),
            ),
        ];
        all.extend(pairs.iter().map(|(k, v)| (*k, v.to_string())));
        let config = Config::from_pairs(all).unwrap();
        Access::new(&config.access, &config.public_url)
    }

    #[tokio::test]
    async fn an_open_server_lets_anyone_create() {
        let access = access(&[]);
        assert_eq!(
            access.creator(&HeaderMap::new(), None, None).await.unwrap(),
            None
        );
        assert!(access.methods().is_empty());
    }

    #[tokio::test]
    async fn a_private_server_wants_a_signed_in_creator() {
        let access = access(&[
            ("ACCESS_MODE", "private"),
            ("CREATOR_KEYS_FILE", "/nonexistent/keys.json"),
        ]);
        assert!(matches!(
            access.creator(&HeaderMap::new(), None, None).await,
            Err(ApiError::SignInRequired)
        ));
        assert!(matches!(
            access
                .creator(&HeaderMap::new(), Some("ock_nope_nope"), None)
                .await,
            Err(ApiError::CreatorKeyRejected)
        ));
        assert_eq!(access.methods(), [SignInMethod::CreatorKey]);
    }

    #[tokio::test]
    async fn creator_tags_are_stable_and_opaque() {
        let access = access(&[]);
        let ada = Creator {
            id: "key:ada".into(),
            name: "Ada".into(),
            email: None,
            via: SignInMethod::CreatorKey,
        };
        let tag = access.creator_tag(&ada);
        assert_eq!(tag, access.creator_tag(&ada.clone()));
        assert!(!tag.contains("ada"));
        let grace = Creator {
            id: "key:grace".into(),
            ..ada
        };
        assert_ne!(tag, access.creator_tag(&grace));
    }
}
