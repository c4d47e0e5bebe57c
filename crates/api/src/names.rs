//! Validated values that travel in requests: a person's display name, a stream title and a
//! room id. Each parses once at the edge and cannot hold an invalid value afterwards.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest display name, in characters.
pub const DISPLAY_NAME_MAX_CHARS: usize = 64;
/// Longest stream title, in characters.
pub const TITLE_MAX_CHARS: usize = 120;
/// Length of a room id.
pub const ROOM_ID_LEN: usize = 14;
/// Characters a room id is made of: lowercase letters and digits (URL-safe, easy to read aloud).
pub const ROOM_ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Why a value was refused; the message is shown to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    Blank,
    TooLong { max: usize },
    ControlCharacter,
    MalformedRoomId,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Blank => write!(f, "must not be blank"),
            NameError::TooLong { max } => write!(f, "must be at most {max} characters"),
            NameError::ControlCharacter => write!(f, "must not contain control characters"),
            NameError::MalformedRoomId => write!(
                f,
                "must be a stream id of {ROOM_ID_LEN} lowercase letters and digits"
            ),
        }
    }
}

impl std::error::Error for NameError {}

/// Trims `raw` and checks it is non-blank, at most `max` characters and free of control
/// characters (which would let a name break a chat line or a log line).
fn checked_text(raw: &str, max: usize) -> Result<String, NameError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(NameError::Blank);
    }
    if trimmed.chars().count() > max {
        return Err(NameError::TooLong { max });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter);
    }
    Ok(trimmed.to_owned())
}

/// A participant's chosen name: trimmed, 1–64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, min_length = 1, max_length = 64, example = "Ada"))]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        checked_text(raw, DISPLAY_NAME_MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional stream title: trimmed, 1–120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, min_length = 1, max_length = 120, example = "Friday night build"))]
#[serde(try_from = "String", into = "String")]
pub struct StreamTitle(String);

impl StreamTitle {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        checked_text(raw, TITLE_MAX_CHARS).map(Self)
    }

    /// A title typed into an optional field: blank means "no title".
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, NameError> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(raw).map(Some)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The id of a stream (and of its LiveKit room): 14 characters of `[a-z0-9]`, about 72 random
/// bits, so ids are URL-safe and cannot be guessed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[a-z0-9]{14}$", example = "k3v9x0m2q8w1zt"))]
#[serde(try_from = "String", into = "String")]
pub struct RoomId(String);

impl RoomId {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let well_formed =
            raw.len() == ROOM_ID_LEN && raw.bytes().all(|b| ROOM_ID_ALPHABET.contains(&b));
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(NameError::MalformedRoomId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_conversions {
    ($($ty:ident),*) => {$(
        impl TryFrom<String> for $ty {
            type Error = NameError;
            fn try_from(raw: String) -> Result<Self, NameError> {
                Self::parse(&raw)
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    )*};
}
string_conversions!(DisplayName, StreamTitle, RoomId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_display_name_is_trimmed() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
    }

    #[test]
    fn a_blank_display_name_is_refused() {
        assert_eq!(DisplayName::parse("   "), Err(NameError::Blank));
        assert_eq!(DisplayName::parse(""), Err(NameError::Blank));
    }

    #[test]
    fn a_display_name_counts_characters_not_bytes() {
        let sixty_four_emoji = "🎥".repeat(64);
        assert!(DisplayName::parse(&sixty_four_emoji).is_ok());
        assert_eq!(
            DisplayName::parse(&"a".repeat(65)),
            Err(NameError::TooLong { max: 64 })
        );
    }

    #[test]
    fn control_characters_are_refused_in_names_and_titles() {
        assert_eq!(
            DisplayName::parse("Ada\u{0}"),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(
            DisplayName::parse("A\nda"),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(
            StreamTitle::parse("Live\u{7}"),
            Err(NameError::ControlCharacter)
        );
    }

    #[test]
    fn a_title_may_be_120_characters() {
        assert!(StreamTitle::parse(&"t".repeat(120)).is_ok());
        assert_eq!(
            StreamTitle::parse(&"t".repeat(121)),
            Err(NameError::TooLong { max: 120 })
        );
        assert_eq!(StreamTitle::parse_optional("  "), Ok(None));
    }

    #[test]
    fn room_ids_are_fourteen_lowercase_alphanumerics() {
        assert!(RoomId::parse("abcdefghij0123").is_ok());
        for bad in [
            "",
            "short",
            "ABCDEFGHIJ0123",
            "abcdefghij012/",
            "abcdefghij01234",
            "../etc/passwd0",
        ] {
            assert_eq!(RoomId::parse(bad), Err(NameError::MalformedRoomId), "{bad}");
        }
    }

    #[test]
    fn deserialising_validates() {
        let err = serde_json::from_str::<DisplayName>("\"\"").unwrap_err();
        assert!(err.to_string().contains("must not be blank"), "{err}");
        let ok: DisplayName = serde_json::from_str("\" Grace \"").unwrap();
        assert_eq!(ok.as_str(), "Grace");
    }
}
