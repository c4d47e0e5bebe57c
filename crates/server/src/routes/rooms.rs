//! Streams: create, look up, end, and remove a viewer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use onair_api::{CreateRoomRequest, CreatedRoom, ErrorBody, RoomId, RoomInfo};

use crate::error::ApiError;
use crate::extract::{ApiJson, BearerToken, StreamId};
use crate::livekit::Role;
use crate::rate_limit::PeerAddr;
use crate::state::AppState;

/// POST /api/rooms — a streamer creates a stream and becomes its host.
#[utoipa::path(
    post, path = "/api/rooms", tag = "rooms",
    request_body = CreateRoomRequest,
    responses(
        (status = 201, description = "Stream created", body = CreatedRoom),
        (status = 400, description = "Malformed JSON, or a field missing, invalid or unknown (`field` names it)", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 429, description = "Too many streams from this address", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn create_room(
    State(app): State<AppState>,
    headers: HeaderMap,
    peer: PeerAddr,
    ApiJson(request): ApiJson<CreateRoomRequest>,
) -> Result<(StatusCode, Json<CreatedRoom>), ApiError> {
    app.room_creation.admit(&headers, peer)?;
    let (room_id, metadata) = app
        .streams
        .create(&request.host_name, request.title.as_ref())
        .await?;
    let host_token = app.livekit.issue_token(
        &room_id,
        &request.host_name,
        Role::Host,
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

/// GET /api/rooms/{roomId} — public facts about a stream (cached for a moment).
#[utoipa::path(
    get, path = "/api/rooms/{roomId}", tag = "rooms",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    responses(
        (status = 200, body = RoomInfo),
        (status = 404, description = "No stream with that id (or a malformed id)", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn get_room(
    State(app): State<AppState>,
    StreamId(room_id): StreamId,
) -> Result<Json<RoomInfo>, ApiError> {
    let snapshot = app.streams.get(&room_id).await?;
    Ok(Json(snapshot.to_room_info(&room_id)))
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
