//! Stream passcodes. A passcode is kept only as a keyed hash — HMAC-SHA256 with a key derived
//! from the host key secret, over the stream id and the passcode — in the room's metadata (so
//! every replica checks it with nothing shared) and in the recordings' markers (so the replay
//! stays private after the stream ends). Keyed, because LiveKit hands room metadata to every
//! participant: without the server's secret, a 4-character passcode cannot be found from its
//! hash by trying them all, which a plain or even a slow hash would allow. A check costs about a
//! microsecond on the token path and compares in constant time. Wrong guesses are limited per
//! client address and stream.

use hmac::{Hmac, Mac};
use onair_api::{Passcode, RoomId};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::net::IpAddr;

use crate::error::ApiError;
use crate::rate_limit::WrongGuesses;

/// Wrong passcodes allowed per minute from one address for one stream.
pub const WRONG_PASSCODES_PER_MINUTE: u32 = 5;
/// Marks the hash scheme, so a later one can be told apart.
const SCHEME: &str = "h1:";

/// Hashes and checks passcodes, and limits wrong guesses.
pub struct Passcodes {
    mac: Hmac<Sha256>,
    wrong_guesses: WrongGuesses<(Option<IpAddr>, RoomId)>,
}

impl Passcodes {
    pub fn new(host_key_secret: &SecretString) -> Self {
        let mut derive = Hmac::<Sha256>::new_from_slice(host_key_secret.expose_secret().as_bytes())
            .expect("HMAC takes keys of any length");
        derive.update(b"onair stream passcode v1");
        let key = derive.finalize().into_bytes();
        Self {
            mac: Hmac::new_from_slice(&key).expect("HMAC takes keys of any length"),
            wrong_guesses: WrongGuesses::per_minute(WRONG_PASSCODES_PER_MINUTE),
        }
    }

    fn mac_of(&self, room: &RoomId, passcode: &str) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(room.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(passcode.as_bytes());
        mac
    }

    /// The stored form of `passcode` for `room`.
    pub fn hash(&self, room: &RoomId, passcode: &Passcode) -> String {
        let digest = self.mac_of(room, passcode.expose()).finalize().into_bytes();
        format!(
            "{SCHEME}{}",
            base64_simd::URL_SAFE_NO_PAD.encode_to_string(digest)
        )
    }

    /// Whether `passcode` is the one `stored` was made from, compared in constant time.
    fn matches(&self, room: &RoomId, passcode: &str, stored: &str) -> bool {
        let Some(digest) = stored
            .strip_prefix(SCHEME)
            .and_then(|d| base64_simd::URL_SAFE_NO_PAD.decode_to_vec(d).ok())
        else {
            return false;
        };
        self.mac_of(room, passcode).verify_slice(&digest).is_ok()
    }

    /// Lets a viewer at `client` into `room` when the stream has no passcode (`stored` is
    /// `None`) or `given` is it. Missing → 403 `passcode_required`; wrong → 403
    /// `passcode_wrong`; past the wrong guesses allowed → 429 with `Retry-After`.
    pub fn admit(
        &self,
        room: &RoomId,
        stored: Option<&str>,
        given: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        let Some(stored) = stored else {
            return Ok(());
        };
        let Some(given) = given else {
            return Err(ApiError::PasscodeRequired);
        };
        let key = (client, room.clone());
        self.wrong_guesses.check(&key)?;
        if self.matches(room, given, stored) {
            return Ok(());
        }
        tracing::info!(room = %room, client = ?client, "wrong passcode");
        self.wrong_guesses.wrong(key)?;
        Err(ApiError::PasscodeWrong)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(secret: &str) -> Passcodes {
        Passcodes::new(&SecretString::from(secret.repeat(32)))
    }

    fn room(id: &str) -> RoomId {
        RoomId::parse(id).unwrap()
    }

    #[tokio::test]
    async fn only_the_passcode_opens_its_own_stream() {
        let passcodes = server("k");
        let a = room("aaaaaaaaaaaaaa");
        let stored = passcodes.hash(&a, &Passcode::parse("open sesame").unwrap());
        assert!(!stored.contains("sesame"));
        let client = Some(IpAddr::from([127, 0, 0, 1]));
        assert!(
            passcodes
                .admit(&a, Some(&stored), Some("open sesame"), client)
                .is_ok()
        );
        assert!(matches!(
            passcodes.admit(&a, Some(&stored), None, client),
            Err(ApiError::PasscodeRequired)
        ));
        assert!(matches!(
            passcodes.admit(&a, Some(&stored), Some("open sesamE"), client),
            Err(ApiError::PasscodeWrong)
        ));
        let b = room("bbbbbbbbbbbbbb");
        assert!(
            !passcodes.matches(&b, "open sesame", &stored),
            "bound to its stream"
        );
        assert!(
            !server("x").matches(&a, "open sesame", &stored),
            "bound to its server's secret"
        );
        assert!(
            passcodes.admit(&a, None, None, client).is_ok(),
            "a public stream"
        );
    }

    #[tokio::test]
    async fn the_sixth_wrong_guess_in_a_minute_locks_the_guesser_out() {
        let passcodes = server("k");
        let a = room("aaaaaaaaaaaaaa");
        let stored = passcodes.hash(&a, &Passcode::parse("1234").unwrap());
        let guesser = Some(IpAddr::from([10, 0, 0, 1]));
        for guess in ["0000", "0001", "0002", "0003", "0004"] {
            assert!(matches!(
                passcodes.admit(&a, Some(&stored), Some(guess), guesser),
                Err(ApiError::PasscodeWrong)
            ));
        }
        assert!(matches!(
            passcodes.admit(&a, Some(&stored), Some("0005"), guesser),
            Err(ApiError::TooManyGuesses { .. })
        ));
        assert!(
            matches!(
                passcodes.admit(&a, Some(&stored), Some("1234"), guesser),
                Err(ApiError::TooManyGuesses { .. })
            ),
            "locked out, the right passcode is not told apart"
        );
        let neighbour = Some(IpAddr::from([10, 0, 0, 2]));
        assert!(
            passcodes
                .admit(&a, Some(&stored), Some("1234"), neighbour)
                .is_ok()
        );
    }
}
