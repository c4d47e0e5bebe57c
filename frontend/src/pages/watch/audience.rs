//! The viewer's part in the stream: the title, host and viewer count under the picture, the
//! reactions, the raised hand, and coming on stage — camera and microphone go on when the host
//! invites us, and off when we leave or are taken off.

use leptos::prelude::*;
use leptos::task::spawn_local;

use onair_api::Playback;

use super::state::{StageMedia, Viewer};
use crate::api;
use crate::bindings::browser;
use crate::bindings::livekit::TrackSource;
use crate::components::layout::viewers_label;
use crate::components::reactions::ReactionBar;

/// The title, the host and how many watch.
#[component]
pub(super) fn StreamMeta(viewer: Viewer) -> impl IntoView {
    let live = viewer.live;
    let title = move || {
        viewer
            .info
            .with(|i| i.as_ref().and_then(|i| i.title.clone()))
            .unwrap_or_else(|| "Live stream".into())
    };
    let viewer_count = move || live.viewers().len() + usize::from(live.me.with(Option::is_some));
    view! {
        <div class="stream-meta">
            <div>
                <h1 class="stream-title">{title}</h1>
                <p class="muted">{move || viewer.host_name().unwrap_or_default()}</p>
            </div>
            <span class="viewer-pill" data-testid="viewer-count">{move || viewers_label(viewer_count())}</span>
        </div>
    }
}

/// Reactions, and the hand (or, on stage, "Leave stage").
#[component]
pub(super) fn AudienceBar(viewer: Viewer) -> impl IntoView {
    let live = viewer.live;
    let hand_raised = move || {
        live.me
            .with(|me| me.as_ref().is_some_and(|me| me.hand_raised))
    };
    let on_stage = move || live.me.with(|me| me.as_ref().is_some_and(|me| me.on_stage));
    // Invited on stage, LiveKit lets us publish: camera and microphone go on, without a
    // reload. Taken off, LiveKit has unpublished them already: they are closed here too.
    Effect::new(move |_| {
        let invited = live
            .me
            .with(|me| me.as_ref().is_some_and(|me| me.on_stage && me.can_publish));
        let media = viewer.stage_media.get_untracked();
        if invited && media == StageMedia::Off {
            join_stage(viewer);
        } else if !invited && media != StageMedia::Off {
            leave_stage(viewer);
        }
    });
    view! {
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
                    // The host sees who raised it: a viewer without a name chooses one first.
                    on:click=move |_| viewer.name.then(move || toggle_hand(viewer))
                >{move || if hand_raised() { "✋ Lower hand" } else { "✋ Raise hand" }}</button>
            </Show>
        </div>
        <p class="media-error" role="alert">{move || viewer.stage_error.get()}</p>
    }
}

/// Publishes our camera and microphone: the host invited us on stage.
fn join_stage(viewer: Viewer) {
    let Some(room) = viewer.live.room.get_value() else {
        return;
    };
    viewer.stage_media.set(StageMedia::Starting);
    viewer.stage_error.set(None);
    // From the broadcast, a few seconds behind, to the room itself: a guest talks with the
    // host, so sees and hears them live (the invitation lets us subscribe). Back off stage,
    // the guest keeps watching live: the seat in the SFU is theirs already.
    if viewer.playback.get_untracked() == Playback::Hls {
        match room.subscribe_all() {
            Ok(()) => viewer.playback.set(Playback::Webrtc),
            Err(err) => browser::warn(&format!("OnAir: watching live on stage: {err}")),
        }
    }
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
