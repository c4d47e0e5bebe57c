//! The passcode of a passcode stream: the prompt the viewer and replay pages show instead of
//! the stream, and what to say when the server refuses a passcode.

use leptos::html;
use leptos::prelude::*;
use onair_api::ErrorCode;

use crate::api::ApiFailure;
use crate::components::icons::{Glyph, Icon};
use crate::components::layout::focus_when_shown;

/// A passcode the server refused.
pub const WRONG_PASSCODE: &str = "That passcode is not right.";

/// "Too many tries — wait N s" (429 `rate_limited`).
pub fn too_many_tries(retry_after_seconds: Option<u64>) -> String {
    match retry_after_seconds {
        Some(seconds) => format!("Too many tries — wait {seconds} s"),
        None => "Too many tries — wait a moment".to_owned(),
    }
}

/// What to tell someone whose passcode `failure` answers, when it is about the passcode.
pub fn refusal(failure: &ApiFailure) -> Option<String> {
    if failure.is(ErrorCode::PasscodeWrong)
        || (failure.is(ErrorCode::InvalidField) && failure.field.as_deref() == Some("passcode"))
    {
        Some(WRONG_PASSCODE.to_owned())
    } else if failure.is(ErrorCode::RateLimited) {
        Some(too_many_tries(failure.retry_after_seconds))
    } else {
        None
    }
}

/// Asks for the passcode; `on_submit` gets what was typed (never blank) and says how it went
/// through `error` and `busy`.
#[component]
pub fn PasscodePrompt(
    #[prop(into)] title: String,
    #[prop(into)] body: String,
    error: RwSignal<Option<String>>,
    #[prop(into)] busy: Signal<bool>,
    on_submit: impl Fn(String) + 'static,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let input_ref = NodeRef::<html::Input>::new();
    focus_when_shown(input_ref);
    let submit = move || {
        if busy.get_untracked() {
            return;
        }
        let passcode = typed.get_untracked();
        if passcode.is_empty() {
            error.set(Some("Enter the passcode.".to_owned()));
            return;
        }
        error.set(None);
        on_submit(passcode);
    };
    view! {
        <section class="card join-card passcode-card">
            <p class="eyebrow eyebrow-quiet lock-line"><Icon glyph=Glyph::Lock/>"Private stream"</p>
            <h1>{title}</h1>
            <p class="muted">{body}</p>
            <form
                class="join-form"
                novalidate=true
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit();
                }
            >
                <div class="field" class:invalid=move || error.with(Option::is_some)>
                    <label for="stream-passcode">"Passcode"</label>
                    <input
                        id="stream-passcode"
                        node_ref=input_ref
                        data-testid="passcode-input"
                        type="password"
                        autocomplete="off"
                        spellcheck="false"
                        aria-describedby="stream-passcode-error"
                        aria-invalid=move || error.with(Option::is_some).to_string()
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                    <p id="stream-passcode-error" class="field-error" role="alert">{move || error.get()}</p>
                </div>
                <button
                    data-testid="passcode-submit"
                    type="submit"
                    class="button button-primary button-large"
                    disabled=move || busy.get()
                >
                    {move || if busy.get() { "Checking…" } else { "Continue" }}
                </button>
            </form>
        </section>
    }
}
