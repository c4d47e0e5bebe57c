//! The encoder (OBS) endpoints, host only: create the stream's ingress, look at it again (a
//! reloaded studio), delete it. See [`crate::ingress`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use onair_api::{CreateIngressRequest, ErrorBody, IngressInfo, RoomId};

use crate::error::ApiError;
use crate::extract::{ApiJson, BearerToken, StreamId};
use crate::ingress;
use crate::state::AppState;

/// POST /api/rooms/{roomId}/ingress — the host gets an RTMP or WHIP endpoint for OBS.
#[utoipa::path(
    post, path = "/api/rooms/{roomId}/ingress", tag = "ingress",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    request_body = CreateIngressRequest,
    security(("hostKey" = [])),
    responses(
        (status = 201, description = "The server URL and the stream key to enter in the encoder", body = IngressInfo),
        (status = 400, description = "Malformed JSON, or `inputType` missing or not `rtmp` or `whip`", body = ErrorBody),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No stream with that id (or a malformed id)", body = ErrorBody),
        (status = 409, description = "The stream already has an ingress (`ingress_exists`): delete it first", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable, or it has no ingress (`ingress_unavailable`)", body = ErrorBody),
    )
)]
pub async fn create_ingress(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
    ApiJson(request): ApiJson<CreateIngressRequest>,
) -> Result<(StatusCode, Json<IngressInfo>), ApiError> {
    let stream = app.authorize_host(&credential, &room_id)?;
    app.streams.get(&room_id).await?;
    let created = ingress::create(
        &app.livekit,
        &room_id,
        request.input_type,
        &stream.host_name,
    )
    .await?;
    tracing::info!(room = %room_id, ingress = %created.ingress_id, input = ?request.input_type, "ingress created");
    Ok((StatusCode::CREATED, Json(created)))
}

/// GET /api/rooms/{roomId}/ingress — the stream's ingress, with its key.
#[utoipa::path(
    get, path = "/api/rooms/{roomId}/ingress", tag = "ingress",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    security(("hostKey" = [])),
    responses(
        (status = 200, body = IngressInfo),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No such stream (`stream_not_found`), or it has no ingress (`ingress_not_found`)", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable, or it has no ingress (`ingress_unavailable`)", body = ErrorBody),
    )
)]
pub async fn get_ingress(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
) -> Result<Json<IngressInfo>, ApiError> {
    app.authorize_host(&credential, &room_id)?;
    app.streams.get(&room_id).await?;
    let found = ingress::find(&app.livekit, &room_id).await?;
    found.map(Json).ok_or(ApiError::IngressNotFound)
}

/// DELETE /api/rooms/{roomId}/ingress — the host deletes the stream's ingress; an encoder
/// still sending is cut off.
#[utoipa::path(
    delete, path = "/api/rooms/{roomId}/ingress", tag = "ingress",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    security(("hostKey" = [])),
    responses(
        (status = 204, description = "Ingress deleted"),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No such stream (`stream_not_found`), or it has no ingress (`ingress_not_found`)", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable, or it has no ingress (`ingress_unavailable`)", body = ErrorBody),
    )
)]
pub async fn delete_ingress(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
) -> Result<StatusCode, ApiError> {
    app.authorize_host(&credential, &room_id)?;
    app.streams.get(&room_id).await?;
    if !ingress::delete_all(&app.livekit, &room_id).await? {
        return Err(ApiError::IngressNotFound);
    }
    tracing::info!(room = %room_id, "ingress deleted by the host");
    Ok(StatusCode::NO_CONTENT)
}
