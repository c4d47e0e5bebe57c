//! What the host sees of the stream: the stage with their own picture (the preview before going
//! live, what viewers get once on air, OBS's picture while it streams), the connection status,
//! the REC badge and the reactions floating over it; and the camera and microphone pickers.

use leptos::prelude::*;

use super::controls::GoLiveBar;
use super::media::switch_device;
use super::state::{Phase, Studio};
use crate::bindings::browser;
use crate::bindings::livekit::{
    self, ConnectionState, DeviceKind, MediaDevice, TrackKind, TrackSource,
};
use crate::components::layout::VideoView;
use crate::components::reactions::ReactionOverlay;
use crate::components::recorder::Recorder;
use crate::components::stage::StageGrid;

/// The stage: the host's picture, guests beside it, and what lies over it.
#[component]
pub(super) fn Preview(studio: Studio, recorder: Recorder) -> impl IntoView {
    let live = studio.live;
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
    let showing_obs = Signal::derive(move || encoder_video.get().is_some());
    let status = move || connection_status(studio);
    let failure = move || match studio.phase.get() {
        Phase::Failed { message } => Some(message),
        _ => None,
    };
    view! {
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
            <GoLiveBar studio=studio showing_obs=showing_obs/>
        </div>
    }
}

/// The status pill: its `data-state` and its words (reactive).
fn connection_status(studio: Studio) -> (&'static str, &'static str) {
    let live = studio.live;
    match studio.phase.get() {
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
    }
}

/// The camera and microphone pickers, under the controls.
#[component]
pub(super) fn DevicePickers(studio: Studio) -> impl IntoView {
    view! {
        <div class="devices">
            <DevicePicker label="Camera" devices=studio.cameras selected=studio.camera_id
                on_pick=move |id| switch_device(studio, DeviceKind::Camera, id)/>
            <DevicePicker label="Microphone" devices=studio.microphones selected=studio.microphone_id
                on_pick=move |id| switch_device(studio, DeviceKind::Microphone, id)/>
        </div>
    }
}

/// One device list; choosing a device switches to it at once.
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
