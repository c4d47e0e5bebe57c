//! The live state of one LiveKit room as Leptos signals, kept up to date from [`RoomEvent`]s.
//! Host studio and viewer page share it and add their own reactions on top.

use leptos::prelude::*;
use std::rc::Rc;
use std::time::Duration;

use crate::bindings::browser;

use crate::bindings::livekit::{
    ChatMessage, ConnectionState, Participant, Room, RoomEvent, Track, TrackKind, TrackSource,
};
use crate::components::chat::add_message;

/// The connected room, if any. Held in local (non-`Send`) storage; tasks clone the `Rc`.
pub type RoomHandle = StoredValue<Option<Rc<Room>>, LocalStorage>;

/// Everything the pages show about a room.
#[derive(Clone, Copy)]
pub struct RoomState {
    pub room: RoomHandle,
    pub me: RwSignal<Option<Participant>>,
    /// Everyone else in the room.
    pub others: RwSignal<Vec<Participant>>,
    pub connection: RwSignal<ConnectionState>,
    pub messages: RwSignal<Vec<ChatMessage>>,
    pub recording: RwSignal<bool>,
    /// Tracks we receive and tracks we publish.
    pub tracks: RwSignal<Vec<Track>>,
    /// The browser blocks audio until the user taps something.
    pub audio_blocked: RwSignal<bool>,
}

impl RoomState {
    pub fn new() -> Self {
        Self {
            room: StoredValue::new_local(None),
            me: RwSignal::new(None),
            others: RwSignal::new(Vec::new()),
            connection: RwSignal::new(ConnectionState::Disconnected),
            messages: RwSignal::new(Vec::new()),
            recording: RwSignal::new(false),
            tracks: RwSignal::new(Vec::new()),
            audio_blocked: RwSignal::new(false),
        }
    }

    /// The bookkeeping every page wants for `event`.
    pub fn apply(&self, event: &RoomEvent) {
        match event {
            RoomEvent::ConnectionStateChanged(state) => self.connection.set(*state),
            RoomEvent::Disconnected(_) => {
                self.connection.set(ConnectionState::Disconnected);
                self.others.set(Vec::new());
                self.tracks.set(Vec::new());
            }
            RoomEvent::ParticipantUpdated(participant) if participant.is_local => {
                self.me.set(Some(participant.clone()))
            }
            RoomEvent::ParticipantUpdated(participant) => self.others.update(|others| match others
                .iter_mut()
                .find(|p| p.identity == participant.identity)
            {
                Some(known) => *known = participant.clone(),
                None => others.push(participant.clone()),
            }),
            RoomEvent::ParticipantLeft { identity } => {
                self.others
                    .update(|others| others.retain(|p| &p.identity != identity));
                self.tracks
                    .update(|tracks| tracks.retain(|t| &t.participant != identity));
            }
            RoomEvent::TrackSubscribed(track) | RoomEvent::LocalTrackPublished(track) => {
                self.tracks.update(|tracks| {
                    tracks.retain(|t| t.sid != track.sid);
                    tracks.push(track.clone());
                })
            }
            RoomEvent::TrackUnsubscribed(track) | RoomEvent::LocalTrackUnpublished(track) => self
                .tracks
                .update(|tracks| tracks.retain(|t| t.sid != track.sid)),
            RoomEvent::TrackMuted(track) | RoomEvent::TrackUnmuted(track) => {
                self.tracks.update(|tracks| {
                    if let Some(known) = tracks.iter_mut().find(|t| t.sid == track.sid) {
                        known.muted = track.muted;
                    }
                })
            }
            RoomEvent::AudioPlaybackAllowed(allowed) => self.audio_blocked.set(!allowed),
            RoomEvent::RecordingChanged(active) => self.recording.set(*active),
            RoomEvent::ChatReceived(message) => self
                .messages
                .update(|list| add_message(list, message.clone())),
            RoomEvent::ChatHistoryReceived(history) => self.messages.update(|list| {
                for message in history {
                    add_message(list, message.clone());
                }
            }),
            RoomEvent::MediaDeviceError(_) => {}
        }
    }

    /// Viewers in the room (not the host, not us).
    pub fn viewers(&self) -> Vec<Participant> {
        self.others
            .with(|others| others.iter().filter(|p| p.is_viewer()).cloned().collect())
    }

    /// The host, when connected (ourselves on the host's page).
    pub fn host(&self) -> Option<Participant> {
        let me = self.me.get().filter(Participant::is_host);
        me.or_else(|| {
            self.others
                .with(|others| others.iter().find(|p| p.is_host()).cloned())
        })
    }

    /// `identity` sends something we receive (a picture or sound that is not muted).
    pub fn is_publishing(&self, identity: &str) -> bool {
        self.tracks
            .with(|tracks| tracks.iter().any(|t| t.participant == identity && !t.muted))
    }

    /// The video to show for `identity`: a screen share wins over the camera.
    pub fn main_video_of(&self, identity: &str) -> Option<Track> {
        self.tracks.with(|tracks| {
            let video = |source: TrackSource| {
                tracks
                    .iter()
                    .find(|t| {
                        t.participant == identity
                            && t.kind == TrackKind::Video
                            && t.source == source
                            && !t.muted
                    })
                    .cloned()
            };
            video(TrackSource::ScreenShare).or_else(|| video(TrackSource::Camera))
        })
    }

    /// Leaves the room (if connected).
    pub fn leave(&self) {
        self.room.set_value(None);
        self.me.set(None);
        self.others.set(Vec::new());
        self.tracks.set(Vec::new());
        self.connection.set(ConnectionState::Disconnected);
    }
}

impl Default for RoomState {
    fn default() -> Self {
        Self::new()
    }
}

/// How long a page tries to get back into a stream LiveKit dropped (a LiveKit restart forgets
/// its rooms until the host's studio re-opens the stream), and how often.
const REJOIN_FOR: Duration = Duration::from_secs(120);
const REJOIN_EVERY: Duration = Duration::from_secs(2);

/// Runs `attempt` every few seconds until it reports it is done (back in, or no longer
/// wanted); `false` when the time ran out first.
pub async fn keep_rejoining(mut attempt: impl AsyncFnMut() -> bool) -> bool {
    let started = browser::now_millis();
    while browser::now_millis() - started < REJOIN_FOR.as_millis() as f64 {
        gloo_timers::future::sleep(REJOIN_EVERY).await;
        if attempt().await {
            return true;
        }
    }
    false
}
