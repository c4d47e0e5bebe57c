//! What the browser remembers: the host key of each stream this browser created (so a reload
//! keeps the host in control) and the viewer's display name.

use gloo_storage::{LocalStorage, Storage};
use onair_api::RoomId;
use serde::{Deserialize, Serialize};

const VIEWER_NAME_KEY: &str = "onair.viewerName";

/// The host's credentials for one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostCredentials {
    pub host_key: String,
    pub host_name: String,
}

fn host_key_entry(room_id: &RoomId) -> String {
    format!("onair.host.{room_id}")
}

pub fn save_host(room_id: &RoomId, credentials: &HostCredentials) {
    let _ = LocalStorage::set(host_key_entry(room_id), credentials);
}

pub fn host(room_id: &RoomId) -> Option<HostCredentials> {
    LocalStorage::get(host_key_entry(room_id)).ok()
}

pub fn forget_host(room_id: &RoomId) {
    LocalStorage::delete(host_key_entry(room_id));
}

/// The name this browser last joined a stream with (stored as plain text).
pub fn viewer_name() -> Option<String> {
    LocalStorage::raw()
        .get_item(VIEWER_NAME_KEY)
        .ok()
        .flatten()
        .filter(|name| !name.trim().is_empty())
}

pub fn save_viewer_name(name: &str) {
    let _ = LocalStorage::raw().set_item(VIEWER_NAME_KEY, name);
}
