//! OnAir in the browser: a Leptos client-side app. Pages talk to the OnAir API (`api`) and to
//! LiveKit through typed bindings (`bindings`), the only code that handles JavaScript values.

mod api;
mod app;
mod bindings;
mod components;
mod pages;
mod session;
mod storage;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
