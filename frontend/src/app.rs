//! The app's routes.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::pages::{
    home::Home, host::HostStudio, not_found::NotFound, recordings::RecordingsPage,
    viewer::ViewerPage,
};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Home/>
                <Route path=path!("/host/:id") view=HostStudio/>
                <Route path=path!("/stream/:id") view=ViewerPage/>
                <Route path=path!("/recordings/:id") view=RecordingsPage/>
            </Routes>
        </Router>
    }
}
