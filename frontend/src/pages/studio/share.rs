//! The share panel: the stream's link with a copy button and, for a passcode stream, the
//! passcode (hidden until asked) and whether the link carries it.

use leptos::prelude::*;

use super::state::Studio;
use crate::bindings::browser;
use crate::components::copy_with_feedback;
use crate::components::icons::{Glyph, Icon};

/// The share link of the stream, to copy and send.
#[component]
pub(super) fn SharePanel(studio: Studio) -> impl IntoView {
    let share_url = studio
        .room_id
        .get_value()
        .map(|id| {
            let origin = web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default();
            format!("{origin}/stream/{id}")
        })
        .unwrap_or_default();
    let copied = RwSignal::new(false);
    let passcode = studio.passcode();
    // A passcode stream's link can carry the passcode in its fragment, which browsers never
    // send to the server: whoever has that link gets in without typing it.
    let with_passcode = RwSignal::new(false);
    let share_link = {
        let passcode = passcode.clone();
        Signal::derive(move || match passcode.as_deref() {
            Some(passcode) if with_passcode.get() => {
                format!("{share_url}#pc={}", browser::encode_uri_component(passcode))
            }
            _ => share_url.clone(),
        })
    };
    let copy = move |_| copy_with_feedback(share_link.get_untracked(), copied);
    view! {
        <section class="panel share" aria-label="Share">
            <h2 class="panel-title">
                "Share link"
                {passcode.is_some().then(|| view! {
                    <span class="lock-badge" title="Viewers need the passcode"><Icon glyph=Glyph::Lock/>"Private"</span>
                })}
            </h2>
            <div class="share-row">
                <input data-testid="share-link" class="share-input" type="text" readonly=true
                    aria-label="Share link" prop:value=move || share_link.get()
                    on:focus=move |ev| { event_target::<web_sys::HtmlInputElement>(&ev).select(); }
                />
                <button data-testid="copy-link" class="button" on:click=copy>
                    <Icon glyph=Glyph::Copy/>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
            {passcode.map(|passcode| view! { <PasscodeShare passcode=passcode with_passcode=with_passcode/> })}
        </section>
    }
}

/// The share panel's passcode: hidden until shown, with a copy button, and whether the link
/// carries it.
#[component]
fn PasscodeShare(passcode: String, with_passcode: RwSignal<bool>) -> impl IntoView {
    let shown = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let to_copy = passcode.clone();
    let copy = move |_| copy_with_feedback(to_copy.clone(), copied);
    view! {
        <div class="passcode-row">
            <span class="passcode-label"><Icon glyph=Glyph::Lock/>"Passcode:"</span>
            <code class="passcode-value" aria-label=move || if shown.get() { "Passcode" } else { "Passcode, hidden" }>
                {move || if shown.get() { passcode.clone() } else { "••••".to_owned() }}
            </code>
            <button
                class="button button-small button-ghost"
                aria-pressed=move || shown.get().to_string()
                on:click=move |_| shown.update(|s| *s = !*s)
            >{move || if shown.get() { "Hide" } else { "Show" }}</button>
            <button data-testid="copy-passcode" class="button button-small" on:click=copy>
                <Icon glyph=Glyph::Copy/>
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </div>
        <label class="check-field small">
            <input
                data-testid="share-with-passcode"
                type="checkbox"
                prop:checked=move || with_passcode.get()
                on:change=move |ev| with_passcode.set(event_target_checked(&ev))
            />
            "Include passcode in link"
        </label>
        <p class="muted small share-note">{move || if with_passcode.get() {
            "Anyone with this link gets in without typing the passcode."
        } else {
            "Viewers need the passcode to watch: send it separately."
        }}</p>
    }
}
