//! The one error format of the API: `{"error":{"code","message"}}`, with typed codes so that
//! clients match on `code`, never on the human-readable `message`.

use serde::{Deserialize, Serialize};

/// Body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for a program (`code`) and for a person (`message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// The request field at fault (JSON name), for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds after which a retry may succeed (also sent as `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// Machine-readable error codes, serialised as `snake_case`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A field of the request is missing or invalid (400); `field` names it.
    InvalidField,
    /// The body is not well-formed JSON (400).
    MalformedJson,
    /// The body is not declared as `application/json` (415).
    UnsupportedMediaType,
    /// The body is larger than the server accepts (413).
    PayloadTooLarge,
    /// A host-only call without `Authorization: Bearer <hostKey>` (401).
    MissingHostKey,
    /// A host key for another room, tampered with or expired (403).
    HostKeyRejected,
    /// No live stream with that id (404).
    StreamNotFound,
    /// No participant with that identity in the stream (404).
    ParticipantNotFound,
    /// A viewer's call without `Authorization: Bearer <token>`, the LiveKit token that
    /// `POST /api/token` gave (401).
    MissingParticipantToken,
    /// A participant token for another stream, tampered with or expired, or not a viewer's (403).
    ParticipantTokenRejected,
    /// The stage already holds as many people as it can (409).
    StageFull,
    /// The stream has no encoder endpoint (ingress) (404).
    IngressNotFound,
    /// The stream already has an encoder endpoint: delete it first (409).
    IngressExists,
    /// Streaming from an encoder is not set up on this server's LiveKit (no ingress) (503).
    IngressUnavailable,
    /// Creating a stream on this server needs a signed-in creator (401): sign in, or send a
    /// creator key as `Authorization: Bearer <key>`.
    SignInRequired,
    /// The creator key is not one of this server's (401).
    CreatorKeyRejected,
    /// This server offers no such way to sign in (404).
    SignInUnavailable,
    /// The stream needs its passcode (403).
    PasscodeRequired,
    /// The passcode is not the stream's (403).
    PasscodeWrong,
    /// The creator already has as many live streams as the server allows (429).
    TooManyStreams,
    /// The creator used up the recording minutes the server allows per day (429).
    RecordingQuota,
    /// No such API route (404).
    NotFound,
    /// The route exists but not for this HTTP method (405).
    MethodNotAllowed,
    /// Too many requests from this client; see `retryAfterSeconds` (429).
    RateLimited,
    /// A recording of this stream is already running (409).
    RecordingActive,
    /// Recording is not configured on this server (503).
    RecordingUnavailable,
    /// LiveKit did not answer in time or refused the connection (503).
    LivekitUnavailable,
    /// The recording store (S3) did not answer (503).
    StorageUnavailable,
    /// No LiveKit egress worker could take or answer the recording (503).
    EgressUnavailable,
    /// An upstream service answered with an error (502).
    UpstreamError,
    /// The stream already sends to as many restream destinations as it may (409).
    TooManyDestinations,
    /// The stream already sends to that URL with that key (409).
    DestinationExists,
    /// Restreaming is not configured on this server: no bucket or no egress (503).
    RestreamUnavailable,
    /// The operator turned HLS off on this server (`HLS_MODE=off`) (409).
    HlsOff,
    /// HLS is not configured on this server: no bucket (503).
    HlsUnavailable,
    /// The broadcast rides on the recording's egress: it ends when the recording stops (409).
    HlsWithRecording,
    /// The stream's WebRTC audience is full (`MAX_WEBRTC_VIEWERS`) and there is no HLS
    /// broadcast to watch instead (503, retry hint).
    AudienceFull,
    /// A LiveKit webhook without a valid signature over its body (401).
    WebhookRejected,
    /// A LiveKit webhook event that was already received (400).
    WebhookReplayed,
    /// An unexpected server fault (500); details are in the server log only.
    Internal,
}

impl ErrorBody {
    /// An error body with just a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
                field: None,
                retry_after_seconds: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_the_documented_shape() {
        let body = ErrorBody::new(ErrorCode::StreamNotFound, "stream not found");
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "stream_not_found", "message": "stream not found"}})
        );
    }

    #[test]
    fn codes_are_snake_case() {
        let json = serde_json::to_string(&ErrorCode::LivekitUnavailable).unwrap();
        assert_eq!(json, "\"livekit_unavailable\"");
    }
}
