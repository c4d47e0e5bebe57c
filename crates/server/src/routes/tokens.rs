//! LiveKit access tokens. The hot path of a viral link: it answers from the stream cache and
//! signs locally, so hundreds of viewers cost no LiveKit call each — seating them over WebRTC
//! or HLS included (`crate::audience`).

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use onair_api::{DisplayName, ErrorBody, Playback, RoomId, TokenRequest, TokenResponse};

use crate::error::ApiError;
use crate::extract::{BearerToken, StreamJson};
use crate::livekit::{IssuedToken, Role};
use crate::rate_limit::ClientIp;
use crate::state::AppState;
use crate::streams::StreamSnapshot;

/// POST /api/token — a token to join a stream: subscribe-only for viewers (under a neutral
/// name when they give none: they watch first and name themselves when they chat); with the
/// host key and `isHost: true`, publish rights for the host (e.g. after a reload of the
/// studio). For its host, a stream LiveKit lost (LiveKit restarted) is opened again.
/// A viewer watches over WebRTC while the stream's WebRTC audience has room
/// (`MAX_WEBRTC_VIEWERS`); past it, or when asking for `playback: "hls"`, the token joins the
/// room for chat and reactions only and the viewer plays the HLS broadcast (which a full
/// audience starts, unless `HLS_MODE=off`).
#[utoipa::path(
    post, path = "/api/token", tag = "tokens",
    request_body = TokenRequest,
    // Anyone may ask; `isHost: true` needs the host key.
    security((), ("hostKey" = [])),
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, description = "Malformed JSON, or a field missing, invalid or unknown (`field` names it)", body = ErrorBody),
        (status = 401, description = "isHost without a host key", body = ErrorBody),
        (status = 403, description = "`host_key_rejected`: host key of another stream, tampered or expired; `passcode_required`: a viewer of a passcode stream without `passcode`; `passcode_wrong`: not the stream's passcode", body = ErrorBody),
        (status = 404, description = "No stream with that `roomName` (or a malformed one: a mangled link)", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many wrong passcodes from this address for this stream", body = ErrorBody),
        (status = 502, description = "LiveKit refused the request", body = ErrorBody),
        (status = 503, description = "`livekit_unavailable`: LiveKit unreachable; `audience_full`: the WebRTC audience is full and HLS is off or not configured (retry hint)", body = ErrorBody),
    )
)]
pub async fn issue_token(
    State(app): State<AppState>,
    credential: BearerToken,
    ClientIp(client): ClientIp,
    StreamJson(request): StreamJson<TokenRequest>,
) -> Result<TokenAnswer, ApiError> {
    let mut name = request.participant_name;
    let (role, playback) = if request.is_host {
        let metadata = app.authorize_host(&credential, &request.room_name)?;
        // Boxed: re-opening holds LiveKit calls, and the viewers' future (which axum moves
        // around on every request) would otherwise be as large as this rare branch.
        Box::pin(app.streams.get_or_reopen(&request.room_name, &metadata)).await?;
        if name.is_none() {
            name = DisplayName::try_from(metadata.host_name).ok();
        }
        (Role::Host, Playback::Webrtc)
    } else {
        let snapshot = app.streams.get(&request.room_name).await?;
        if let Some(stored) = snapshot.metadata.passcode_hash.as_deref() {
            app.passcodes.admit(
                &request.room_name,
                Some(stored),
                request.passcode.as_ref().map(|p| p.expose()),
                client,
            )?;
        }
        let playback = match request.playback {
            Some(Playback::Hls) => Playback::Hls,
            Some(Playback::Webrtc) | None => {
                seat_viewer(&app, &request.room_name, &snapshot).await?
            }
        };
        (Role::Viewer, playback)
    };
    let token = app.livekit.issue_token(
        &request.room_name,
        name.as_ref(),
        role,
        playback,
        app.config.token_ttl,
    )?;
    Ok(TokenAnswer::new(
        &token,
        app.livekit.public_url_json(),
        playback,
    ))
}

/// A WebRTC seat when one is free; else the HLS broadcast, started for the overflow if the
/// host has not (after the answer: the viewer's page waits for its first segment).
async fn seat_viewer(
    app: &AppState,
    room: &RoomId,
    snapshot: &StreamSnapshot,
) -> Result<Playback, ApiError> {
    let playback = app
        .webrtc_seats
        .seat(room, snapshot.webrtc_viewer_count)
        .await;
    if playback == Playback::Hls && !snapshot.hls.live {
        let broadcaster = app.broadcaster().map_err(|_| ApiError::AudienceFull)?;
        if !broadcaster.takes_overflow() {
            return Err(ApiError::AudienceFull);
        }
        let (app, room) = (app.clone(), room.clone());
        tokio::spawn(async move {
            if let Some(broadcaster) = &app.broadcaster {
                broadcaster.audience_overflowed(&room).await;
            }
        });
    }
    Ok(playback)
}

/// The answer to a token request: a [`TokenResponse`] as JSON, written straight into one
/// buffer. None of its strings needs escaping — a JWT is base64url and dots, an identity
/// letters, digits and dashes, and the server URL comes escaped once at startup — where
/// serde_json would look at each byte of a 400-byte token on every viewer's request (half the
/// JSON writing the token path did). A test reads it back as a `TokenResponse`.
pub struct TokenAnswer(Vec<u8>);

impl TokenAnswer {
    fn new(token: &IssuedToken, server_url_json: &str, playback: Playback) -> Self {
        debug_assert!(
            (token.jwt.bytes().chain(token.identity.bytes()))
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "a JWT or identity that would need escaping"
        );
        let playback: &[u8] = match playback {
            Playback::Webrtc => br#"webrtc"}"#,
            Playback::Hls => br#"hls"}"#,
        };
        let parts: [&[u8]; 8] = [
            br#"{"token":""#,
            token.jwt.as_bytes(),
            br#"","serverUrl":"#,
            server_url_json.as_bytes(),
            br#","identity":""#,
            token.identity.as_bytes(),
            br#"","playback":""#,
            playback,
        ];
        Self(parts.concat())
    }
}

impl IntoResponse for TokenAnswer {
    fn into_response(self) -> Response {
        const JSON: HeaderValue = HeaderValue::from_static("application/json");
        ([(header::CONTENT_TYPE, JSON)], self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_answer_is_a_token_response_in_json() {
        let token = IssuedToken {
            jwt: "eyJ0eXAi.eyJleHAi.c2ln-_".to_owned(),
            identity: "viewer-4k2x9q0m7c1z".to_owned(),
        };
        let server_url = r#"wss://live.example.com/a"b\c"#;
        let server_url_json = serde_json::to_string(server_url).unwrap();
        for playback in [Playback::Webrtc, Playback::Hls] {
            let TokenAnswer(body) = TokenAnswer::new(&token, &server_url_json, playback);
            let read: TokenResponse = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                read,
                TokenResponse {
                    token: token.jwt.clone(),
                    server_url: server_url.to_owned(),
                    identity: token.identity.clone(),
                    playback,
                }
            );
        }
    }
}
