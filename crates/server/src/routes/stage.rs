//! The stage endpoints: a viewer raises or lowers a hand (with their own participant token),
//! the host invites a viewer on stage or takes a guest off (with the host key), a guest
//! leaves the stage (with their own token), and a viewer chooses the name they are shown
//! under. See [`crate::stage`] for what each does in LiveKit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use onair_api::{ErrorBody, ParticipantNameRequest, RoomId};

use crate::error::ApiError;
use crate::extract::{ApiJson, BearerToken, StreamId};
use crate::stage;
use crate::state::AppState;

/// POST /api/rooms/{roomId}/hand — a viewer raises a hand.
#[utoipa::path(
    post, path = "/api/rooms/{roomId}/hand", tag = "stage",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    security(("participantToken" = [])),
    responses(
        (status = 204, description = "Hand raised: the participant's `hand` attribute is `raised`"),
        (status = 401, description = "No participant token", body = ErrorBody),
        (status = 403, description = "Not a viewer's token for this stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No such stream, or the viewer is not in it", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn raise_hand(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
) -> Result<StatusCode, ApiError> {
    let viewer = app.authorize_viewer(&credential, &room_id)?;
    stage::set_hand(&app.livekit, &room_id, &viewer, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// DELETE /api/rooms/{roomId}/hand — a viewer lowers their hand.
#[utoipa::path(
    delete, path = "/api/rooms/{roomId}/hand", tag = "stage",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    security(("participantToken" = [])),
    responses(
        (status = 204, description = "Hand lowered"),
        (status = 401, description = "No participant token", body = ErrorBody),
        (status = 403, description = "Not a viewer's token for this stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No such stream, or the viewer is not in it", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn lower_hand(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
) -> Result<StatusCode, ApiError> {
    let viewer = app.authorize_viewer(&credential, &room_id)?;
    stage::set_hand(&app.livekit, &room_id, &viewer, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// PUT /api/rooms/{roomId}/name — a viewer who watched under a neutral name chooses their own.
/// Authorised by their own token, as the hand is: viewer tokens never may update their own
/// metadata, so names change only through here.
#[utoipa::path(
    put, path = "/api/rooms/{roomId}/name", tag = "stage",
    params(("roomId" = RoomId, Path, description = "Stream id")),
    request_body = ParticipantNameRequest,
    security(("participantToken" = [])),
    responses(
        (status = 204, description = "Renamed: everyone in the room sees the new name"),
        (status = 400, description = "Malformed JSON, or `name` missing or invalid (`field` names it)", body = ErrorBody),
        (status = 401, description = "No participant token", body = ErrorBody),
        (status = 403, description = "Not a viewer's token for this stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No such stream, or the viewer is not in it", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn rename_viewer(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
    ApiJson(request): ApiJson<ParticipantNameRequest>,
) -> Result<StatusCode, ApiError> {
    let viewer = app.authorize_viewer(&credential, &room_id)?;
    stage::rename(&app.livekit, &room_id, &viewer, &request.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST /api/rooms/{roomId}/stage/{identity} — the host invites a viewer on stage.
#[utoipa::path(
    post, path = "/api/rooms/{roomId}/stage/{identity}", tag = "stage",
    params(
        ("roomId" = RoomId, Path, description = "Stream id"),
        ("identity" = String, Path, description = "The viewer's identity, as `POST /api/token` gave it", pattern = "^viewer-[a-z0-9]{12}$", example = "viewer-4k2x9q0m7c1z"),
    ),
    security(("hostKey" = [])),
    responses(
        (status = 204, description = "On stage: LiveKit lets the viewer publish camera and microphone (`stage` attribute `guest`)"),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No such stream, or no such viewer in it", body = ErrorBody),
        (status = 409, description = "The stage is full (the host and 3 guests)", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn invite_to_stage(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
    Path(segments): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let identity = segments.1;
    app.authorize_host(&credential, &room_id)?;
    stage::invite(&app.livekit, &room_id, &identity).await?;
    tracing::info!(room = %room_id, %identity, "viewer invited on stage");
    Ok(StatusCode::NO_CONTENT)
}

/// DELETE /api/rooms/{roomId}/stage/{identity} — the host takes a guest off stage, or the
/// guest leaves it.
#[utoipa::path(
    delete, path = "/api/rooms/{roomId}/stage/{identity}", tag = "stage",
    params(
        ("roomId" = RoomId, Path, description = "Stream id"),
        ("identity" = String, Path, description = "The guest's identity", pattern = "^viewer-[a-z0-9]{12}$", example = "viewer-4k2x9q0m7c1z"),
    ),
    security(("hostKey" = []), ("participantToken" = [])),
    responses(
        (status = 204, description = "Off stage: the guest's tracks are unpublished and the right to publish withdrawn"),
        (status = 401, description = "No host key (nor the guest's own token)", body = ErrorBody),
        (status = 403, description = "Neither this stream's host key nor the token of the guest named in the path", body = ErrorBody),
        (status = 404, description = "No such stream, or no such viewer in it", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn remove_from_stage(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamId(room_id): StreamId,
    Path(segments): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let identity = segments.1;
    match app.authorize_host(&credential, &room_id) {
        Ok(_) => {}
        // Not the host: a guest may take themselves off, with their own token.
        Err(ApiError::HostKeyRejected) => {
            let caller = app
                .authorize_viewer(&credential, &room_id)
                .map_err(|_| ApiError::HostKeyRejected)?;
            if caller != identity {
                return Err(ApiError::HostKeyRejected);
            }
        }
        Err(other) => return Err(other),
    }
    stage::take_off(&app.livekit, &room_id, &identity).await?;
    tracing::info!(room = %room_id, %identity, "guest off stage");
    Ok(StatusCode::NO_CONTENT)
}
