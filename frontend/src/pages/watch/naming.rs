//! The name prompt: a viewer watches under a neutral name, and is asked for their own the
//! first time they chat or raise a hand (or when they ask to change it). The name is
//! remembered in this browser and reaches everyone in the room through the server (LiveKit's
//! UpdateParticipant, on the viewer's own token); then what waited for it goes on.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::DisplayName;
use onair_api::names::DISPLAY_NAME_MAX_CHARS;

use super::state::Viewer;
use crate::api;
use crate::components::layout::focus_when_shown;
use crate::storage;

#[component]
pub(super) fn NamePrompt(viewer: Viewer) -> impl IntoView {
    let gate = viewer.name;
    let typed = RwSignal::new(gate.chosen.get_untracked().unwrap_or_default());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let input_ref = NodeRef::<html::Input>::new();
    focus_when_shown(input_ref);
    let submit = move || {
        if busy.get_untracked() {
            return;
        }
        match DisplayName::parse(&typed.get_untracked()) {
            Ok(name) => {
                busy.set(true);
                spawn_local(async move {
                    match choose_name(viewer, name).await {
                        Ok(()) => {}
                        Err(message) => {
                            let _ = error.try_set(Some(message));
                        }
                    }
                    let _ = busy.try_set(false);
                });
            }
            Err(err) => error.set(Some(format!("Your name {err}."))),
        }
    };
    view! {
        <div
            class="modal-backdrop"
            on:click=move |_| gate.cancel()
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    gate.cancel();
                }
            }
        >
            <section class="modal card" role="dialog" aria-modal="true" aria-labelledby="name-prompt-title"
                on:click=|ev| ev.stop_propagation()>
                <h2 id="name-prompt-title">"Your name in the chat"</h2>
                <p class="muted">"Everyone in the stream sees it beside your messages and your raised hand."</p>
                <form
                    on:submit=move |ev| {
                        ev.prevent_default();
                        submit();
                    }
                >
                    <div class="field" class:invalid=move || error.with(Option::is_some)>
                        <label class="sr-only" for="viewer-name">"Your name"</label>
                        <input
                            id="viewer-name"
                            node_ref=input_ref
                            data-testid="viewer-name-input"
                            type="text"
                            autocomplete="nickname"
                            placeholder="Your name"
                            maxlength=DISPLAY_NAME_MAX_CHARS
                            aria-describedby="viewer-name-error"
                            prop:value=move || typed.get()
                            on:input=move |ev| {
                                error.set(None);
                                typed.set(event_target_value(&ev));
                            }
                        />
                        <p id="viewer-name-error" class="field-error" role="alert">{move || error.get()}</p>
                    </div>
                    <div class="modal-actions">
                        <button type="button" class="button" on:click=move |_| gate.cancel()>"Cancel"</button>
                        <button data-testid="join-stream" type="submit" class="button button-primary" disabled=move || busy.get()>
                            "Continue"
                        </button>
                    </div>
                </form>
            </section>
        </div>
    }
}

/// Shows the viewer as `name` to everyone, remembers it, and lets what waited for it go on.
async fn choose_name(viewer: Viewer, name: DisplayName) -> Result<(), String> {
    let room_id = viewer.room_id.get_value();
    let token = viewer.participant_token.get_value();
    // In the room: everyone hears of the new name from LiveKit. Not in yet: the next token is
    // asked under it.
    if let (Some(room_id), Some(token)) = (room_id, token) {
        api::choose_name(&room_id, &token, &name)
            .await
            .map_err(|failure| failure.message)?;
        // Our own messages show under it at once, before LiveKit's word comes back.
        viewer.live.me.update(|me| {
            if let Some(me) = me {
                me.name = name.to_string();
            }
        });
    }
    storage::save_viewer_name(name.as_str());
    viewer.name.choose(name.to_string());
    Ok(())
}
