//! The replay page, `/recordings/:roomId`: the stream's finished recordings, played in the
//! browser from presigned URLs. A recording that broadcast the stream too offers its event
//! playlist as a second format ("Instant (HLS)": starts at once, seeks without the whole file),
//! played with hls.js. A passcode stream's recordings ask its passcode first (the one this tab
//! was let in with, or the link's `#pc=…`, is used by itself).

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::{ErrorCode, RecordingStatus};

use crate::api;
use crate::bindings::browser;
use crate::bindings::hls::HlsPlayer;
use crate::components::layout::{Notice, Shell};
use crate::components::passcode::{self, PasscodePrompt};
use crate::route;
use crate::storage;

#[component]
pub fn RecordingsPage() -> impl IntoView {
    let room_id = route::room_id_after("/recordings/");
    let from_link = browser::take_fragment_param("pc");
    let passcode =
        RwSignal::new(from_link.or_else(|| room_id.as_ref().and_then(storage::stream_passcode)));
    let passcode_error = RwSignal::new(None::<String>);
    let checking = RwSignal::new(false);
    let room = StoredValue::new(room_id.clone());
    let recordings = LocalResource::new(move || {
        let room_id = room_id.clone();
        let passcode = passcode.get();
        async move {
            let Some(id) = room_id else {
                return Ok(None);
            };
            let answer = api::list_recordings(&id, passcode.as_deref()).await;
            match (&answer, &passcode) {
                (Ok(_), Some(passcode)) => storage::save_stream_passcode(&id, passcode),
                // The passcode this tab held was refused: the prompt says why.
                (Err(failure), Some(_)) => {
                    if let Some(why) = passcode::refusal(failure) {
                        storage::forget_stream_passcode(&id);
                        passcode_error.set(Some(why));
                    }
                }
                _ => {}
            }
            answer.map(Some)
        }
    });
    // A typed passcode: checked here, so a wrong one is said on the prompt; a right one is
    // remembered for the tab and loads the list.
    let check = move |typed: String| {
        let Some(id) = room.get_value() else {
            return;
        };
        checking.set(true);
        spawn_local(async move {
            let answer = api::list_recordings(&id, Some(&typed)).await;
            checking.set(false);
            match answer {
                Ok(_) => {
                    storage::save_stream_passcode(&id, &typed);
                    passcode_error.set(None);
                    passcode.set(Some(typed));
                }
                Err(failure) => {
                    passcode_error.set(Some(passcode::refusal(&failure).unwrap_or(failure.message)))
                }
            }
        });
    };
    let asks_passcode = move |failure: &api::ApiFailure| {
        failure.is(ErrorCode::PasscodeRequired)
            || failure.is(ErrorCode::PasscodeWrong)
            || passcode_error.with_untracked(Option::is_some)
                && passcode::refusal(failure).is_some()
    };
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
                                                    <RecordingPlayer
                                                        mp4=rec.playback_url.clone()
                                                        hls=rec.hls_playlist_url.clone()
                                                        passcode=passcode.get_untracked()
                                                    />
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
                    Err(failure) if asks_passcode(&failure) => view! {
                        <PasscodePrompt
                            title="These recordings need a passcode"
                            body="Enter the stream's passcode to watch its recordings."
                            error=passcode_error
                            busy=checking
                            on_submit=check
                        />
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

/// How a recording plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReplayFormat {
    /// The MP4 file, from the bucket.
    Mp4,
    /// The broadcast's event playlist, through OnAir.
    Hls,
}

/// One recording's player: the MP4, and the broadcast's event playlist when it has one.
#[component]
fn RecordingPlayer(
    mp4: Option<String>,
    hls: Option<String>,
    passcode: Option<String>,
) -> impl IntoView {
    let format = RwSignal::new(ReplayFormat::Mp4);
    let has_hls = hls.is_some();
    let choice = move |which: ReplayFormat, label: &'static str, testid: &'static str| {
        view! {
            <button
                class="button button-ghost replay-format"
                data-testid=testid
                aria-pressed=move || (format.get() == which).to_string()
                on:click=move |_| format.set(which)
            >{label}</button>
        }
    };
    view! {
        {move || match (format.get(), hls.clone()) {
            (ReplayFormat::Hls, Some(url)) => {
                view! { <EventPlaylistVideo url=url passcode=passcode.clone()/> }.into_any()
            }
            _ => view! {
                <video class="video" controls=true preload="metadata" playsinline=true
                    data-testid="replay-video" data-format="mp4" src=mp4.clone()></video>
            }.into_any(),
        }}
        <Show when=move || has_hls>
            <div class="replay-formats" role="group" aria-label="Replay format">
                {choice(ReplayFormat::Mp4, "MP4 file", "replay-mp4")}
                {choice(ReplayFormat::Hls, "Instant (HLS)", "replay-hls")}
            </div>
        </Show>
    }
}

/// An event playlist playing from its start, with the browser's controls (chosen with a tap, so
/// it plays with sound).
#[component]
fn EventPlaylistVideo(url: String, passcode: Option<String>) -> impl IntoView {
    let video_ref = NodeRef::<leptos::html::Video>::new();
    let player = StoredValue::new_local(None::<HlsPlayer>);
    Effect::new(move |_| {
        let Some(video) = video_ref.get() else { return };
        if player.with_value(Option::is_none) {
            let started = HlsPlayer::play(&video, &url, passcode.clone(), |_| {});
            player.set_value(Some(started));
        }
    });
    on_cleanup(move || player.set_value(None));
    view! {
        <video class="video" controls=true playsinline=true node_ref=video_ref
            data-testid="replay-video" data-format="hls"></video>
    }
}
