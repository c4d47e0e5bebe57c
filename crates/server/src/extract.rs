//! Request extractors that validate at the edge and reject in the API's own error format:
//! `ApiJson<T>` for bodies (malformed JSON, a bad or unknown field named by its JSON path, too
//! large, wrong content type), `StreamJson<T>` for bodies that name a stream in `roomName`,
//! `StreamId` for the `:roomId` path segment, and `BearerToken` for the credential a request
//! carries. A malformed stream id, in a path or a body, names no stream: it is answered like an
//! unknown one, 404 `stream_not_found`.

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{HeaderMap, header, request::Parts};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use onair_api::RoomId;
use serde::de::DeserializeOwned;
use std::convert::Infallible;
use std::time::Duration;

use crate::error::ApiError;
use crate::host_key::bearer_token;

/// Largest accepted request body.
pub const BODY_LIMIT_BYTES: usize = 16 * 1024;

/// How much of an oversized body is still read (and thrown away) before it is refused: a
/// client that sends its whole body before reading (Python's urllib, curl without
/// `Expect: 100-continue`) would otherwise be cut off mid-send — the kernel answers the bytes
/// it still sends to a closed socket with a reset, which can discard the 413 before the client
/// reads it. Bounded in bytes and in time, so it cannot be turned into a slow-sender attack.
const DRAIN_AT_MOST_BYTES: usize = 1024 * 1024;
const DRAIN_FOR_AT_MOST: Duration = Duration::from_secs(2);

/// A JSON body deserialised (and so validated) into `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body like [`ApiJson`] whose `roomName` names a stream. A `roomName` that is a string
/// but no well-formed stream id — a mangled share link — names no stream, so it is answered 404
/// `stream_not_found` like an unknown id (and like `GET /api/rooms/{roomId}`), not 400.
#[derive(Debug)]
pub struct StreamJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for StreamJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_body(req, state).await?;
        match parse_json(&bytes) {
            Ok(value) => Ok(StreamJson(value)),
            Err(_) if names_a_malformed_stream(&bytes) => Err(ApiError::StreamNotFound),
            Err(err) => Err(err),
        }
    }
}

/// Whether `bytes` is a JSON object whose `roomName` is a string that is not a stream id.
fn names_a_malformed_stream(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .as_ref()
        .and_then(|body| body.get("roomName"))
        .and_then(serde_json::Value::as_str)
        .is_some_and(|raw| RoomId::parse(raw).is_err())
}

/// The body of a request declared as JSON, at most [`BODY_LIMIT_BYTES`].
async fn json_body<S: Send + Sync>(req: Request, _state: &S) -> Result<Bytes, ApiError> {
    if !has_json_content_type(req.headers()) {
        return Err(ApiError::UnsupportedMediaType);
    }
    body_within(req, BODY_LIMIT_BYTES).await
}

/// The whole body of `req` if it holds at most `limit` bytes; else 413 `payload_too_large`,
/// answered once the client has had the chance to finish sending (see [`DRAIN_AT_MOST_BYTES`]).
/// A body declared too large (`Content-Length`) is refused without being kept.
pub async fn body_within(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = ApiError::PayloadTooLarge { limit_bytes: limit };
    let declared_too_large = declared_length(req.headers()).is_some_and(|length| length > limit);
    let mut body = req.into_body();
    if declared_too_large {
        drain(body).await;
        return Err(too_large);
    }
    let mut collected = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| {
            ApiError::MalformedJson(format!("the request body could not be read: {err}"))
        })?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if collected.len() + data.len() > limit {
            drain(body).await;
            return Err(too_large);
        }
        collected.extend_from_slice(&data);
    }
    Ok(collected.freeze())
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Reads what the client still sends of a refused body, within [`DRAIN_AT_MOST_BYTES`] and
/// [`DRAIN_FOR_AT_MOST`], and throws it away.
async fn drain(mut body: Body) {
    let mut room_left = DRAIN_AT_MOST_BYTES;
    let _in_time = tokio::time::timeout(DRAIN_FOR_AT_MOST, async {
        while let Some(Ok(frame)) = body.frame().await {
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let Some(left) = room_left.checked_sub(data.len()) else {
                return;
            };
            room_left = left;
        }
    })
    .await;
}

fn has_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .and_then(|mime| mime.trim().split_once('/'))
        .is_some_and(|(kind, subtype)| {
            // `application/json` or a structured `application/<name>+json`, in any case.
            let subtype = subtype.as_bytes();
            let suffix = subtype.len().saturating_sub(b"+json".len());
            kind.eq_ignore_ascii_case("application")
                && (subtype.eq_ignore_ascii_case(b"json")
                    || (suffix > 0 && subtype[suffix..].eq_ignore_ascii_case(b"+json")))
        })
}

/// Deserialises `bytes`, turning serde's error into one that names the offending field. A body
/// that parses takes serde_json's plain path; only a refused one is read again with its path
/// tracked, which costs every field a note of where it is (measurable on the token path).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).or_else(|_| parse_json_naming_the_field(bytes))
}

/// [`parse_json`]'s second reading, tracking where in the body serde is, to name the field a
/// refusal is about.
fn parse_json_naming_the_field<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = without_position(&inner.to_string());
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::MalformedJson(message);
        }
        let field = match message.strip_prefix("missing field `") {
            Some(rest) => rest.split('`').next().unwrap_or("body").to_owned(),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        ApiError::invalid_field(field, message)
    })?;
    // Trailing garbage after the object is malformed JSON too.
    deserializer
        .end()
        .map_err(|err| ApiError::MalformedJson(without_position(&err.to_string())))?;
    Ok(value)
}

/// serde_json appends " at line 1 column 20"; people do not need it.
fn without_position(message: &str) -> String {
    match message.rsplit_once(" at line ") {
        Some((head, _)) => head.to_owned(),
        None => message.to_owned(),
    }
}

/// The `:roomId` path segment. A malformed id cannot name a stream, so it answers 404
/// "stream not found" like an unknown one.
#[derive(Debug)]
pub struct StreamId(pub RoomId);

impl<S: Send + Sync> FromRequestParts<S> for StreamId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::StreamNotFound)?;
        let raw = params
            .iter()
            .find(|(name, _)| name == "roomId")
            .map(|(_, value)| value.as_str())
            .unwrap_or_default();
        RoomId::parse(raw)
            .map(StreamId)
            .map_err(|_| ApiError::StreamNotFound)
    }
}

/// The token of the request's `Authorization: Bearer <token>` header, if it has a non-empty one
/// (a host key or a participant token: the handler decides which it needs). Only that header is
/// read: the token path, the hot path of a viral link, does not copy the others.
#[derive(Debug, Default)]
pub struct BearerToken(pub Option<String>);

impl BearerToken {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(BearerToken(bearer_token(&parts.headers)))
    }
}

/// The `X-Stream-Passcode` header, percent-decoded (browsers can only send Latin-1 in a header,
/// so the app sends the passcode's UTF-8 percent-encoded). A value that does not decode to
/// UTF-8 is kept as sent: it is then simply not the passcode.
#[derive(Debug, Default)]
pub struct StreamPasscode(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for StreamPasscode {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let Some(value) = parts.headers.get(onair_api::access::PASSCODE_HEADER) else {
            return Ok(StreamPasscode(None));
        };
        let raw = String::from_utf8_lossy(value.as_bytes());
        let decoded = percent_encoding::percent_decode_str(&raw)
            .decode_utf8()
            .map(|text| text.into_owned())
            .unwrap_or_else(|_| raw.clone().into_owned());
        Ok(StreamPasscode(Some(decoded)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onair_api::CreateRoomRequest;

    fn field_error(body: &str) -> (String, String) {
        match parse_json::<CreateRoomRequest>(body.as_bytes()) {
            Err(ApiError::InvalidField { field, message }) => (field, message),
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn a_blank_host_name_is_named() {
        let (field, message) = field_error(r#"{"hostName":"  "}"#);
        assert_eq!(field, "hostName");
        assert_eq!(message, "must not be blank");
    }

    #[test]
    fn a_missing_host_name_is_named() {
        assert_eq!(field_error("{}").0, "hostName");
    }

    #[test]
    fn a_wrongly_typed_field_is_named() {
        let (field, message) = field_error(r#"{"hostName":42}"#);
        assert_eq!(field, "hostName");
        assert!(message.contains("invalid type"), "{message}");
    }

    #[test]
    fn an_unknown_field_is_named() {
        let (field, message) = field_error(r#"{"hostName":"Ada","hostname":"Ada"}"#);
        assert_eq!(field, "hostname");
        assert!(message.contains("unknown field"), "{message}");
    }

    #[test]
    fn only_a_string_room_name_that_is_no_stream_id_is_a_malformed_stream() {
        assert!(names_a_malformed_stream(br#"{"roomName":"../etc/passwd"}"#));
        assert!(names_a_malformed_stream(
            br#"{"roomName":"","participantName":""}"#
        ));
        assert!(!names_a_malformed_stream(
            br#"{"roomName":"abcdefghij0123"}"#
        ));
        assert!(!names_a_malformed_stream(br#"{"roomName":42}"#));
        assert!(!names_a_malformed_stream(br#"{"participantName":"Bob"}"#));
        assert!(!names_a_malformed_stream(br#"["roomName"]"#));
    }

    #[test]
    fn broken_json_is_malformed() {
        assert!(matches!(
            parse_json::<CreateRoomRequest>(b"{\"hostName\":"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_json::<CreateRoomRequest>(br#"{"hostName":"Ada"} trailing"#),
            Err(ApiError::MalformedJson(_))
        ));
    }

    #[test]
    fn a_well_formed_body_is_read() {
        let request: CreateRoomRequest = parse_json(br#"{"hostName":"Ada"}"#).unwrap();
        assert_eq!(request.host_name.as_str(), "Ada");
    }

    #[test]
    fn json_is_recognised_in_any_case_and_with_parameters() {
        let declared = |value: &'static str| {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            has_json_content_type(&headers)
        };
        for json in [
            "application/json",
            "Application/JSON; charset=utf-8",
            " application/json ",
            "application/problem+json",
            "APPLICATION/VND.API+JSON",
        ] {
            assert!(declared(json), "{json}");
        }
        for other in [
            "text/plain",
            "application/",
            "application/+json",
            "+json",
            "text/json",
        ] {
            assert!(!declared(other), "{other}");
        }
        assert!(!has_json_content_type(&axum::http::HeaderMap::new()));
    }
}
