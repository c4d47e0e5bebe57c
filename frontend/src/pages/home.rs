//! Home: a streamer names themself (and optionally the stream) and goes to the studio.

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::names::{DISPLAY_NAME_MAX_CHARS, TITLE_MAX_CHARS};

use crate::api;
use crate::bindings::browser;
use crate::components::layout::Shell;
use crate::storage::{self, HostCredentials};

#[component]
pub fn Home() -> impl IntoView {
    let host_name = RwSignal::new(storage::viewer_name().unwrap_or_default());
    let title = RwSignal::new(String::new());
    let name_error = RwSignal::new(None::<String>);
    let title_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let create = move || {
        if busy.get_untracked() {
            return;
        }
        name_error.set(None);
        title_error.set(None);
        form_error.set(None);
        busy.set(true);
        spawn_local(async move {
            let name = host_name.get_untracked();
            match api::create_room(&name, &title.get_untracked()).await {
                Ok(created) => {
                    let credentials = HostCredentials {
                        host_key: created.host_key,
                        host_name: name.trim().to_owned(),
                    };
                    storage::save_host(&created.room_id, &credentials);
                    storage::save_viewer_name(name.trim());
                    browser::go_to(&format!("/host/{}", created.room_id));
                }
                Err(failure) => {
                    let message = failure
                        .message
                        .split_once(": ")
                        .map_or(failure.message.clone(), |(_, m)| m.to_owned());
                    match failure.field.as_deref() {
                        Some("hostName") => name_error.set(Some(format!("Your name {message}."))),
                        Some("title") => title_error.set(Some(format!("The title {message}."))),
                        _ => form_error.set(Some(failure.message)),
                    }
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <Shell>
            <section class="hero">
                <h1>"Go live from your browser."</h1>
                <p class="lead">
                    "Start a stream, share the link, and chat with everyone watching — with less than a second of delay."
                </p>
            </section>
            <form
                class="card create-form"
                novalidate=true
                on:submit=move |ev| {
                    ev.prevent_default();
                    create();
                }
            >
                <h2>"Start a stream"</h2>
                <div class="field" class:invalid=move || name_error.with(Option::is_some)>
                    <label for="host-name">"Your name"</label>
                    <input
                        id="host-name"
                        data-testid="host-name-input"
                        type="text"
                        autocomplete="nickname"
                        placeholder="How viewers will see you"
                        maxlength=DISPLAY_NAME_MAX_CHARS
                        required=true
                        aria-describedby="host-name-error"
                        aria-invalid=move || name_error.with(Option::is_some).to_string()
                        prop:value=move || host_name.get()
                        on:input=move |ev| host_name.set(event_target_value(&ev))
                    />
                    <p id="host-name-error" class="field-error" role="alert">{move || name_error.get()}</p>
                </div>
                <div class="field" class:invalid=move || title_error.with(Option::is_some)>
                    <label for="stream-title">"Title " <span class="muted">"(optional)"</span></label>
                    <input
                        id="stream-title"
                        data-testid="stream-title-input"
                        type="text"
                        placeholder="What is this stream about?"
                        maxlength=TITLE_MAX_CHARS
                        aria-describedby="stream-title-error"
                        aria-invalid=move || title_error.with(Option::is_some).to_string()
                        prop:value=move || title.get()
                        on:input=move |ev| title.set(event_target_value(&ev))
                    />
                    <p id="stream-title-error" class="field-error" role="alert">{move || title_error.get()}</p>
                </div>
                <p class="form-error" role="alert">{move || form_error.get()}</p>
                <button data-testid="create-stream" type="submit" class="button button-primary button-large" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create stream" }}
                </button>
                <p class="muted small">"Your camera and microphone start in the studio. Nothing is public until you share the link."</p>
            </form>
        </Shell>
    }
}

/// What the home app shows: the home page at `/`, "not found" anywhere else (the server sends
/// this app, with a 404 status, for every path it does not know).
#[component]
pub fn HomeOrNotFound() -> impl IntoView {
    if crate::route::current_path() == "/" {
        Home().into_any()
    } else {
        super::not_found::NotFound().into_any()
    }
}
