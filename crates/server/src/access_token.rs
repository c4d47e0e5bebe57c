//! Signing LiveKit access tokens: HS256 JWTs of LiveKit's own `Claims`, as LiveKit's
//! `AccessToken::to_jwt` makes them, with everything that does not change from token to token
//! made once. The token path of a viral link signs one per viewer, and `jsonwebtoken::encode`
//! re-keyed HMAC-SHA256 (two SHA-256 blocks) and re-encoded the constant header every time,
//! which was a quarter of onair's own cost per token (measured in process, see the README).
//! The cryptography is the `hmac` and `sha2` crates'; LiveKit verifies what this signs (the API
//! suite joins rooms with these tokens), and the tests below check it with LiveKit's verifier.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use livekit_api::access_token::Claims;
use sha2::Sha256;

/// `base64url({"typ":"JWT","alg":"HS256"})` and the dot after it: every token starts so (the
/// header `AccessToken::to_jwt` writes, field for field).
const HEADER_PART: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.";

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
    pub fn sign(&self, claims: &Claims) -> Result<String, serde_json::Error> {
        let payload = serde_json::to_vec(claims)?;
        // Header, payload and signature, base64url: 4 characters per 3 bytes, plus the dots.
        let mut token = String::with_capacity(HEADER_PART.len() + payload.len() * 4 / 3 + 48);
        token.push_str(HEADER_PART);
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let mut mac = self.keyed.clone();
        mac.update(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut token);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_api::access_token::{TokenVerifier, VideoGrants};

    const SECRET: &str = "a-secret-that-is-long-enough-000000";

    fn claims() -> Claims {
        Claims {
            iss: "devkey".to_owned(),
            nbf: 1_700_000_000,
            exp: 4_000_000_000,
            sub: "viewer-abc".to_owned(),
            name: "Zoë \"the\" viewer".to_owned(),
            video: VideoGrants {
                room_join: true,
                room: "room1".to_owned(),
                ..VideoGrants::default()
            },
            ..Claims::default()
        }
    }

    #[test]
    fn the_header_part_is_hs256_jwt() {
        let header = URL_SAFE_NO_PAD
            .decode(HEADER_PART.trim_end_matches('.'))
            .unwrap();
        assert_eq!(header, br#"{"typ":"JWT","alg":"HS256"}"#);
    }

    #[test]
    fn livekit_verifies_what_it_signs_and_reads_the_same_claims() {
        let token = TokenSigner::new(SECRET.as_bytes()).sign(&claims()).unwrap();
        let verified = TokenVerifier::with_api_key("devkey", SECRET)
            .verify(&token)
            .unwrap();
        assert_eq!(verified.sub, "viewer-abc");
        assert_eq!(verified.name, "Zoë \"the\" viewer");
        assert!(verified.video.room_join);
        assert_eq!(verified.video.room, "room1");
    }

    #[test]
    fn it_signs_byte_for_byte_as_jsonwebtoken_does() {
        let expected = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims(),
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        let ours = TokenSigner::new(SECRET.as_bytes()).sign(&claims()).unwrap();
        assert_eq!(ours, expected);
    }

    #[test]
    fn another_secret_does_not_verify() {
        let token = TokenSigner::new(SECRET.as_bytes()).sign(&claims()).unwrap();
        assert!(
            TokenVerifier::with_api_key("devkey", "another-secret-that-is-long-enough")
                .verify(&token)
                .is_err()
        );
    }
}
