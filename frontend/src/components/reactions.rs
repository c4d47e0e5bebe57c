//! Reactions on screen: the buttons that send one and the emoji floating up over the video.
//! What a reaction is, how it travels and how each sender is rate limited is the room's model,
//! [`crate::session::reactions`].

use leptos::prelude::*;

use crate::session::RoomState;
use crate::session::reactions::{REACTIONS, Reactions};

/// The reactions floating over the video (place it inside the `.stage`).
#[component]
pub fn ReactionOverlay(reactions: Reactions) -> impl IntoView {
    let floating = reactions.floating();
    view! {
        <div class="reaction-layer" aria-hidden="true">
            <For
                each=move || floating.get()
                key=|f| f.id
                children=|f| view! {
                    <span class="reaction" data-testid="reaction" style=format!("left: {}%", f.left_percent)>
                        {f.emoji}
                    </span>
                }
            />
        </div>
    }
}

/// The buttons that send a reaction.
#[component]
pub fn ReactionBar(reactions: Reactions, live: RoomState) -> impl IntoView {
    let connected = move || live.me.with(Option::is_some);
    view! {
        <div class="reaction-bar" role="group" aria-label="Send a reaction">
            {REACTIONS
                .iter()
                .map(|&(emoji, label)| view! {
                    <button
                        class="button button-ghost reaction-button"
                        data-testid="reaction-button"
                        data-emoji=emoji
                        aria-label=label
                        title=label
                        disabled=move || !connected()
                        on:click=move |_| {
                            if let Some(room) = live.room.get_value() {
                                reactions.send(room, emoji);
                            }
                        }
                    >{emoji}</button>
                })
                .collect_view()}
        </div>
    }
}
