//! "Stream from OBS" in the studio: the host asks for an RTMP (or WHIP) endpoint, and gets the
//! server URL and the stream key to paste into OBS (Settings → Stream → Service "Custom"), each
//! with a copy button. The key is hidden until asked for: it lets anyone broadcast into the
//! stream. The endpoint is LiveKit's ingress; deleting it cuts the encoder off.

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::{ErrorCode, IngressInfo, IngressInputType, RoomId};

use crate::api;
use crate::components::copy_with_feedback;
use crate::components::icons::{Glyph, Icon};

#[derive(Debug, Clone, PartialEq, Eq)]
enum ObsState {
    /// Asking the server whether the stream has an endpoint already (a reloaded studio).
    Loading,
    None,
    Creating,
    Ready(IngressInfo),
    Deleting(IngressInfo),
}

/// The studio's OBS panel.
#[component]
pub fn ObsPanel(room_id: Option<RoomId>, host_key: Option<String>) -> impl IntoView {
    let state = RwSignal::new(ObsState::Loading);
    let error = RwSignal::new(None::<String>);
    let input = RwSignal::new(IngressInputType::Rtmp);
    let show_key = RwSignal::new(false);
    let target = room_id.zip(host_key);
    let target = StoredValue::new(target);
    target.with_value(|target| {
        let Some((room_id, host_key)) = target.clone() else {
            return;
        };
        spawn_local(async move {
            match api::find_ingress(&room_id, &host_key).await {
                Ok(Some(found)) => state.set(ObsState::Ready(found)),
                Ok(None) => state.set(ObsState::None),
                // Not set up on this server: the button says so when pressed.
                Err(_) => state.set(ObsState::None),
            }
        });
    });
    let create = move |_| {
        let Some((room_id, host_key)) = target.get_value() else {
            return;
        };
        state.set(ObsState::Creating);
        error.set(None);
        spawn_local(async move {
            match api::create_ingress(&room_id, input.get_untracked(), &host_key).await {
                Ok(created) => state.set(ObsState::Ready(created)),
                Err(failure) if failure.is(ErrorCode::IngressExists) => {
                    match api::find_ingress(&room_id, &host_key).await {
                        Ok(Some(found)) => state.set(ObsState::Ready(found)),
                        _ => state.set(ObsState::None),
                    }
                }
                Err(failure) => {
                    state.set(ObsState::None);
                    error.set(Some(if failure.is(ErrorCode::IngressUnavailable) {
                        "Streaming from OBS is not set up on this server (its LiveKit has no ingress).".into()
                    } else {
                        failure.message
                    }));
                }
            }
        });
    };
    let delete = move |_| {
        let Some((room_id, host_key)) = target.get_value() else {
            return;
        };
        let ObsState::Ready(current) = state.get_untracked() else {
            return;
        };
        state.set(ObsState::Deleting(current.clone()));
        error.set(None);
        spawn_local(async move {
            match api::delete_ingress(&room_id, &host_key).await {
                Ok(()) => state.set(ObsState::None),
                Err(failure) if failure.is(ErrorCode::IngressNotFound) => state.set(ObsState::None),
                Err(failure) => {
                    state.set(ObsState::Ready(current));
                    error.set(Some(failure.message));
                }
            }
        });
    };
    let endpoint = move || match state.get() {
        ObsState::Ready(info) | ObsState::Deleting(info) => Some(info),
        _ => None,
    };

    view! {
        <section class="panel obs" aria-label="Stream from OBS">
            <h2 class="panel-title">"Stream from OBS"</h2>
            <Show
                when=move || endpoint().is_some()
                fallback=move || view! {
                    <p class="muted small">"Send from OBS or any encoder instead of this browser's camera."</p>
                    <div class="obs-form">
                        <select
                            aria-label="Protocol"
                            on:change=move |ev| input.set(if event_target_value(&ev) == "whip" {
                                IngressInputType::Whip
                            } else {
                                IngressInputType::Rtmp
                            })
                        >
                            <option value="rtmp" selected=true>"RTMP (OBS “Custom”)"</option>
                            <option value="whip">"WHIP (WebRTC, OBS 30+)"</option>
                        </select>
                        <button
                            data-testid="stream-from-obs"
                            class="button"
                            disabled=move || matches!(state.get(), ObsState::Loading | ObsState::Creating)
                            on:click=create
                        >{move || if state.get() == ObsState::Creating { "Creating…" } else { "Get stream key" }}</button>
                    </div>
                }
            >
                {move || endpoint().map(|info| view! {
                    <CopyField label="Server" testid="ingress-url" value=info.url.clone() secret=false show=show_key/>
                    <CopyField label="Stream key" testid="ingress-key" value=info.stream_key.clone() secret=true show=show_key/>
                    <div class="obs-actions">
                        <span class="muted small">{match info.input_type {
                            IngressInputType::Rtmp => "RTMP: viewers see OBS once it starts streaming.",
                            IngressInputType::Whip => "WHIP: viewers see OBS once it starts streaming.",
                        }}</span>
                        <button
                            data-testid="delete-ingress"
                            class="button button-small button-ghost"
                            disabled=move || matches!(state.get(), ObsState::Deleting(_))
                            on:click=delete
                        >"Delete key"</button>
                    </div>
                })}
            </Show>
            <p class="media-error" role="alert">{move || error.get()}</p>
        </section>
    }
}

/// A read-only value with a copy button; a secret one is hidden until shown.
#[component]
fn CopyField(
    label: &'static str,
    testid: &'static str,
    value: String,
    secret: bool,
    show: RwSignal<bool>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let to_copy = value.clone();
    let copy = move |_| copy_with_feedback(to_copy.clone(), copied);
    view! {
        <div class="field obs-field">
            <label>{label}</label>
            <div class="obs-row">
                <input
                    data-testid=testid
                    type=move || if secret && !show.get() { "password" } else { "text" }
                    readonly=true
                    aria-label=label
                    prop:value=value.clone()
                    on:focus=move |ev| { event_target::<web_sys::HtmlInputElement>(&ev).select(); }
                />
                {secret.then(|| view! {
                    <button class="button button-small button-ghost" aria-pressed=move || show.get().to_string()
                        on:click=move |_| show.update(|s| *s = !*s)>
                        {move || if show.get() { "Hide" } else { "Show" }}
                    </button>
                })}
                <button class="button button-small" data-testid=format!("copy-{testid}") on:click=copy>
                    <Icon glyph=Glyph::Copy/>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}
