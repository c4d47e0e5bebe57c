//! The people on stage as tiles: the stream's main picture (the host's, or the encoder's) and
//! the guests the host invited, up to three. One tile fills the stage, two share it side by
//! side, three or four make a two-by-two grid — on a phone as on a desktop.

use leptos::prelude::*;

use crate::components::layout::VideoView;
use crate::session::{Guest, RoomState};

/// The stage's tiles; `children` is the main picture, named `main_label` once guests share the
/// stage.
#[component]
pub fn StageGrid(
    live: RoomState,
    #[prop(into)] main_label: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    let guests = Memo::new(move |_| live.guests());
    let label = move || main_label.get().filter(|_| guests.with(|g| !g.is_empty()));
    view! {
        <div class="stage-grid" data-tiles=move || 1 + guests.with(Vec::len)>
            <div class="tile tile-main">
                {children()}
                {move || label().map(|name| view! { <span class="tile-name">{name}</span> })}
            </div>
            <For
                each=move || guests.get()
                key=|guest| (guest.identity.clone(), guest.video.clone())
                children=move |guest| view! { <GuestTile live=live guest=guest/> }
            />
        </div>
    }
}

#[component]
fn GuestTile(live: RoomState, guest: Guest) -> impl IntoView {
    let initial = guest
        .name
        .chars()
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    let label = if guest.is_local {
        format!("{} (you)", guest.name)
    } else {
        guest.name.clone()
    };
    let picture = match guest.video {
        Some(sid) => view! {
            <VideoView
                room=live.room
                track_sid=Signal::derive(move || Some(sid.clone()))
                mirrored=guest.is_local
                testid="stage-video"
            />
        }
        .into_any(),
        None => view! { <div class="tile-initial" aria-hidden="true">{initial}</div> }.into_any(),
    };
    view! {
        <div class="tile" data-testid="stage-guest">
            {picture}
            <span class="tile-name">{label}</span>
        </div>
    }
}
