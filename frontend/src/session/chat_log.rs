//! The chat's message list: what [`RoomState::messages`](super::RoomState::messages) holds and
//! how a message joins it (once, in time order, the newest few hundred kept). The chat panel
//! (`components::chat`) shows it and adds the local user's messages through it.

use crate::bindings::livekit::ChatMessage;

/// Messages kept in the list (and so in memory).
const KEPT_MESSAGES: usize = 300;

/// Adds `message` to `list` unless it is already there (history can repeat live messages), in
/// time order, keeping the newest [`KEPT_MESSAGES`].
pub fn add_message(list: &mut Vec<ChatMessage>, message: ChatMessage) {
    if list.iter().any(|m| m.id == message.id) {
        return;
    }
    let position = list.partition_point(|m| m.timestamp <= message.timestamp);
    list.insert(position, message);
    if list.len() > KEPT_MESSAGES {
        let excess = list.len() - KEPT_MESSAGES;
        list.drain(..excess);
    }
}
