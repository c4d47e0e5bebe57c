//! HLS broadcast: the stream as 2-second segments in the bucket, for audiences past one SFU
//! (a few seconds behind the WebRTC room) and, after the stream, as a second replay.

use serde::{Deserialize, Serialize};

/// A stream's HLS broadcast, in `GET /api/rooms/:roomId` and as `POST …/hls` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HlsInfo {
    /// HLS segments of this stream are being written now.
    pub live: bool,
    /// The live playlist, served by OnAir (`/hls/{roomId}/live.m3u8`); present while `live`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playlist_url: Option<String>,
}

/// Whether the operator lets hosts broadcast over HLS (`HLS_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HlsMode {
    /// Never: `POST …/hls` is refused.
    Off,
    /// When the host turns it on.
    Host,
    /// From the moment the host goes live (and the host may still turn it off).
    Always,
}

/// The live playlist's path for `room_id`.
pub fn live_playlist_path(room_id: &crate::RoomId) -> String {
    format!("/hls/{room_id}/live.m3u8")
}
