//! Recording endpoints: host-only start and stop, a public list. Without an S3 bucket
//! configured they answer 503 `recording_unavailable` (after the host checks).

use axum::Json;
use axum::extract::State;
use onair_api::{
    ErrorBody, RecordingList, RecordingStarted, RecordingStopped, RoomId, StartRecordingRequest,
    StopRecordingRequest,
};

use crate::error::ApiError;
use crate::extract::{ApiJson, BearerToken, StreamId, StreamJson, StreamPasscode};
use crate::rate_limit::ClientIp;
use crate::state::AppState;

/// POST /api/recordings/start — the host starts recording the stream to S3.
#[utoipa::path(
    post, path = "/api/recordings/start", tag = "recordings",
    request_body = StartRecordingRequest,
    security(("hostKey" = [])),
    responses(
        (status = 200, body = RecordingStarted),
        (status = 400, description = "Malformed JSON, or a field missing, invalid or unknown (`field` names it)", body = ErrorBody),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No stream with that `roomName` (or a malformed one)", body = ErrorBody),
        (status = 409, description = "A recording is already running", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 429, description = "`recording_quota`: the stream's creator recorded as many minutes today as the server allows", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "Recording not configured (`recording_unavailable`), or LiveKit, egress or S3 unreachable", body = ErrorBody),
    )
)]
pub async fn start_recording(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamJson(request): StreamJson<StartRecordingRequest>,
) -> Result<Json<RecordingStarted>, ApiError> {
    let stream = app.authorize_host(&credential, &request.room_name)?;
    let recorder = app.recorder()?;
    app.streams.get(&request.room_name).await?;
    let started = recorder
        .start(
            &request.room_name,
            &stream,
            app.access.max_recording_minutes_per_day,
            app.broadcaster.as_ref(),
        )
        .await?;
    app.streams.forget(&request.room_name).await;
    Ok(Json(started))
}

/// POST /api/recordings/stop — the host stops the recording; answers when the file is written.
#[utoipa::path(
    post, path = "/api/recordings/stop", tag = "recordings",
    request_body = StopRecordingRequest,
    security(("hostKey" = [])),
    responses(
        (status = 200, body = RecordingStopped),
        (status = 400, description = "Malformed JSON, or a field missing, invalid or unknown (`field` names it)", body = ErrorBody),
        (status = 401, description = "No host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No such recording", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "Recording not configured (`recording_unavailable`), or LiveKit, egress or S3 unreachable", body = ErrorBody),
    )
)]
pub async fn stop_recording(
    State(app): State<AppState>,
    credential: BearerToken,
    ApiJson(request): ApiJson<StopRecordingRequest>,
) -> Result<Json<RecordingStopped>, ApiError> {
    credential.as_deref().ok_or(ApiError::MissingHostKey)?;
    let recorder = app.recorder()?;
    let recording = recorder.find(&request.egress_id).await?;
    let room = recording.room.clone();
    app.authorize_host(&credential, &room)?;
    // A broadcast the recording's egress carries and that outlives it gets an egress of its
    // own, started beside the recording's end.
    let running_egress = recording.running_egress().cloned();
    let hand_back = async {
        if let Some((broadcaster, egress)) = app.broadcaster.as_ref().zip(running_egress) {
            broadcaster.recording_stopping(&room, &egress).await;
        }
    };
    let stopped = async { recorder.stop(recording).await };
    let ((), stopped) = tokio::join!(hand_back, stopped);
    let stopped = stopped?;
    app.streams.forget(&room).await;
    Ok(Json(stopped))
}

/// GET /api/recordings/{roomId} — the running recording and the finished ones, with playback URLs.
#[utoipa::path(
    get, path = "/api/recordings/{roomId}", tag = "recordings",
    params(
        ("roomId" = RoomId, Path, description = "Stream id"),
        ("X-Stream-Passcode" = Option<String>, Header, description = "The stream's passcode, percent-encoded as UTF-8 (as JavaScript's `encodeURIComponent` writes it), for a passcode stream"),
    ),
    responses(
        (status = 200, body = RecordingList),
        (status = 403, description = "`passcode_required` / `passcode_wrong`: the stream is private and `X-Stream-Passcode` is missing or not its passcode", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many wrong passcodes from this address for this stream", body = ErrorBody),
        (status = 404, description = "A malformed stream id", body = ErrorBody),
        (status = 503, description = "Recording not configured (`recording_unavailable`), or S3 unreachable", body = ErrorBody),
    )
)]
pub async fn list_recordings(
    State(app): State<AppState>,
    StreamId(room_id): StreamId,
    ClientIp(client): ClientIp,
    StreamPasscode(passcode): StreamPasscode,
) -> Result<Json<RecordingList>, ApiError> {
    let recorder = app.recorder()?;
    // A live passcode stream with nothing recorded yet is private too. Without LiveKit, the
    // bucket still knows which recordings are private (their access.json).
    let live = match app.streams.metadata(&room_id).await {
        Ok(metadata) => metadata.and_then(|m| m.passcode_hash.clone()),
        Err(_) => None,
    };
    let list = recorder
        .list(&room_id, |stored| {
            app.passcodes.admit(
                &room_id,
                stored.or(live.as_deref()),
                passcode.as_deref(),
                client,
            )
        })
        .await?;
    Ok(Json(list))
}
