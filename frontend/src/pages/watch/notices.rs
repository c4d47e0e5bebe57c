//! What the page says instead of the stream: that the link leads nowhere, or that the stream is
//! over (and, when it was recorded, a link to the recording once it is saved).

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::{ErrorCode, RecordingStatus};
use std::time::Duration;

use super::state::{EndReason, Viewer};
use crate::api;
use crate::bindings::browser;
use crate::components::layout::Notice;

#[component]
pub(super) fn NotFoundNotice() -> impl IntoView {
    view! {
        <span class="sr-only" data-testid="stream-state">"not-found"</span>
        <Notice title="Stream not found" body="This link does not lead to a stream. It may have ended, or the address is mistyped.">
            <a href="/" class="button button-primary">"Start your own stream"</a>
        </Notice>
    }
}

#[component]
pub(super) fn EndedNotice(viewer: Viewer, reason: EndReason) -> impl IntoView {
    let host = viewer
        .info
        .with_untracked(|i| i.as_ref().map(|i| i.host_name.clone()))
        .unwrap_or_else(|| "The host".into());
    let (title, body) = match reason {
        EndReason::HostEnded => (
            "The stream has ended".to_owned(),
            format!("{host} ended the stream. Thanks for watching!"),
        ),
        EndReason::Removed => (
            "You were removed".to_owned(),
            "The host removed you from this stream.".to_owned(),
        ),
        EndReason::Lost => (
            "The stream is over".to_owned(),
            "The connection to the stream could not be restored.".to_owned(),
        ),
    };
    // The stream may live on as a recording, which takes a moment to be saved.
    let recording = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    spawn_local(look_for_recording(viewer, recording, saving));
    view! {
        <span class="sr-only" data-testid="stream-state">"ended"</span>
        <Notice title=title body=body>
            {move || recording.get().map(|href| view! {
                <a href=href class="button button-primary" data-testid="recording-link">"Watch the recording"</a>
            })}
            <Show when=move || saving.get() && recording.with(Option::is_none)>
                <span class="muted small saving-note" role="status">
                    <span class="spinner spinner-small" aria-hidden="true"></span>
                    "Saving the recording…"
                </span>
            </Show>
            <a href="/" class="button">"Go home"</a>
        </Notice>
    }
}

/// How long a viewer whose stream ended keeps looking for its recording (saving it takes a few
/// seconds after the end), and how often.
const RECORDING_LOOKUP_FOR: Duration = Duration::from_secs(20);
const RECORDING_LOOKUP_EVERY: Duration = Duration::from_secs(2);

/// Looks for a saved recording of the ended stream until one is there, the time is up or the
/// page is gone; `saving` tells while a recording is still being written.
async fn look_for_recording(
    viewer: Viewer,
    recording: RwSignal<Option<String>>,
    saving: RwSignal<bool>,
) {
    let Some(room_id) = viewer.room_id.try_get_value().flatten() else {
        return;
    };
    let passcode = viewer.passcode.try_get_untracked().flatten();
    let started = browser::now_millis();
    loop {
        if recording.is_disposed() {
            return;
        }
        match api::list_recordings(&room_id, passcode.as_deref()).await {
            Ok(list) => {
                if list
                    .recordings
                    .iter()
                    .any(|r| r.status == RecordingStatus::Completed)
                {
                    saving.set(false);
                    recording.set(Some(format!("/recordings/{room_id}")));
                    return;
                }
                saving.set(list.active.is_some());
            }
            // Recording is not set up here: there is nothing to wait for.
            Err(failure) if failure.is(ErrorCode::RecordingUnavailable) => return,
            Err(_) => {}
        }
        if browser::now_millis() - started > RECORDING_LOOKUP_FOR.as_millis() as f64 {
            saving.set(false);
            return;
        }
        gloo_timers::future::sleep(RECORDING_LOOKUP_EVERY).await;
    }
}
