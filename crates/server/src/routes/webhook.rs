//! `POST /api/livekit/webhook`: LiveKit's events, checked by [`crate::webhooks`], then acted on:
//! the room an event is about is read afresh from LiveKit at the next request (the room cache
//! forgets it), and egress reports reach whoever waits on them.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use onair_api::{ErrorBody, HlsMode, RoomId};

use crate::error::ApiError;
use crate::extract::body_within;
use crate::livekit::Role;
use crate::state::AppState;
use crate::webhooks::{Refusal, WEBHOOK_BODY_LIMIT_BYTES, WEBHOOKS_METRIC};

/// POST /api/livekit/webhook — an event from LiveKit (rooms, participants, egress, ingress).
#[utoipa::path(
    post, path = "/api/livekit/webhook", tag = "operations",
    request_body(content = String, content_type = "application/webhook+json", description = "A LiveKit `WebhookEvent` as LiveKit sends it"),
    params(("Authorization" = String, Header, description = "The JWT LiveKit signs each webhook with (API key and secret of this server's LiveKit), whose `sha256` claim is the body's SHA-256 in base64")),
    responses(
        (status = 204, description = "Event verified and taken into account"),
        (status = 400, description = "`webhook_replayed`: this event id came before; `malformed_json`: signed, but not a LiveKit event", body = ErrorBody),
        (status = 401, description = "`webhook_rejected`: no signature, not this LiveKit's, expired, or not over this body", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
    )
)]
pub async fn receive_webhook(
    State(app): State<AppState>,
    headers: HeaderMap,
    request: Request,
) -> Result<StatusCode, ApiError> {
    let body = body_within(request, WEBHOOK_BODY_LIMIT_BYTES).await?;
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let accepted = match app.webhooks.receive(&body, authorization) {
        Ok(accepted) => accepted,
        Err(refusal) => {
            let outcome = match &refusal {
                Refusal::Unsigned(_) => "unsigned",
                Refusal::Malformed(_) => "malformed",
                Refusal::Replayed(_) => "replayed",
            };
            metrics::counter!(WEBHOOKS_METRIC, "event" => "unknown", "outcome" => outcome)
                .increment(1);
            tracing::warn!(reason = %refusal, "LiveKit webhook refused");
            return Err(match refusal {
                Refusal::Unsigned(_) => ApiError::WebhookRejected,
                Refusal::Malformed(message) => ApiError::MalformedJson(message),
                Refusal::Replayed(_) => ApiError::WebhookReplayed,
            });
        }
    };
    let event = accepted.event.event.clone();
    metrics::counter!(WEBHOOKS_METRIC, "event" => event_label(&event), "outcome" => "accepted")
        .increment(1);
    if let Some(room) = accepted
        .room_name()
        .and_then(|name| RoomId::parse(name).ok())
    {
        tracing::debug!(room = %room, %event, "LiveKit webhook");
        app.streams.forget(&room).await;
        if event == "room_finished"
            && let Some(restreamer) = &app.restreamer
        {
            // The stream is over, and its restream with it: its sealed keys need not stay.
            restreamer.forget_all(&room).await;
        }
        if event == "track_published"
            && app
                .broadcaster
                .as_ref()
                .is_some_and(|b| b.mode() == HlsMode::Always)
            && accepted.event.participant.as_ref().is_some_and(|p| {
                matches!(
                    Role::of_identity(&p.identity),
                    Some(Role::Host | Role::Encoder)
                )
            })
        {
            // With `HLS_MODE=always`, the host going live starts the broadcast (after the
            // answer: LiveKit does not wait for egress to start).
            let app = app.clone();
            tokio::spawn(async move {
                if let Some(broadcaster) = &app.broadcaster {
                    broadcaster.host_went_live(&room).await;
                }
            });
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The event's name as a metric label: one of LiveKit's, never whatever a body says.
fn event_label(event: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "room_started",
        "room_finished",
        "participant_joined",
        "participant_left",
        "participant_connection_aborted",
        "track_published",
        "track_unpublished",
        "egress_started",
        "egress_updated",
        "egress_ended",
        "ingress_started",
        "ingress_ended",
    ];
    KNOWN
        .iter()
        .find(|known| **known == event)
        .copied()
        .unwrap_or("other")
}
