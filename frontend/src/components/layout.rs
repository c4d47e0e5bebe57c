//! The frame around every page, status pills, video and small shared widgets.

use leptos::html;
use leptos::prelude::*;

use crate::session::RoomHandle;

/// Header with the brand (a link home) around the page content; `aside` goes at the header's
/// end (home and studio: who is signed in). A view rather than the account itself, so that
/// pages without it do not carry its code.
#[component]
pub fn Shell(
    children: Children,
    /// At the header's end (who is signed in, on the pages that say so).
    #[prop(optional, into)]
    aside: Option<ViewFn>,
) -> impl IntoView {
    view! {
        <div class="shell">
            <header class="topbar">
                <a href="/" class="brand" aria-label="OnAir home">
                    <span class="brand-dot" aria-hidden="true"></span>
                    "OnAir"
                </a>
                {aside.map(|aside| aside.run())}
            </header>
            <main class="page">{children()}</main>
        </div>
    }
}

/// A full-page message (stream ended, not found, not the host…) with a way on.
#[component]
pub fn Notice(
    #[prop(into)] title: String,
    #[prop(into)] body: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <section class="notice card" role="status">
            <h1>{title}</h1>
            <p class="muted">{body}</p>
            <div class="notice-actions">{children.map(|c| c())}</div>
        </section>
    }
}

/// A `<video>` showing the track `track_sid` of `room`; re-attaches when the track changes.
#[component]
pub fn VideoView(
    room: RoomHandle,
    #[prop(into)] track_sid: Signal<Option<String>>,
    /// Mirror the picture (a camera preview of oneself).
    #[prop(into, optional)]
    mirrored: Signal<bool>,
    /// Where the picture comes from (`camera`, `screen_share`), as `data-source`.
    #[prop(into, optional)]
    source: Signal<Option<String>>,
    #[prop(optional)] testid: Option<&'static str>,
    #[prop(optional)] node_ref: Option<NodeRef<html::Video>>,
) -> impl IntoView {
    let video_ref = node_ref.unwrap_or_default();
    let attached = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let wanted = track_sid.get();
        let Some(video) = video_ref.get() else { return };
        let current = attached.get_value();
        if current == wanted {
            return;
        }
        // Without a room nothing is attached, and `attached` keeps saying so.
        room.with_value(|room| {
            let Some(room) = room else { return };
            if let Some(sid) = &current {
                room.detach(sid, &video);
            }
            if let Some(sid) = &wanted {
                room.attach(sid, &video);
            }
            attached.set_value(wanted);
        });
    });
    view! {
        <video
            node_ref=video_ref
            class="video"
            class:mirrored=move || mirrored.get()
            data-testid=testid
            data-source=move || source.get()
            autoplay=true
            playsinline=true
            muted=true
            prop:muted=true
        ></video>
    }
}

/// `1 viewer`, `3 viewers`.
pub fn viewers_label(count: usize) -> String {
    if count == 1 {
        "1 viewer".to_owned()
    } else {
        format!("{count} viewers")
    }
}
