//! LiveKit access tokens for viewers and hosts.

use crate::access::Passcode;
use crate::names::{DisplayName, RoomId};
use serde::{Deserialize, Serialize};

/// `POST /api/token` — a viewer (or the host, with its host key) asks to join a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenRequest {
    pub room_name: RoomId,
    /// The name others see. A viewer may leave it out and watch at once as a neutral
    /// "Viewer 4821" (the number comes from the identity), naming themselves later with
    /// `PUT /api/rooms/{roomId}/name`; a host without it joins under the stream's host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_name: Option<DisplayName>,
    /// Ask for host (publish) rights; requires `Authorization: Bearer <hostKey>`.
    #[serde(default)]
    pub is_host: bool,
    /// The stream's passcode, for a viewer of a passcode stream (ignored otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode: Option<Passcode>,
    /// `hls`: a viewer watching the HLS broadcast (`/stream/{roomId}?hls`) joins for chat and
    /// reactions only, with no subscriptions. Left out, the server chooses: WebRTC while the
    /// stream's WebRTC audience has room (`MAX_WEBRTC_VIEWERS`), else HLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playback: Option<Playback>,
}

/// How a viewer sees the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Playback {
    /// Through LiveKit, sub-second.
    Webrtc,
    /// Through the HLS broadcast (`RoomInfo.hls`), a few seconds behind; the token joins the
    /// room for chat and reactions only (it cannot subscribe).
    Hls,
}

/// Answer to `POST /api/token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub token: String,
    /// The LiveKit URL to connect to with `token`.
    pub server_url: String,
    /// The unique identity the server chose for this participant.
    pub identity: String,
    /// How this participant sees the stream: `hls` when asked for, or when the stream's WebRTC
    /// audience is full (the token then cannot subscribe). Always `webrtc` for a host.
    pub playback: Playback,
}

/// `PUT /api/rooms/{roomId}/name` — a viewer who watched under a neutral name chooses their
/// own (the first time they chat or raise a hand); LiveKit tells everyone in the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParticipantNameRequest {
    pub name: DisplayName,
}
