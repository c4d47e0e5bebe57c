//! Restream destinations, host only: add one, list them with their status, remove one. See
//! [`crate::restream`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onair_api::{AddDestinationRequest, Destination, DestinationList, ErrorBody, RoomId};

use crate::error::ApiError;
use crate::extract::{ApiJson, BearerToken, StreamId};
use crate::state::AppState;

/// POST /api/rooms/{roomId}/destinations — the host restreams to an RTMP(S) server too.
#[utoipa::path(
    post, path = "/api/rooms/{roomId}/destinations", tag = "restream",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    request_body = AddDestinationRequest,
    security(("hostKey" = [])),
    responses(
        (status = 201, description = "The destination (never with its key), `starting` until the platform takes the stream", body = Destination),
        (status = 400, description = "Malformed JSON, or `url` / `streamKey` missing or invalid (`field` names it)", body = ErrorBody),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No stream with that id (or a malformed id)", body = ErrorBody),
        (status = 409, description = "`destination_exists`: the stream already sends there; `too_many_destinations`: remove one first", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit, its egress or the bucket unreachable, or restreaming not configured (`restream_unavailable`)", body = ErrorBody),
    )
)]
pub async fn add_destination(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
    ApiJson(request): ApiJson<AddDestinationRequest>,
) -> Result<(StatusCode, Json<Destination>), ApiError> {
    app.authorize_host(&credential, &room_id)?;
    let restreamer = app.restreamer()?;
    app.streams.get(&room_id).await?;
    let destination = restreamer.add(&room_id, request).await?;
    app.streams.forget(&room_id).await;
    Ok((StatusCode::CREATED, Json(destination)))
}

/// GET /api/rooms/{roomId}/destinations — the stream's destinations and how each fares.
#[utoipa::path(
    get, path = "/api/rooms/{roomId}/destinations", tag = "restream",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    security(("hostKey" = [])),
    responses(
        (status = 200, body = DestinationList),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No stream with that id (or a malformed id)", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit, its egress or the bucket unreachable, or restreaming not configured (`restream_unavailable`)", body = ErrorBody),
    )
)]
pub async fn list_destinations(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
) -> Result<Json<DestinationList>, ApiError> {
    app.authorize_host(&credential, &room_id)?;
    Ok(Json(app.restreamer()?.list(&room_id).await?))
}

/// DELETE /api/rooms/{roomId}/destinations/{destinationId} — stop sending there.
#[utoipa::path(
    delete, path = "/api/rooms/{roomId}/destinations/{destinationId}", tag = "restream",
    params(
        ("roomId" = RoomId, Path, description = "Stream id"),
        ("destinationId" = String, Path, description = "As `POST …/destinations` returned it"),
    ),
    security(("hostKey" = [])),
    responses(
        (status = 204, description = "No longer sent there; the other destinations go on"),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No such stream, or no such destination of it", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit, its egress or the bucket unreachable, or restreaming not configured (`restream_unavailable`)", body = ErrorBody),
    )
)]
pub async fn remove_destination(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
    Path(segments): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    app.authorize_host(&credential, &room_id)?;
    app.restreamer()?.remove(&room_id, &segments.1).await?;
    Ok(StatusCode::NO_CONTENT)
}
