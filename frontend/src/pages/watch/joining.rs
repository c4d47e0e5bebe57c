//! Getting the viewer into the stream: taking over the early join the page started before the
//! app ran (`js/livekit.js`), or asking for a token and joining; the passcode of a passcode
//! stream; the room's events; and getting back in when LiveKit drops us.

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::{ErrorCode, Playback, RoomAnswer, TokenResponse};
use std::rc::Rc;
use std::time::Duration;

use super::state::{EndReason, Phase, Viewer};
use crate::api::{self, ApiFailure};
use crate::bindings::browser;
use crate::bindings::livekit::{DisconnectReason, EarlyJoin, Room, RoomEvent, TrackKind};
use crate::components::passcode;
use crate::session::keep_rejoining;
use crate::storage;

/// How joining went, when the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Joined {
    In,
    /// The stream does not exist (any more).
    NotFound,
    /// The stream needs its passcode; why it asks (again), if there is something to say.
    NeedsPasscode(Option<String>),
    /// The stream has as many viewers as it takes and no broadcast for more: ask again then.
    AudienceFull {
        retry_after: Duration,
    },
}

/// When to ask again for a seat in a full stream if the server did not say.
const FULL_RETRY_AFTER: Duration = Duration::from_secs(15);

/// Opens the stream: joins at once (no click, no form) and fetches its title and host beside.
pub(super) fn open(viewer: Viewer) {
    fetch_info(viewer);
    join(viewer, EarlyJoin::take());
}

/// Fills in the stream's title and host. Whether the viewer may watch is the token's to say:
/// a locked answer here changes nothing.
fn fetch_info(viewer: Viewer) {
    let Some(room_id) = viewer.room_id.get_value() else {
        return;
    };
    let passcode = viewer.passcode.get_untracked();
    spawn_local(async move {
        match api::get_room(&room_id, passcode.as_deref()).await {
            Ok(RoomAnswer::Info(info)) => {
                let _ = viewer.info.try_set(Some(info));
            }
            Ok(RoomAnswer::Locked(_)) => {}
            Err(failure) => {
                browser::warn(&format!("OnAir: the stream's details: {}", failure.message))
            }
        }
    });
}

/// Joins, with the early join when the page has one, and shows how it went.
fn join(viewer: Viewer, early: Option<EarlyJoin>) {
    viewer.phase.set(Phase::Joining);
    spawn_local(async move {
        match connect(viewer, early).await {
            Ok(Joined::In) => {}
            Ok(Joined::NotFound) => viewer.phase.set(Phase::NotFound),
            Ok(Joined::NeedsPasscode(why)) => ask_passcode(viewer, why),
            Ok(Joined::AudienceFull { retry_after }) => wait_for_a_seat(viewer, retry_after),
            Err(message) => viewer.phase.set(Phase::Failed { message }),
        }
    });
}

/// Says the stream is full, and asks again for a seat after `retry_after` (unless the viewer
/// went elsewhere meanwhile).
fn wait_for_a_seat(viewer: Viewer, retry_after: Duration) {
    viewer.phase.set(Phase::Full);
    spawn_local(async move {
        gloo_timers::future::sleep(retry_after).await;
        if viewer.phase.try_get_untracked() == Some(Phase::Full) {
            join(viewer, None);
        }
    });
}

/// "Try again" after a failed join.
pub(super) fn retry(viewer: Viewer) {
    join(viewer, None);
}

/// Gets a token and joins: the early join's when it asked as this viewer (same name, same
/// passcode), else a token of our own.
async fn connect(viewer: Viewer, early: Option<EarlyJoin>) -> Result<Joined, String> {
    let Some(room_id) = viewer.room_id.get_value() else {
        return Ok(Joined::NotFound);
    };
    let name = viewer.name.chosen.get_untracked();
    let passcode = viewer.passcode.get_untracked();
    let early = match early {
        Some(early) if early.name() == name && early.passcode() == passcode => Some(early),
        Some(other) => {
            other.abandon();
            None
        }
        None => None,
    };
    // The early join's answer, else (no early join, or its request never reached the server)
    // a request of our own.
    let early_answer = match &early {
        Some(early) => early.answer().await,
        None => None,
    };
    let token = match early_answer {
        Some(answer) => api::token_from_answer(answer.status, &answer.body),
        None => {
            let playback = viewer.asks_hls.then_some(Playback::Hls);
            api::request_token(
                &room_id,
                name.as_deref(),
                None,
                passcode.as_deref(),
                playback,
            )
            .await
        }
    };
    let token = match token {
        Ok(token) => token,
        Err(failure) => return refused(&failure, passcode.is_some()),
    };
    if let Some(passcode) = &passcode {
        storage::save_stream_passcode(&room_id, passcode);
    }
    viewer
        .participant_token
        .set_value(Some(token.token.clone()));
    viewer.playback.set(token.playback);
    // The room is the page's before it has joined: the host's picture and sound go to the
    // page as soon as LiveKit reports them, whichever comes first of that and joining.
    let on_event = move |event| on_event(viewer, event);
    let joined = match early {
        Some(early) => {
            let room = Rc::new(early.adopt(on_event));
            viewer.live.room.set_value(Some(Rc::clone(&room)));
            // The picture and sound that came before the app: played through the stored room.
            room.release_waiting_events();
            (early.joined().await, room)
        }
        None => join_room(viewer, &token, on_event).await,
    };
    match joined {
        (Ok(()), _) => {
            viewer.phase.set(Phase::Watching);
            Ok(Joined::In)
        }
        (Err(err), room) => {
            let still_ours = viewer
                .live
                .room
                .with_value(|current| current.as_ref().is_some_and(|r| Rc::ptr_eq(r, &room)));
            if still_ours {
                viewer.live.room.set_value(None);
            }
            Err(format!("Could not connect to the stream server: {err}"))
        }
    }
}

/// Joins a room of our own with `token`.
async fn join_room(
    viewer: Viewer,
    token: &TokenResponse,
    on_event: impl FnMut(RoomEvent) + 'static,
) -> (Result<(), crate::bindings::livekit::LiveKitError>, Rc<Room>) {
    let room = Rc::new(Room::new(on_event));
    viewer.live.room.set_value(Some(Rc::clone(&room)));
    let joined = match token.playback {
        Playback::Webrtc => room.join(&token.server_url, &token.token).await,
        Playback::Hls => {
            room.join_without_media(&token.server_url, &token.token)
                .await
        }
    };
    (joined, room)
}

/// What a refused token request means for the viewer.
fn refused(failure: &ApiFailure, had_passcode: bool) -> Result<Joined, String> {
    if failure.is(ErrorCode::StreamNotFound) {
        return Ok(Joined::NotFound);
    }
    if failure.is(ErrorCode::PasscodeRequired) {
        return Ok(Joined::NeedsPasscode(None));
    }
    if failure.is(ErrorCode::AudienceFull) {
        let retry_after = failure
            .retry_after_seconds
            .map_or(FULL_RETRY_AFTER, Duration::from_secs);
        return Ok(Joined::AudienceFull { retry_after });
    }
    // A wrong passcode, or too many wrong ones.
    if had_passcode && let Some(why) = passcode::refusal(failure) {
        return Ok(Joined::NeedsPasscode(Some(why)));
    }
    if failure.status == 401 || failure.status == 403 {
        return Err(format!(
            "The stream refused your token: {}",
            failure.message
        ));
    }
    Err(failure.message.clone())
}

/// Shows the passcode prompt instead of the stream, saying `why` when there is a reason; a
/// passcode this tab held is forgotten (it was refused).
fn ask_passcode(viewer: Viewer, why: Option<String>) {
    if let Some(room_id) = viewer.room_id.get_value()
        && viewer.passcode.get_untracked().is_some()
    {
        storage::forget_stream_passcode(&room_id);
    }
    viewer.passcode.set(None);
    viewer.passcode_error.set(why);
    viewer.phase.set(Phase::Passcode);
}

/// Joins with a typed passcode: a right one is remembered for the tab and brings the stream's
/// details; a wrong one brings the prompt back, saying so.
pub(super) fn check_passcode(viewer: Viewer, typed: String) {
    viewer.passcode.set(Some(typed));
    viewer.passcode_error.set(None);
    fetch_info(viewer);
    join(viewer, None);
}

fn on_event(viewer: Viewer, event: RoomEvent) {
    viewer.live.apply(&event);
    match event {
        RoomEvent::TrackSubscribed(track) if track.kind == TrackKind::Audio => {
            viewer.live.room.with_value(|room| {
                if let Some(room) = room {
                    room.play_audio(&track.sid);
                }
            });
        }
        RoomEvent::Disconnected(reason) => {
            viewer.live.leave();
            match reason {
                DisconnectReason::ClientInitiated => {}
                DisconnectReason::RoomDeleted => {
                    viewer.phase.set(Phase::Ended(EndReason::HostEnded))
                }
                DisconnectReason::ParticipantRemoved => {
                    viewer.phase.set(Phase::Ended(EndReason::Removed))
                }
                DisconnectReason::DuplicateIdentity | DisconnectReason::Other => rejoin(viewer),
            }
        }
        _ => {}
    }
}

/// Tries to get back into the stream after LiveKit dropped us.
fn rejoin(viewer: Viewer) {
    viewer.phase.set(Phase::Rejoining);
    spawn_local(async move {
        let back = keep_rejoining(async || {
            if viewer.phase.get_untracked() != Phase::Rejoining {
                return true;
            }
            match connect(viewer, None).await {
                Ok(Joined::In) => true,
                Ok(Joined::NeedsPasscode(why)) => {
                    ask_passcode(viewer, why);
                    true
                }
                Ok(Joined::NotFound | Joined::AudienceFull { .. }) | Err(_) => false,
            }
        })
        .await;
        if !back {
            viewer.phase.set(Phase::Ended(EndReason::Lost));
        }
    });
}
