//! Host keys: the proof that a caller is the host of one stream. A host key is an HS256 JWT
//! bound to one room (`sub`), for one purpose (`aud = "onair-host"`), with an expiry. Nothing is
//! stored: any replica with the same secret verifies it, and it never appears in a share link.
//! It also carries the stream's public metadata, so the host can re-open a stream that LiveKit
//! lost (a LiveKit restart forgets its rooms) without OnAir keeping any state.

use axum::http::{HeaderMap, header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use onair_api::RoomId;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::ApiError;
use crate::streams::RoomMetadata;

const AUDIENCE: &str = "onair-host";
/// Clock skew tolerated between replicas.
const LEEWAY_SECONDS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    aud: String,
    iat: u64,
    exp: u64,
    stream: RoomMetadata,
}

/// Why a host key was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostKeyError {
    #[error("host key is for another stream")]
    WrongRoom,
    #[error("host key has expired")]
    Expired,
    #[error("host key is malformed or its signature is wrong")]
    Invalid,
}

impl From<HostKeyError> for ApiError {
    fn from(_: HostKeyError) -> Self {
        ApiError::HostKeyRejected
    }
}

/// Issues and verifies host keys with one secret.
#[derive(Clone)]
pub struct HostKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl std::fmt::Debug for HostKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl HostKeys {
    pub fn new(secret: &SecretString, ttl: Duration) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            ttl,
        }
    }

    /// A new host key for `room`, valid for the configured lifetime.
    pub fn issue(&self, room: &RoomId, stream: &RoomMetadata) -> String {
        self.issue_at(room, stream, unix_now())
    }

    fn issue_at(&self, room: &RoomId, stream: &RoomMetadata, issued_at: u64) -> String {
        let claims = Claims {
            sub: room.to_string(),
            aud: AUDIENCE.to_owned(),
            iat: issued_at,
            exp: issued_at + self.ttl.as_secs(),
            stream: stream.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// Checks that `key` was issued by this server for `room` and has not expired; returns the
    /// stream metadata it carries.
    pub fn verify(&self, key: &str, room: &RoomId) -> Result<RoomMetadata, HostKeyError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        validation.leeway = LEEWAY_SECONDS;
        let data =
            jsonwebtoken::decode::<Claims>(key, &self.decoding, &validation).map_err(|err| {
                match err.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => HostKeyError::Expired,
                    _ => HostKeyError::Invalid,
                }
            })?;
        if data.claims.sub != room.as_str() {
            return Err(HostKeyError::WrongRoom);
        }
        Ok(data.claims.stream)
    }
}

/// The token of an `Authorization: Bearer <token>` header, if there is a non-empty one.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> HostKeys {
        HostKeys::new(
            &SecretString::from("k".repeat(32)),
            Duration::from_secs(3600),
        )
    }

    fn room(id: &str) -> RoomId {
        RoomId::parse(id).unwrap()
    }

    fn stream() -> RoomMetadata {
        RoomMetadata {
            host_name: "Ada".into(),
            title: Some("Talk".into()),
            created_at: 1,
            creator: None,
            passcode_hash: None,
        }
    }

    #[test]
    fn a_host_key_opens_its_own_room() {
        let keys = keys();
        let key = keys.issue(&room("aaaaaaaaaaaaaa"), &stream());
        assert_eq!(keys.verify(&key, &room("aaaaaaaaaaaaaa")), Ok(stream()));
    }

    #[test]
    fn a_host_key_does_not_open_another_room() {
        let keys = keys();
        let key = keys.issue(&room("aaaaaaaaaaaaaa"), &stream());
        assert_eq!(
            keys.verify(&key, &room("bbbbbbbbbbbbbb")),
            Err(HostKeyError::WrongRoom)
        );
    }

    #[test]
    fn an_expired_host_key_is_refused() {
        let keys = keys();
        let two_hours_ago = unix_now() - 7200;
        let key = keys.issue_at(&room("aaaaaaaaaaaaaa"), &stream(), two_hours_ago);
        assert_eq!(
            keys.verify(&key, &room("aaaaaaaaaaaaaa")),
            Err(HostKeyError::Expired)
        );
    }

    #[test]
    fn a_tampered_or_foreign_host_key_is_refused() {
        let key = keys().issue(&room("aaaaaaaaaaaaaa"), &stream());
        let mut tampered = key.clone();
        tampered.pop();
        tampered.push(if key.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            keys().verify(&tampered, &room("aaaaaaaaaaaaaa")),
            Err(HostKeyError::Invalid)
        );
        let other_server = HostKeys::new(
            &SecretString::from("x".repeat(32)),
            Duration::from_secs(3600),
        );
        assert_eq!(
            other_server.verify(&key, &room("aaaaaaaaaaaaaa")),
            Err(HostKeyError::Invalid)
        );
        assert_eq!(
            keys().verify("not-a-jwt", &room("aaaaaaaaaaaaaa")),
            Err(HostKeyError::Invalid)
        );
    }

    #[test]
    fn any_replica_with_the_same_secret_verifies() {
        let key = keys().issue(&room("aaaaaaaaaaaaaa"), &stream());
        assert_eq!(keys().verify(&key, &room("aaaaaaaaaaaaaa")), Ok(stream()));
    }
}
