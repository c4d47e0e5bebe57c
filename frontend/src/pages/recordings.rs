//! The replay page, `/recordings/:roomId`: the stream's finished recordings, played in the
//! browser from presigned URLs.

use leptos::prelude::*;
use onair_api::{ErrorCode, RecordingStatus};

use crate::api;
use crate::bindings::browser;
use crate::components::layout::{Notice, Shell};
use crate::route;

#[component]
pub fn RecordingsPage() -> impl IntoView {
    let room_id = route::room_id_after("/recordings/");
    let recordings = LocalResource::new(move || {
        let room_id = room_id.clone();
        async move {
            match room_id {
                Some(id) => api::list_recordings(&id).await.map(Some),
                None => Ok(None),
            }
        }
    });
    view! {
        <Shell>
            <Suspense fallback=|| view! { <p class="muted">"Loading recordings…"</p> }>
                {move || recordings.get().map(|result| match result {
                    Ok(Some(list)) if !list.recordings.is_empty() => view! {
                        <section class="recordings">
                            <h1>"Recordings"</h1>
                            <p class="muted">"Replays of this stream, newest first."</p>
                            <ul class="recording-list">
                                {list.recordings.into_iter().map(|rec| {
                                    let when = browser::local_date_time(rec.started_at as f64);
                                    let length = rec.duration_ms.map(|ms| {
                                        let seconds = ms / 1000;
                                        format!("{}:{:02}", seconds / 60, seconds % 60)
                                    });
                                    let size = rec.size_bytes.map(|b| format!("{:.1} MB", b as f64 / 1_000_000.0));
                                    let failed = rec.status == RecordingStatus::Failed;
                                    view! {
                                        <li class="card recording" data-testid="recording-item">
                                            {if failed {
                                                view! {
                                                    <div class="recording-failed" role="status">
                                                        <p>"This recording failed."</p>
                                                        <p class="muted small">{rec.error.clone()}</p>
                                                    </div>
                                                }.into_any()
                                            } else {
                                                view! {
                                                    <video class="video" controls=true preload="metadata" playsinline=true
                                                        src=rec.playback_url.clone()></video>
                                                }.into_any()
                                            }}
                                            <p class="recording-meta">
                                                <span>{when}</span>
                                                <span class="muted">{length}</span>
                                                <span class="muted">{size}</span>
                                            </p>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Ok(_) => view! {
                        <Notice title="No recordings yet" body="This stream has no finished recordings.">
                            <a href="/" class="button">"Go home"</a>
                        </Notice>
                    }.into_any(),
                    Err(failure) if failure.is(ErrorCode::RecordingUnavailable) => view! {
                        <Notice title="Recording is not available" body="This server is not set up to record streams.">
                            <a href="/" class="button">"Go home"</a>
                        </Notice>
                    }.into_any(),
                    Err(failure) => view! {
                        <Notice title="Recordings could not be loaded" body=failure.message>
                            <a href="/" class="button">"Go home"</a>
                        </Notice>
                    }.into_any(),
                })}
            </Suspense>
        </Shell>
    }
}
