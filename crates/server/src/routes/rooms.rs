//! Streams: create, look up, end, and remove a viewer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use onair_api::{
    CreateRoomRequest, CreatedRoom, ErrorBody, LockedRoom, Playback, RoomAnswer, RoomId, Visibility,
};

use crate::error::ApiError;
use crate::extract::{ApiJson, BearerToken, StreamId, StreamPasscode};
use crate::livekit::{Role, unix_millis};
use crate::rate_limit::{ClientIp, PeerAddr};
use crate::state::AppState;
use crate::streams::RoomMetadata;

/// POST /api/rooms — a streamer creates a stream and becomes its host.
#[utoipa::path(
    post, path = "/api/rooms", tag = "rooms",
    request_body = CreateRoomRequest,
    // Open mode: anyone; private mode: a signed-in creator (session cookie or creator key).
    security((), ("creatorSession" = []), ("creatorKey" = [])),
    responses(
        (status = 201, description = "Stream created", body = CreatedRoom),
        (status = 400, description = "Malformed JSON, or a field missing, invalid or unknown (`field` names it); `passcode` missing with `visibility: \"passcode\"`, or given without it", body = ErrorBody),
        (status = 401, description = "`sign_in_required`: this server is private and the request has neither a creator session nor a creator key; `creator_key_rejected`: the bearer key is not one of this server's", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many streams from this address, or too many wrong creator keys; `too_many_streams`: the creator has as many live streams as allowed", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn create_room(
    State(app): State<AppState>,
    headers: HeaderMap,
    peer: PeerAddr,
    ClientIp(client): ClientIp,
    credential: BearerToken,
    ApiJson(request): ApiJson<CreateRoomRequest>,
) -> Result<(StatusCode, Json<CreatedRoom>), ApiError> {
    let passcode = match (request.visibility, &request.passcode) {
        (Visibility::Passcode, Some(passcode)) => Some(passcode),
        (Visibility::Passcode, None) => {
            return Err(ApiError::invalid_field(
                "passcode",
                "is required for a passcode stream",
            ));
        }
        (Visibility::Public, Some(_)) => {
            return Err(ApiError::invalid_field(
                "passcode",
                "is only for a passcode stream (visibility: \"passcode\")",
            ));
        }
        (Visibility::Public, None) => None,
    };
    let creator = app
        .access
        .creator(&headers, credential.as_deref(), client)
        .await?;
    app.room_creation.admit(&headers, peer)?;
    let creator_tag = creator.as_ref().map(|c| app.access.creator_tag(c));
    if let Some(tag) = &creator_tag {
        let limit = app.access.max_live_streams_per_creator;
        if app.streams.count_of_creator(tag).await? >= limit {
            return Err(ApiError::TooManyStreams { limit });
        }
    }
    let (room_id, metadata) = app
        .streams
        .create(|room_id| RoomMetadata {
            host_name: request.host_name.to_string(),
            title: request.title.as_ref().map(ToString::to_string),
            created_at: unix_millis(),
            creator: creator_tag,
            passcode_hash: passcode.map(|p| app.passcodes.hash(room_id, p)),
        })
        .await?;
    let host_token = app.livekit.issue_token(
        &room_id,
        Some(&request.host_name),
        Role::Host,
        Playback::Webrtc,
        app.config.token_ttl,
    )?;
    tracing::info!(room = %room_id, "stream created");
    let created = CreatedRoom {
        host_key: app.host_keys.issue(&room_id, &metadata),
        host_token: host_token.jwt,
        server_url: app.livekit.public_url(),
        share_url: app.share_url(&room_id),
        room_id,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// GET /api/rooms/{roomId} — public facts about a stream (cached for a moment). A passcode
/// stream shows only that it needs one, until its passcode comes in `X-Stream-Passcode`.
#[utoipa::path(
    get, path = "/api/rooms/{roomId}", tag = "rooms",
    params(
        ("roomId" = RoomId, Path, description = "Stream id"),
        ("X-Stream-Passcode" = Option<String>, Header, description = "The stream's passcode, percent-encoded as UTF-8 (as JavaScript's `encodeURIComponent` writes it), for a passcode stream"),
    ),
    responses(
        (status = 200, description = "The stream; for a passcode stream asked without its passcode, only `{roomId, requiresPasscode: true}`", body = RoomAnswer),
        (status = 403, description = "`passcode_wrong`: `X-Stream-Passcode` is not the stream's passcode", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many wrong passcodes from this address for this stream", body = ErrorBody),
        (status = 404, description = "No stream with that id (or a malformed id)", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn get_room(
    State(app): State<AppState>,
    StreamId(room_id): StreamId,
    ClientIp(client): ClientIp,
    StreamPasscode(passcode): StreamPasscode,
) -> Result<Json<RoomAnswer>, ApiError> {
    let snapshot = app.streams.get(&room_id).await?;
    let stored = snapshot.metadata.passcode_hash.as_deref();
    if stored.is_some() && passcode.is_none() {
        return Ok(Json(RoomAnswer::Locked(LockedRoom {
            room_id,
            requires_passcode: true,
        })));
    }
    app.passcodes
        .admit(&room_id, stored, passcode.as_deref(), client)?;
    Ok(Json(RoomAnswer::Info(snapshot.to_room_info(&room_id))))
}

/// DELETE /api/rooms/{roomId} — the host ends the stream for everyone.
#[utoipa::path(
    delete, path = "/api/rooms/{roomId}", tag = "rooms",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    security(("hostKey" = [])),
    responses(
        (status = 204, description = "Stream ended"),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No stream with that id (or a malformed id)", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn end_stream(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
) -> Result<StatusCode, ApiError> {
    app.authorize_host(&credential, &room_id)?;
    app.streams.end(&room_id).await?;
    tracing::info!(room = %room_id, "stream ended by its host");
    if let Some(restreamer) = &app.restreamer {
        restreamer.forget_all(&room_id).await;
    }
    // LiveKit keeps an ingress after its room is gone; the stream's key must die with it.
    match crate::ingress::delete_all(&app.livekit, &room_id).await {
        Ok(_) | Err(ApiError::IngressUnavailable) => {}
        Err(err) => {
            tracing::warn!(room = %room_id, error = %err, "the ended stream's ingress could not be deleted")
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// DELETE /api/rooms/{roomId}/participants/{identity} — the host removes a viewer.
#[utoipa::path(
    delete, path = "/api/rooms/{roomId}/participants/{identity}", tag = "rooms",
    params(
        ("roomId" = RoomId, Path, description = "Stream id"),
        ("identity" = String, Path, description = "The viewer's identity, as `POST /api/token` gave it; only viewers can be removed", pattern = "^viewer-[a-z0-9]{12}$", example = "viewer-4k2x9q0m7c1z"),
    ),
    security(("hostKey" = [])),
    responses(
        (status = 204, description = "Viewer removed"),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No such stream, or no such viewer in it", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn remove_participant(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
    Path(segments): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let identity = segments.1;
    app.authorize_host(&credential, &room_id)?;
    app.streams.remove_viewer(&room_id, &identity).await?;
    tracing::info!(room = %room_id, %identity, "viewer removed by the host");
    Ok(StatusCode::NO_CONTENT)
}
