//! Who may go live and who may watch: the creator's sign-in (`GET /api/me`, `POST /auth/key`),
//! a stream's visibility and its passcode.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::names::NameError;

/// Shortest passcode, in characters.
pub const PASSCODE_MIN_CHARS: usize = 4;
/// Longest passcode, in characters.
pub const PASSCODE_MAX_CHARS: usize = 64;
/// A passcode as a regular expression (the `pattern` of its OpenAPI schema): 4–64 characters,
/// none of them a control character.
pub const PASSCODE_PATTERN: &str = r"^[^\u0000-\u001F\u007F-\u009F]{4,64}$";
/// Longest creator key the server reads (keys it makes are much shorter).
pub const CREATOR_KEY_MAX_CHARS: usize = 200;
/// The header that carries a passcode on reads (`GET /api/rooms/:id`, `GET /api/recordings/:id`).
pub const PASSCODE_HEADER: &str = "x-stream-passcode";

/// Who may create streams on this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccessMode {
    /// Anyone who reaches the server.
    #[default]
    Open,
    /// Signed-in creators only (OpenID Connect or a creator key).
    Private,
}

/// How a creator signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    /// The operator's identity provider, through OpenID Connect.
    Oidc,
    /// A creator key made with `onair creator-key add`.
    CreatorKey,
}

/// `GET /api/me` — who this browser is signed in as, and how one signs in here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub signed_in: bool,
    /// The creator's name (from the identity provider, or the creator key's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// How the creator signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<SignInMethod>,
    /// `private`: creating a stream needs a signed-in creator.
    pub access_mode: AccessMode,
    /// The ways to sign in this server offers (empty when it offers none).
    pub sign_in_methods: Vec<SignInMethod>,
}

/// `POST /auth/key` — sign in with a creator key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatorKeySignIn {
    /// The key `onair creator-key add` printed.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub key: CreatorKeyText,
}

impl fmt::Debug for CreatorKeySignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatorKeySignIn").finish_non_exhaustive()
    }
}

/// A creator key as typed: 1–200 characters, trimmed. Whether it is a key is for the server
/// to say. Never printed (its `Debug` is redacted).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreatorKeyText(String);

impl CreatorKeyText {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(NameError::Blank);
        }
        if trimmed.chars().count() > CREATOR_KEY_MAX_CHARS {
            return Err(NameError::TooLong {
                max: CREATOR_KEY_MAX_CHARS,
            });
        }
        if trimmed.chars().any(char::is_control) {
            return Err(NameError::ControlCharacter);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CreatorKeyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CreatorKeyText(redacted)")
    }
}

impl TryFrom<String> for CreatorKeyText {
    type Error = NameError;
    fn try_from(raw: String) -> Result<Self, NameError> {
        Self::parse(&raw)
    }
}

impl From<CreatorKeyText> for String {
    fn from(value: CreatorKeyText) -> String {
        value.0
    }
}

/// Who may watch a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone with the link.
    #[default]
    Public,
    /// Anyone with the link and the stream's passcode.
    Passcode,
}

/// A stream's passcode: 4–64 characters, no control characters, taken as typed (not trimmed).
/// Never printed (its `Debug` is redacted); the server keeps only a keyed hash of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Passcode(String);

impl Passcode {
    pub fn parse(raw: &str) -> Result<Self, PasscodeError> {
        Self::check(raw)?;
        Ok(Self(raw.to_owned()))
    }

    fn check(raw: &str) -> Result<(), PasscodeError> {
        let chars = raw.chars().count();
        if !(PASSCODE_MIN_CHARS..=PASSCODE_MAX_CHARS).contains(&chars) {
            return Err(PasscodeError::Length);
        }
        if raw.chars().any(char::is_control) {
            return Err(PasscodeError::ControlCharacter);
        }
        Ok(())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Passcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passcode(redacted)")
    }
}

impl TryFrom<String> for Passcode {
    type Error = PasscodeError;
    fn try_from(raw: String) -> Result<Self, PasscodeError> {
        Self::check(&raw)?;
        Ok(Self(raw))
    }
}

impl From<Passcode> for String {
    fn from(value: Passcode) -> String {
        value.0
    }
}

/// Why a passcode was refused; the message is shown to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasscodeError {
    Length,
    ControlCharacter,
}

impl fmt::Display for PasscodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasscodeError::Length => write!(
                f,
                "must be {PASSCODE_MIN_CHARS} to {PASSCODE_MAX_CHARS} characters"
            ),
            PasscodeError::ControlCharacter => write!(f, "must not contain control characters"),
        }
    }
}

impl std::error::Error for PasscodeError {}

/// `GET /api/rooms/:roomId` of a passcode stream asked without its passcode: that it exists and
/// needs one, and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LockedRoom {
    pub room_id: crate::RoomId,
    /// Always `true`: send the passcode as `X-Stream-Passcode` to see the stream.
    pub requires_passcode: bool,
}

#[cfg(feature = "openapi")]
mod openapi {
    use super::*;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

    impl utoipa::PartialSchema for Passcode {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "A stream's passcode: 4–64 characters without control characters, taken \
                     as typed.",
                ))
                .pattern(Some(PASSCODE_PATTERN))
                .examples(["open sesame"])
                .into()
        }
    }
    impl utoipa::ToSchema for Passcode {}

    impl utoipa::PartialSchema for CreatorKeyText {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "A creator key, as `onair creator-key add` printed it (white space around \
                     it is trimmed away).",
                ))
                .pattern(Some(crate::names::trimmed_text_pattern(
                    CREATOR_KEY_MAX_CHARS,
                    false,
                )))
                .examples(["ock_a1b2c3d4_…"])
                .into()
        }
    }
    impl utoipa::ToSchema for CreatorKeyText {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passcode_is_four_to_sixty_four_characters() {
        assert!(Passcode::parse("abc").is_err());
        assert!(Passcode::parse("abcd").is_ok());
        assert!(Passcode::parse(&"é".repeat(64)).is_ok());
        assert!(Passcode::parse(&"x".repeat(65)).is_err());
        assert!(Passcode::parse("ab\ncd").is_err());
        assert_eq!(Passcode::parse(" ab ").unwrap().expose(), " ab ");
    }

    #[test]
    fn the_passcode_pattern_agrees_with_the_parser() {
        let pattern = regex::Regex::new(PASSCODE_PATTERN).unwrap();
        for text in [
            "abc",
            "abcd",
            " ab ",
            "ab\ncd",
            "ab\u{85}cd",
            &"x".repeat(65),
        ] {
            assert_eq!(
                pattern.is_match(text),
                Passcode::parse(text).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let passcode = Passcode::parse("hunter22").unwrap();
        assert!(!format!("{passcode:?}").contains("hunter22"));
        let key: CreatorKeySignIn = serde_json::from_str(r#"{"key":"ock_secret"}"#).unwrap();
        assert!(!format!("{key:?}").contains("ock_secret"));
    }

    #[test]
    fn me_reads_like_the_spec() {
        let me = Me {
            signed_in: true,
            name: Some("Ada".into()),
            email: None,
            via: Some(SignInMethod::CreatorKey),
            access_mode: AccessMode::Private,
            sign_in_methods: vec![SignInMethod::Oidc, SignInMethod::CreatorKey],
        };
        assert_eq!(
            serde_json::to_value(&me).unwrap(),
            serde_json::json!({"signedIn": true, "name": "Ada", "via": "creator_key",
                "accessMode": "private", "signInMethods": ["oidc", "creator_key"]})
        );
    }
}
