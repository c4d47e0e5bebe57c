//! Broadcast mode: the stream's HLS broadcast playing on the stage, a few seconds behind, for
//! a viewer the WebRTC audience had no room for (or who opened `/stream/:id?hls`). The picture
//! is the broadcast's own composite (guests on stage included); the viewer is in the room for
//! chat and reactions only. Until the first segment is there (the broadcast may be starting
//! for them), the stage says so and the player asks again every few seconds.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::hls::live_playlist_path;
use std::rc::Rc;

use super::state::Viewer;
use crate::bindings::hls::{HlsEvent, HlsPlayer};
use crate::components::icons::{Glyph, Icon};

/// Where the broadcast player is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Showing {
    /// No segment yet.
    Waiting,
    Playing,
    /// This browser cannot play HLS.
    Failed(String),
}

#[component]
pub(super) fn BroadcastVideo(viewer: Viewer) -> impl IntoView {
    let video_ref = NodeRef::<html::Video>::new();
    let showing = RwSignal::new(Showing::Waiting);
    let sound_blocked = RwSignal::new(false);
    let player = StoredValue::new_local(None::<Rc<HlsPlayer>>);
    Effect::new(move |_| {
        let (Some(video), Some(room_id)) = (video_ref.get(), viewer.room_id.get_value()) else {
            return;
        };
        if player.with_value(Option::is_some) {
            return;
        }
        let on_event = move |event| match event {
            HlsEvent::Waiting => showing.set(Showing::Waiting),
            HlsEvent::Playing => showing.set(Showing::Playing),
            HlsEvent::SoundBlocked => sound_blocked.set(true),
            HlsEvent::Failed(message) => showing.set(Showing::Failed(message)),
        };
        let started = HlsPlayer::play(
            &video,
            &live_playlist_path(&room_id),
            viewer.passcode.get_untracked(),
            on_event,
        );
        player.set_value(Some(Rc::new(started)));
    });
    // Leaving broadcast mode (a WebRTC seat, the stream ended) stops the player.
    on_cleanup(move || player.set_value(None));
    let unmute = move |_| {
        let Some(player) = player.get_value() else {
            return;
        };
        spawn_local(async move {
            if player.unmute().await {
                sound_blocked.set(false);
            }
        });
    };
    view! {
        <video
            node_ref=video_ref
            class="video"
            data-testid="stream-video"
            data-playback="hls"
            autoplay
            playsinline
        ></video>
        {move || match showing.get() {
            Showing::Playing => None,
            Showing::Waiting => Some(view! {
                <div class="stage-message" role="status" data-testid="broadcast-waiting">
                    <div class="spinner" aria-hidden="true"></div>
                    <p>"The broadcast is starting — it plays by itself in a few seconds."</p>
                </div>
            }.into_any()),
            Showing::Failed(message) => Some(view! {
                <div class="stage-message" role="alert">
                    <p>{format!("The broadcast cannot play here: {message}")}</p>
                </div>
            }.into_any()),
        }}
        <Show when=move || sound_blocked.get()>
            <button data-testid="unmute" class="button button-primary unmute-button" on:click=unmute>
                <Icon glyph=Glyph::Speaker/>"Tap to unmute"
            </button>
        </Show>
    }
}
