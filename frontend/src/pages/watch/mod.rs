//! The viewer page, `/stream/:roomId`: the link a streamer shares. It plays on opening, with
//! no click and no form: the viewer joins under a neutral name ("Viewer 4821"), muted when the
//! browser will not play sound before a tap ("Tap to unmute"), and is asked for a name only
//! when they first chat or raise a hand. The page's script asks for the token and joins the
//! room before this app has even started (`js/livekit.js`, the early join); the app takes over.
//!
//! `stream-state` tells where the viewer is: connecting, waiting (for the host to go live: the
//! host may be in the room, previewing, with nothing published yet), live, reconnecting,
//! ended, not-found. When LiveKit drops the connection for good (a server restart loses its
//! rooms), the page keeps asking for a new token until the host's studio has re-opened the
//! stream, and shows `reconnecting` meanwhile.
//!
//! Past the stream's WebRTC audience (`MAX_WEBRTC_VIEWERS`), or opened as `/stream/:id?hls`,
//! the viewer watches the HLS broadcast a few seconds behind ("Broadcast mode", `hls-badge`)
//! and is in the room for chat and reactions only: the token cannot subscribe.
//!
//! A passcode stream asks its passcode first, and only that; the passcode is remembered for the
//! tab, and one in the link's fragment (`#pc=…`) is used by itself and taken out of the address
//! bar.
//!
//! The parts: [`state`] (what they share), [`joining`] (getting in and staying in),
//! [`player`] (the picture), [`broadcast`] (the HLS broadcast in broadcast mode), [`audience`] (title, reactions, hand, stage), [`naming`] (the
//! name prompt) and [`notices`] (not found, ended).

mod audience;
mod broadcast;
mod joining;
mod naming;
mod notices;
mod player;
mod state;

use leptos::prelude::*;
use onair_api::Playback;

use crate::bindings::browser;
use crate::components::chat::Chat;
use crate::components::layout::Shell;
use crate::components::name_gate::NameGate;
use crate::components::passcode::PasscodePrompt;
use crate::route;
use crate::session::{RoomState, confirmed_recording};
use crate::storage;
use audience::{AudienceBar, StreamMeta};
use naming::NamePrompt;
use notices::{EndedNotice, NotFoundNotice};
use player::Player;
use state::{EndReason, Phase, StageMedia, Viewer};

/// What the page shows: one view per screen, whatever the phase within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    NotFound,
    Passcode,
    Watch,
    Ended(EndReason),
}

#[component]
pub fn ViewerPage() -> impl IntoView {
    let room_id = route::room_id_after("/stream/");
    let asks_hls = route::has_query_flag("hls");
    let live = RoomState::new();
    // A passcode in the link's fragment, else the one this tab was let in with before.
    let from_link = browser::take_fragment_param("pc");
    let passcode =
        RwSignal::new(from_link.or_else(|| room_id.as_ref().and_then(storage::stream_passcode)));
    let viewer = Viewer {
        room_id: StoredValue::new(room_id.clone()),
        info: RwSignal::new(None),
        phase: RwSignal::new(Phase::Joining),
        live,
        recorded: confirmed_recording(live, room_id.clone(), passcode.into()),
        name: NameGate::new(storage::viewer_name()),
        participant_token: StoredValue::new(None),
        stage_media: RwSignal::new(StageMedia::Off),
        stage_error: RwSignal::new(None),
        passcode,
        passcode_error: RwSignal::new(None),
        asks_hls,
        playback: RwSignal::new(if asks_hls {
            Playback::Hls
        } else {
            Playback::Webrtc
        }),
    };
    match room_id {
        Some(_) => joining::open(viewer),
        None => viewer.phase.set(Phase::NotFound),
    }
    on_cleanup(move || viewer.live.leave());

    // The watch view stays the same one from joining to watching (and through a rejoin), so
    // its video element, and the picture in it, are not made anew.
    let screen = Memo::new(move |_| match viewer.phase.get() {
        Phase::NotFound => Screen::NotFound,
        Phase::Passcode => Screen::Passcode,
        Phase::Ended(reason) => Screen::Ended(reason),
        Phase::Joining
        | Phase::Watching
        | Phase::Rejoining
        | Phase::Full
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
                        on_submit=move |typed| joining::check_passcode(viewer, typed)
                    />
                }.into_any(),
                Screen::Ended(reason) => view! { <EndedNotice viewer=viewer reason=reason/> }.into_any(),
                Screen::Watch => view! { <WatchView viewer=viewer/> }.into_any(),
            }}
        </Shell>
    }
}

/// The stream: the picture, what it is and who watches, and the chat beside.
#[component]
fn WatchView(viewer: Viewer) -> impl IntoView {
    let live = viewer.live;
    let host_identity = Signal::derive(move || live.host().map(|h| h.identity));
    view! {
        <div class="watch-layout">
            <section class="stage-column">
                <Player viewer=viewer/>
                <StreamMeta viewer=viewer/>
                <AudienceBar viewer=viewer/>
            </section>
            <aside class="side-column">
                <Chat messages=live.messages room=live.room me=live.me host_identity=host_identity name_gate=viewer.name/>
            </aside>
        </div>
        <Show when=move || viewer.name.asking.get()>
            <NamePrompt viewer=viewer/>
        </Show>
    }
}
