//! Who is signed in (`GET /api/me`): the header's "Signed in as …" with "Sign out".
//! Creators sign in on the home page; the session is an HttpOnly cookie the app never sees.

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::{AccessMode, Me};

use crate::api;
use crate::bindings::browser;

/// What `/api/me` says; when it cannot be asked, an open server nobody is signed in to (a
/// server that needs a sign-in still says so when a stream is created).
pub async fn fetch_me() -> Me {
    match api::me().await {
        Ok(me) => me,
        Err(failure) => {
            browser::warn(&format!("OnAir: who is signed in: {}", failure.message));
            Me {
                signed_in: false,
                name: None,
                email: None,
                via: None,
                access_mode: AccessMode::Open,
                sign_in_methods: Vec::new(),
            }
        }
    }
}

/// Asks the server who this browser is signed in as, into `me`.
pub fn load_me(me: RwSignal<Option<Me>>) {
    spawn_local(async move {
        let answer = fetch_me().await;
        let _ = me.try_set(Some(answer));
    });
}

/// The name to show for a signed-in creator.
pub fn display_name(me: &Me) -> Option<String> {
    if !me.signed_in {
        return None;
    }
    Some(
        me.name
            .clone()
            .filter(|name| !name.trim().is_empty())
            .or_else(|| me.email.clone())
            .unwrap_or_else(|| "a creator".to_owned()),
    )
}

/// "Signed in as NAME" and "Sign out", while signed in; nothing otherwise.
#[component]
pub fn AccountBadge(me: RwSignal<Option<Me>>) -> impl IntoView {
    let busy = RwSignal::new(false);
    let name = Memo::new(move |_| me.with(|me| me.as_ref().and_then(display_name)));
    let sign_out = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            if let Err(failure) = api::sign_out().await {
                browser::warn(&format!("OnAir: signing out: {}", failure.message));
            }
            let answer = fetch_me().await;
            let _ = me.try_set(Some(answer));
            let _ = busy.try_set(false);
        });
    };
    move || {
        name.get().map(|name| {
            view! {
                <div class="account">
                    <span class="account-name" data-testid="signed-in-as" title=format!("Signed in as {name}")>
                        "Signed in as " <strong>{name.clone()}</strong>
                    </span>
                    <button
                        data-testid="sign-out"
                        type="button"
                        class="button button-small button-ghost"
                        disabled=move || busy.get()
                        on:click=sign_out
                    >"Sign out"</button>
                </div>
            }
        })
    }
}
