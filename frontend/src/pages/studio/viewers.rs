//! Who is watching, for the host: the viewer list in the side panel (guests on stage first,
//! then raised hands), each row's invite / off-stage / remove buttons, and the note about raised
//! hands under the controls.

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::ErrorCode;

use super::state::Studio;
use crate::api;
use crate::bindings::livekit::Participant;
use crate::components::layout::viewers_label;
use crate::session::RoomState;

/// The side panel's list of viewers, with their count.
#[component]
pub(super) fn ViewerList(studio: Studio) -> impl IntoView {
    let live = studio.live;
    // Guests on stage first, then raised hands, then everyone else, each in arrival order.
    let viewers = Memo::new(move |_| {
        let mut viewers = live.viewers();
        viewers.sort_by_key(|v| (!v.on_stage, !v.hand_raised));
        viewers
    });
    view! {
        <section class="panel viewers" aria-label="Viewers">
            <h2 class="panel-title">
                "Watching "
                <span class="viewer-pill" data-testid="viewer-count">{move || viewers_label(viewers.get().len())}</span>
            </h2>
            <ul class="viewer-list" data-testid="viewer-list">
                <Show when=move || viewers.with(Vec::is_empty)>
                    <li class="muted small">"No one yet — share the link!"</li>
                </Show>
                <For
                    each=move || viewers.get()
                    // Everything a row shows: a viewer who names themselves gets a new row.
                    key=|p| (p.identity.clone(), p.name.clone(), p.hand_raised, p.on_stage)
                    children=move |viewer| view! { <ViewerRow studio=studio viewer=viewer/> }
                />
            </ul>
        </section>
    }
}

/// Raised hands where the host looks, not only in the viewer list (far down on a phone).
#[component]
pub(super) fn RaisedHandsNote(live: RoomState) -> impl IntoView {
    // In arrival order, as in the viewer list.
    let raised_hands = Memo::new(move |_| {
        live.viewers()
            .into_iter()
            .filter(|v| v.hand_raised && !v.on_stage)
            .collect::<Vec<_>>()
    });
    view! {
        <Show when=move || !raised_hands.with(Vec::is_empty)>
            <p class="hands-note" role="status">
                "✋ "
                {move || raised_hands.with(|hands| match hands.as_slice() {
                    [one] => format!("{} raised a hand.", one.name),
                    many => format!("{} viewers raised a hand: {}.", many.len(),
                        many.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")),
                })}
                " Invite them on stage from the viewer list."
            </p>
        </Show>
    }
}

/// One viewer in the studio's list: a raised hand, and what the host can do about them.
#[component]
fn ViewerRow(studio: Studio, viewer: Participant) -> impl IntoView {
    let name = viewer.name.clone();
    let stage_button = if viewer.on_stage {
        let guest = viewer.clone();
        view! {
            <button
                data-testid="remove-from-stage"
                class="button button-small"
                aria-label=format!("Take {name} off stage")
                on:click=move |_| set_on_stage(studio, guest.clone(), false)
            >"Off stage"</button>
        }
        .into_any()
    } else {
        let invited = viewer.clone();
        view! {
            <button
                data-testid="invite-to-stage"
                class="button button-small"
                class:button-primary=viewer.hand_raised
                aria-label=format!("Invite {name} on stage")
                on:click=move |_| set_on_stage(studio, invited.clone(), true)
            >"Invite"</button>
        }
        .into_any()
    };
    let removed = viewer.clone();
    view! {
        <li class="viewer-row" data-hand=viewer.hand_raised.to_string()>
            <span class="viewer-name">{viewer.name.clone()}</span>
            {viewer.hand_raised.then(|| view! {
                <span class="hand-badge" data-testid="raised-hand" title="Wants to come on stage">"✋ Hand up"</span>
            })}
            {viewer.on_stage.then(|| view! { <span class="guest-badge">"On stage"</span> })}
            <span class="viewer-actions">
                {stage_button}
                <button
                    data-testid="remove-viewer"
                    class="button button-small button-ghost"
                    aria-label=format!("Remove {}", viewer.name)
                    on:click=move |_| remove_viewer(studio, removed.clone())
                >"Remove"</button>
            </span>
        </li>
    }
}

/// Removes `viewer` from the stream; gone from the list once the server did it.
fn remove_viewer(studio: Studio, viewer: Participant) {
    let (Some(room_id), Some(credentials)) =
        (studio.room_id.get_value(), studio.credentials.get_value())
    else {
        return;
    };
    spawn_local(async move {
        match api::remove_viewer(&room_id, &viewer.identity, &credentials.host_key).await {
            Ok(()) => studio
                .live
                .others
                .update(|others| others.retain(|p| p.identity != viewer.identity)),
            Err(failure) if failure.is(ErrorCode::ParticipantNotFound) => {}
            Err(failure) => studio.media_error.set(Some(format!(
                "Could not remove {}: {}",
                viewer.name, failure.message
            ))),
        }
    });
}

/// Invites `viewer` on stage, or takes them off. The list changes when LiveKit says so.
fn set_on_stage(studio: Studio, viewer: Participant, on_stage: bool) {
    let (Some(room_id), Some(credentials)) =
        (studio.room_id.get_value(), studio.credentials.get_value())
    else {
        return;
    };
    spawn_local(async move {
        let result =
            api::set_on_stage(&room_id, &viewer.identity, &credentials.host_key, on_stage).await;
        if let Err(failure) = result {
            let what = if on_stage { "invite" } else { "take off stage" };
            studio.media_error.set(Some(format!(
                "Could not {what} {}: {}",
                viewer.name, failure.message
            )));
        }
    });
}
