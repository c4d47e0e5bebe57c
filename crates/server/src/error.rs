//! `ApiError`: the one error type of the HTTP boundary. Each variant maps to a status and an
//! `ErrorCode`; upstream failures carry a retry hint; internal details are logged once with
//! context and never shown to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onair_api::{ErrorBody, ErrorCode, ErrorDetail};

/// Seconds a client should wait before retrying after LiveKit or S3 was unreachable.
pub const UPSTREAM_RETRY_AFTER_SECONDS: u64 = 5;

/// Seconds a viewer turned away from a full stream waits before asking again: long enough for
/// seats to free up, short enough that the page gets in soon after.
pub const AUDIENCE_FULL_RETRY_AFTER_SECONDS: u64 = 15;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("expected a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("request body is larger than {limit_bytes} bytes")]
    PayloadTooLarge { limit_bytes: usize },
    #[error("this call needs the host key (Authorization: Bearer <hostKey>)")]
    MissingHostKey,
    #[error("the host key is not valid for this stream")]
    HostKeyRejected,
    #[error("stream not found")]
    StreamNotFound,
    #[error("participant not found")]
    ParticipantNotFound,
    #[error(
        "this call needs your participant token (Authorization: Bearer <token from POST /api/token>)"
    )]
    MissingParticipantToken,
    #[error("this participant token is not a viewer's token for this stream, or it expired")]
    ParticipantTokenRejected,
    #[error("the stage is full: take someone off stage first")]
    StageFull,
    #[error("this stream has no encoder endpoint (ingress)")]
    IngressNotFound,
    #[error("this stream already has an encoder endpoint (ingress): delete it first")]
    IngressExists,
    #[error(
        "streaming from an encoder (OBS) is not set up on this server: its LiveKit has no ingress"
    )]
    IngressUnavailable,
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("too many streams created from this address; try again in {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    #[error("too many wrong tries from this address; try again in {retry_after_seconds} s")]
    TooManyGuesses { retry_after_seconds: u64 },
    #[error(
        "creating a stream on this server needs a signed-in creator: sign in on the home page, \
         or send a creator key as Authorization: Bearer <key>"
    )]
    SignInRequired,
    #[error("that creator key is not valid on this server")]
    CreatorKeyRejected,
    #[error("this server offers no such way to sign in")]
    SignInUnavailable,
    #[error("this stream is private: it needs its passcode")]
    PasscodeRequired,
    #[error("that passcode is not this stream's")]
    PasscodeWrong,
    #[error(
        "you already have {limit} live streams, the most this server allows at once: end one first"
    )]
    TooManyStreams { limit: u32 },
    #[error(
        "you have recorded {used} min today, and this server allows {limit} min a day: recording \
         is possible again after midnight UTC"
    )]
    RecordingQuota { used: u32, limit: u32 },
    #[error("a recording of this stream is already running")]
    RecordingActive,
    #[error("recording is not configured on this server")]
    RecordingUnavailable,
    #[error("the streaming server is unavailable; try again in a few seconds")]
    LiveKitUnavailable,
    #[error("the recording store is unavailable; try again in a few seconds")]
    StorageUnavailable,
    #[error("the recording service (LiveKit egress) is unavailable; try again in a few seconds")]
    EgressUnavailable,
    #[error("{0}")]
    Upstream(String),
    #[error("this stream already sends to {limit} destinations, the most it can: remove one first")]
    TooManyDestinations { limit: usize },
    #[error("this stream already sends to that destination")]
    DestinationExists,
    #[error(
        "restreaming is not configured on this server (it needs LiveKit egress and the bucket)"
    )]
    RestreamUnavailable,
    #[error("HLS broadcasting is turned off on this server (HLS_MODE=off)")]
    HlsOff,
    #[error(
        "HLS broadcasting is not configured on this server (it needs LiveKit egress and the bucket)"
    )]
    HlsUnavailable,
    #[error(
        "this stream has as many viewers as it can take, and no broadcast for more; try again later"
    )]
    AudienceFull,
    #[error(
        "the broadcast rides on the recording (one egress for both): it ends when the recording stops"
    )]
    HlsWithRecording,
    #[error("this webhook is not signed by this server's LiveKit (or not over this body)")]
    WebhookRejected,
    #[error("this webhook event was already received")]
    WebhookReplayed,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn invalid_field(field: impl Into<String>, message: impl ToString) -> Self {
        Self::InvalidField {
            field: field.into(),
            message: message.to_string(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        use ApiError::*;
        match self {
            InvalidField { .. } => (StatusCode::BAD_REQUEST, ErrorCode::InvalidField),
            MalformedJson(_) => (StatusCode::BAD_REQUEST, ErrorCode::MalformedJson),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
            ),
            PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            MissingHostKey => (StatusCode::UNAUTHORIZED, ErrorCode::MissingHostKey),
            HostKeyRejected => (StatusCode::FORBIDDEN, ErrorCode::HostKeyRejected),
            StreamNotFound => (StatusCode::NOT_FOUND, ErrorCode::StreamNotFound),
            ParticipantNotFound => (StatusCode::NOT_FOUND, ErrorCode::ParticipantNotFound),
            MissingParticipantToken => {
                (StatusCode::UNAUTHORIZED, ErrorCode::MissingParticipantToken)
            }
            ParticipantTokenRejected => {
                (StatusCode::FORBIDDEN, ErrorCode::ParticipantTokenRejected)
            }
            StageFull => (StatusCode::CONFLICT, ErrorCode::StageFull),
            IngressNotFound => (StatusCode::NOT_FOUND, ErrorCode::IngressNotFound),
            IngressExists => (StatusCode::CONFLICT, ErrorCode::IngressExists),
            IngressUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::IngressUnavailable,
            ),
            NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed),
            RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            TooManyGuesses { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            SignInRequired => (StatusCode::UNAUTHORIZED, ErrorCode::SignInRequired),
            CreatorKeyRejected => (StatusCode::UNAUTHORIZED, ErrorCode::CreatorKeyRejected),
            SignInUnavailable => (StatusCode::NOT_FOUND, ErrorCode::SignInUnavailable),
            PasscodeRequired => (StatusCode::FORBIDDEN, ErrorCode::PasscodeRequired),
            PasscodeWrong => (StatusCode::FORBIDDEN, ErrorCode::PasscodeWrong),
            TooManyStreams { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyStreams),
            RecordingQuota { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RecordingQuota),
            RecordingActive => (StatusCode::CONFLICT, ErrorCode::RecordingActive),
            RecordingUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::RecordingUnavailable,
            ),
            LiveKitUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::LivekitUnavailable,
            ),
            StorageUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::StorageUnavailable,
            ),
            EgressUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::EgressUnavailable,
            ),
            Upstream(_) => (StatusCode::BAD_GATEWAY, ErrorCode::UpstreamError),
            TooManyDestinations { .. } => (StatusCode::CONFLICT, ErrorCode::TooManyDestinations),
            DestinationExists => (StatusCode::CONFLICT, ErrorCode::DestinationExists),
            RestreamUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::RestreamUnavailable,
            ),
            HlsOff => (StatusCode::CONFLICT, ErrorCode::HlsOff),
            HlsUnavailable => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::HlsUnavailable),
            AudienceFull => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::AudienceFull),
            HlsWithRecording => (StatusCode::CONFLICT, ErrorCode::HlsWithRecording),
            WebhookRejected => (StatusCode::UNAUTHORIZED, ErrorCode::WebhookRejected),
            WebhookReplayed => (StatusCode::BAD_REQUEST, ErrorCode::WebhookReplayed),
            Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        }
    }

    fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited {
                retry_after_seconds,
            }
            | ApiError::TooManyGuesses {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            ApiError::AudienceFull => Some(AUDIENCE_FULL_RETRY_AFTER_SECONDS),
            ApiError::LiveKitUnavailable
            | ApiError::StorageUnavailable
            | ApiError::EgressUnavailable
            | ApiError::Upstream(_) => Some(UPSTREAM_RETRY_AFTER_SECONDS),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(err) = &self {
            tracing::error!(error = ?err, "internal error");
        }
        let retry_after = self.retry_after_seconds();
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
                field: match &self {
                    ApiError::InvalidField { field, .. } => Some(field.clone()),
                    _ => None,
                },
                retry_after_seconds: retry_after,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        ApiError::Internal(err)
    }
}
