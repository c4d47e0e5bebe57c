//! Streams (LiveKit rooms): creating one, looking one up.

use crate::access::{Passcode, Visibility};
use crate::names::{DisplayName, RoomId, StreamTitle};
use serde::{Deserialize, Serialize};

/// `POST /api/rooms` — a streamer creates a stream. Its OpenAPI schema (below, by hand) is
/// one of two shapes, so that it says what the server checks: a public stream has no
/// `passcode`, a passcode stream must have one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRoomRequest {
    pub host_name: DisplayName,
    #[serde(default, deserialize_with = "optional_title")]
    pub title: Option<StreamTitle>,
    /// `public` (the default): anyone with the link watches; `passcode`: viewers need
    /// `passcode` too.
    #[serde(default)]
    pub visibility: Visibility,
    /// The passcode viewers must give: required with `visibility: "passcode"`, refused
    /// otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode: Option<Passcode>,
}

/// A blank or `null` title means "no title", like an empty optional form field.
fn optional_title<'de, D>(deserializer: D) -> Result<Option<StreamTitle>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let raw: Option<String> = Option::deserialize(deserializer)?;
    match raw {
        None => Ok(None),
        Some(raw) => StreamTitle::parse_optional(&raw).map_err(serde::de::Error::custom),
    }
}

/// Answer to `POST /api/rooms`: everything the host studio needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatedRoom {
    pub room_id: RoomId,
    /// Proof of being this stream's host: send as `Authorization: Bearer <hostKey>`. Keep it
    /// private; it is never part of the share link.
    pub host_key: String,
    /// A LiveKit token for the host (publish rights).
    pub host_token: String,
    /// The LiveKit URL browsers connect to.
    pub server_url: String,
    /// The link viewers open.
    pub share_url: String,
}

/// `GET /api/rooms/:roomId` — public facts about a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoomInfo {
    pub room_id: RoomId,
    pub host_name: String,
    pub title: Option<String>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: u64,
    /// The host is connected and publishing.
    pub live: bool,
    /// Viewers connected now (the host is not counted).
    pub viewer_count: u32,
    /// A recording is running (starting, active or being saved).
    pub is_recording: bool,
    /// The recording LiveKit counts as running, as OnAir judges it: starting, active or
    /// stopping — or `failed`, with its `error`, when its egress worker is gone or it never
    /// started. Absent when nothing is being recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<crate::RecordingSummary>,
    /// The stream's HLS broadcast, for audiences past the WebRTC room.
    #[serde(default)]
    pub hls: crate::HlsInfo,
    /// Viewers need the stream's passcode (absent for a public stream).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requires_passcode: bool,
}

/// Answer to `GET /api/rooms/:roomId`: the stream, or — for a passcode stream asked without
/// its passcode — only that it needs one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
#[allow(
    clippy::large_enum_variant,
    reason = "one answer per request, moved once: boxing the usual variant buys nothing"
)]
pub enum RoomAnswer {
    Info(RoomInfo),
    Locked(crate::access::LockedRoom),
}

#[cfg(feature = "openapi")]
mod openapi {
    use super::*;
    use crate::access::Passcode;
    use utoipa::PartialSchema;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{
        AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type,
    };

    /// The fields both shapes share, with `visibility` limited to `value`.
    fn stream(value: &str) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("hostName", DisplayName::schema())
            .required("hostName")
            .property("title", crate::names::optional_title_schema())
            .property(
                "visibility",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([value])),
            )
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
    }

    impl PartialSchema for CreateRoomRequest {
        fn schema() -> RefOr<Schema> {
            let public = stream("public")
                .description(Some("A public stream: anyone with the link watches."))
                .build();
            let passcode = stream("passcode")
                .required("visibility")
                .property("passcode", Passcode::schema())
                .required("passcode")
                .description(Some(
                    "A passcode stream: viewers need `passcode` to watch and to replay it.",
                ))
                .build();
            OneOfBuilder::new()
                .item(public)
                .item(passcode)
                .description(Some(
                    "A stream to create: public (`visibility` absent or `public`, no \
                     `passcode`), or `visibility: \"passcode\"` with its `passcode`.",
                ))
                .into()
        }
    }
    impl utoipa::ToSchema for CreateRoomRequest {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_title_means_no_title() {
        let req: CreateRoomRequest =
            serde_json::from_str(r#"{"hostName":"Ada","title":"   "}"#).unwrap();
        assert_eq!(req.title, None);
        let req: CreateRoomRequest = serde_json::from_str(r#"{"hostName":"Ada"}"#).unwrap();
        assert_eq!(req.title, None);
    }

    #[test]
    fn an_overlong_title_is_refused() {
        let body = format!(r#"{{"hostName":"Ada","title":"{}"}}"#, "x".repeat(121));
        assert!(serde_json::from_str::<CreateRoomRequest>(&body).is_err());
    }
}
