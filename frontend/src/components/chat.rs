//! Live chat for host and viewers: LiveKit text streams on `lk.chat`. Own messages show at once,
//! the list follows new messages unless the reader scrolled up, messages are capped at 500
//! characters and sends are throttled; everything is rendered as text, never as markup. The list
//! itself is the room's ([`crate::session::chat_log`]): this is its view and its input.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::bindings::browser;
use crate::bindings::livekit::{ChatMessage, Participant};
use crate::components::name_gate::NameGate;
use crate::session::RoomHandle;
use crate::session::chat_log::add_message;

/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;
/// Shortest time between two messages from one person.
const MIN_SEND_INTERVAL_MS: f64 = 1000.0;

#[component]
pub fn Chat(
    messages: RwSignal<Vec<ChatMessage>>,
    room: RoomHandle,
    /// The local participant, once connected.
    me: RwSignal<Option<Participant>>,
    /// Identity of the host, to mark their messages.
    #[prop(into)]
    host_identity: Signal<Option<String>>,
    /// For a viewer: the first message waits for them to choose a name.
    #[prop(optional)]
    name_gate: Option<NameGate>,
) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let last_sent_at = StoredValue::new(0.0_f64);
    let list_ref = NodeRef::<html::Ol>::new();
    let follow = StoredValue::new(true);

    // Follow the conversation unless the reader scrolled up to read older messages.
    Effect::new(move |_| {
        messages.track();
        if let Some(list) = list_ref.get()
            && follow.get_value()
        {
            list.set_scroll_top(list.scroll_height());
        }
    });
    let on_scroll = move |_| {
        if let Some(list) = list_ref.get() {
            let distance = list.scroll_height() - list.scroll_top() - list.client_height();
            follow.set_value(distance < 48);
        }
    };

    let send_now = move || {
        let text = draft.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            notice.set(Some(format!(
                "Messages are limited to {MAX_MESSAGE_CHARS} characters."
            )));
            return;
        }
        let now = browser::now_millis();
        if now - last_sent_at.get_value() < MIN_SEND_INTERVAL_MS {
            notice.set(Some("Easy there — one message per second.".into()));
            return;
        }
        let (Some(session), Some(me)) = (room.get_value(), me.get_untracked()) else {
            notice.set(Some("Chat opens once you are connected.".into()));
            return;
        };
        last_sent_at.set_value(now);
        notice.set(None);
        draft.set(String::new());
        follow.set_value(true);
        let local_id = format!("local-{now}");
        messages.update(|list| {
            add_message(
                list,
                ChatMessage {
                    id: local_id.clone(),
                    sender_identity: me.identity.clone(),
                    sender_name: me.name.clone(),
                    text: text.clone(),
                    timestamp: now,
                },
            )
        });
        spawn_local(async move {
            match session.send_chat(&text).await {
                // Keep the id the others know the message by, so history does not repeat it.
                Ok((id, _)) => messages.update(|list| {
                    if let Some(sent) = list.iter_mut().find(|m| m.id == local_id) {
                        sent.id = id;
                    }
                }),
                Err(err) => {
                    messages.update(|list| list.retain(|m| m.id != local_id));
                    notice.set(Some(format!("Your message was not sent: {err}")));
                }
            }
        });
    };

    // A viewer without a name chooses one first; the draft waits in the input meanwhile.
    let send = move || match name_gate {
        Some(gate) if !draft.with_untracked(|d| d.trim().is_empty()) => gate.then(send_now),
        _ => send_now(),
    };

    let remaining = move || MAX_MESSAGE_CHARS as i64 - draft.with(|d| d.chars().count()) as i64;
    let connected = move || me.with(Option::is_some);

    view! {
        <section class="chat panel" aria-label="Chat">
            <h2 class="panel-title">"Chat"</h2>
            <ol class="chat-list" node_ref=list_ref on:scroll=on_scroll aria-live="polite">
                <Show when=move || messages.with(Vec::is_empty)>
                    <li class="chat-empty">"No messages yet. Say hello!"</li>
                </Show>
                <For
                    each=move || messages.get()
                    key=|m| (m.id.clone(), m.sender_identity.clone())
                    children=move |m| {
                        let is_host = host_identity.get_untracked().as_deref() == Some(m.sender_identity.as_str());
                        let is_me = me.with_untracked(|me| me.as_ref().is_some_and(|me| me.identity == m.sender_identity));
                        view! {
                            <li class="chat-message" class:mine=is_me data-testid="chat-message">
                                <span class="chat-author">
                                    {m.sender_name}
                                    <Show when=move || is_host>
                                        <span class="badge badge-host">"host"</span>
                                    </Show>
                                </span>
                                <span class="chat-text">{m.text}</span>
                            </li>
                        }
                    }
                />
            </ol>
            <form
                class="chat-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    send();
                }
            >
                <label class="sr-only" for="chat-input">"Message"</label>
                <input
                    id="chat-input"
                    data-testid="chat-input"
                    type="text"
                    autocomplete="off"
                    placeholder=move || if connected() { "Say something…" } else { "Connecting…" }
                    maxlength=MAX_MESSAGE_CHARS
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    disabled=move || !connected()
                />
                <button data-testid="chat-send" type="submit" class="button" disabled=move || !connected()>
                    "Send"
                </button>
            </form>
            {name_gate.map(|gate| view! { <ChatIdentity gate=gate me=me/> })}
            <p class="chat-hint" aria-live="polite">
                {move || notice.get()}
                <Show when=move || { remaining() < 100 }>
                    <span class="chat-count">{move || format!("{} characters left", remaining())}</span>
                </Show>
            </p>
        </section>
    }
}

/// Who a viewer chats as, with a button to choose (or change) their name.
#[component]
fn ChatIdentity(gate: NameGate, me: RwSignal<Option<Participant>>) -> impl IntoView {
    let shown_name = move || {
        gate.chosen
            .get()
            .or_else(|| me.with(|me| me.as_ref().map(|me| me.name.clone())))
    };
    view! {
        <Show when=move || shown_name().is_some()>
            <p class="chat-identity">
                <span class="muted small">"You chat as "<strong>{shown_name}</strong></span>
                <button type="button" class="link-button small" data-testid="change-name" on:click=move |_| gate.ask()>
                    {move || if gate.chosen.with(Option::is_some) { "Change name" } else { "Choose a name" }}
                </button>
            </p>
        </Show>
    }
}
