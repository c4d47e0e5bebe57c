//! The host's record button: start and stop recording the stream to S3, a red dot with the
//! running duration while it records, and a link to the recording once it is saved. When the
//! server cannot record, the button stays disabled and says why.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use onair_api::{ErrorCode, RecordingStatus, RoomId};
use std::time::Duration;

use crate::api;
use crate::bindings::browser;
use crate::components::icons::{Glyph, Icon};

/// Where the host's recording is.
#[derive(Debug, Clone, PartialEq)]
pub enum RecorderState {
    Checking,
    /// Recording cannot be used here; the reason is shown.
    Unavailable(String),
    Idle,
    Starting,
    Recording {
        egress_id: String,
        started_at_ms: f64,
    },
    Saving,
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
}

impl Recorder {
    pub fn new(room_id: Option<RoomId>, host_key: Option<String>) -> Self {
        let recorder = Self {
            state: RwSignal::new(RecorderState::Checking),
            has_recording: RwSignal::new(false),
            message: RwSignal::new(None),
            now_ms: RwSignal::new(browser::now_millis()),
            room_id: StoredValue::new(room_id),
            host_key: StoredValue::new(host_key),
        };
        let tick = set_interval_with_handle(
            move || recorder.now_ms.set(browser::now_millis()),
            Duration::from_millis(500),
        );
        on_cleanup(move || {
            if let Ok(handle) = tick {
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
        spawn_local(async move {
            match api::list_recordings(&room_id).await {
                Ok(list) => {
                    self.has_recording.set(
                        list.recordings
                            .iter()
                            .any(|r| r.status == RecordingStatus::Completed),
                    );
                    self.state.set(match list.active {
                        Some(active) => RecorderState::Recording {
                            egress_id: active.egress_id,
                            started_at_ms: active.started_at as f64,
                        },
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

    fn toggle(self) {
        let (Some(room_id), Some(host_key)) = (self.room_id.get_value(), self.host_key.get_value())
        else {
            return;
        };
        match self.state.get_untracked() {
            RecorderState::Idle => {
                self.state.set(RecorderState::Starting);
                self.message.set(None);
                spawn_local(async move {
                    match api::start_recording(&room_id, &host_key).await {
                        Ok(started) => self.state.set(RecorderState::Recording {
                            egress_id: started.egress_id,
                            started_at_ms: browser::now_millis(),
                        }),
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
            RecorderState::Recording { egress_id, .. } => {
                self.state.set(RecorderState::Saving);
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
        RecorderState::Checking => "Record".to_owned(),
        RecorderState::Unavailable(_) | RecorderState::Idle => "Record".to_owned(),
        RecorderState::Starting => "Starting…".to_owned(),
        RecorderState::Recording { .. } => {
            format!("Stop recording {}", recorder.elapsed().unwrap_or_default())
        }
        RecorderState::Saving => "Saving…".to_owned(),
    };
    let enabled = move || {
        matches!(
            state.get(),
            RecorderState::Idle | RecorderState::Recording { .. }
        )
    };
    let reason = move || match state.get() {
        RecorderState::Unavailable(reason) => Some(reason),
        _ => None,
    };
    view! {
        <button
            data-testid="record-toggle"
            class="button control"
            class:recording=move || matches!(state.get(), RecorderState::Recording { .. })
            aria-pressed=move || matches!(state.get(), RecorderState::Recording { .. }).to_string()
            disabled=move || !enabled()
            title=reason
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
    view! {
        <p class="muted small record-reason">
            {move || match recorder.state.get() {
                RecorderState::Unavailable(reason) => Some(reason),
                _ => None,
            }}
            {move || recorder.message.get()}
        </p>
        <Show when=move || recorder.has_recording.get()>
            <p class="small">
                <A href=recordings_href.clone() attr:data-testid="recording-link" attr:class="recording-link">
                    "Recording saved — watch it"
                </A>
            </p>
        </Show>
    }
}
