//! What the studio's parts share: the stream it hosts, where the connection is ([`Phase`]), the
//! live room, and the camera, microphone and screen as the host set them. Every part reads or
//! sets some of it; what only one part uses stays in that part.

use leptos::prelude::*;
use onair_api::{RoomId, RoomInfo};

use crate::bindings::livekit::MediaDevice;
use crate::session::RoomState;
use crate::storage::{self, HostCredentials};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Phase {
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
pub(super) struct Studio {
    pub(super) room_id: StoredValue<Option<RoomId>>,
    pub(super) credentials: StoredValue<Option<HostCredentials>>,
    pub(super) info: RwSignal<Option<RoomInfo>>,
    pub(super) phase: RwSignal<Phase>,
    pub(super) live: RoomState,
    /// The host clicked "Go live" (in this tab): camera and microphone are published.
    pub(super) on_air: RwSignal<bool>,
    /// "Go live" was clicked and the tracks are being published.
    pub(super) going_live: RwSignal<bool>,
    /// The camera preview is open (off air), so it can be shown.
    pub(super) camera_previewing: RwSignal<bool>,
    /// Camera and microphone are being opened for the preview: going live waits for them.
    pub(super) preview_opening: RwSignal<bool>,
    pub(super) mic_on: RwSignal<bool>,
    pub(super) camera_on: RwSignal<bool>,
    pub(super) screen_on: RwSignal<bool>,
    /// What went wrong last (media, ending, removing a viewer), shown under the controls.
    pub(super) media_error: RwSignal<Option<String>>,
    pub(super) cameras: RwSignal<Vec<MediaDevice>>,
    pub(super) microphones: RwSignal<Vec<MediaDevice>>,
    pub(super) camera_id: RwSignal<Option<String>>,
    pub(super) microphone_id: RwSignal<Option<String>>,
    /// "End stream" was clicked and the confirmation is open. Kept here rather than in the
    /// controls: the studio view is built again when the phase changes (a reconnect), and the
    /// open question survives that.
    pub(super) confirm_end: RwSignal<bool>,
}

impl Studio {
    /// The studio of `room_id`, hosted with `credentials` (when this browser holds them). A tab
    /// that went live before a reload starts on air.
    pub(super) fn new(room_id: Option<RoomId>, credentials: Option<HostCredentials>) -> Self {
        let on_air = room_id.as_ref().is_some_and(storage::on_air);
        Self {
            room_id: StoredValue::new(room_id),
            credentials: StoredValue::new(credentials),
            info: RwSignal::new(None),
            phase: RwSignal::new(Phase::Loading),
            live: RoomState::new(),
            on_air: RwSignal::new(on_air),
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
        }
    }

    /// In the room, so the controls work (reactive).
    pub(super) fn connected(&self) -> bool {
        self.phase.get() == Phase::Connected && self.live.room.with_value(Option::is_some)
    }

    /// The stream's host key, when this browser holds it.
    pub(super) fn host_key(&self) -> Option<String> {
        self.credentials.get_value().map(|c| c.host_key)
    }

    /// The stream's passcode, when it has one and this browser holds it.
    pub(super) fn passcode(&self) -> Option<String> {
        self.credentials.get_value().and_then(|c| c.passcode)
    }
}
