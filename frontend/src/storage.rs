//! What the browser remembers: the host key of each stream this browser created (so a reload
//! keeps the host in control) with its passcode, whether this tab's host went live (so a reload
//! goes back on air instead of back to the preview), the viewer's display name, and the
//! passcodes this tab was let in with.

use gloo_storage::{LocalStorage, SessionStorage, Storage};
use onair_api::RoomId;
use serde::{Deserialize, Serialize};

const VIEWER_NAME_KEY: &str = "onair.viewerName";

/// The host's credentials for one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostCredentials {
    pub host_key: String,
    pub host_name: String,
    /// The stream's passcode, for a passcode stream (shown in the studio, never sent with the
    /// share link unless the host asks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode: Option<String>,
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
    SessionStorage::delete(on_air_entry(room_id));
}

fn on_air_entry(room_id: &RoomId) -> String {
    format!("onair.onAir.{room_id}")
}

/// The host of `room_id` went live in this tab.
pub fn save_on_air(room_id: &RoomId) {
    let _ = SessionStorage::raw().set_item(&on_air_entry(room_id), "1");
}

/// Whether the host of `room_id` went live in this tab (kept across reloads of the tab only).
pub fn on_air(room_id: &RoomId) -> bool {
    SessionStorage::raw()
        .get_item(&on_air_entry(room_id))
        .ok()
        .flatten()
        .is_some()
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

fn passcode_entry(room_id: &RoomId) -> String {
    format!("onair.passcode.{room_id}")
}

/// The passcode this tab was let into `room_id` with (kept for the tab only).
pub fn stream_passcode(room_id: &RoomId) -> Option<String> {
    SessionStorage::raw()
        .get_item(&passcode_entry(room_id))
        .ok()
        .flatten()
        .filter(|passcode| !passcode.is_empty())
}

pub fn save_stream_passcode(room_id: &RoomId, passcode: &str) {
    let _ = SessionStorage::raw().set_item(&passcode_entry(room_id), passcode);
}

pub fn forget_stream_passcode(room_id: &RoomId) {
    SessionStorage::delete(passcode_entry(room_id));
}
