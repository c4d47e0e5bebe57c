//! The frame around every page, status pills, video and small shared widgets.

use leptos::html;
use leptos::prelude::*;

use crate::bindings::livekit::EarlyVideo;
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
/// With `adopt`, the video is the early join's, already playing: it moves into a slot here and
/// goes on from the track it shows.
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
    /// The early join's playing video, to adopt rather than make one.
    #[prop(default = None)]
    adopt: Option<EarlyVideo>,
) -> impl IntoView {
    let video_ref = node_ref.unwrap_or_default();
    let slot_ref = NodeRef::<html::Div>::new();
    let attached = StoredValue::new(adopt.as_ref().map(EarlyVideo::track_sid));
    let adopted = adopt.is_some();
    let early = StoredValue::new_local(adopt.map(|early| (early, false)));
    // The element showing the track: ours, or the adopted one once it sits in its slot.
    let element = move || -> Option<web_sys::HtmlMediaElement> {
        if !adopted {
            return video_ref.get().map(Into::into);
        }
        let slot = slot_ref.get()?;
        early.update_value(|early| {
            if let Some((video, placed @ false)) = early {
                video.place_in(&slot);
                *placed = true;
            }
        });
        early.with_value(|early| early.as_ref().map(|(video, _)| video.element().into()))
    };
    Effect::new(move |_| {
        let wanted = track_sid.get();
        let source = source.get();
        let Some(video) = element() else { return };
        if adopted {
            // Ours renders `data-source` itself; the adopted one is told.
            let _ = match source {
                Some(source) => video.set_attribute("data-source", &source),
                None => video.remove_attribute("data-source"),
            };
        }
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
            // A track known but not received yet (published to a room we joined without
            // media) is attached when it arrives: the track list changes then.
            let shown = wanted.filter(|sid| room.attach(sid, &video));
            attached.set_value(shown);
        });
    });
    if adopted {
        return view! { <div class="video-slot" node_ref=slot_ref></div> }.into_any();
    }
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
    .into_any()
}

/// Puts the keyboard in `input` as soon as it is on the page (a prompt's only field).
pub fn focus_when_shown(input: NodeRef<html::Input>) {
    Effect::new(move |_| {
        if let Some(input) = input.get() {
            let _ = input.focus();
        }
    });
}

/// `1 viewer`, `3 viewers`.
pub fn viewers_label(count: usize) -> String {
    if count == 1 {
        "1 viewer".to_owned()
    } else {
        format!("{count} viewers")
    }
}
