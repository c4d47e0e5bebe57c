//! Camera, microphone and screen: the preview only the host sees, going live (publishing what
//! was previewed), the on/off toggles (the preview's off air, the published tracks on air), the
//! device lists and device switches.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::state::Studio;
use crate::bindings::livekit::{self, DeviceKind, Room, TrackSource};
use crate::storage;

/// Opens camera and microphone (those that are on) for the preview, on the chosen devices.
pub(super) async fn open_preview(studio: Studio, room: &Room) {
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
pub(super) fn go_live(studio: Studio) {
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
pub(super) async fn publish(studio: Studio, room: &Room) {
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

/// Turns `source` on or off; `state` is its switch. Off air this opens or closes the preview,
/// on air it publishes or unpublishes.
pub(super) fn toggle(studio: Studio, source: TrackSource, state: RwSignal<bool>) {
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

/// Uses `device_id` for `kind` from now on, in the preview or on air.
pub(super) fn switch_device(studio: Studio, kind: DeviceKind, device_id: String) {
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
