//! Any path the app does not know.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::layout::{Notice, Shell};

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <Shell>
            <Notice title="Page not found" body="There is nothing at this address.">
                <A href="/" attr:class="button">"Go home"</A>
            </Notice>
        </Shell>
    }
}
