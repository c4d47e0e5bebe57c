//! Streaming from OBS (or any RTMP or WHIP encoder) through LiveKit Ingress.

use serde::{Deserialize, Serialize};

/// What the encoder sends: RTMP (what OBS's "Custom" service speaks), or WHIP (WebRTC-HTTP,
/// OBS 30+ and browsers; passed through without transcoding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum IngressInputType {
    Rtmp,
    Whip,
}

/// `POST /api/rooms/:roomId/ingress` — the host asks for an encoder endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateIngressRequest {
    pub input_type: IngressInputType,
}

/// The stream's encoder endpoint: where OBS sends, and with which key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IngressInfo {
    pub ingress_id: String,
    pub input_type: IngressInputType,
    /// The server URL to enter in the encoder (OBS: Settings → Stream → Server).
    pub url: String,
    /// The stream key. A secret: whoever has it can broadcast into the stream. Only the host
    /// ever receives it.
    pub stream_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_types_are_lowercase_and_nothing_else_is_accepted() {
        let rtmp: CreateIngressRequest = serde_json::from_str(r#"{"inputType":"rtmp"}"#).unwrap();
        assert_eq!(rtmp.input_type, IngressInputType::Rtmp);
        assert!(serde_json::from_str::<CreateIngressRequest>(r#"{"inputType":"srt"}"#).is_err());
        assert!(
            serde_json::from_str::<CreateIngressRequest>(r#"{"inputType":"whip","x":1}"#).is_err()
        );
    }
}
