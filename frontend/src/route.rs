//! Where the reader is: the room id in this page's path (`/host/:id`, `/stream/:id`,
//! `/recordings/:id`), read once when the page starts.

use onair_api::RoomId;

/// The path of the current page, e.g. `/stream/abc`.
pub fn current_path() -> String {
    web_sys::window()
        .and_then(|window| window.location().pathname().ok())
        .unwrap_or_default()
}

/// The room id after `prefix` (`"/stream/"`), when it is a valid one.
/// The server sends the page for `{prefix}{id}` and `{prefix}{id}/` alone (see
/// `crates/server/src/web_app.rs`), and the browser suite opens each page by its link.
pub fn room_id_after(prefix: &str) -> Option<RoomId> {
    let path = current_path();
    let rest = path.strip_prefix(prefix)?;
    let raw = rest.strip_suffix('/').unwrap_or(rest);
    RoomId::parse(raw).ok()
}
