//! Any path the app does not know.

use leptos::prelude::*;

use crate::components::layout::{Notice, Shell};

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <Shell>
            <Notice title="Page not found" body="There is nothing at this address.">
                <a href="/" class="button">"Go home"</a>
            </Notice>
        </Shell>
    }
}
