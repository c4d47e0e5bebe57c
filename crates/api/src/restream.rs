//! Restreaming: the same show sent on to YouTube, Twitch or any RTMP(S) server, each such
//! destination with its live status. A destination's stream key is write-only: it goes in with
//! `POST …/destinations` and never comes back out.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest destination URL, in bytes.
pub const RTMP_URL_MAX_LEN: usize = 512;
/// Longest stream key, in bytes.
pub const STREAM_KEY_MAX_LEN: usize = 256;
/// An RTMP(S) server URL without its stream key, as a regular expression: `rtmp://` or
/// `rtmps://`, a host (name or IPv4) with an optional port, then at least one path segment (the
/// application, such as YouTube's `live2`), no white space.
pub const RTMP_URL_PATTERN: &str =
    r"^rtmps?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/([!-$&-.0-~]|%[0-9A-Fa-f]{2})+)+/?$";
/// A stream key as a regular expression: visible ASCII characters but `/`, a `%` only as a
/// percent escape (the key ends the URL egress parses).
pub const STREAM_KEY_PATTERN: &str = r"^([!-$&-.0-~]|%[0-9A-Fa-f]{2}){1,256}$";

/// How many destinations one stream may have at once.
pub const MAX_DESTINATIONS: usize = 5;

/// Why a destination was refused; the message is shown to the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationError {
    Url,
    UrlTooLong,
    Key,
}

impl fmt::Display for DestinationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DestinationError::Url => f.write_str(
                "must be an rtmp:// or rtmps:// server URL with its application path, such as \
                 rtmp://a.rtmp.youtube.com/live2 (the stream key goes in streamKey)",
            ),
            DestinationError::UrlTooLong => {
                write!(f, "must be at most {RTMP_URL_MAX_LEN} characters")
            }
            DestinationError::Key => write!(
                f,
                "must be 1 to {STREAM_KEY_MAX_LEN} visible ASCII characters without '/' or spaces"
            ),
        }
    }
}

impl std::error::Error for DestinationError {}

/// Whether `text` may be a path segment of a destination URL or a stream key: visible ASCII but
/// `/`, and a `%` only as a percent escape (`%2F`), as URL parsers (egress's) demand.
fn is_segment(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let escape = bytes.get(i + 1..i + 3);
                if !escape.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i += 3;
            }
            b'/' => return false,
            c if c.is_ascii_graphic() => i += 1,
            _ => return false,
        }
    }
    true
}

/// An RTMP(S) server URL without the stream key (what [`RTMP_URL_PATTERN`] describes), kept
/// without a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RtmpUrl(String);

impl RtmpUrl {
    pub fn parse(raw: &str) -> Result<Self, DestinationError> {
        if raw.len() > RTMP_URL_MAX_LEN {
            return Err(DestinationError::UrlTooLong);
        }
        let rest = raw
            .strip_prefix("rtmps://")
            .or_else(|| raw.strip_prefix("rtmp://"))
            .ok_or(DestinationError::Url)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (authority, path) = rest.split_once('/').ok_or(DestinationError::Url)?;
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        let port_ok = port.is_none_or(|port| {
            (1..=5).contains(&port.len()) && port.chars().all(|c| c.is_ascii_digit())
        });
        let path_ok = path
            .split('/')
            .all(|segment| !segment.is_empty() && is_segment(segment));
        if !(host_ok && port_ok && path_ok) {
            return Err(DestinationError::Url);
        }
        Ok(Self(format!(
            "{}://{rest}",
            if raw.starts_with("rtmps") {
                "rtmps"
            } else {
                "rtmp"
            }
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The server's host name.
    pub fn host(&self) -> &str {
        let rest = self.0.split_once("://").map_or("", |(_, rest)| rest);
        let authority = rest.split('/').next().unwrap_or_default();
        authority.split(':').next().unwrap_or_default()
    }

    /// What the host sees the destination as: "YouTube", "Twitch", "Facebook", "Kick", or the
    /// server's host name.
    pub fn platform(&self) -> String {
        let host = self.host().to_ascii_lowercase();
        let known = [
            ("youtube.com", "YouTube"),
            ("twitch.tv", "Twitch"),
            ("live-video.net", "Twitch"),
            ("facebook.com", "Facebook"),
            ("kick.com", "Kick"),
            ("kick.live", "Kick"),
        ];
        known
            .iter()
            .find(|(domain, _)| host == *domain || host.ends_with(&format!(".{domain}")))
            .map_or(host.clone(), |(_, name)| (*name).to_owned())
    }

    /// The URL egress sends to: this URL, `/`, then the key.
    pub fn with_key(&self, key: &StreamKey) -> String {
        format!("{}/{}", self.0, key.expose())
    }
}

impl TryFrom<String> for RtmpUrl {
    type Error = DestinationError;
    fn try_from(raw: String) -> Result<Self, DestinationError> {
        Self::parse(&raw)
    }
}

impl From<RtmpUrl> for String {
    fn from(value: RtmpUrl) -> String {
        value.0
    }
}

/// A destination's stream key: a secret (whoever has it broadcasts on the host's channel).
/// Never printed (its `Debug` is redacted) and never sent back.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamKey(String);

impl StreamKey {
    pub fn parse(raw: &str) -> Result<Self, DestinationError> {
        let ok = (1..=STREAM_KEY_MAX_LEN).contains(&raw.len()) && is_segment(raw);
        ok.then(|| Self(raw.to_owned()))
            .ok_or(DestinationError::Key)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamKey(redacted)")
    }
}

impl TryFrom<String> for StreamKey {
    type Error = DestinationError;
    fn try_from(raw: String) -> Result<Self, DestinationError> {
        Self::parse(&raw)
    }
}

impl From<StreamKey> for String {
    fn from(value: StreamKey) -> String {
        value.0
    }
}

/// `POST /api/rooms/:roomId/destinations` — the host adds a place to restream to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddDestinationRequest {
    /// The server URL, as the platform gives it (YouTube: `rtmp://a.rtmp.youtube.com/live2`).
    pub url: RtmpUrl,
    /// The stream key the platform gives. Write-only.
    pub stream_key: StreamKey,
}

/// How a destination fares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DestinationStatus {
    /// Being connected to.
    Starting,
    /// The platform receives the stream.
    Active,
    /// The platform could not be reached or refused the stream; `error` says why.
    Failed,
    /// Sending stopped (the stream ended).
    Ended,
}

/// A restream destination as the host sees it: never with its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    pub destination_id: String,
    /// The server URL, without the key.
    pub url: String,
    /// "YouTube", "Twitch", "Facebook", "Kick", or the server's host name.
    pub platform: String,
    pub status: DestinationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `GET /api/rooms/:roomId/destinations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DestinationList {
    pub room_id: crate::RoomId,
    pub destinations: Vec<Destination>,
}

#[cfg(feature = "openapi")]
mod openapi {
    use super::*;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

    impl utoipa::PartialSchema for RtmpUrl {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "An rtmp:// or rtmps:// server URL with its application path, without the \
                     stream key.",
                ))
                .pattern(Some(RTMP_URL_PATTERN))
                .max_length(Some(RTMP_URL_MAX_LEN))
                .examples(["rtmp://a.rtmp.youtube.com/live2"])
                .into()
        }
    }
    impl utoipa::ToSchema for RtmpUrl {}

    impl utoipa::PartialSchema for StreamKey {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "The platform's stream key: visible ASCII characters but '/'. Write-only.",
                ))
                .pattern(Some(STREAM_KEY_PATTERN))
                .examples(["abcd-efgh-ijkl-mnop"])
                .into()
        }
    }
    impl utoipa::ToSchema for StreamKey {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_urls_are_taken_as_the_platforms_give_them() {
        let youtube = RtmpUrl::parse("rtmp://a.rtmp.youtube.com/live2/").unwrap();
        assert_eq!(youtube.as_str(), "rtmp://a.rtmp.youtube.com/live2");
        assert_eq!(youtube.platform(), "YouTube");
        let twitch = RtmpUrl::parse("rtmps://live.twitch.tv:443/app").unwrap();
        assert_eq!(twitch.platform(), "Twitch");
        assert_eq!(twitch.host(), "live.twitch.tv");
        let own = RtmpUrl::parse("rtmp://127.0.0.1:1935/live").unwrap();
        assert_eq!(own.platform(), "127.0.0.1");
        let key = StreamKey::parse("abcd-1234").unwrap();
        assert_eq!(own.with_key(&key), "rtmp://127.0.0.1:1935/live/abcd-1234");
    }

    #[test]
    fn urls_that_egress_could_not_send_to_are_refused() {
        for bad in [
            "http://example.com/live",
            "rtmp://example.com",
            "rtmp://example.com/",
            "rtmp:///live",
            "rtmp://exa mple.com/live",
            "rtmp://example.com//live",
            "RTMP://example.com/live",
            "rtmp://example.com:port/live",
            "rtmps://ELF2u/%O3rM/live",
            "rtmp://example.com/live%2",
        ] {
            assert!(RtmpUrl::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            RtmpUrl::parse(&format!("rtmp://a.b/{}", "x".repeat(600))),
            Err(DestinationError::UrlTooLong)
        );
    }

    #[test]
    fn stream_keys_are_one_path_segment_and_never_printed() {
        assert!(StreamKey::parse("").is_err());
        assert!(StreamKey::parse("a/b").is_err());
        assert!(StreamKey::parse("a b").is_err());
        assert!(StreamKey::parse("ab%zz").is_err());
        assert!(StreamKey::parse("ab%2Fcd").is_ok());
        assert!(StreamKey::parse(&"k".repeat(257)).is_err());
        let key = StreamKey::parse("live_123?x=1").unwrap();
        assert_eq!(format!("{key:?}"), "StreamKey(redacted)");
    }

    #[test]
    fn the_patterns_say_what_the_parsers_take() {
        // Spot checks of the characters at the edges of the classes: '!' and '~' are in, '/'
        // and ' ' are out.
        assert!(StreamKey::parse("!~.0").is_ok());
        assert!(RtmpUrl::parse("rtmp://h/!~").is_ok());
        assert!(RtmpUrl::parse("rtmp://h:99999/a").is_ok(), "as the pattern");
    }
}
