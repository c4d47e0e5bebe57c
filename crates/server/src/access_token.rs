//! Signing LiveKit access tokens: HS256 JWTs of the claims LiveKit's own `Claims` writes for a
//! participant, as LiveKit's `AccessToken::to_jwt` makes them, with everything that does not
//! change from token to token made once. The token path of a viral link signs one per viewer,
//! and `jsonwebtoken::encode` re-keyed HMAC-SHA256 (two SHA-256 blocks) and re-encoded the
//! constant header every time, which was a quarter of onair's own cost per token (measured in
//! process, see the README). The cryptography is the `hmac` and `sha2` crates'; LiveKit
//! verifies what this signs (the API suite joins rooms with these tokens), and the tests below
//! check it with LiveKit's verifier and byte for byte against `Claims` and `jsonwebtoken`.

use base64_simd::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

/// `base64url({"typ":"JWT","alg":"HS256"})` and the dot after it: every token starts so (the
/// header `AccessToken::to_jwt` writes, field for field).
const HEADER_PART: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.";

/// What a participant's token says: the fields LiveKit's `Claims` writes for one, under its
/// names and in its order, borrowed. Building and writing LiveKit's own type costs owned copies
/// of every string, a `HashMap` for the one attribute and a comparison with the default of each
/// of its seven grant kinds, per viewer; a test checks that both write the same bytes.
#[derive(Debug, Serialize)]
pub struct ParticipantClaims<'a> {
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// The API key.
    pub iss: &'a str,
    /// Not before, seconds since the epoch.
    pub nbf: u64,
    /// The participant's identity (never empty, as LiveKit omits an empty one).
    pub sub: &'a str,
    /// The participant's display name (never empty, as LiveKit omits an empty one).
    pub name: &'a str,
    pub video: RoomGrant<'a>,
    pub attributes: RoleAttribute<'a>,
}

/// The grant to join one room, with what the participant may do there: the fields of LiveKit's
/// `VideoGrants` that a participant's token sets.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomGrant<'a> {
    /// Always true in a participant's token (LiveKit would omit a false one).
    pub room_join: bool,
    pub room: &'a str,
    pub can_publish: bool,
    pub can_subscribe: bool,
    pub can_publish_data: bool,
    pub can_update_own_metadata: bool,
}

/// The participant's attributes: its role (`{"role":"viewer"}`), which browsers read to tell the
/// host apart.
#[derive(Debug, Serialize)]
pub struct RoleAttribute<'a> {
    pub role: &'a str,
}

/// Signs access tokens with one API secret.
#[derive(Clone)]
pub struct TokenSigner {
    /// HMAC-SHA256 already keyed with the API secret; each token clones it.
    keyed: Hmac<Sha256>,
}

impl TokenSigner {
    pub fn new(api_secret: &[u8]) -> Self {
        Self {
            keyed: Hmac::new_from_slice(api_secret).expect("HMAC takes a key of any length"),
        }
    }

    /// The signed JWT of `claims`.
    pub fn sign(&self, claims: &impl Serialize) -> Result<String, serde_json::Error> {
        let payload = serde_json::to_vec(claims)?;
        // Header, payload and signature, base64url: 4 characters per 3 bytes, plus the dots.
        let mut token = String::with_capacity(HEADER_PART.len() + payload.len() * 4 / 3 + 48);
        token.push_str(HEADER_PART);
        URL_SAFE_NO_PAD.encode_append(&payload, &mut token);
        let mut mac = self.keyed.clone();
        mac.update(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_append(mac.finalize().into_bytes(), &mut token);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_api::access_token::{Claims, TokenVerifier, VideoGrants};
    use std::collections::HashMap;

    const SECRET: &str = "a-secret-that-is-long-enough-000000";

    /// A viewer's claims, ours.
    fn ours(can_publish: bool) -> ParticipantClaims<'static> {
        ParticipantClaims {
            exp: 4_000_000_000,
            iss: "devkey",
            nbf: 1_700_000_000,
            sub: "viewer-abc",
            name: "Zoë \"the\" viewer",
            video: RoomGrant {
                room_join: true,
                room: "room1",
                can_publish,
                can_subscribe: true,
                can_publish_data: true,
                can_update_own_metadata: false,
            },
            attributes: RoleAttribute { role: "viewer" },
        }
    }

    /// The same claims in LiveKit's own type, as `AccessToken` would carry them.
    fn livekits(can_publish: bool) -> Claims {
        Claims {
            iss: "devkey".to_owned(),
            nbf: 1_700_000_000,
            exp: 4_000_000_000,
            sub: "viewer-abc".to_owned(),
            name: "Zoë \"the\" viewer".to_owned(),
            attributes: HashMap::from([("role".to_owned(), "viewer".to_owned())]),
            video: VideoGrants {
                room_join: true,
                room: "room1".to_owned(),
                can_publish: Some(can_publish),
                can_subscribe: Some(true),
                can_publish_data: Some(true),
                can_update_own_metadata: Some(false),
                ..VideoGrants::default()
            },
            ..Claims::default()
        }
    }

    #[test]
    fn the_header_part_is_hs256_jwt() {
        let header = URL_SAFE_NO_PAD
            .decode_to_vec(HEADER_PART.trim_end_matches('.'))
            .unwrap();
        assert_eq!(header, br#"{"typ":"JWT","alg":"HS256"}"#);
    }

    #[test]
    fn participant_claims_are_written_as_livekits_own_claims_are() {
        for can_publish in [false, true] {
            assert_eq!(
                serde_json::to_string(&ours(can_publish)).unwrap(),
                serde_json::to_string(&livekits(can_publish)).unwrap(),
            );
        }
    }

    #[test]
    fn livekit_verifies_what_it_signs_and_reads_the_same_claims() {
        let token = TokenSigner::new(SECRET.as_bytes())
            .sign(&ours(false))
            .unwrap();
        let verified = TokenVerifier::with_api_key("devkey", SECRET)
            .verify(&token)
            .unwrap();
        assert_eq!(verified, livekits(false));
    }

    #[test]
    fn it_signs_byte_for_byte_as_jsonwebtoken_does() {
        let expected = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &livekits(true),
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        let signed = TokenSigner::new(SECRET.as_bytes())
            .sign(&ours(true))
            .unwrap();
        assert_eq!(signed, expected);
    }

    #[test]
    fn another_secret_does_not_verify() {
        let token = TokenSigner::new(SECRET.as_bytes())
            .sign(&ours(false))
            .unwrap();
        assert!(
            TokenVerifier::with_api_key("devkey", "another-secret-that-is-long-enough")
                .verify(&token)
                .is_err()
        );
    }
}
