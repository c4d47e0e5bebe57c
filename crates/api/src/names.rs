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
/// A room id as a regular expression (the `pattern` of its OpenAPI schema).
pub const ROOM_ID_PATTERN: &str = "^[a-z0-9]{14}$";

/// What `str::trim` removes (Unicode `White_Space`), as a regular-expression class.
const TRIMMED_CLASS: &str =
    r"[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
/// A first or last character of a trimmed text: neither white space nor a control character.
const EDGE_CLASS: &str =
    r"[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
/// Any other character of a trimmed text: anything but a control character (`char::is_control`,
/// Unicode category Cc).
const INNER_CLASS: &str = r"[^\u0000-\u001F\u007F-\u009F]";

/// The regular expression (ECMA-262, as JSON Schema's `pattern` wants; Python's `re` and Rust's
/// `regex` read it the same way) of what [`checked_text`] accepts for `max` characters: white
/// space around (trimmed away), then 1 to `max` characters without control characters that
/// neither start nor end with white space. With `blank_ok`, blank text (which an optional field
/// takes as "none") matches too. Tests check it against the parser character by character.
pub fn trimmed_text_pattern(max: usize, blank_ok: bool) -> String {
    assert!(max >= 2, "a pattern for texts of at least two characters");
    let inner_max = max - 2;
    let text = format!("{EDGE_CLASS}(?:{INNER_CLASS}{{0,{inner_max}}}{EDGE_CLASS})?");
    if blank_ok {
        format!("^{TRIMMED_CLASS}*(?:{text}{TRIMMED_CLASS}*)?$")
    } else {
        format!("^{TRIMMED_CLASS}*{text}{TRIMMED_CLASS}*$")
    }
}

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
fn checked_text(raw: &str, max: usize) -> Result<&str, NameError> {
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
    Ok(trimmed)
}

/// `raw`, checked by [`checked_text`], as an owned trimmed string: `raw` itself when there was
/// nothing to trim, so a value deserialised from a request costs no second copy.
fn checked_owned_text(raw: String, max: usize) -> Result<String, NameError> {
    let trimmed_len = checked_text(&raw, max)?.len();
    if trimmed_len == raw.len() {
        Ok(raw)
    } else {
        Ok(raw.trim().to_owned())
    }
}

/// A participant's chosen name: trimmed, 1–64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        checked_text(raw, DISPLAY_NAME_MAX_CHARS).map(|text| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional stream title: trimmed, 1–120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamTitle(String);

impl StreamTitle {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        checked_text(raw, TITLE_MAX_CHARS).map(|text| Self(text.to_owned()))
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
#[serde(try_from = "String", into = "String")]
pub struct RoomId(String);

/// Whether `byte` is in [`ROOM_ID_ALPHABET`]: a range check, where a search of the alphabet for
/// each of an id's 14 bytes was a measurable part of a viewer's token request.
fn is_room_id_byte(byte: u8) -> bool {
    byte.is_ascii_lowercase() || byte.is_ascii_digit()
}

impl RoomId {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        Self::check(raw)?;
        Ok(Self(raw.to_owned()))
    }

    fn check(raw: &str) -> Result<(), NameError> {
        let well_formed = raw.len() == ROOM_ID_LEN && raw.bytes().all(is_room_id_byte);
        if well_formed {
            Ok(())
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

// From a deserialised string (`#[serde(try_from = "String")]`), kept rather than copied when
// it is already what the type holds.
impl TryFrom<String> for DisplayName {
    type Error = NameError;
    fn try_from(raw: String) -> Result<Self, NameError> {
        checked_owned_text(raw, DISPLAY_NAME_MAX_CHARS).map(Self)
    }
}

impl TryFrom<String> for StreamTitle {
    type Error = NameError;
    fn try_from(raw: String) -> Result<Self, NameError> {
        checked_owned_text(raw, TITLE_MAX_CHARS).map(Self)
    }
}

impl TryFrom<String> for RoomId {
    type Error = NameError;
    fn try_from(raw: String) -> Result<Self, NameError> {
        Self::check(&raw)?;
        Ok(Self(raw))
    }
}

/// The OpenAPI schemas of the validated values, written by hand so that each `pattern` comes
/// from the same constants as the parser.
#[cfg(feature = "openapi")]
mod openapi {
    use super::*;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

    fn trimmed_text(
        schema_type: SchemaType,
        description: &str,
        pattern: String,
        example: &str,
    ) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(schema_type)
            .description(Some(description))
            .pattern(Some(pattern))
            .examples([example])
            .into()
    }

    impl utoipa::PartialSchema for DisplayName {
        fn schema() -> RefOr<Schema> {
            trimmed_text(
                SchemaType::new(Type::String),
                "A person's name: white space around it is trimmed away; what is left is 1–64 \
                 characters without control characters.",
                trimmed_text_pattern(DISPLAY_NAME_MAX_CHARS, false),
                "Ada",
            )
        }
    }
    impl utoipa::ToSchema for DisplayName {}

    impl utoipa::PartialSchema for StreamTitle {
        fn schema() -> RefOr<Schema> {
            trimmed_text(
                SchemaType::new(Type::String),
                "A stream title: white space around it is trimmed away; what is left is 1–120 \
                 characters without control characters.",
                trimmed_text_pattern(TITLE_MAX_CHARS, false),
                "Friday night build",
            )
        }
    }
    impl utoipa::ToSchema for StreamTitle {}

    impl utoipa::PartialSchema for RoomId {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "A stream id: 14 lowercase letters and digits. A malformed id names no \
                     stream, so it is answered like an unknown one: 404 `stream_not_found`.",
                ))
                .pattern(Some(ROOM_ID_PATTERN))
                .examples(["k3v9x0m2q8w1zt"])
                .into()
        }
    }
    impl utoipa::ToSchema for RoomId {}

    /// An optional title field: `null`, blank (meaning no title, like an empty form field) or a
    /// [`StreamTitle`].
    pub(crate) fn optional_title() -> RefOr<Schema> {
        trimmed_text(
            SchemaType::from_iter([Type::String, Type::Null]),
            "The stream's title: `null`, absent or blank for none; otherwise white space around \
             it is trimmed away and what is left is at most 120 characters without control \
             characters.",
            trimmed_text_pattern(TITLE_MAX_CHARS, true),
            "Friday night build",
        )
    }
}
#[cfg(feature = "openapi")]
pub(crate) use openapi::optional_title as optional_title_schema;

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
    fn the_room_id_byte_check_is_the_alphabet() {
        for byte in 0..=u8::MAX {
            assert_eq!(
                is_room_id_byte(byte),
                ROOM_ID_ALPHABET.contains(&byte),
                "{byte}"
            );
        }
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

    /// Whether `pattern` (a JSON Schema `pattern`) accepts `text`.
    fn matches(pattern: &str, text: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(text)
    }

    #[test]
    fn the_name_patterns_agree_with_the_parsers() {
        let name = regex::Regex::new(&trimmed_text_pattern(DISPLAY_NAME_MAX_CHARS, false)).unwrap();
        let title = regex::Regex::new(&trimmed_text_pattern(TITLE_MAX_CHARS, false)).unwrap();
        let optional_title =
            regex::Regex::new(&trimmed_text_pattern(TITLE_MAX_CHARS, true)).unwrap();
        let mut samples: Vec<String> = [
            "",
            " ",
            "Ada",
            "  Ada  ",
            "\tAda\r\n",
            "A\nda",
            "Ada Lovelace",
            "Ada\u{a0}Lovelace",
            "\u{3000}Ada\u{85}",
            "\u{feff}Ada\u{200b}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in [63, 64, 65, 119, 120, 121] {
            samples.push("é".repeat(n));
            samples.push("🎥".repeat(n));
            samples.push(format!("  {}\t", "a".repeat(n)));
            samples.push(format!("a{}a", " ".repeat(n - 2)));
        }
        // Every character up to U+3000 (all white space and control characters are below it)
        // and a few beyond, alone, inside a name and around one.
        let chars = (0..=0x3001)
            .chain([0xfeff, 0xfffd, 0x1f3a5, 0x10ffff])
            .filter_map(char::from_u32);
        for c in chars {
            samples.extend([
                c.to_string(),
                format!("a{c}b"),
                format!("{c}ab"),
                format!("ab{c}"),
            ]);
        }
        for sample in &samples {
            assert_eq!(
                name.is_match(sample),
                DisplayName::parse(sample).is_ok(),
                "display name {sample:?}"
            );
            assert_eq!(
                title.is_match(sample),
                StreamTitle::parse(sample).is_ok(),
                "title {sample:?}"
            );
            assert_eq!(
                optional_title.is_match(sample),
                StreamTitle::parse_optional(sample).is_ok(),
                "optional title {sample:?}"
            );
        }
    }

    #[test]
    fn the_room_id_pattern_agrees_with_the_parser() {
        for sample in [
            "abcdefghij0123",
            "ABCDEFGHIJ0123",
            "abcdefghij012",
            "abcdefghij01234",
            "",
        ] {
            assert_eq!(
                matches(ROOM_ID_PATTERN, sample),
                RoomId::parse(sample).is_ok(),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn a_value_from_an_owned_string_is_what_parsing_makes() {
        for raw in [
            "Ada",
            "  Ada ",
            "Zoë\u{a0}",
            "",
            "   ",
            "a\u{7}b",
            &"x".repeat(200),
        ] {
            assert_eq!(
                DisplayName::try_from(raw.to_owned()),
                DisplayName::parse(raw),
                "{raw:?}"
            );
            assert_eq!(
                StreamTitle::try_from(raw.to_owned()),
                StreamTitle::parse(raw),
                "{raw:?}"
            );
            assert_eq!(
                RoomId::try_from(raw.to_owned()),
                RoomId::parse(raw),
                "{raw:?}"
            );
        }
        assert_eq!(
            RoomId::try_from("abcdefghij0123".to_owned()),
            RoomId::parse("abcdefghij0123")
        );
    }

    #[test]
    fn deserialising_validates() {
        let err = serde_json::from_str::<DisplayName>("\"\"").unwrap_err();
        assert!(err.to_string().contains("must not be blank"), "{err}");
        let ok: DisplayName = serde_json::from_str("\" Grace \"").unwrap();
        assert_eq!(ok.as_str(), "Grace");
    }
}
