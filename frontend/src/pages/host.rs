//! The host studio, `/host/:roomId`: the studio connects (chat and the viewer list work at
//! once) and opens camera and microphone as a preview that nobody else receives; the host picks
//! devices and clicks "Go live" when ready, which publishes them. Then the host mutes, turns the
//! camera off, shares the screen, copies the share link, watches who is there (and removes a
//! troublemaker), chats, and ends the stream.
//!
//! The host key stays in this browser (`storage`), so a reload keeps control; a reload of a tab
//! that went live goes straight back on air. A passcode stream's passcode is kept beside it:
//! the share panel shows it (hidden until asked) and can put it in the link's fragment. If LiveKit loses the room (a server restart), the
//! studio asks for a new host token — which re-opens the stream — and publishes again.

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::{ErrorCode, Me, RoomAnswer, RoomId, RoomInfo};
use std::rc::Rc;

use crate::api;
use crate::bindings::browser;
use crate::bindings::livekit::{
    self, ConnectionState, DeviceKind, DisconnectReason, MediaDevice, Participant, Room, RoomEvent,
    TrackKind, TrackSource,
};
use crate::components::account::{self, AccountBadge};
use crate::components::chat::Chat;
use crate::components::copy_with_feedback;
use crate::components::icons::{Glyph, Icon};
use crate::components::layout::{Notice, Shell, VideoView, viewers_label};
use crate::components::obs::ObsPanel;
use crate::components::reactions::{ReactionBar, ReactionOverlay};
use crate::components::recorder::{RecordButton, RecordNotes, Recorder, RecorderState};
use crate::components::stage::StageGrid;
use crate::route;
use crate::session::{RoomState, keep_rejoining};
use crate::storage::{self, HostCredentials};

/// Messages a newcomer gets from the host's browser.
const HISTORY_FOR_NEWCOMERS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Loading,
    /// This browser does not hold the stream's host key (or it was refused).
    NotHost {
        reason: String,
    },
    NotFound,
    Connecting,
    /// In the room: previewing, or on air (see [`Studio::on_air`]).
    Connected,
    /// LiveKit dropped the room; getting it back.
    Rejoining,
    Ended,
    Failed {
        message: String,
    },
}

/// What the studio's tasks share; `Copy`, so closures can hold it.
#[derive(Clone, Copy)]
struct Studio {
    room_id: StoredValue<Option<RoomId>>,
    credentials: StoredValue<Option<HostCredentials>>,
    info: RwSignal<Option<RoomInfo>>,
    phase: RwSignal<Phase>,
    live: RoomState,
    /// The host clicked "Go live" (in this tab): camera and microphone are published.
    on_air: RwSignal<bool>,
    /// "Go live" was clicked and the tracks are being published.
    going_live: RwSignal<bool>,
    /// The camera preview is open (off air), so it can be shown.
    camera_previewing: RwSignal<bool>,
    /// Camera and microphone are being opened for the preview: going live waits for them.
    preview_opening: RwSignal<bool>,
    mic_on: RwSignal<bool>,
    camera_on: RwSignal<bool>,
    screen_on: RwSignal<bool>,
    media_error: RwSignal<Option<String>>,
    cameras: RwSignal<Vec<MediaDevice>>,
    microphones: RwSignal<Vec<MediaDevice>>,
    camera_id: RwSignal<Option<String>>,
    microphone_id: RwSignal<Option<String>>,
    confirm_end: RwSignal<bool>,
}

#[component]
pub fn HostStudio() -> impl IntoView {
    let room_id = route::room_id_after("/host/");
    let credentials = room_id.as_ref().and_then(storage::host);
    let studio = Studio {
        room_id: StoredValue::new(room_id.clone()),
        credentials: StoredValue::new(credentials.clone()),
        info: RwSignal::new(None),
        phase: RwSignal::new(Phase::Loading),
        live: RoomState::new(),
        on_air: RwSignal::new(room_id.as_ref().is_some_and(storage::on_air)),
        going_live: RwSignal::new(false),
        camera_previewing: RwSignal::new(false),
        preview_opening: RwSignal::new(false),
        mic_on: RwSignal::new(true),
        camera_on: RwSignal::new(true),
        screen_on: RwSignal::new(false),
        media_error: RwSignal::new(None),
        cameras: RwSignal::new(Vec::new()),
        microphones: RwSignal::new(Vec::new()),
        camera_id: RwSignal::new(None),
        microphone_id: RwSignal::new(None),
        confirm_end: RwSignal::new(false),
    };
    match (room_id, credentials) {
        (None, _) => studio.phase.set(Phase::NotFound),
        (Some(_), None) => studio.phase.set(Phase::NotHost {
            reason: "This browser does not hold the host key of this stream.".into(),
        }),
        (Some(_), Some(_)) => spawn_local(start(studio)),
    }
    on_cleanup(move || studio.live.leave());
    let me = RwSignal::new(None::<Me>);
    account::load_me(me);

    view! {
        <Shell aside=move || view! { <AccountBadge me=me/> }>
            {move || match studio.phase.get() {
                Phase::NotFound => view! {
                    <Notice title="This stream is over" body="It was ended, or it never existed. Start a new one from the home page.">
                        <a href="/" class="button button-primary">"Start a new stream"</a>
                    </Notice>
                }.into_any(),
                Phase::Ended => view! {
                    <Notice title="Your stream has ended" body="Everyone watching has been told. Thanks for streaming!">
                        <a href="/" class="button button-primary">"Start another stream"</a>
                    </Notice>
                }.into_any(),
                Phase::NotHost { reason } => {
                    let watch = studio.room_id.get_value().map(|id| format!("/stream/{id}")).unwrap_or_else(|| "/".into());
                    view! {
                        <Notice title="You are not the host here" body=reason>
                            <a href=watch class="button">"Watch this stream instead"</a>
                        </Notice>
                    }.into_any()
                }
                _ => view! { <StudioView studio=studio/> }.into_any(),
            }}
        </Shell>
    }
}

async fn start(studio: Studio) {
    let Some(room_id) = studio.room_id.get_value() else {
        return;
    };
    let passcode = studio.credentials.get_value().and_then(|c| c.passcode);
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
        &credentials.host_name,
        Some(&credentials.host_key),
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

/// Opens camera and microphone (those that are on) for the preview, on the chosen devices.
async fn open_preview(studio: Studio, room: &Room) {
    studio.media_error.set(None);
    studio.preview_opening.set(true);
    let mut problems = Vec::new();
    for (source, on, device) in [
        (TrackSource::Camera, studio.camera_on, studio.camera_id),
        (TrackSource::Microphone, studio.mic_on, studio.microphone_id),
    ] {
        if !on.get_untracked() {
            continue;
        }
        match room.open_preview(source, device.get_untracked()).await {
            Ok(in_use) => {
                if in_use.is_some() {
                    device.set(in_use);
                }
                if source == TrackSource::Camera {
                    studio.camera_previewing.set(true);
                }
            }
            Err(err) => {
                on.set(false);
                problems.push(format!("{}: {err}", device_word(source)));
            }
        }
    }
    studio.preview_opening.set(false);
    if !problems.is_empty() {
        studio.media_error.set(Some(format!(
            "Allow camera and microphone access to go live ({}).",
            problems.join("; ")
        )));
    }
    list_devices(studio).await;
}

fn device_word(source: TrackSource) -> &'static str {
    match source {
        TrackSource::Camera => "camera",
        TrackSource::Microphone => "microphone",
        _ => "screen",
    }
}

/// Publishes the previewed camera and microphone: viewers start receiving them.
fn go_live(studio: Studio) {
    let (Some(room), Some(room_id)) = (studio.live.room.get_value(), studio.room_id.get_value())
    else {
        return;
    };
    studio.going_live.set(true);
    spawn_local(async move {
        match room.go_live().await {
            Ok(()) => {
                studio.on_air.set(true);
                studio.camera_previewing.set(false);
                storage::save_on_air(&room_id);
                studio.media_error.set(None);
            }
            Err(err) => studio
                .media_error
                .set(Some(format!("Could not go live: {err}"))),
        }
        studio.going_live.set(false);
    });
}

/// Publishes camera and microphone as they were (both on for a new stream).
async fn publish(studio: Studio, room: &Room) {
    studio.media_error.set(None);
    let mut problems = Vec::new();
    if studio.camera_on.get_untracked() {
        match room
            .set_source(TrackSource::Camera, true, studio.camera_id.get_untracked())
            .await
        {
            Ok(on) => studio.camera_on.set(on),
            Err(err) => {
                studio.camera_on.set(false);
                problems.push(format!("camera: {err}"));
            }
        }
    }
    if studio.mic_on.get_untracked() {
        match room
            .set_source(
                TrackSource::Microphone,
                true,
                studio.microphone_id.get_untracked(),
            )
            .await
        {
            Ok(on) => studio.mic_on.set(on),
            Err(err) => {
                studio.mic_on.set(false);
                problems.push(format!("microphone: {err}"));
            }
        }
    }
    if !problems.is_empty() {
        studio.media_error.set(Some(format!(
            "Allow camera and microphone access to go live ({}).",
            problems.join("; ")
        )));
    }
    list_devices(studio).await;
}

/// Fills the device pickers. Labels are only readable once access was granted.
async fn list_devices(studio: Studio) {
    if let Ok(cameras) = livekit::list_devices(DeviceKind::Camera).await {
        studio.cameras.set(cameras);
    }
    if let Ok(microphones) = livekit::list_devices(DeviceKind::Microphone).await {
        studio.microphones.set(microphones);
    }
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

fn toggle(studio: Studio, source: TrackSource, state: RwSignal<bool>) {
    let Some(room) = studio.live.room.get_value() else {
        return;
    };
    let wanted = !state.get_untracked();
    let device = match source {
        TrackSource::Camera => studio.camera_id.get_untracked(),
        TrackSource::Microphone => studio.microphone_id.get_untracked(),
        _ => None,
    };
    if !studio.on_air.get_untracked() {
        // Off air, camera and microphone are the preview's.
        let previewing = (source == TrackSource::Camera).then_some(studio.camera_previewing);
        if !wanted {
            room.close_preview(source);
            state.set(false);
            if let Some(previewing) = previewing {
                previewing.set(false);
            }
            return;
        }
        spawn_local(async move {
            match room.open_preview(source, device).await {
                Ok(_) => {
                    state.set(true);
                    if let Some(previewing) = previewing {
                        previewing.set(true);
                    }
                    studio.media_error.set(None);
                }
                Err(err) => studio.media_error.set(Some(format!(
                    "Could not turn the {} on: {err}",
                    device_word(source)
                ))),
            }
        });
        return;
    }
    spawn_local(async move {
        match room.set_source(source, wanted, device).await {
            Ok(on) => {
                state.set(on);
                studio.media_error.set(None);
            }
            // Closing the screen picker is a choice, not an error.
            Err(err)
                if source == TrackSource::ScreenShare && err.0.contains("Permission denied") => {}
            Err(err) => studio.media_error.set(Some(err.to_string())),
        }
    });
}

fn switch_device(studio: Studio, kind: DeviceKind, device_id: String) {
    let selected = match kind {
        DeviceKind::Camera => studio.camera_id,
        DeviceKind::Microphone => studio.microphone_id,
    };
    selected.set(Some(device_id.clone()));
    let Some(room) = studio.live.room.get_value() else {
        return;
    };
    spawn_local(async move {
        if let Err(err) = room.switch_device(kind, &device_id).await {
            studio
                .media_error
                .set(Some(format!("Could not switch device: {err}")));
        }
    });
}

fn end_stream(studio: Studio) {
    let (Some(room_id), Some(credentials)) =
        (studio.room_id.get_value(), studio.credentials.get_value())
    else {
        return;
    };
    spawn_local(async move {
        match api::end_stream(&room_id, &credentials.host_key).await {
            Ok(()) => {}
            Err(failure) if failure.is(ErrorCode::StreamNotFound) => {}
            Err(failure) => {
                studio.confirm_end.set(false);
                studio.media_error.set(Some(format!(
                    "The stream could not be ended: {}",
                    failure.message
                )));
                return;
            }
        }
        storage::forget_host(&room_id);
        studio.phase.set(Phase::Ended);
        studio.live.leave();
    });
}

fn remove_viewer(studio: Studio, viewer: Participant) {
    let (Some(room_id), Some(credentials)) =
        (studio.room_id.get_value(), studio.credentials.get_value())
    else {
        return;
    };
    spawn_local(async move {
        match api::remove_viewer(&room_id, &viewer.identity, &credentials.host_key).await {
            Ok(()) => studio
                .live
                .others
                .update(|others| others.retain(|p| p.identity != viewer.identity)),
            Err(failure) if failure.is(ErrorCode::ParticipantNotFound) => {}
            Err(failure) => studio.media_error.set(Some(format!(
                "Could not remove {}: {}",
                viewer.name, failure.message
            ))),
        }
    });
}

/// Invites `viewer` on stage, or takes them off. The list changes when LiveKit says so.
fn set_on_stage(studio: Studio, viewer: Participant, on_stage: bool) {
    let (Some(room_id), Some(credentials)) =
        (studio.room_id.get_value(), studio.credentials.get_value())
    else {
        return;
    };
    spawn_local(async move {
        let result =
            api::set_on_stage(&room_id, &viewer.identity, &credentials.host_key, on_stage).await;
        if let Err(failure) = result {
            let what = if on_stage { "invite" } else { "take off stage" };
            studio.media_error.set(Some(format!(
                "Could not {what} {}: {}",
                viewer.name, failure.message
            )));
        }
    });
}

/// One viewer in the studio's list: a raised hand, and what the host can do about them.
#[component]
fn ViewerRow(studio: Studio, viewer: Participant) -> impl IntoView {
    let name = viewer.name.clone();
    let stage_button = if viewer.on_stage {
        let guest = viewer.clone();
        view! {
            <button
                data-testid="remove-from-stage"
                class="button button-small"
                aria-label=format!("Take {name} off stage")
                on:click=move |_| set_on_stage(studio, guest.clone(), false)
            >"Off stage"</button>
        }
        .into_any()
    } else {
        let invited = viewer.clone();
        view! {
            <button
                data-testid="invite-to-stage"
                class="button button-small"
                class:button-primary=viewer.hand_raised
                aria-label=format!("Invite {name} on stage")
                on:click=move |_| set_on_stage(studio, invited.clone(), true)
            >"Invite"</button>
        }
        .into_any()
    };
    let removed = viewer.clone();
    view! {
        <li class="viewer-row" data-hand=viewer.hand_raised.to_string()>
            <span class="viewer-name">{viewer.name.clone()}</span>
            {viewer.hand_raised.then(|| view! {
                <span class="hand-badge" data-testid="raised-hand" title="Wants to come on stage">"✋ Hand up"</span>
            })}
            {viewer.on_stage.then(|| view! { <span class="guest-badge">"On stage"</span> })}
            <span class="viewer-actions">
                {stage_button}
                <button
                    data-testid="remove-viewer"
                    class="button button-small button-ghost"
                    aria-label=format!("Remove {}", viewer.name)
                    on:click=move |_| remove_viewer(studio, removed.clone())
                >"Remove"</button>
            </span>
        </li>
    }
}

#[component]
fn StudioView(studio: Studio) -> impl IntoView {
    let live = studio.live;
    let share_url = studio
        .room_id
        .get_value()
        .map(|id| {
            let origin = web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default();
            format!("{origin}/stream/{id}")
        })
        .unwrap_or_default();
    let copied = RwSignal::new(false);
    let passcode = studio.credentials.get_value().and_then(|c| c.passcode);
    let recorder = Recorder::new(
        studio.room_id.get_value(),
        studio.credentials.get_value().map(|c| c.host_key),
        passcode.clone(),
        studio.media_error,
    );
    // A passcode stream's link can carry the passcode in its fragment, which browsers never
    // send to the server: whoever has that link gets in without typing it.
    let with_passcode = RwSignal::new(false);
    let share_link = {
        let share_url = share_url.clone();
        let passcode = passcode.clone();
        Signal::derive(move || match passcode.as_deref() {
            Some(passcode) if with_passcode.get() => {
                format!("{share_url}#pc={}", browser::encode_uri_component(passcode))
            }
            _ => share_url.clone(),
        })
    };
    // A recording started elsewhere (another tab of this host): LiveKit tells us fast, the
    // server says which. LiveKit's flag alone is not trusted for the red dot: the server
    // judges recordings LiveKit cannot (stuck starting, worker gone).
    Effect::new(move |was_recording: Option<bool>| {
        let recording = live.recording.get();
        if recording
            && was_recording == Some(false)
            && recorder.state.get_untracked() == RecorderState::Idle
        {
            recorder.refresh();
        }
        recording
    });
    let recordings_href = studio
        .room_id
        .get_value()
        .map(|id| format!("/recordings/{id}"))
        .unwrap_or_default();
    // What the host sees of themselves: what viewers get once on air, the preview before.
    let on_air_video = Signal::derive(move || {
        let me = live.me.get()?;
        live.main_video_of(&me.identity)
    });
    // Off air while OBS streams, the host sees what viewers see: the encoder's picture.
    let encoder_video = Signal::derive(move || {
        let encoder = live.encoder()?;
        live.main_video_of(&encoder.identity)
    });
    let preview = Signal::derive(move || {
        if studio.on_air.get() {
            on_air_video.get().map(|t| t.sid)
        } else if let Some(encoder) = encoder_video.get() {
            Some(encoder.sid)
        } else {
            studio
                .camera_previewing
                .get()
                .then(|| livekit::CAMERA_PREVIEW.to_owned())
        }
    });
    let showing_camera = Signal::derive(move || {
        if studio.on_air.get() {
            on_air_video
                .get()
                .is_some_and(|t| t.source == TrackSource::Camera)
        } else {
            encoder_video.get().is_none()
        }
    });
    let host_identity = Signal::derive(move || live.me.get().map(|me| me.identity));
    // Guests on stage first, then raised hands, then everyone else, each in arrival order.
    let viewers = Memo::new(move |_| {
        let mut viewers = live.viewers();
        viewers.sort_by_key(|v| (!v.on_stage, !v.hand_raised));
        viewers
    });
    let raised_hands = Memo::new(move |_| {
        viewers.with(|viewers| {
            viewers
                .iter()
                .filter(|v| v.hand_raised && !v.on_stage)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let status = move || match studio.phase.get() {
        Phase::Loading | Phase::Connecting => ("connecting", "Connecting…"),
        Phase::Rejoining => ("reconnecting", "Reconnecting…"),
        Phase::Failed { .. } => ("offline", "Offline"),
        _ => match live.connection.get() {
            ConnectionState::Connected if !studio.on_air.get() && live.on_air() => {
                ("live", "Live (OBS)")
            }
            ConnectionState::Connected if !studio.on_air.get() => ("preview", "Preview"),
            ConnectionState::Connected => {
                if live.tracks.with(|t| {
                    t.iter()
                        .any(|t| t.kind == TrackKind::Video || t.kind == TrackKind::Audio)
                }) {
                    ("live", "Live")
                } else {
                    ("connected", "On air")
                }
            }
            ConnectionState::Reconnecting | ConnectionState::SignalReconnecting => {
                ("reconnecting", "Reconnecting…")
            }
            ConnectionState::Connecting => ("connecting", "Connecting…"),
            ConnectionState::Disconnected => ("offline", "Offline"),
        },
    };
    let failure = move || match studio.phase.get() {
        Phase::Failed { message } => Some(message),
        _ => None,
    };
    let title = move || {
        studio
            .info
            .with(|i| i.as_ref().and_then(|i| i.title.clone()))
            .unwrap_or_else(|| "Your stream".into())
    };
    let copy = move |_| copy_with_feedback(share_link.get_untracked(), copied);
    let connected =
        move || studio.phase.get() == Phase::Connected && live.room.with_value(Option::is_some);
    let on_air = move || connected() && studio.on_air.get();
    let can_go_live = move || {
        connected()
            && !studio.going_live.get()
            && !studio.preview_opening.get()
            && (studio.camera_on.get() || studio.mic_on.get())
    };
    // The confirmation takes the keyboard focus (on the safe choice); Escape closes it.
    let keep_streaming = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = keep_streaming.get() {
            let _ = button.focus();
        }
    });

    view! {
        <div class="studio-layout">
            <section class="stage-column">
                <div class="studio-head">
                    <h1 class="stream-title">{title}</h1>
                    <span class="muted small">"Studio"</span>
                </div>
                <div class="stage">
                    <StageGrid live=live main_label=Signal::derive(|| Some("You".to_owned()))>
                        <VideoView room=live.room track_sid=preview mirrored=showing_camera testid="local-video"/>
                    </StageGrid>
                    <ReactionOverlay reactions=live.reactions/>
                    <div class="stage-overlay top">
                        <span class="state-pill" data-state=move || status().0>
                            <span class="state-dot" aria-hidden="true"></span>
                            <span data-testid="connection-status">{move || status().1}</span>
                        </span>
                        <Show when=move || recorder.elapsed().is_some()>
                            <span class="rec-badge" data-testid="recording-indicator" title="Recording">
                                "REC " {move || recorder.elapsed()}
                            </span>
                        </Show>
                    </div>
                    <Show when=move || preview.get().is_none()>
                        <div class="stage-message" role="status">
                            <Show when=move || failure().is_none() fallback=move || view! {
                                <p>{failure}</p>
                                <button class="button button-primary" on:click=move |_| browser::reload()>"Try again"</button>
                            }>
                                <p>{move || if studio.camera_on.get() { "Starting your camera…" } else { "Your camera is off." }}</p>
                            </Show>
                        </div>
                    </Show>
                    <Show when=move || connected() && !studio.on_air.get()>
                        <div class="stage-overlay bottom go-live-bar">
                            <span class="preview-note">{move || if encoder_video.get().is_some() {
                                "Viewers see OBS. Go live to show your camera instead."
                            } else {
                                "Only you see this preview."
                            }}</span>
                            <button
                                data-testid="go-live"
                                class="button button-primary go-live"
                                disabled=move || !can_go_live()
                                title=move || if studio.camera_on.get() || studio.mic_on.get() {
                                    "Publish your camera and microphone to everyone with the link"
                                } else {
                                    "Turn the camera or the microphone on to go live"
                                }
                                on:click=move |_| go_live(studio)
                            >
                                <span class="state-dot" aria-hidden="true"></span>
                                {move || if studio.going_live.get() { "Going live…" } else { "Go live" }}
                            </button>
                        </div>
                    </Show>
                </div>
                <div class="controls" role="toolbar" aria-label="Stream controls">
                    <button
                        data-testid="toggle-mic"
                        class="button control"
                        class:off=move || !studio.mic_on.get()
                        aria-pressed=move || studio.mic_on.get().to_string()
                        disabled=move || !connected()
                        on:click=move |_| toggle(studio, TrackSource::Microphone, studio.mic_on)
                    >
                        {move || if studio.mic_on.get() {
                            view! { <Icon glyph=Glyph::Mic/> "Mute" }.into_any()
                        } else {
                            view! { <Icon glyph=Glyph::MicOff/> "Unmute" }.into_any()
                        }}
                    </button>
                    <button
                        data-testid="toggle-camera"
                        class="button control"
                        class:off=move || !studio.camera_on.get()
                        aria-pressed=move || studio.camera_on.get().to_string()
                        disabled=move || !connected()
                        on:click=move |_| toggle(studio, TrackSource::Camera, studio.camera_on)
                    >
                        {move || if studio.camera_on.get() {
                            view! { <Icon glyph=Glyph::Camera/> "Camera off" }.into_any()
                        } else {
                            view! { <Icon glyph=Glyph::CameraOff/> "Camera on" }.into_any()
                        }}
                    </button>
                    <button
                        data-testid="toggle-screen"
                        class="button control"
                        class:active=move || studio.screen_on.get()
                        aria-pressed=move || studio.screen_on.get().to_string()
                        disabled=move || !on_air()
                        title=move || (!on_air()).then_some("Go live first to share your screen")
                        on:click=move |_| toggle(studio, TrackSource::ScreenShare, studio.screen_on)
                    >
                        <Icon glyph=Glyph::Screen/>
                        {move || if studio.screen_on.get() { "Stop sharing" } else { "Share screen" }}
                    </button>
                    <RecordButton recorder=recorder/>
                    <span class="controls-spacer"></span>
                    <button
                        data-testid="end-stream"
                        class="button button-danger"
                        on:click=move |_| studio.confirm_end.set(true)
                    >
                        "End stream"
                    </button>
                </div>
                <RecordNotes recorder=recorder recordings_href=recordings_href/>
                <div class="audience-bar">
                    <ReactionBar reactions=live.reactions live=live/>
                </div>
                // Raised hands where the host looks, not only in the list below (far down on a phone).
                <Show when=move || !raised_hands.with(Vec::is_empty)>
                    <p class="hands-note" role="status">
                        "✋ "
                        {move || raised_hands.with(|hands| match hands.as_slice() {
                            [one] => format!("{} raised a hand.", one.name),
                            many => format!("{} viewers raised a hand: {}.", many.len(),
                                many.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")),
                        })}
                        " Invite them on stage from the viewer list."
                    </p>
                </Show>
                <div class="devices">
                    <DevicePicker label="Camera" devices=studio.cameras selected=studio.camera_id
                        on_pick=move |id| switch_device(studio, DeviceKind::Camera, id)/>
                    <DevicePicker label="Microphone" devices=studio.microphones selected=studio.microphone_id
                        on_pick=move |id| switch_device(studio, DeviceKind::Microphone, id)/>
                </div>
                <p class="media-error" role="alert" data-testid="studio-error">{move || studio.media_error.get()}</p>
            </section>
            <aside class="side-column">
                <section class="panel share" aria-label="Share">
                    <h2 class="panel-title">
                        "Share link"
                        {passcode.is_some().then(|| view! {
                            <span class="lock-badge" title="Viewers need the passcode"><Icon glyph=Glyph::Lock/>"Private"</span>
                        })}
                    </h2>
                    <div class="share-row">
                        <input data-testid="share-link" class="share-input" type="text" readonly=true
                            aria-label="Share link" prop:value=move || share_link.get()
                            on:focus=move |ev| { event_target::<web_sys::HtmlInputElement>(&ev).select(); }
                        />
                        <button data-testid="copy-link" class="button" on:click=copy>
                            <Icon glyph=Glyph::Copy/>
                            {move || if copied.get() { "Copied" } else { "Copy" }}
                        </button>
                    </div>
                    {passcode.clone().map(|passcode| view! { <PasscodeShare passcode=passcode with_passcode=with_passcode/> })}
                </section>
                <section class="panel viewers" aria-label="Viewers">
                    <h2 class="panel-title">
                        "Watching "
                        <span class="viewer-pill" data-testid="viewer-count">{move || viewers_label(viewers.get().len())}</span>
                    </h2>
                    <ul class="viewer-list" data-testid="viewer-list">
                        <Show when=move || viewers.with(Vec::is_empty)>
                            <li class="muted small">"No one yet — share the link!"</li>
                        </Show>
                        <For
                            each=move || viewers.get()
                            key=|p| (p.identity.clone(), p.hand_raised, p.on_stage)
                            children=move |viewer| view! { <ViewerRow studio=studio viewer=viewer/> }
                        />
                    </ul>
                </section>
                <ObsPanel
                    room_id=studio.room_id.get_value()
                    host_key=studio.credentials.get_value().map(|c| c.host_key)
                />
                <Chat messages=live.messages room=live.room me=live.me host_identity=host_identity/>
            </aside>
        </div>
        <Show when=move || studio.confirm_end.get()>
            <div
                class="modal-backdrop"
                on:click=move |_| studio.confirm_end.set(false)
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        studio.confirm_end.set(false);
                    }
                }
            >
                <div class="modal card" role="alertdialog" aria-modal="true" aria-labelledby="end-title"
                    on:click=|ev| ev.stop_propagation()>
                    <h2 id="end-title">"End the stream for everyone?"</h2>
                    <p class="muted">"Viewers will see that the stream has ended. This cannot be undone."</p>
                    <div class="modal-actions">
                        <button class="button" node_ref=keep_streaming on:click=move |_| studio.confirm_end.set(false)>
                            "Keep streaming"
                        </button>
                        <button data-testid="confirm-end-stream" class="button button-danger" on:click=move |_| end_stream(studio)>
                            "End stream"
                        </button>
                    </div>
                </div>
            </div>
        </Show>
    }
}

/// The share panel's passcode: hidden until shown, with a copy button, and whether the link
/// carries it.
#[component]
fn PasscodeShare(passcode: String, with_passcode: RwSignal<bool>) -> impl IntoView {
    let shown = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let to_copy = passcode.clone();
    let copy = move |_| copy_with_feedback(to_copy.clone(), copied);
    view! {
        <div class="passcode-row">
            <span class="passcode-label"><Icon glyph=Glyph::Lock/>"Passcode:"</span>
            <code class="passcode-value" aria-label=move || if shown.get() { "Passcode" } else { "Passcode, hidden" }>
                {move || if shown.get() { passcode.clone() } else { "••••".to_owned() }}
            </code>
            <button
                class="button button-small button-ghost"
                aria-pressed=move || shown.get().to_string()
                on:click=move |_| shown.update(|s| *s = !*s)
            >{move || if shown.get() { "Hide" } else { "Show" }}</button>
            <button data-testid="copy-passcode" class="button button-small" on:click=copy>
                <Icon glyph=Glyph::Copy/>
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </div>
        <label class="check-field small">
            <input
                data-testid="share-with-passcode"
                type="checkbox"
                prop:checked=move || with_passcode.get()
                on:change=move |ev| with_passcode.set(event_target_checked(&ev))
            />
            "Include passcode in link"
        </label>
        <p class="muted small share-note">{move || if with_passcode.get() {
            "Anyone with this link gets in without typing the passcode."
        } else {
            "Viewers need the passcode to watch: send it separately."
        }}</p>
    }
}

#[component]
fn DevicePicker(
    label: &'static str,
    devices: RwSignal<Vec<MediaDevice>>,
    selected: RwSignal<Option<String>>,
    on_pick: impl Fn(String) + 'static,
) -> impl IntoView {
    let id = format!("device-{}", label.to_lowercase());
    view! {
        <div class="field device-field">
            <label for=id.clone()>{label}</label>
            <select
                id=id
                disabled=move || devices.with(|d| d.len() < 2)
                on:change=move |ev| on_pick(event_target_value(&ev))
            >
                <For
                    each=move || devices.get()
                    key=|d| d.device_id.clone()
                    children=move |device| {
                        let value = device.device_id.clone();
                        let is_selected = move || selected.get().as_deref() == Some(value.as_str());
                        view! {
                            <option value=device.device_id.clone() selected=is_selected>{device.label}</option>
                        }
                    }
                />
            </select>
        </div>
    }
}
