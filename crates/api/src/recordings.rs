//! Recording a stream to S3 through LiveKit egress, and listing the recordings.

use crate::names::RoomId;
use serde::{Deserialize, Serialize};

/// Where a recording is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordingStatus {
    Starting,
    Active,
    Stopping,
    Completed,
    Failed,
}

/// `POST /api/recordings/start` (host only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartRecordingRequest {
    pub room_name: RoomId,
}

/// Answer to `POST /api/recordings/start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingStarted {
    pub egress_id: String,
    pub room_name: RoomId,
    /// Object key in the bucket: `live-recordings/{roomId}/{unixMillis}.mp4`.
    pub file_path: String,
    pub status: RecordingStatus,
}

/// `POST /api/recordings/stop` (host only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StopRecordingRequest {
    pub egress_id: String,
}

/// Answer to `POST /api/recordings/stop`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingStopped {
    pub egress_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playback_url: Option<String>,
    pub status: RecordingStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One recording of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingSummary {
    pub egress_id: String,
    pub status: RecordingStatus,
    pub file_path: String,
    /// Start time, milliseconds since the Unix epoch.
    pub started_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// A presigned, expiring URL that plays the file in a browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playback_url: Option<String>,
    /// The recording's second replay format, when its egress broadcast the stream too: the
    /// event playlist (HLS) on OnAir, which starts at once and seeks without the whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hls_playlist_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `GET /api/recordings/:roomId` — the running recording, if any, and the finished ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingList {
    pub room_id: RoomId,
    pub active: Option<RecordingSummary>,
    pub recordings: Vec<RecordingSummary>,
}
