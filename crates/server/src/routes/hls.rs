//! The HLS broadcast of a stream: the host turns it on and off; browsers fetch its live
//! playlist. See [`crate::hls`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onair_api::{ErrorBody, HlsInfo, RoomId};

use crate::error::ApiError;
use crate::extract::{BearerToken, StreamId, StreamPasscode};
use crate::hls::EVENT_PLAYLIST;
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
        (status = 409, description = "`hls_with_recording`: the broadcast rides on the recording's egress, and ends with it", body = ErrorBody),
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
/// for a passcode stream, live or over (a finished stream's replays keep its passcode in the
/// bucket, beside its recordings). Answers whether it is private, for the cache headers.
async fn admit_to_broadcast(
    app: &AppState,
    room_id: &RoomId,
    passcode: Option<&str>,
    client: Option<std::net::IpAddr>,
) -> Result<bool, ApiError> {
    let stored = match app.streams.metadata(room_id).await? {
        Some(metadata) => metadata.passcode_hash.clone(),
        None => match &app.recorder {
            Some(recorder) => recorder.replay_passcode(room_id).await?,
            None => None,
        },
    };
    app.passcodes
        .admit(room_id, stored.as_deref(), passcode, client)?;
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
    app.streams.get(&room_id).await?;
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
    Ok(playlist_response(cache, playlist.to_string()))
}

/// GET /hls/{roomId}/{startMillis}/{file} — one file of a broadcast: a 2 s MPEG-TS segment as
/// its playlists list it, which never changes (cached for a year; a passcode stream's only
/// privately), or `index.m3u8`, the playlist of the whole event: the replay of a broadcast,
/// seekable, served after the stream is over (cached for a year once it has ended, a second
/// while it grows).
#[utoipa::path(
    get, path = "/hls/{roomId}/{startMillis}/{file}", tag = "hls",
    params(
        ("roomId" = RoomId, Path, description = "Stream id"),
        ("startMillis" = u64, Path, description = "When the broadcast started, as its playlist names it"),
        ("file" = String, Path, description = "A segment's file name, such as `segment_00042.ts`, or `index.m3u8` (the event playlist)"),
        ("X-Stream-Passcode" = Option<String>, Header, description = "The stream's passcode, percent-encoded as UTF-8, for a passcode stream"),
    ),
    responses(
        (status = 200, description = "The segment (`video/mp2t`), or the event playlist (`application/vnd.apple.mpegurl`)", content(
            (Vec<u8> = "video/mp2t"),
            (String = "application/vnd.apple.mpegurl"),
        )),
        (status = 403, description = "`passcode_required` / `passcode_wrong`: a passcode stream needs its passcode", body = ErrorBody),
        (status = 404, description = "No such stream, segment or playlist", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many wrong passcodes from this address for this stream", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit or the bucket unreachable, or HLS not configured", body = ErrorBody),
    )
)]
pub async fn broadcast_file(
    State(app): State<AppState>,
    StreamId(room_id): StreamId,
    Path(segments): Path<(String, String, String)>,
    ClientIp(client): ClientIp,
    StreamPasscode(passcode): StreamPasscode,
) -> Result<Response, ApiError> {
    let private = admit_to_broadcast(&app, &room_id, passcode.as_deref(), client).await?;
    let not_found = || ApiError::NotFound("no such segment or playlist".into());
    let (_, start_millis, name) = segments;
    let start_millis: u64 = start_millis.parse().map_err(|_| not_found())?;
    let broadcaster = app.broadcaster()?;
    let scope = if private { "private" } else { "public" };
    if name == EVENT_PLAYLIST {
        let playlist = broadcaster
            .event_playlist(&room_id, start_millis)
            .await?
            .ok_or_else(not_found)?;
        let cache = if playlist.contains("#EXT-X-ENDLIST") {
            format!("{scope}, max-age=31536000, immutable")
        } else {
            format!("{scope}, max-age=1")
        };
        return Ok(playlist_response(&cache, playlist));
    }
    let segment = broadcaster
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

/// A playlist with its media type and `cache_control`.
fn playlist_response(cache_control: &str, playlist: String) -> Response {
    let cache = HeaderValue::from_str(cache_control).expect("a plain ASCII header");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(PLAYLIST_TYPE),
            ),
            (header::CACHE_CONTROL, cache),
        ],
        playlist,
    )
        .into_response()
}
