//! The replay page, `/recordings/:roomId`: the stream's finished recordings, played in the
//! browser from presigned URLs.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use onair_api::{ErrorCode, RoomId};

use crate::api;
use crate::components::layout::{Notice, Shell};

#[component]
pub fn RecordingsPage() -> impl IntoView {
    let params = use_params_map();
    let room_id = params
        .with_untracked(|p| p.get("id"))
        .and_then(|raw| RoomId::parse(&raw).ok());
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
                            <ul class="recording-list">
                                {list.recordings.into_iter().map(|rec| view! {
                                    <li class="card recording" data-testid="recording-item">
                                        <video class="video" controls=true preload="metadata" src=rec.playback_url.clone()></video>
                                        <p class="muted small">{rec.file_path}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Ok(_) => view! {
                        <Notice title="No recordings yet" body="This stream has no finished recordings.">
                            <A href="/" attr:class="button">"Go home"</A>
                        </Notice>
                    }.into_any(),
                    Err(failure) if failure.is(ErrorCode::RecordingUnavailable) => view! {
                        <Notice title="Recording is not available" body="This server is not set up to record streams.">
                            <A href="/" attr:class="button">"Go home"</A>
                        </Notice>
                    }.into_any(),
                    Err(failure) => view! {
                        <Notice title="Recordings could not be loaded" body=failure.message>
                            <A href="/" attr:class="button">"Go home"</A>
                        </Notice>
                    }.into_any(),
                })}
            </Suspense>
        </Shell>
    }
}
