//! The HLS broadcast of a stream: the host turns it on and off; browsers fetch its live
//! playlist. See [`crate::hls`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onair_api::{ErrorBody, HlsInfo, RoomId};

use crate::error::ApiError;
use crate::extract::{BearerToken, StreamId, StreamPasscode};
use crate::rate_limit::ClientIp;
use crate::state::AppState;

/// POST /api/rooms/{roomId}/hls — the host starts broadcasting over HLS.
#[utoipa::path(
    post, path = "/api/rooms/{roomId}/hls", tag = "hls",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    security(("hostKey" = [])),
    responses(
        (status = 201, description = "Broadcast started: segments appear within a few seconds", body = HlsInfo),
        (status = 200, description = "Already broadcasting", body = HlsInfo),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No stream with that id (or a malformed id)", body = ErrorBody),
        (status = 409, description = "`hls_off`: the operator turned HLS off (`HLS_MODE=off`)", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit or its egress unreachable, or HLS not configured (`hls_unavailable`: no bucket)", body = ErrorBody),
    )
)]
pub async fn start_hls(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
) -> Result<(StatusCode, Json<HlsInfo>), ApiError> {
    app.authorize_host(&credential, &room_id)?;
    let broadcaster = app.broadcaster()?;
    app.streams.get(&room_id).await?;
    let (started, info) = broadcaster.start(&room_id).await?;
    app.streams.forget(&room_id).await;
    let status = if started {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(info)))
}

/// DELETE /api/rooms/{roomId}/hls — the host stops broadcasting over HLS (the event playlist
/// stays in the bucket).
#[utoipa::path(
    delete, path = "/api/rooms/{roomId}/hls", tag = "hls",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    security(("hostKey" = [])),
    responses(
        (status = 204, description = "Not broadcasting (any more)"),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No stream with that id (or a malformed id)", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit or its egress unreachable, or HLS not configured (`hls_unavailable`: no bucket)", body = ErrorBody),
    )
)]
pub async fn stop_hls(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
) -> Result<StatusCode, ApiError> {
    app.authorize_host(&credential, &room_id)?;
    app.broadcaster()?.stop(&room_id).await?;
    app.streams.forget(&room_id).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Lets a viewer of `room_id`'s broadcast in: anyone for a public stream, the passcode's holders
/// for a passcode stream (answers whether it is one, for the cache headers).
async fn admit_to_broadcast(
    app: &AppState,
    room_id: &RoomId,
    passcode: Option<&str>,
    client: Option<std::net::IpAddr>,
) -> Result<bool, ApiError> {
    let snapshot = app.streams.get(room_id).await?;
    let stored = snapshot.metadata.passcode_hash.as_deref();
    if stored.is_some() && passcode.is_none() {
        return Err(ApiError::PasscodeRequired);
    }
    app.passcodes.admit(room_id, stored, passcode, client)?;
    Ok(stored.is_some())
}

/// The media type of HLS playlists (RFC 8216).
const PLAYLIST_TYPE: &str = "application/vnd.apple.mpegurl";

/// GET /hls/{roomId}/live.m3u8 — the live playlist, each segment a bucket URL. Cached by
/// browsers and CDNs for one second (a segment lasts two); a passcode stream's only privately.
#[utoipa::path(
    get, path = "/hls/{roomId}/live.m3u8", tag = "hls",
    params(
        ("roomId" = RoomId, Path, description = "Stream id"),
        ("X-Stream-Passcode" = Option<String>, Header, description = "The stream's passcode, percent-encoded as UTF-8, for a passcode stream"),
    ),
    responses(
        (status = 200, description = "The live HLS playlist", content_type = "application/vnd.apple.mpegurl", body = String),
        (status = 403, description = "`passcode_required` / `passcode_wrong`: a passcode stream needs its passcode", body = ErrorBody),
        (status = 404, description = "No such stream, or it is not broadcasting (yet: the first segment takes a few seconds)", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many wrong passcodes from this address for this stream", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit, its egress or the bucket unreachable, or HLS not configured", body = ErrorBody),
    )
)]
pub async fn live_playlist(
    State(app): State<AppState>,
    StreamId(room_id): StreamId,
    ClientIp(client): ClientIp,
    StreamPasscode(passcode): StreamPasscode,
) -> Result<Response, ApiError> {
    let private = admit_to_broadcast(&app, &room_id, passcode.as_deref(), client).await?;
    let playlist = app
        .broadcaster()?
        .live_playlist(&room_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("this stream is not broadcasting over HLS".into()))?;
    let cache = if private {
        "private, max-age=1"
    } else {
        "public, max-age=1"
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(PLAYLIST_TYPE),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        playlist.to_string(),
    )
        .into_response())
}

/// GET /hls/{roomId}/{startMillis}/{segment} — one 2 s MPEG-TS segment of a broadcast, as the
/// live playlist lists it. A segment never changes: cached for a year (a passcode stream's only
/// privately).
#[utoipa::path(
    get, path = "/hls/{roomId}/{startMillis}/{segment}", tag = "hls",
    params(
        ("roomId" = RoomId, Path, description = "Stream id"),
        ("startMillis" = u64, Path, description = "When the broadcast started, as its playlist names it"),
        ("segment" = String, Path, description = "The segment's file name, such as `segment_00042.ts`"),
        ("X-Stream-Passcode" = Option<String>, Header, description = "The stream's passcode, percent-encoded as UTF-8, for a passcode stream"),
    ),
    responses(
        (status = 200, description = "The segment", content_type = "video/mp2t", body = Vec<u8>),
        (status = 403, description = "`passcode_required` / `passcode_wrong`: a passcode stream needs its passcode", body = ErrorBody),
        (status = 404, description = "No such stream or segment", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many wrong passcodes from this address for this stream", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit or the bucket unreachable, or HLS not configured", body = ErrorBody),
    )
)]
pub async fn segment(
    State(app): State<AppState>,
    StreamId(room_id): StreamId,
    Path(segments): Path<(String, String, String)>,
    ClientIp(client): ClientIp,
    StreamPasscode(passcode): StreamPasscode,
) -> Result<Response, ApiError> {
    let private = admit_to_broadcast(&app, &room_id, passcode.as_deref(), client).await?;
    let not_found = || ApiError::NotFound("no such segment".into());
    let (_, start_millis, name) = segments;
    let start_millis: u64 = start_millis.parse().map_err(|_| not_found())?;
    let segment = app
        .broadcaster()?
        .segment(&room_id, start_millis, &name)
        .await?
        .ok_or_else(not_found)?;
    let cache = if private {
        "private, max-age=3600"
    } else {
        "public, max-age=31536000, immutable"
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("video/mp2t")),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        segment,
    )
        .into_response())
}
