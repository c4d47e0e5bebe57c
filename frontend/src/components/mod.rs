//! Pieces shared by pages.

pub mod account;
pub mod chat;
pub mod icons;
pub mod layout;
pub mod name_gate;
pub mod obs;
pub mod passcode;
pub mod reactions;
pub mod recorder;
pub mod stage;

use leptos::prelude::{RwSignal, Set};
use leptos::task::spawn_local;

/// Copies `text` to the clipboard and, when that worked, sets `copied` for two seconds (the
/// copy buttons' "Copied" feedback).
pub fn copy_with_feedback(text: String, copied: RwSignal<bool>) {
    spawn_local(async move {
        if crate::bindings::browser::copy_to_clipboard(&text).await {
            copied.set(true);
            gloo_timers::future::sleep(std::time::Duration::from_secs(2)).await;
            copied.set(false);
        }
    });
}
