//! LiveKit access tokens. The hot path of a viral link: it answers from the stream cache and
//! signs locally, so hundreds of viewers cost no LiveKit call each.

use axum::Json;
use axum::extract::State;
use onair_api::{ErrorBody, TokenRequest, TokenResponse};

use crate::error::ApiError;
use crate::extract::{BearerToken, StreamJson};
use crate::livekit::Role;
use crate::state::AppState;

/// POST /api/token — a token to join a stream: subscribe-only for viewers; with the host key
/// and `isHost: true`, publish rights for the host (e.g. after a reload of the studio). For its
/// host, a stream LiveKit lost (LiveKit restarted) is opened again.
#[utoipa::path(
    post, path = "/api/token", tag = "tokens",
    request_body = TokenRequest,
    // Anyone may ask; `isHost: true` needs the host key.
    security((), ("hostKey" = [])),
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, description = "Malformed JSON, or a field missing, invalid or unknown (`field` names it)", body = ErrorBody),
        (status = 401, description = "isHost without a host key", body = ErrorBody),
        (status = 403, description = "Host key of another stream, tampered or expired", body = ErrorBody),
        (status = 404, description = "No stream with that `roomName` (or a malformed one: a mangled link)", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "LiveKit unreachable", body = ErrorBody),
    )
)]
pub async fn issue_token(
    State(app): State<AppState>,
    credential: BearerToken,
    StreamJson(request): StreamJson<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let role = if request.is_host {
        let metadata = app.authorize_host(&credential, &request.room_name)?;
        // Boxed: re-opening holds LiveKit calls, and the viewers' future (which axum moves
        // around on every request) would otherwise be as large as this rare branch.
        Box::pin(app.streams.get_or_reopen(&request.room_name, &metadata)).await?;
        Role::Host
    } else {
        app.streams.get(&request.room_name).await?;
        Role::Viewer
    };
    let token = app.livekit.issue_token(
        &request.room_name,
        &request.participant_name,
        role,
        app.config.token_ttl,
    )?;
    Ok(Json(TokenResponse {
        token: token.jwt,
        server_url: app.livekit.public_url(),
        identity: token.identity,
    }))
}
