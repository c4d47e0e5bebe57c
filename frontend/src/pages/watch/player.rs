//! The picture: the host's video (with guests on stage beside), or in broadcast mode the HLS
//! broadcast ([`super::broadcast`]) and its badge; the state pill, the REC badge, what the
//! stage says when there is no picture, floating reactions, "Tap to unmute" when the browser
//! holds the sound back, and fullscreen.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::Playback;

use super::broadcast::BroadcastVideo;
use super::joining;
use super::state::{Phase, Viewer, state_message, stream_state};
use crate::bindings::browser;
use crate::bindings::livekit::{EarlyVideo, TrackSource};
use crate::components::icons::{Glyph, Icon};
use crate::components::layout::VideoView;
use crate::components::reactions::ReactionOverlay;
use crate::components::stage::StageGrid;

#[component]
pub(super) fn Player(viewer: Viewer) -> impl IntoView {
    let live = viewer.live;
    let stage_ref = NodeRef::<html::Div>::new();
    let state = Memo::new(move |_| stream_state(viewer));
    let host_track = Signal::derive(move || live.main_video());
    let host_video = Signal::derive(move || host_track.get().map(|t| t.sid));
    let video_source =
        Signal::derive(move || host_track.get().map(|t| t.source.as_str().to_owned()));
    let host_name = move || viewer.host_name().unwrap_or_default();
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
    let broadcast_mode = move || viewer.playback.get() == Playback::Hls;
    let failure = move || match viewer.phase.get() {
        Phase::Failed { message } => Some(message),
        _ => None,
    };

    view! {
        <div class="stage" node_ref=stage_ref data-state=move || state.get()>
            {move || match viewer.playback.get() {
                Playback::Webrtc => view! {
                    <StageGrid live=live main_label=Signal::derive(move || Some(host_name()))>
                        <VideoView
                            room=live.room
                            track_sid=host_video
                            source=video_source
                            testid="stream-video"
                            adopt=EarlyVideo::take()
                        />
                    </StageGrid>
                }.into_any(),
                Playback::Hls => view! { <BroadcastVideo viewer=viewer/> }.into_any(),
            }}
            <ReactionOverlay reactions=live.reactions/>
            <div class="stage-overlay top">
                <span class="state-pill" data-state=move || state.get()>
                    <span class="state-dot" aria-hidden="true"></span>
                    <span data-testid="stream-state">{move || state.get()}</span>
                </span>
                <Show when=move || broadcast_mode()>
                    <span
                        class="hls-badge"
                        data-testid="hls-badge"
                        title="You watch the stream's broadcast: chat and reactions are live, the picture is a few seconds behind."
                    >"Broadcast mode (a few seconds behind)"</span>
                </Show>
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
                        <button class="button button-primary" on:click=move |_| joining::retry(viewer)>"Try again"</button>
                    }>
                        <div class="spinner" aria-hidden="true"></div>
                        <p>{move || state_message(state.get(), viewer)}</p>
                    </Show>
                </div>
            </Show>
            // Muted autoplay: the picture plays, the sound waits for a tap.
            <Show when=move || live.audio_blocked.get() && !broadcast_mode()>
                <button data-testid="unmute" class="button button-primary unmute-button" on:click=unmute>
                    <Icon glyph=Glyph::Speaker/>"Tap to unmute"
                </button>
            </Show>
            <div class="stage-overlay bottom">
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
    }
}
