//! Home: a streamer names themself (and optionally the stream, and a passcode for a private
//! one) and goes to the studio. On a server where only signed-in creators may go live, a
//! sign-in card (the identity provider, or a creator key) comes first.

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::names::{DISPLAY_NAME_MAX_CHARS, TITLE_MAX_CHARS};
use onair_api::{AccessMode, ErrorCode, Me, SignInMethod};

use crate::api;
use crate::bindings::browser;
use crate::components::account::{self, AccountBadge, fetch_me};
use crate::components::layout::Shell;
use crate::components::passcode::too_many_tries;
use crate::storage::{self, HostCredentials};

/// Where the identity provider sends the creator back to.
const SIGN_IN_HREF: &str = "/auth/login?returnTo=/";

/// Which card the home page shows under its headline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Card {
    SignIn,
    Create,
}

#[component]
pub fn Home() -> impl IntoView {
    let me = RwSignal::new(None::<Me>);
    account::load_me(me);
    // Creating a stream answered `sign_in_required` (a session that ran out, say).
    let sign_in_needed = RwSignal::new(false);
    let card = Memo::new(move |_| {
        let needed = sign_in_needed.get();
        me.with(|me| {
            me.as_ref().map(|me| {
                if !me.signed_in && (me.access_mode == AccessMode::Private || needed) {
                    Card::SignIn
                } else {
                    Card::Create
                }
            })
        })
    });

    let host_name = RwSignal::new(storage::viewer_name().unwrap_or_default());
    let title = RwSignal::new(String::new());
    let private = RwSignal::new(false);
    let passcode = RwSignal::new(String::new());
    let name_error = RwSignal::new(None::<String>);
    let title_error = RwSignal::new(None::<String>);
    let passcode_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let create = move || {
        if busy.get_untracked() {
            return;
        }
        name_error.set(None);
        title_error.set(None);
        passcode_error.set(None);
        form_error.set(None);
        let passcode = private.get_untracked().then(|| passcode.get_untracked());
        busy.set(true);
        spawn_local(async move {
            let name = host_name.get_untracked();
            let created =
                api::create_room(&name, &title.get_untracked(), passcode.as_deref()).await;
            match created {
                Ok(created) => {
                    let credentials = HostCredentials {
                        host_key: created.host_key,
                        host_name: name.trim().to_owned(),
                        passcode,
                    };
                    storage::save_host(&created.room_id, &credentials);
                    storage::save_viewer_name(name.trim());
                    browser::go_to(&format!("/host/{}", created.room_id));
                }
                Err(failure) if failure.is(ErrorCode::SignInRequired) => {
                    busy.set(false);
                    sign_in_needed.set(true);
                    account::load_me(me);
                }
                Err(failure) => {
                    let message = failure
                        .message
                        .split_once(": ")
                        .map_or(failure.message.clone(), |(_, m)| m.to_owned());
                    match failure.field.as_deref() {
                        Some("hostName") => name_error.set(Some(format!("Your name {message}."))),
                        Some("title") => title_error.set(Some(format!("The title {message}."))),
                        Some("passcode") => {
                            passcode_error.set(Some(format!("The passcode {message}.")))
                        }
                        _ => form_error.set(Some(failure.message)),
                    }
                    busy.set(false);
                }
            }
        });
    };

    let create_form = move || {
        view! {
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
                <label class="check-field">
                    <input
                        data-testid="stream-private-toggle"
                        type="checkbox"
                        prop:checked=move || private.get()
                        on:change=move |ev| {
                            private.set(event_target_checked(&ev));
                            passcode_error.set(None);
                        }
                    />
                    "Private stream (passcode)"
                </label>
                <Show when=move || private.get()>
                    <div class="field" class:invalid=move || passcode_error.with(Option::is_some)>
                        <label for="stream-passcode">"Passcode"</label>
                        <input
                            id="stream-passcode"
                            data-testid="stream-passcode-input"
                            type="text"
                            autocomplete="off"
                            spellcheck="false"
                            placeholder="4 to 64 characters"
                            aria-describedby="stream-passcode-hint stream-passcode-error"
                            aria-invalid=move || passcode_error.with(Option::is_some).to_string()
                            prop:value=move || passcode.get()
                            on:input=move |ev| passcode.set(event_target_value(&ev))
                        />
                        <p id="stream-passcode-hint" class="muted small field-hint">"Viewers must enter it to watch, chat or replay."</p>
                        <p id="stream-passcode-error" class="field-error" role="alert">{move || passcode_error.get()}</p>
                    </div>
                </Show>
                <p class="form-error" role="alert">{move || form_error.get()}</p>
                <button data-testid="create-stream" type="submit" class="button button-primary button-large" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create stream" }}
                </button>
                <p class="muted small">"Your camera and microphone start in the studio. Nothing is public until you share the link."</p>
            </form>
        }
    };

    view! {
        <Shell aside=move || view! { <AccountBadge me=me/> }>
            <section class="hero">
                <h1>"Go live from your browser."</h1>
                <p class="lead">
                    "Start a stream, share the link, and chat with everyone watching — with less than a second of delay."
                </p>
            </section>
            {move || match card.get() {
                // Until the server has said who this is: neither card.
                None => ().into_any(),
                Some(Card::SignIn) => view! { <SignInCard me=me needed=sign_in_needed/> }.into_any(),
                Some(Card::Create) => create_form().into_any(),
            }}
        </Shell>
    }
}

/// Signing in before going live: through the identity provider, or with a creator key.
#[component]
fn SignInCard(me: RwSignal<Option<Me>>, needed: RwSignal<bool>) -> impl IntoView {
    let (methods, private) = me.with_untracked(|me| {
        me.as_ref().map_or((Vec::new(), false), |me| {
            (
                me.sign_in_methods.clone(),
                me.access_mode == AccessMode::Private,
            )
        })
    });
    let oidc = methods.contains(&SignInMethod::Oidc);
    let creator_key = methods.contains(&SignInMethod::CreatorKey);
    let key = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move || {
        if busy.get_untracked() {
            return;
        }
        let typed = key.get_untracked();
        if typed.trim().is_empty() {
            error.set(Some("Enter your creator key.".to_owned()));
            return;
        }
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            match api::sign_in_with_key(&typed).await {
                Ok(()) => {
                    let now = fetch_me().await;
                    if now.signed_in {
                        needed.set(false);
                    } else {
                        error.set(Some(
                            "The key was accepted, but this browser did not keep the session: \
                             allow cookies for this site and try again."
                                .to_owned(),
                        ));
                        busy.set(false);
                    }
                    me.set(Some(now));
                }
                Err(failure) => {
                    error.set(Some(if failure.is(ErrorCode::CreatorKeyRejected) {
                        "That creator key is not valid here.".to_owned()
                    } else if failure.is(ErrorCode::RateLimited) {
                        too_many_tries(failure.retry_after_seconds)
                    } else if failure.is(ErrorCode::SignInUnavailable) {
                        "This server does not take creator keys.".to_owned()
                    } else if failure.field.as_deref() == Some("key") {
                        "That creator key is not valid here.".to_owned()
                    } else {
                        failure.message
                    }));
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <section class="card create-form sign-in-card">
            <h2>"Sign in to go live"</h2>
            <p class="muted">{if private {
                "On this server, only signed-in creators can start streams."
            } else {
                "Sign in to start a stream."
            }}</p>
            {oidc.then(|| view! {
                <a data-testid="sign-in" href=SIGN_IN_HREF class="button button-primary button-large">"Sign in"</a>
            })}
            {(oidc && creator_key).then(|| view! {
                <p class="or-line muted small"><span>"or use a creator key"</span></p>
            })}
            {creator_key.then(|| view! {
                <form
                    class="key-form"
                    novalidate=true
                    on:submit=move |ev| {
                        ev.prevent_default();
                        submit();
                    }
                >
                    <div class="field" class:invalid=move || error.with(Option::is_some)>
                        <label for="creator-key">"Creator key"</label>
                        <input
                            id="creator-key"
                            data-testid="creator-key-input"
                            type="password"
                            autocomplete="off"
                            spellcheck="false"
                            aria-describedby="creator-key-error"
                            aria-invalid=move || error.with(Option::is_some).to_string()
                            prop:value=move || key.get()
                            on:input=move |ev| key.set(event_target_value(&ev))
                        />
                        <p id="creator-key-error" class="field-error" role="alert">{move || error.get()}</p>
                    </div>
                    <button
                        data-testid="creator-key-submit"
                        type="submit"
                        class="button button-large"
                        class:button-primary=!oidc
                        disabled=move || busy.get()
                    >
                        {move || if busy.get() { "Signing in…" } else { "Sign in with key" }}
                    </button>
                </form>
            })}
            {(!oidc && !creator_key).then(|| view! {
                <p class="form-error" role="alert">
                    "This server offers no way to sign in. Ask its operator for access."
                </p>
            })}
        </section>
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
