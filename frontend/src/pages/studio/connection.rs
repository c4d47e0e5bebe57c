//! Getting into the stream's room and staying there: the room's details, a host token (which
//! re-opens the stream if LiveKit lost it), what LiveKit reports while connected, chat history
//! for newcomers, and rejoining when LiveKit drops the room.

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::{ErrorCode, RoomAnswer};
use std::rc::Rc;

use super::media::{open_preview, publish};
use super::state::{Phase, Studio};
use crate::api;
use crate::bindings::browser;
use crate::bindings::livekit::{DisconnectReason, Room, RoomEvent, TrackSource};
use crate::session::keep_rejoining;
use crate::storage;

/// Messages a newcomer gets from the host's browser.
const HISTORY_FOR_NEWCOMERS: usize = 50;

/// Loads the stream's details, then connects; a failure is the studio's phase.
pub(super) async fn start(studio: Studio) {
    let Some(room_id) = studio.room_id.get_value() else {
        return;
    };
    let passcode = studio.passcode();
    match api::get_room(&room_id, passcode.as_deref()).await {
        Ok(RoomAnswer::Info(info)) => studio.info.set(Some(info)),
        // A passcode stream whose passcode this browser does not hold: the host key is
        // enough to host it, the title just stays unknown.
        Ok(RoomAnswer::Locked(_)) => {}
        Err(failure) if failure.is(ErrorCode::StreamNotFound) => {
            storage::forget_host(&room_id);
            studio.phase.set(Phase::NotFound);
            return;
        }
        Err(failure) => {
            studio.phase.set(Phase::Failed {
                message: failure.message,
            });
            return;
        }
    }
    studio.phase.set(Phase::Connecting);
    if let Err(message) = connect(studio).await
        && studio.phase.get_untracked() == Phase::Connecting
    {
        studio.phase.set(Phase::Failed { message });
    }
}

/// Gets a host token (which re-opens the stream if LiveKit lost it), joins, and publishes when
/// on air (else opens the preview).
async fn connect(studio: Studio) -> Result<(), String> {
    let (Some(room_id), Some(credentials)) =
        (studio.room_id.get_value(), studio.credentials.get_value())
    else {
        return Err("missing host key".into());
    };
    let token = match api::request_token(
        &room_id,
        Some(&credentials.host_name),
        Some(&credentials.host_key),
        None,
        None,
    )
    .await
    {
        Ok(token) => token,
        Err(failure) if failure.status == 401 || failure.status == 403 => {
            studio.phase.set(Phase::NotHost {
                reason: format!("The server refused your host key: {}", failure.message),
            });
            return Ok(());
        }
        Err(failure) if failure.is(ErrorCode::StreamNotFound) => {
            studio.phase.set(Phase::NotFound);
            return Ok(());
        }
        Err(failure) => return Err(failure.message),
    };
    let room = Room::connect(&token.server_url, &token.token, move |event| {
        on_event(studio, event)
    })
    .await
    .map_err(|err| format!("Could not connect to the streaming server: {err}"))?;
    let room = Rc::new(room);
    studio.live.room.set_value(Some(room.clone()));
    studio.phase.set(Phase::Connected);
    if studio.on_air.get_untracked() {
        publish(studio, &room).await;
    } else {
        open_preview(studio, &room).await;
    }
    Ok(())
}

fn on_event(studio: Studio, event: RoomEvent) {
    let newcomer = match &event {
        RoomEvent::ParticipantUpdated(p) if p.is_viewer() => {
            let known = studio
                .live
                .others
                .with_untracked(|others| others.iter().any(|o| o.identity == p.identity));
            (!known).then(|| p.identity.clone())
        }
        _ => None,
    };
    studio.live.apply(&event);
    match event {
        RoomEvent::MediaDeviceError(message) => studio.media_error.set(Some(message)),
        RoomEvent::LocalTrackUnpublished(track) if track.source == TrackSource::ScreenShare => {
            // Also when the browser's own "Stop sharing" button ended it.
            studio.screen_on.set(false);
        }
        RoomEvent::Disconnected(reason) => {
            studio.camera_previewing.set(false);
            studio.live.leave();
            match reason {
                DisconnectReason::ClientInitiated => {}
                DisconnectReason::RoomDeleted => studio.phase.set(Phase::Ended),
                _ => rejoin(studio),
            }
        }
        _ => {}
    }
    if let Some(identity) = newcomer {
        send_history(studio, identity);
    }
}

/// The host's browser is the chat's memory: a newcomer gets the recent messages.
fn send_history(studio: Studio, identity: String) {
    let messages = studio.live.messages.with_untracked(|all| {
        let skip = all.len().saturating_sub(HISTORY_FOR_NEWCOMERS);
        all[skip..].to_vec()
    });
    if messages.is_empty() {
        return;
    }
    let Some(room) = studio.live.room.get_value() else {
        return;
    };
    spawn_local(async move {
        if let Err(err) = room.send_history(&identity, &messages).await {
            browser::warn(&format!("OnAir: chat history not sent: {err}"));
        }
    });
}

fn rejoin(studio: Studio) {
    if studio.phase.get_untracked() == Phase::Ended {
        return;
    }
    studio.phase.set(Phase::Rejoining);
    studio.screen_on.set(false);
    spawn_local(async move {
        let still_rejoining = move || studio.phase.get_untracked() == Phase::Rejoining;
        let back = keep_rejoining(async || {
            !still_rejoining() || (connect(studio).await.is_ok() && !still_rejoining())
        })
        .await;
        if back {
            return;
        }
        studio.phase.set(Phase::Failed {
            message: "The connection to the streaming server could not be restored.".into(),
        });
    });
}
