//! The viewer page, `/stream/:roomId`: pick a name, watch the host (subscribe only), chat.
//!
//! `stream-state` tells where the viewer is: connecting, waiting (for the host to go live: the
//! host may be in the room, previewing, with nothing published yet), live (the picture starts by
//! itself), reconnecting, ended, not-found. While live, the page says when the host is muted
//! (`host-muted`) or turned the camera off (`camera-off`). When LiveKit drops the connection for
//! good (a server restart loses its rooms), the page keeps asking for a new token until the
//! host's studio has re-opened the stream, and shows `reconnecting` meanwhile.
//!
//! A passcode stream asks its passcode first (`stream-state` says `connecting` meanwhile); the
//! passcode is remembered for the tab, and one in the link's fragment (`#pc=…`) is used by
//! itself and taken out of the address bar.

use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::names::DISPLAY_NAME_MAX_CHARS;
use onair_api::{
    DisplayName, ErrorCode, RecordingStatus, RoomAnswer, RoomId, RoomInfo, TokenResponse,
};
use std::rc::Rc;
use std::time::Duration;

use crate::api;
use crate::bindings::browser;
use crate::bindings::livekit::{
    self, ConnectionState, DisconnectReason, Room, RoomEvent, TrackKind, TrackSource,
};
use crate::components::chat::Chat;
use crate::components::icons::{Glyph, Icon};
use crate::components::layout::{Notice, Shell, VideoView, viewers_label};
use crate::components::passcode::{self, PasscodePrompt, WRONG_PASSCODE};
use crate::components::reactions::{ReactionBar, ReactionOverlay};
use crate::components::stage::StageGrid;
use crate::route;
use crate::session::{RoomState, confirmed_recording, keep_rejoining};
use crate::storage;

/// Why a stream is over for this viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EndReason {
    HostEnded,
    Removed,
    Lost,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Loading,
    NotFound,
    /// Asking for the stream's passcode.
    Passcode,
    /// Asking for the viewer's name.
    Prompt,
    Joining,
    Watching,
    /// Connection lost; trying to get back in.
    Rejoining,
    Ended(EndReason),
    /// Could not join; `retry` offers another attempt.
    Failed {
        message: String,
    },
}

/// What the page shows: one view per screen, whatever the phase within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    NotFound,
    Passcode,
    Prompt,
    Watch,
    Ended(EndReason),
}

/// A token asked for while the page loads, for the name this browser used last time: a
/// returning viewer who keeps the name joins without asking for one again, and one who clicks
/// before it has come waits for that same request.
#[derive(Clone)]
struct EarlyToken {
    name: String,
    /// The token and when it came (`None` when the request failed).
    response: Shared<LocalBoxFuture<'static, Option<(TokenResponse, f64)>>>,
}

/// An early token older than this is not used (tokens live for hours; this only keeps a page
/// left open for long from joining on a stale one).
const EARLY_TOKEN_MAX_AGE_MS: f64 = 10.0 * 60.0 * 1000.0;

/// Everything the viewer page's tasks share; `Copy`, so closures can hold it.
#[derive(Clone, Copy)]
struct Viewer {
    room_id: StoredValue<Option<RoomId>>,
    info: RwSignal<Option<RoomInfo>>,
    phase: RwSignal<Phase>,
    live: RoomState,
    /// The REC badge: LiveKit's flag, as long as the server agrees.
    recorded: Signal<bool>,
    name: RwSignal<String>,
    early_token: StoredValue<Option<EarlyToken>, LocalStorage>,
    /// The LiveKit token we joined with: it also proves who we are to raise a hand.
    participant_token: StoredValue<Option<String>>,
    /// Our camera and microphone while the host has us on stage.
    stage_media: RwSignal<StageMedia>,
    /// What went wrong with the hand or the stage, for the viewer to read.
    stage_error: RwSignal<Option<String>>,
    /// The passcode this tab was let in with (a passcode stream).
    passcode: RwSignal<Option<String>>,
    /// Why the passcode prompt asks again.
    passcode_error: RwSignal<Option<String>>,
}

/// How joining went, when the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Joined {
    In,
    /// The stream does not exist (any more).
    NotFound,
    /// The stream needs its passcode; why it asks (again), if there is something to say.
    NeedsPasscode(Option<String>),
}

/// Our own camera and microphone, published only while we are on stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StageMedia {
    Off,
    Starting,
    On,
}

#[component]
pub fn ViewerPage() -> impl IntoView {
    let room_id = route::room_id_after("/stream/");
    let live = RoomState::new();
    // A passcode in the link's fragment, else the one this tab was let in with before.
    let from_link = browser::take_fragment_param("pc");
    let passcode =
        RwSignal::new(from_link.or_else(|| room_id.as_ref().and_then(storage::stream_passcode)));
    let viewer = Viewer {
        room_id: StoredValue::new(room_id.clone()),
        info: RwSignal::new(None),
        phase: RwSignal::new(Phase::Loading),
        live,
        recorded: confirmed_recording(live, room_id.clone(), passcode.into()),
        name: RwSignal::new(storage::viewer_name().unwrap_or_default()),
        early_token: StoredValue::new_local(None),
        participant_token: StoredValue::new(None),
        stage_media: RwSignal::new(StageMedia::Off),
        stage_error: RwSignal::new(None),
        passcode,
        passcode_error: RwSignal::new(None),
    };
    // Invited on stage, LiveKit lets us publish: camera and microphone go on, without a
    // reload. Taken off, LiveKit has unpublished them already: they are closed here too.
    Effect::new(move |_| {
        let invited = viewer
            .live
            .me
            .with(|me| me.as_ref().is_some_and(|me| me.on_stage && me.can_publish));
        let media = viewer.stage_media.get_untracked();
        if invited && media == StageMedia::Off {
            join_stage(viewer);
        } else if !invited && media != StageMedia::Off {
            leave_stage(viewer);
        }
    });
    match room_id {
        Some(_) => spawn_local(load(viewer)),
        None => viewer.phase.set(Phase::NotFound),
    }
    on_cleanup(move || viewer.live.leave());

    // The watch view stays the same one from joining to watching (and through a rejoin), so
    // its video element, and the picture in it, are not made anew.
    let screen = Memo::new(move |_| match viewer.phase.get() {
        Phase::NotFound => Screen::NotFound,
        Phase::Passcode => Screen::Passcode,
        Phase::Prompt => Screen::Prompt,
        Phase::Ended(reason) => Screen::Ended(reason),
        Phase::Loading
        | Phase::Joining
        | Phase::Watching
        | Phase::Rejoining
        | Phase::Failed { .. } => Screen::Watch,
    });
    view! {
        <Shell>
            {move || match screen.get() {
                Screen::NotFound => view! { <NotFoundNotice/> }.into_any(),
                Screen::Passcode => view! {
                    // Not on air for this viewer yet: the passcode comes first.
                    <span class="sr-only" data-testid="stream-state">"connecting"</span>
                    <PasscodePrompt
                        title="This stream needs a passcode"
                        body="Enter the passcode the host gave you to watch and chat."
                        error=viewer.passcode_error
                        busy=false
                        on_submit=move |typed| check_passcode(viewer, typed)
                    />
                }.into_any(),
                Screen::Prompt => view! { <NamePrompt viewer=viewer/> }.into_any(),
                Screen::Ended(reason) => view! { <EndedNotice viewer=viewer reason=reason/> }.into_any(),
                Screen::Watch => view! { <WatchView viewer=viewer/> }.into_any(),
            }}
        </Shell>
    }
}

/// The six states of `stream-state`.
fn stream_state(viewer: Viewer) -> &'static str {
    match viewer.phase.get() {
        Phase::NotFound => "not-found",
        Phase::Ended(_) => "ended",
        Phase::Rejoining => "reconnecting",
        Phase::Watching => match viewer.live.connection.get() {
            ConnectionState::Reconnecting | ConnectionState::SignalReconnecting => "reconnecting",
            ConnectionState::Connecting | ConnectionState::Disconnected => "connecting",
            // Live as soon as the host (or the stream's encoder) publishes a track: a host who
            // muted the microphone and turned the camera off is still on air.
            ConnectionState::Connected if viewer.live.on_air() => "live",
            ConnectionState::Connected => "waiting",
        },
        Phase::Loading
        | Phase::Passcode
        | Phase::Prompt
        | Phase::Joining
        | Phase::Failed { .. } => "connecting",
    }
}

fn state_message(state: &str, viewer: Viewer) -> String {
    let host = viewer
        .info
        .with(|i| i.as_ref().map(|i| i.host_name.clone()))
        .unwrap_or_else(|| "The host".into());
    match state {
        "connecting" => "Connecting to the stream…".into(),
        "waiting" => format!("Waiting for {host} to go live — the video starts by itself."),
        "reconnecting" => "Connection lost — reconnecting…".into(),
        _ => String::new(),
    }
}

async fn load(viewer: Viewer) {
    let Some(room_id) = viewer.room_id.get_value() else {
        return;
    };
    // While the room info loads and the person reads the form, get what joining needs: the SDK
    // (the page started downloading it), and for a returning viewer a token and a warmed-up
    // connection to LiveKit.
    spawn_local(async {
        if let Err(err) = livekit::load_sdk().await {
            browser::warn(&format!("OnAir: {err}"));
        }
    });
    let remembered = viewer.name.get_untracked();
    if !remembered.trim().is_empty() {
        spawn_local(prepare_to_join(viewer, room_id.clone(), remembered));
    }
    // The form shows at once; the stream's title and host fill in when they arrive (or, for a
    // passcode stream, the passcode prompt takes its place).
    viewer.phase.set(Phase::Prompt);
    let passcode = viewer.passcode.get_untracked();
    let outcome = api::get_room(&room_id, passcode.as_deref()).await;
    let still_on_the_form = viewer.phase.get_untracked() == Phase::Prompt;
    match outcome {
        Ok(RoomAnswer::Info(info)) => {
            if let Some(passcode) = &passcode {
                storage::save_stream_passcode(&room_id, passcode);
            }
            viewer.info.set(Some(info));
        }
        // Joining (if the viewer was quicker) meets the same and asks then.
        Ok(RoomAnswer::Locked(_)) => {
            if still_on_the_form {
                ask_passcode(viewer, None);
            }
        }
        Err(failure) if passcode.is_some() && passcode::refusal(&failure).is_some() => {
            if still_on_the_form {
                ask_passcode(viewer, passcode::refusal(&failure));
            }
        }
        Err(failure) if !still_on_the_form => {
            browser::warn(&format!("OnAir: the stream's details: {}", failure.message));
        }
        Err(failure) if failure.is(ErrorCode::StreamNotFound) => viewer.phase.set(Phase::NotFound),
        Err(failure) => viewer.phase.set(Phase::Failed {
            message: failure.message,
        }),
    }
}

/// Asks for a token under `name` and warms up the connection with it. Any failure is left for
/// the join to meet and report.
async fn prepare_to_join(viewer: Viewer, room_id: RoomId, name: String) {
    let asked_as = name.clone();
    let passcode = viewer.passcode.get_untracked();
    let response = async move {
        let response = api::request_token(&room_id, &asked_as, None, passcode.as_deref())
            .await
            .ok()?;
        Some((response, browser::now_millis()))
    }
    .boxed_local()
    .shared();
    viewer.early_token.set_value(Some(EarlyToken {
        name,
        response: response.clone(),
    }));
    if let Some((token, _)) = response.await {
        livekit::prepare_connection(&token.server_url, &token.token).await;
    }
}

/// The early token, once, when it was asked for under `name` and is fresh (waiting for it when
/// it is still on its way).
async fn take_early_token(viewer: Viewer, name: &str) -> Option<TokenResponse> {
    let early = viewer
        .early_token
        .try_update_value(Option::take)
        .flatten()?;
    if early.name != name {
        return None;
    }
    let (response, fetched_at_ms) = early.response.await?;
    let fresh = browser::now_millis() - fetched_at_ms < EARLY_TOKEN_MAX_AGE_MS;
    fresh.then_some(response)
}

/// Gets a token and joins.
async fn connect(viewer: Viewer) -> Result<Joined, String> {
    let Some(room_id) = viewer.room_id.get_value() else {
        return Ok(Joined::NotFound);
    };
    let name = viewer.name.get_untracked();
    let passcode = viewer.passcode.get_untracked();
    let requested = match take_early_token(viewer, &name).await {
        Some(token) => Ok(token),
        None => api::request_token(&room_id, &name, None, passcode.as_deref()).await,
    };
    let token = match requested {
        Ok(token) => token,
        Err(failure) if failure.is(ErrorCode::StreamNotFound) => return Ok(Joined::NotFound),
        Err(failure) if failure.is(ErrorCode::PasscodeRequired) => {
            return Ok(Joined::NeedsPasscode(None));
        }
        // A wrong passcode, or too many wrong ones.
        Err(failure) if passcode.is_some() && passcode::refusal(&failure).is_some() => {
            return Ok(Joined::NeedsPasscode(passcode::refusal(&failure)));
        }
        Err(failure) if failure.status == 401 || failure.status == 403 => {
            return Err(format!(
                "The stream refused your token: {}",
                failure.message
            ));
        }
        Err(failure) => return Err(failure.message),
    };
    viewer
        .participant_token
        .set_value(Some(token.token.clone()));
    // The room is the page's before it has joined: the host's picture and sound go to the
    // page as soon as LiveKit reports them, whichever comes first of that and joining.
    let room = Rc::new(Room::new(move |event| on_event(viewer, event)));
    viewer.live.room.set_value(Some(Rc::clone(&room)));
    if let Err(err) = room.join(&token.server_url, &token.token).await {
        let still_ours = viewer
            .live
            .room
            .with_value(|current| current.as_ref().is_some_and(|r| Rc::ptr_eq(r, &room)));
        if still_ours {
            viewer.live.room.set_value(None);
        }
        return Err(format!("Could not connect to the stream server: {err}"));
    }
    viewer.phase.set(Phase::Watching);
    Ok(Joined::In)
}

fn join(viewer: Viewer) {
    viewer.phase.set(Phase::Joining);
    spawn_local(async move {
        match connect(viewer).await {
            Ok(Joined::In) => {}
            Ok(Joined::NotFound) => viewer.phase.set(Phase::NotFound),
            Ok(Joined::NeedsPasscode(why)) => ask_passcode(viewer, why),
            Err(message) => viewer.phase.set(Phase::Failed { message }),
        }
    });
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

/// Goes on with a typed passcode at once (to the name form), while the server checks it
/// (its answer also brings the stream's details): a right one is remembered for the tab; a
/// wrong one brings the prompt back, saying so. A join clicked before the answer carries the
/// same passcode, and meets the same verdict.
fn check_passcode(viewer: Viewer, typed: String) {
    let Some(room_id) = viewer.room_id.get_value() else {
        return;
    };
    viewer.passcode.set(Some(typed.clone()));
    viewer.passcode_error.set(None);
    viewer.phase.set(Phase::Prompt);
    spawn_local(async move {
        let answer = api::get_room(&room_id, Some(&typed)).await;
        // The page is gone, or another passcode was typed since.
        if viewer.passcode.try_get_untracked().flatten().as_deref() != Some(typed.as_str()) {
            return;
        }
        match answer {
            Ok(RoomAnswer::Info(info)) => {
                storage::save_stream_passcode(&room_id, &typed);
                viewer.info.set(Some(info));
                let remembered = viewer.name.get_untracked();
                if viewer.phase.get_untracked() == Phase::Prompt && !remembered.trim().is_empty() {
                    spawn_local(prepare_to_join(viewer, room_id, remembered));
                }
            }
            Ok(RoomAnswer::Locked(_)) => ask_passcode(viewer, Some(WRONG_PASSCODE.to_owned())),
            Err(failure) if failure.is(ErrorCode::StreamNotFound) => {
                viewer.phase.set(Phase::NotFound)
            }
            Err(failure) => ask_passcode(
                viewer,
                Some(passcode::refusal(&failure).unwrap_or(failure.message)),
            ),
        }
    });
}

/// Publishes our camera and microphone: the host invited us on stage.
fn join_stage(viewer: Viewer) {
    let Some(room) = viewer.live.room.get_value() else {
        return;
    };
    viewer.stage_media.set(StageMedia::Starting);
    viewer.stage_error.set(None);
    spawn_local(async move {
        let camera = room.set_source(TrackSource::Camera, true, None).await;
        let microphone = room.set_source(TrackSource::Microphone, true, None).await;
        if let Some(err) = camera.err().or(microphone.err()) {
            viewer.stage_error.set(Some(format!(
                "You are on stage, but your camera or microphone did not start: {err}"
            )));
        }
        if viewer.stage_media.get_untracked() == StageMedia::Starting {
            viewer.stage_media.set(StageMedia::On);
        }
    });
}

/// Closes our camera and microphone: we are off stage (LiveKit unpublished them already).
fn leave_stage(viewer: Viewer) {
    viewer.stage_media.set(StageMedia::Off);
    let Some(room) = viewer.live.room.get_value() else {
        return;
    };
    spawn_local(async move {
        // Off stage, LiveKit may refuse even the unpublishing: what matters is the devices close.
        let _ = room.set_source(TrackSource::Camera, false, None).await;
        let _ = room.set_source(TrackSource::Microphone, false, None).await;
    });
}

/// Steps down from the stage ourselves (the host can too); LiveKit then withdraws the right.
fn leave_stage_myself(viewer: Viewer) {
    let me = viewer.live.me.get_untracked();
    let (Some(room_id), Some(token), Some(me)) = (
        viewer.room_id.get_value(),
        viewer.participant_token.get_value(),
        me,
    ) else {
        return;
    };
    viewer.stage_error.set(None);
    spawn_local(async move {
        if let Err(failure) = api::set_on_stage(&room_id, &me.identity, &token, false).await {
            viewer.stage_error.set(Some(failure.message));
        }
    });
}

/// Raises our hand, or lowers it. The hand shows once LiveKit says so, to everyone at once.
fn toggle_hand(viewer: Viewer) {
    let raised = viewer
        .live
        .me
        .with_untracked(|me| me.as_ref().is_some_and(|me| me.hand_raised));
    let (Some(room_id), Some(token)) = (
        viewer.room_id.get_value(),
        viewer.participant_token.get_value(),
    ) else {
        return;
    };
    viewer.stage_error.set(None);
    spawn_local(async move {
        if let Err(failure) = api::set_hand(&room_id, &token, !raised).await {
            viewer.stage_error.set(Some(failure.message));
        }
    });
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
            match connect(viewer).await {
                Ok(Joined::In) => true,
                Ok(Joined::NeedsPasscode(why)) => {
                    ask_passcode(viewer, why);
                    true
                }
                Ok(Joined::NotFound) | Err(_) => false,
            }
        })
        .await;
        if !back {
            viewer.phase.set(Phase::Ended(EndReason::Lost));
        }
    });
}

#[component]
fn NotFoundNotice() -> impl IntoView {
    view! {
        <span class="sr-only" data-testid="stream-state">"not-found"</span>
        <Notice title="Stream not found" body="This link does not lead to a stream. It may have ended, or the address is mistyped.">
            <a href="/" class="button button-primary">"Start your own stream"</a>
        </Notice>
    }
}

#[component]
fn EndedNotice(viewer: Viewer, reason: EndReason) -> impl IntoView {
    let host = viewer
        .info
        .with_untracked(|i| i.as_ref().map(|i| i.host_name.clone()))
        .unwrap_or_else(|| "The host".into());
    let (title, body) = match reason {
        EndReason::HostEnded => (
            "The stream has ended".to_owned(),
            format!("{host} ended the stream. Thanks for watching!"),
        ),
        EndReason::Removed => (
            "You were removed".to_owned(),
            "The host removed you from this stream.".to_owned(),
        ),
        EndReason::Lost => (
            "The stream is over".to_owned(),
            "The connection to the stream could not be restored.".to_owned(),
        ),
    };
    // The stream may live on as a recording, which takes a moment to be saved.
    let recording = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    spawn_local(look_for_recording(viewer, recording, saving));
    view! {
        <span class="sr-only" data-testid="stream-state">"ended"</span>
        <Notice title=title body=body>
            {move || recording.get().map(|href| view! {
                <a href=href class="button button-primary" data-testid="recording-link">"Watch the recording"</a>
            })}
            <Show when=move || saving.get() && recording.with(Option::is_none)>
                <span class="muted small saving-note" role="status">
                    <span class="spinner spinner-small" aria-hidden="true"></span>
                    "Saving the recording…"
                </span>
            </Show>
            <a href="/" class="button">"Go home"</a>
        </Notice>
    }
}

/// How long a viewer whose stream ended keeps looking for its recording (saving it takes a few
/// seconds after the end), and how often.
const RECORDING_LOOKUP_FOR: Duration = Duration::from_secs(20);
const RECORDING_LOOKUP_EVERY: Duration = Duration::from_secs(2);

/// Looks for a saved recording of the ended stream until one is there, the time is up or the
/// page is gone; `saving` tells while a recording is still being written.
async fn look_for_recording(
    viewer: Viewer,
    recording: RwSignal<Option<String>>,
    saving: RwSignal<bool>,
) {
    let Some(room_id) = viewer.room_id.try_get_value().flatten() else {
        return;
    };
    let passcode = viewer.passcode.try_get_untracked().flatten();
    let started = browser::now_millis();
    loop {
        if recording.is_disposed() {
            return;
        }
        match api::list_recordings(&room_id, passcode.as_deref()).await {
            Ok(list) => {
                if list
                    .recordings
                    .iter()
                    .any(|r| r.status == RecordingStatus::Completed)
                {
                    saving.set(false);
                    recording.set(Some(format!("/recordings/{room_id}")));
                    return;
                }
                saving.set(list.active.is_some());
            }
            // Recording is not set up here: there is nothing to wait for.
            Err(failure) if failure.is(ErrorCode::RecordingUnavailable) => return,
            Err(_) => {}
        }
        if browser::now_millis() - started > RECORDING_LOOKUP_FOR.as_millis() as f64 {
            saving.set(false);
            return;
        }
        gloo_timers::future::sleep(RECORDING_LOOKUP_EVERY).await;
    }
}

#[component]
fn NamePrompt(viewer: Viewer) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let input_ref = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = input_ref.get() {
            let _ = input.focus();
        }
    });
    let submit = move || match DisplayName::parse(&viewer.name.get_untracked()) {
        Ok(name) => {
            viewer.name.set(name.to_string());
            storage::save_viewer_name(name.as_str());
            join(viewer);
        }
        Err(err) => error.set(Some(format!("Your name {err}."))),
    };
    let info = move || viewer.info.get();
    view! {
        <section class="card join-card">
            <p class="eyebrow" class:eyebrow-quiet=move || !info().is_some_and(|i| i.live)>
                {move || match info() {
                    Some(info) if info.live => "● Live now",
                    Some(_) => "Not live yet",
                    None => "",
                }}
            </p>
            <h1>{move || info().and_then(|i| i.title).unwrap_or_else(|| "Live stream".into())}</h1>
            <p class="muted">{move || info().map(|i| format!("with {}", i.host_name)).unwrap_or_default()}</p>
            <form
                class="join-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit();
                }
            >
                <div class="field" class:invalid=move || error.with(Option::is_some)>
                    <label for="viewer-name">"Your name in the chat"</label>
                    <input
                        id="viewer-name"
                        node_ref=input_ref
                        data-testid="viewer-name-input"
                        type="text"
                        autocomplete="nickname"
                        maxlength=DISPLAY_NAME_MAX_CHARS
                        aria-describedby="viewer-name-error"
                        prop:value=move || viewer.name.get()
                        on:input=move |ev| {
                            error.set(None);
                            viewer.name.set(event_target_value(&ev));
                        }
                    />
                    <p id="viewer-name-error" class="field-error" role="alert">{move || error.get()}</p>
                </div>
                <button data-testid="join-stream" type="submit" class="button button-primary button-large">
                    "Join stream"
                </button>
            </form>
        </section>
    }
}

#[component]
fn WatchView(viewer: Viewer) -> impl IntoView {
    let live = viewer.live;
    let stage_ref = NodeRef::<html::Div>::new();
    let state = Memo::new(move |_| stream_state(viewer));
    let host_track = Signal::derive(move || live.main_video());
    let host_video = Signal::derive(move || host_track.get().map(|t| t.sid));
    let video_source =
        Signal::derive(move || host_track.get().map(|t| t.source.as_str().to_owned()));
    let host_muted = move || {
        let Some(host) = live.host() else {
            return false;
        };
        live.tracks.with(|tracks| {
            tracks.iter().any(|t| {
                t.participant == host.identity && t.source == TrackSource::Microphone && t.muted
            })
        })
    };
    let host_identity = Signal::derive(move || live.host().map(|h| h.identity));
    let hand_raised = move || {
        live.me
            .with(|me| me.as_ref().is_some_and(|me| me.hand_raised))
    };
    let on_stage = move || live.me.with(|me| me.as_ref().is_some_and(|me| me.on_stage));
    let viewer_count = move || live.viewers().len() + usize::from(live.me.with(Option::is_some));
    let unmute = move |_| {
        let Some(room) = live.room.get_value() else {
            return;
        };
        spawn_local(async move {
            if let Ok(true) = room.start_audio().await {
                live.audio_blocked.set(false);
            }
        });
    };
    let failure = move || match viewer.phase.get() {
        Phase::Failed { message } => Some(message),
        _ => None,
    };
    let title = move || {
        viewer
            .info
            .with(|i| i.as_ref().and_then(|i| i.title.clone()))
            .unwrap_or_else(|| "Live stream".into())
    };
    let host_name = move || {
        viewer
            .info
            .with(|i| i.as_ref().map(|i| i.host_name.clone()))
            .unwrap_or_default()
    };

    view! {
        <div class="watch-layout">
            <section class="stage-column">
                <div class="stage" node_ref=stage_ref data-state=move || state.get()>
                    <StageGrid live=live main_label=Signal::derive(move || Some(host_name()))>
                        <VideoView room=live.room track_sid=host_video source=video_source testid="stream-video"/>
                    </StageGrid>
                    <ReactionOverlay reactions=live.reactions/>
                    <div class="stage-overlay top">
                        <span class="state-pill" data-state=move || state.get()>
                            <span class="state-dot" aria-hidden="true"></span>
                            <span data-testid="stream-state">{move || state.get()}</span>
                        </span>
                        <Show when=move || viewer.recorded.get()>
                            <span class="rec-badge" data-testid="recording-indicator" title="This stream is being recorded">"REC"</span>
                        </Show>
                        <Show when=move || state.get() == "live" && host_muted()>
                            <span class="host-muted" data-testid="host-muted" role="status">
                                <Icon glyph=Glyph::MicOff/>{move || format!("{} is muted", host_name())}
                            </span>
                        </Show>
                    </div>
                    <Show when=move || state.get() == "live" && host_video.get().is_none()>
                        <div class="stage-message" role="status" data-testid="camera-off">
                            <p>{move || if host_muted() {
                                format!("{} turned the camera off.", host_name())
                            } else {
                                format!("{} turned the camera off — you can still hear them.", host_name())
                            }}</p>
                        </div>
                    </Show>
                    <Show when=move || state.get() != "live">
                        <div class="stage-message" role="status">
                            <Show when=move || failure().is_none() fallback=move || view! {
                                <p>{failure}</p>
                                <button class="button button-primary" on:click=move |_| join(viewer)>"Try again"</button>
                            }>
                                <div class="spinner" aria-hidden="true"></div>
                                <p>{move || state_message(state.get(), viewer)}</p>
                            </Show>
                        </div>
                    </Show>
                    <div class="stage-overlay bottom">
                        <Show when=move || live.audio_blocked.get()>
                            <button data-testid="unmute" class="button button-primary" on:click=unmute>
                                <Icon glyph=Glyph::Speaker/>"Tap to unmute"
                            </button>
                        </Show>
                        <button
                            data-testid="fullscreen"
                            class="button button-ghost icon-button"
                            aria-label="Fullscreen"
                            title="Fullscreen"
                            on:click=move |_| {
                                if let Some(stage) = stage_ref.get() {
                                    browser::toggle_fullscreen(&stage);
                                }
                            }
                        ><Icon glyph=Glyph::Fullscreen/></button>
                    </div>
                </div>
                <div class="stream-meta">
                    <div>
                        <h1 class="stream-title">{title}</h1>
                        <p class="muted">{host_name}</p>
                    </div>
                    <span class="viewer-pill" data-testid="viewer-count">{move || viewers_label(viewer_count())}</span>
                </div>
                <div class="audience-bar">
                    <ReactionBar reactions=live.reactions live=live/>
                    <span class="controls-spacer"></span>
                    <Show
                        when=move || !on_stage()
                        fallback=move || view! {
                            <span class="stage-note" role="status">"You are on stage — everyone sees and hears you."</span>
                            <button data-testid="leave-stage" class="button" on:click=move |_| leave_stage_myself(viewer)>
                                "Leave stage"
                            </button>
                        }
                    >
                        <button
                            data-testid="raise-hand"
                            class="button raise-hand"
                            class:raised=hand_raised
                            aria-pressed=move || hand_raised().to_string()
                            disabled=move || live.me.with(Option::is_none)
                            on:click=move |_| toggle_hand(viewer)
                        >{move || if hand_raised() { "✋ Lower hand" } else { "✋ Raise hand" }}</button>
                    </Show>
                </div>
                <p class="media-error" role="alert">{move || viewer.stage_error.get()}</p>
            </section>
            <aside class="side-column">
                <Chat messages=live.messages room=live.room me=live.me host_identity=host_identity/>
            </aside>
        </div>
    }
}
