//! The live state of one LiveKit room as Leptos signals, kept up to date from [`RoomEvent`]s.
//! Host studio and viewer page share it and add their own reactions on top.
//!
//! The models it keeps live beside it: the chat log ([`chat_log`]) and the floating reactions
//! ([`reactions`]). Components show them and depend on this module; it depends on no component.

pub mod chat_log;
pub mod reactions;

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::{ErrorCode, RoomAnswer, RoomId};
use std::rc::Rc;
use std::time::Duration;

use crate::api;
use crate::bindings::browser;

use crate::bindings::livekit::{
    ChatMessage, ConnectionState, Participant, Room, RoomEvent, Track, TrackKind, TrackSource,
};
use chat_log::add_message;
use reactions::Reactions;

/// The connected room, if any. Held in local (non-`Send`) storage; tasks clone the `Rc`.
pub type RoomHandle = StoredValue<Option<Rc<Room>>, LocalStorage>;

/// Someone on stage beside the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guest {
    pub identity: String,
    pub name: String,
    pub is_local: bool,
    /// Their camera track, when it is on.
    pub video: Option<String>,
}

/// Everything the pages show about a room.
#[derive(Clone, Copy)]
pub struct RoomState {
    pub room: RoomHandle,
    pub me: RwSignal<Option<Participant>>,
    /// Everyone else in the room.
    pub others: RwSignal<Vec<Participant>>,
    pub connection: RwSignal<ConnectionState>,
    pub messages: RwSignal<Vec<ChatMessage>>,
    /// LiveKit says the room is being recorded. Fast, but not the whole truth (it is on while
    /// a recorder that never starts sits in "starting"): see [`confirmed_recording`].
    pub recording: RwSignal<bool>,
    /// Tracks we receive and tracks we publish.
    pub tracks: RwSignal<Vec<Track>>,
    /// The browser blocks audio until the user taps something.
    pub audio_blocked: RwSignal<bool>,
    pub reactions: Reactions,
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
            reactions: Reactions::new(),
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
                // Said again on the next connect.
                self.recording.set(false);
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
            // Joined without media, the tracks others publish are known, not received.
            RoomEvent::TrackSubscribed(track)
            | RoomEvent::TrackPublished(track)
            | RoomEvent::LocalTrackPublished(track) => self.tracks.update(|tracks| {
                tracks.retain(|t| t.sid != track.sid);
                tracks.push(track.clone());
            }),
            RoomEvent::TrackUnsubscribed(track)
            | RoomEvent::TrackUnpublished(track)
            | RoomEvent::LocalTrackUnpublished(track) => self
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
            RoomEvent::ReactionReceived { emoji, from } => self.reactions.receive(emoji, from),
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

    /// The stream's encoder (OBS through LiveKit Ingress), when it is in the room.
    pub fn encoder(&self) -> Option<Participant> {
        self.others
            .with(|others| others.iter().find(|p| p.is_encoder()).cloned())
    }

    /// The stream is on air: its host or its encoder publishes a track.
    pub fn on_air(&self) -> bool {
        [self.host(), self.encoder()]
            .into_iter()
            .flatten()
            .any(|p| self.is_publishing(&p.identity))
    }

    /// The stream's main picture: the host's video, or the encoder's when the host shows none.
    pub fn main_video(&self) -> Option<Track> {
        let host = self.host().and_then(|h| self.main_video_of(&h.identity));
        host.or_else(|| {
            self.encoder()
                .and_then(|encoder| self.main_video_of(&encoder.identity))
        })
    }

    /// Viewers the host invited on stage (ourselves included), with their camera.
    pub fn guests(&self) -> Vec<Guest> {
        let me = self.me.get();
        let others = self.others.get();
        me.into_iter()
            .chain(others)
            .filter(|p| p.on_stage)
            .map(|p| Guest {
                video: self.main_video_of(&p.identity).map(|t| t.sid),
                identity: p.identity,
                name: p.name,
                is_local: p.is_local,
            })
            .collect()
    }

    /// `identity` publishes a track we receive (muted or not: a host who muted everything is
    /// still on air).
    pub fn is_publishing(&self, identity: &str) -> bool {
        self.tracks
            .with(|tracks| tracks.iter().any(|t| t.participant == identity))
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
        self.recording.set(false);
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

/// How often a "recording" from LiveKit is checked with the server.
const RECORDING_CHECK_EVERY: Duration = Duration::from_secs(5);

/// Whether `room_id` is being recorded, for a REC badge. LiveKit's flag ([`RoomState::recording`])
/// is the fast signal, but OnAir's server judges recordings LiveKit cannot (a recorder stuck
/// starting, or one whose worker died); so while the flag is on, the server's verdict
/// (`isRecording` of `GET /api/rooms/:roomId`) is asked every few seconds, and the answer is
/// "yes" only while both agree (a passcode stream is asked with its `passcode`). Call from a
/// component: the timer stops with it.
pub fn confirmed_recording(
    live: RoomState,
    room_id: Option<RoomId>,
    passcode: Signal<Option<String>>,
) -> Signal<bool> {
    let confirmed = RwSignal::new(false);
    let room_id = StoredValue::new(room_id);
    // A check is on its way (checks never overlap on a slow server).
    let checking = StoredValue::new(false);
    let check = move || {
        if !live.recording.get_untracked() {
            confirmed.set(false);
            return;
        }
        let Some(room_id) = room_id.get_value() else {
            return;
        };
        if checking.get_value() {
            return;
        }
        checking.set_value(true);
        let passcode = passcode.get_untracked();
        spawn_local(async move {
            let answer = api::get_room(&room_id, passcode.as_deref()).await;
            checking.set_value(false);
            match answer {
                Ok(RoomAnswer::Info(info)) => confirmed.set(info.is_recording),
                Ok(RoomAnswer::Locked(_)) => confirmed.set(false),
                Err(failure) if failure.is(ErrorCode::StreamNotFound) => confirmed.set(false),
                // An unreachable server says nothing new: keep what it said last.
                Err(_) => {}
            }
        });
    };
    // At once when LiveKit turns the flag on, then every few seconds while it stays on (a new
    // recording after a failed one does not change LiveKit's flag).
    Effect::new(move |_| {
        if live.recording.get() {
            check();
        } else {
            confirmed.set(false);
        }
    });
    let timer = set_interval_with_handle(check, RECORDING_CHECK_EVERY);
    on_cleanup(move || {
        if let Ok(timer) = timer {
            timer.clear();
        }
    });
    Signal::derive(move || live.recording.get() && confirmed.get())
}
