//! OnAir in the browser: Leptos client-side pages, one small app per page (`src/bin/`), so each
//! page downloads only its own code. Pages talk to the OnAir API (`api`) and to LiveKit through
//! typed bindings (`bindings`), the only code that handles JavaScript values. Moving between
//! pages is a normal page load: the server maps each path to its page (see `crate::route`).

mod api;
mod bindings;
mod components;
pub mod pages;
mod route;
mod session;
mod storage;

/// Mounts `page` as the whole document body, with panics reported in the console.
pub fn start<V: leptos::IntoView + 'static>(page: impl FnOnce() -> V + 'static) {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(page);
}
