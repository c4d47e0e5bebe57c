//! Where the reader is: the room id in this page's path (`/host/:id`, `/stream/:id`,
//! `/recordings/:id`) and the flags in its query (`?hls`), read once when the page starts.

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

/// Whether this page's query names `flag` (`/stream/:id?hls`, with or without a value).
pub fn has_query_flag(flag: &str) -> bool {
    let search = web_sys::window()
        .and_then(|window| window.location().search().ok())
        .unwrap_or_default();
    query_names(&search, flag)
}

fn query_names(search: &str, flag: &str) -> bool {
    search
        .trim_start_matches('?')
        .split('&')
        .any(|part| part.split('=').next() == Some(flag))
}

#[cfg(test)]
mod tests {
    use super::query_names;

    #[test]
    fn a_query_flag_is_found_with_or_without_a_value() {
        assert!(query_names("?hls", "hls"));
        assert!(query_names("?a=1&hls=1", "hls"));
        assert!(!query_names("?hlsx", "hls"));
        assert!(!query_names("", "hls"));
    }
}
