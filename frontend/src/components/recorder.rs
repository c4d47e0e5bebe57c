//! The host's record button: start and stop recording the stream to S3, a red dot with the
//! running duration while it records, and a link to the recording once it is saved. When the
//! server cannot record, the button stays disabled and says why.
//!
//! While a recording runs, the studio asks the server every few seconds how it is going: a
//! recorder that dies is never reported by LiveKit itself (its "recording" flag stays on), but
//! OnAir judges it `failed`, and the studio then says so and offers to record again.

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::{ErrorCode, RecordingList, RecordingStatus, RoomId};
use std::time::Duration;

use crate::api;
use crate::bindings::browser;
use crate::components::icons::{Glyph, Icon};

/// How often a running recording is checked with the server.
const CHECK_EVERY: Duration = Duration::from_secs(3);
/// Checks in a row that may miss our recording before the studio stops believing in it (the
/// server lists only the bucket while LiveKit's egress list is unavailable).
const MISSES_BEFORE_REFRESH: u32 = 2;

/// Where the host's recording is.
#[derive(Debug, Clone, PartialEq)]
pub enum RecorderState {
    Checking,
    /// Recording cannot be used here; the reason is shown.
    Unavailable(String),
    Idle,
    /// Asked for; `egress_id` once the server accepted, until the recorder really records.
    Starting {
        egress_id: Option<String>,
    },
    Recording {
        egress_id: String,
        started_at_ms: f64,
    },
    /// Stopped; the file is being written.
    Saving {
        egress_id: String,
    },
}

impl RecorderState {
    /// The recording this state follows on the server, if any.
    fn egress_id(&self) -> Option<&str> {
        match self {
            RecorderState::Starting { egress_id } => egress_id.as_deref(),
            RecorderState::Recording { egress_id, .. } | RecorderState::Saving { egress_id } => {
                Some(egress_id)
            }
            _ => None,
        }
    }

    /// The state of a recording the server lists as running.
    fn of_running(egress_id: String, status: RecordingStatus, started_at_ms: f64) -> Self {
        match status {
            RecordingStatus::Starting => RecorderState::Starting {
                egress_id: Some(egress_id),
            },
            RecordingStatus::Stopping => RecorderState::Saving { egress_id },
            _ => RecorderState::Recording {
                egress_id,
                started_at_ms,
            },
        }
    }
}

/// The record button's state and what it needs; `Copy`, shared by the button and the badge.
#[derive(Clone, Copy)]
pub struct Recorder {
    pub state: RwSignal<RecorderState>,
    /// A finished recording can be watched.
    pub has_recording: RwSignal<bool>,
    pub message: RwSignal<Option<String>>,
    now_ms: RwSignal<f64>,
    room_id: StoredValue<Option<RoomId>>,
    host_key: StoredValue<Option<String>>,
    /// A passcode stream's passcode: listing its recordings needs it.
    passcode: StoredValue<Option<String>>,
    /// The studio's own error line, for what the host must act on beyond the recorder (the
    /// server's recording quota).
    studio_error: RwSignal<Option<String>>,
    /// A check is on its way (checks never overlap on a slow server).
    checking: StoredValue<bool>,
    /// Checks in a row that did not find our recording.
    misses: StoredValue<u32>,
}

impl Recorder {
    pub fn new(
        room_id: Option<RoomId>,
        host_key: Option<String>,
        passcode: Option<String>,
        studio_error: RwSignal<Option<String>>,
    ) -> Self {
        let recorder = Self {
            state: RwSignal::new(RecorderState::Checking),
            has_recording: RwSignal::new(false),
            message: RwSignal::new(None),
            now_ms: RwSignal::new(browser::now_millis()),
            room_id: StoredValue::new(room_id),
            host_key: StoredValue::new(host_key),
            passcode: StoredValue::new(passcode),
            studio_error,
            checking: StoredValue::new(false),
            misses: StoredValue::new(0),
        };
        let tick = set_interval_with_handle(
            move || recorder.now_ms.set(browser::now_millis()),
            Duration::from_millis(500),
        );
        let check = set_interval_with_handle(move || recorder.check(), CHECK_EVERY);
        on_cleanup(move || {
            for handle in [tick, check].into_iter().flatten() {
                handle.clear();
            }
        });
        recorder.refresh();
        recorder
    }

    /// Asks the server whether recording works here and whether one is running.
    pub fn refresh(self) {
        let Some(room_id) = self.room_id.get_value() else {
            return;
        };
        let passcode = self.passcode.get_value();
        spawn_local(async move {
            match api::list_recordings(&room_id, passcode.as_deref()).await {
                Ok(list) => {
                    self.misses.set_value(0);
                    self.note_saved(&list);
                    self.state.set(match list.active {
                        Some(active) => RecorderState::of_running(
                            active.egress_id,
                            active.status,
                            active.started_at as f64,
                        ),
                        None => RecorderState::Idle,
                    });
                }
                Err(failure) if failure.is(ErrorCode::RecordingUnavailable) => self.state.set(
                    RecorderState::Unavailable("Recording is not set up on this server.".into()),
                ),
                Err(failure) => self.state.set(RecorderState::Unavailable(failure.message)),
            }
        });
    }

    fn note_saved(self, list: &RecordingList) {
        self.has_recording.set(
            list.recordings
                .iter()
                .any(|r| r.status == RecordingStatus::Completed),
        );
    }

    /// While a recording runs: asks the server how it is going, and follows what it says.
    fn check(self) {
        let Some(ours) = self
            .state
            .with_untracked(|s| s.egress_id().map(str::to_owned))
        else {
            return;
        };
        let Some(room_id) = self.room_id.get_value() else {
            return;
        };
        if self.checking.get_value() {
            return;
        }
        self.checking.set_value(true);
        let passcode = self.passcode.get_value();
        spawn_local(async move {
            let list = api::list_recordings(&room_id, passcode.as_deref()).await;
            self.checking.set_value(false);
            // A click (stop, or a new start) may have overtaken this answer, or the studio
            // may be gone.
            let still_ours = self
                .state
                .try_with_untracked(|s| s.egress_id() == Some(ours.as_str()));
            if still_ours != Some(true) {
                return;
            }
            // An unreachable server says nothing about the recording: ask again later.
            if let Ok(list) = list {
                self.follow(&ours, list);
            }
        });
    }

    fn follow(self, ours: &str, list: RecordingList) {
        if let Some(active) = list.active.as_ref().filter(|a| a.egress_id == ours) {
            self.misses.set_value(0);
            let state = self.state.get_untracked();
            match (&state, active.status) {
                // The recorder really records now: the red dot counts from here.
                (RecorderState::Starting { .. }, RecordingStatus::Active) => {
                    self.state.set(RecorderState::Recording {
                        egress_id: ours.to_owned(),
                        started_at_ms: browser::now_millis(),
                    })
                }
                (RecorderState::Recording { .. }, RecordingStatus::Stopping) => {
                    self.state.set(RecorderState::Saving {
                        egress_id: ours.to_owned(),
                    })
                }
                _ => {}
            }
            return;
        }
        match list.recordings.iter().find(|r| r.egress_id == ours) {
            Some(ended) if ended.status == RecordingStatus::Failed => {
                self.misses.set_value(0);
                self.message.set(Some(format!(
                    "The recording failed: {}",
                    ended
                        .error
                        .clone()
                        .unwrap_or_else(|| "the recorder stopped".into())
                )));
                self.note_saved(&list);
                self.state.set(match list.active {
                    Some(other) => RecorderState::of_running(
                        other.egress_id,
                        other.status,
                        other.started_at as f64,
                    ),
                    None => RecorderState::Idle,
                });
            }
            Some(_) => {
                // Saved (stopped here, in another tab, or by the stream's end).
                self.misses.set_value(0);
                self.refresh();
            }
            None => {
                let misses = self.misses.get_value() + 1;
                self.misses.set_value(misses);
                if misses >= MISSES_BEFORE_REFRESH {
                    self.refresh();
                }
            }
        }
    }

    fn toggle(self) {
        let (Some(room_id), Some(host_key)) = (self.room_id.get_value(), self.host_key.get_value())
        else {
            return;
        };
        match self.state.get_untracked() {
            RecorderState::Idle => {
                self.state.set(RecorderState::Starting { egress_id: None });
                self.message.set(None);
                self.misses.set_value(0);
                spawn_local(async move {
                    match api::start_recording(&room_id, &host_key).await {
                        Ok(started) => self.state.set(RecorderState::of_running(
                            started.egress_id,
                            started.status,
                            browser::now_millis(),
                        )),
                        // The creator's recording minutes are used up: the server says which
                        // limit, in the studio's error line.
                        Err(failure) if failure.is(ErrorCode::RecordingQuota) => {
                            self.studio_error.set(Some(failure.message));
                            self.refresh();
                        }
                        Err(failure) => {
                            self.message.set(Some(format!(
                                "Recording did not start: {}",
                                failure.message
                            )));
                            self.refresh();
                        }
                    }
                });
            }
            RecorderState::Starting {
                egress_id: Some(egress_id),
            }
            | RecorderState::Recording { egress_id, .. } => {
                self.state.set(RecorderState::Saving {
                    egress_id: egress_id.clone(),
                });
                spawn_local(async move {
                    match api::stop_recording(&egress_id, &host_key).await {
                        Ok(stopped) if stopped.status == RecordingStatus::Completed => {
                            self.has_recording.set(true);
                            self.message.set(None);
                        }
                        Ok(stopped) => self.message.set(Some(format!(
                            "The recording failed: {}",
                            stopped
                                .error
                                .unwrap_or_else(|| "no file was written".into())
                        ))),
                        Err(failure) => self
                            .message
                            .set(Some(format!("Stopping failed: {}", failure.message))),
                    }
                    self.refresh();
                });
            }
            _ => {}
        }
    }

    /// `m:ss` recorded so far, while recording.
    pub fn elapsed(self) -> Option<String> {
        let RecorderState::Recording { started_at_ms, .. } = self.state.get() else {
            return None;
        };
        let seconds = ((self.now_ms.get() - started_at_ms) / 1000.0).max(0.0) as u64;
        Some(format!("{}:{:02}", seconds / 60, seconds % 60))
    }
}

/// The record button, its reason when disabled, and the link to the recording.
#[component]
pub fn RecordButton(recorder: Recorder) -> impl IntoView {
    let state = recorder.state;
    let label = move || match state.get() {
        RecorderState::Checking | RecorderState::Unavailable(_) | RecorderState::Idle => {
            "Record".to_owned()
        }
        RecorderState::Starting { .. } => "Starting…".to_owned(),
        RecorderState::Recording { .. } => {
            format!("Stop recording {}", recorder.elapsed().unwrap_or_default())
        }
        RecorderState::Saving { .. } => "Saving…".to_owned(),
    };
    // A recording that is starting can be called off once the server has it.
    let enabled = move || {
        matches!(
            state.get(),
            RecorderState::Idle
                | RecorderState::Starting { egress_id: Some(_) }
                | RecorderState::Recording { .. }
        )
    };
    let title = move || match state.get() {
        RecorderState::Unavailable(reason) => Some(reason),
        RecorderState::Starting { egress_id: Some(_) } => {
            Some("The recorder is starting — click to cancel".to_owned())
        }
        _ => None,
    };
    let pressed = move || {
        matches!(
            state.get(),
            RecorderState::Starting { egress_id: Some(_) } | RecorderState::Recording { .. }
        )
    };
    view! {
        <button
            data-testid="record-toggle"
            class="button control"
            class:recording=move || matches!(state.get(), RecorderState::Recording { .. })
            class:pending=move || matches!(state.get(), RecorderState::Starting { .. } | RecorderState::Saving { .. })
            aria-pressed=move || pressed().to_string()
            disabled=move || !enabled()
            title=title
            on:click=move |_| recorder.toggle()
        >
            <Icon glyph=Glyph::Record/>
            {label}
        </button>
    }
}

/// Under the controls: why recording is off, what went wrong, or where the recording is.
#[component]
pub fn RecordNotes(recorder: Recorder, #[prop(into)] recordings_href: String) -> impl IntoView {
    let reason = move || match recorder.state.get() {
        RecorderState::Unavailable(reason) => Some(reason),
        _ => None,
    };
    view! {
        <Show when=move || reason().is_some()>
            <p class="muted small record-reason">{reason}</p>
        </Show>
        <Show when=move || recorder.message.with(Option::is_some)>
            <p class="record-message" role="alert">{move || recorder.message.get()}</p>
        </Show>
        <Show when=move || recorder.has_recording.get()>
            <p class="small record-saved">
                <a href=recordings_href.clone() data-testid="recording-link" class="recording-link">
                    "Recording saved — watch it"
                </a>
            </p>
        </Show>
    }
}
