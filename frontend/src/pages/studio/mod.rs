//! The host studio, `/host/:roomId`: the studio connects (chat and the viewer list work at
//! once) and opens camera and microphone as a preview that nobody else receives; the host picks
//! devices and clicks "Go live" when ready, which publishes them. Then the host mutes, turns the
//! camera off, shares the screen, copies the share link, watches who is there (and removes a
//! troublemaker), chats, and ends the stream.
//!
//! The host key stays in this browser (`storage`), so a reload keeps control; a reload of a tab
//! that went live goes straight back on air. A passcode stream's passcode is kept beside it:
//! the share panel shows it (hidden until asked) and can put it in the link's fragment. If
//! LiveKit loses the room (a server restart), the studio asks for a new host token — which
//! re-opens the stream — and publishes again.
//!
//! This module holds the page and its layout; the parts are:
//! - [`state`]: what the parts share ([`Studio`]) and where the connection is ([`Phase`]);
//! - [`connection`]: joining the room, following its events, rejoining;
//! - [`media`]: camera, microphone and screen — preview, going live, toggles, devices;
//! - [`preview`]: the stage with the host's picture, and the device pickers;
//! - [`controls`]: "Go live", the controls bar and ending the stream;
//! - [`side_panel`]: the side column — [`share`] link, [`viewers`] list, OBS and chat.

mod broadcast;
mod connection;
mod controls;
mod media;
mod preview;
mod restream;
mod share;
mod side_panel;
mod state;
mod viewers;

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::Me;

use crate::components::account::{self, AccountBadge};
use crate::components::layout::{Notice, Shell};
use crate::components::reactions::ReactionBar;
use crate::components::recorder::{RecordNotes, Recorder, RecorderState};
use crate::route;
use crate::storage;
use controls::{ControlsBar, EndStreamDialog};
use preview::{DevicePickers, Preview};
use side_panel::SidePanel;
use state::{Phase, Studio};
use viewers::RaisedHandsNote;

#[component]
pub fn HostStudio() -> impl IntoView {
    let room_id = route::room_id_after("/host/");
    let credentials = room_id.as_ref().and_then(storage::host);
    let studio = Studio::new(room_id.clone(), credentials.clone());
    match (room_id, credentials) {
        (None, _) => studio.phase.set(Phase::NotFound),
        (Some(_), None) => studio.phase.set(Phase::NotHost {
            reason: "This browser does not hold the host key of this stream.".into(),
        }),
        (Some(_), Some(_)) => spawn_local(connection::start(studio)),
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

/// The studio while it is connecting, connected or trying again: the stage column (the stage,
/// the controls and what goes with them) and the side panel.
#[component]
fn StudioView(studio: Studio) -> impl IntoView {
    let live = studio.live;
    let recorder = Recorder::new(
        studio.room_id.get_value(),
        studio.host_key(),
        studio.passcode(),
        studio.media_error,
    );
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
    let title = move || {
        studio
            .info
            .with(|i| i.as_ref().and_then(|i| i.title.clone()))
            .unwrap_or_else(|| "Your stream".into())
    };

    view! {
        <div class="studio-layout">
            <section class="stage-column">
                <div class="studio-head">
                    <h1 class="stream-title">{title}</h1>
                    <span class="muted small">"Studio"</span>
                </div>
                <Preview studio=studio recorder=recorder/>
                <ControlsBar studio=studio recorder=recorder/>
                <RecordNotes recorder=recorder recordings_href=recordings_href/>
                <div class="audience-bar">
                    <ReactionBar reactions=live.reactions live=live/>
                </div>
                <RaisedHandsNote live=live/>
                <DevicePickers studio=studio/>
                <p class="media-error" role="alert" data-testid="studio-error">{move || studio.media_error.get()}</p>
            </section>
            <SidePanel studio=studio/>
        </div>
        <EndStreamDialog studio=studio/>
    }
}
