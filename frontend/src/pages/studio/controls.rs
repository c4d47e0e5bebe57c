//! The host's buttons: "Go live" over the preview, the controls bar (microphone, camera, screen
//! share, record, HLS broadcast, end stream) and the confirmation that ends the stream for everyone.

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::ErrorCode;

use super::broadcast::BroadcastButton;
use super::media::{go_live, toggle};
use super::state::{Phase, Studio};
use crate::api;
use crate::bindings::livekit::TrackSource;
use crate::components::icons::{Glyph, Icon};
use crate::components::recorder::{RecordButton, Recorder};
use crate::storage;

/// Over the preview until the host is on air: what viewers see now, and the "Go live" button.
#[component]
pub(super) fn GoLiveBar(
    studio: Studio,
    /// OBS streams, so viewers see its picture rather than nothing.
    showing_obs: Signal<bool>,
) -> impl IntoView {
    let can_go_live = move || {
        studio.connected()
            && !studio.going_live.get()
            && !studio.preview_opening.get()
            && (studio.camera_on.get() || studio.mic_on.get())
    };
    view! {
        <Show when=move || studio.connected() && !studio.on_air.get()>
            <div class="stage-overlay bottom go-live-bar">
                <span class="preview-note">{move || if showing_obs.get() {
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
    }
}

/// The toolbar under the stage.
#[component]
pub(super) fn ControlsBar(studio: Studio, recorder: Recorder) -> impl IntoView {
    let connected = move || studio.connected();
    let on_air = move || connected() && studio.on_air.get();
    view! {
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
            <BroadcastButton studio=studio/>
            <span class="controls-spacer"></span>
            <button
                data-testid="end-stream"
                class="button button-danger"
                on:click=move |_| studio.confirm_end.set(true)
            >
                "End stream"
            </button>
        </div>
    }
}

/// "End the stream for everyone?", open while [`Studio::confirm_end`] is.
#[component]
pub(super) fn EndStreamDialog(studio: Studio) -> impl IntoView {
    // The confirmation takes the keyboard focus (on the safe choice); Escape closes it.
    let keep_streaming = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = keep_streaming.get() {
            let _ = button.focus();
        }
    });
    view! {
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

/// Ends the stream on the server: everyone is told, and this browser forgets the host key.
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
