//! What the watch page's parts share: the stream, where the viewer is ([`Phase`]), the live
//! room, the viewer's token, name and passcode, and their camera and microphone while on stage.
//! `stream-state` ([`stream_state`]) is read from it.

use leptos::prelude::*;
use onair_api::{Playback, RoomId, RoomInfo};

use crate::bindings::livekit::ConnectionState;
use crate::components::name_gate::NameGate;
use crate::session::RoomState;

/// Why a stream is over for this viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EndReason {
    HostEnded,
    Removed,
    Lost,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Phase {
    /// Getting a token and joining: the page opened, or a passcode was typed.
    Joining,
    NotFound,
    /// Asking for the stream's passcode.
    Passcode,
    Watching,
    /// Connection lost; trying to get back in.
    Rejoining,
    Ended(EndReason),
    /// The stream's audience is full and there is no broadcast for more: tried again by itself.
    Full,
    /// Could not join; `Try again` offers another attempt.
    Failed {
        message: String,
    },
}

/// Our own camera and microphone, published only while we are on stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StageMedia {
    Off,
    Starting,
    On,
}

/// Everything the watch page's tasks share; `Copy`, so closures can hold it.
#[derive(Clone, Copy)]
pub(super) struct Viewer {
    pub(super) room_id: StoredValue<Option<RoomId>>,
    /// The stream's title and host (for a passcode stream, once the passcode was right).
    pub(super) info: RwSignal<Option<RoomInfo>>,
    pub(super) phase: RwSignal<Phase>,
    pub(super) live: RoomState,
    /// The REC badge: LiveKit's flag, as long as the server agrees.
    pub(super) recorded: Signal<bool>,
    /// The name the viewer chose, and what waits for one.
    pub(super) name: NameGate,
    /// The LiveKit token we joined with: it also proves who we are to raise a hand or to
    /// choose a name.
    pub(super) participant_token: StoredValue<Option<String>>,
    /// Our camera and microphone while the host has us on stage.
    pub(super) stage_media: RwSignal<StageMedia>,
    /// What went wrong with the hand or the stage, for the viewer to read.
    pub(super) stage_error: RwSignal<Option<String>>,
    /// The passcode this tab was let in with (a passcode stream).
    pub(super) passcode: RwSignal<Option<String>>,
    /// Why the passcode prompt asks again.
    pub(super) passcode_error: RwSignal<Option<String>>,
    /// The page was opened as `/stream/:id?hls`: the viewer chose the HLS broadcast.
    pub(super) asks_hls: bool,
    /// How the viewer sees the stream, as the server seated them: over WebRTC, or through the
    /// HLS broadcast (asked for, or the WebRTC audience was full) with the room for chat only.
    pub(super) playback: RwSignal<Playback>,
}

impl Viewer {
    /// The stream's host, as the page can name them.
    pub(super) fn host_name(self) -> Option<String> {
        self.info
            .with(|info| info.as_ref().map(|info| info.host_name.clone()))
    }
}

/// The six states of `stream-state`.
pub(super) fn stream_state(viewer: Viewer) -> &'static str {
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
        // A full stream is one still being joined (the page asks again by itself).
        Phase::Joining | Phase::Passcode | Phase::Full | Phase::Failed { .. } => "connecting",
    }
}

/// What the stage says while it shows no picture.
pub(super) fn state_message(state: &str, viewer: Viewer) -> String {
    let host = viewer.host_name().unwrap_or_else(|| "the host".into());
    match state {
        "connecting" if viewer.phase.get() == Phase::Full => {
            "This stream is full right now — you will be let in as soon as there is room.".into()
        }
        "connecting" => "Connecting to the stream…".into(),
        "waiting" => format!("Waiting for {host} to go live — the video starts by itself."),
        "reconnecting" => "Connection lost — reconnecting…".into(),
        _ => String::new(),
    }
}
