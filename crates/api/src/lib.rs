//! Wire types of the OnAir HTTP API, shared by the server (`onair-server`) and the browser app
//! (`onair-frontend`). Serde only, so it builds for native targets and for `wasm32`; with the
//! `openapi` feature the types also describe themselves for the generated OpenAPI document.
//!
//! JSON is camelCase throughout. Validated values (`DisplayName`, `StreamTitle`, `RoomId`)
//! cannot hold an invalid value: deserialising a bad one fails with a message that the server
//! turns into a 400 naming the field. Request bodies refuse unknown fields, and their OpenAPI
//! schemas say so (`additionalProperties: false`) and carry each value's rules as a `pattern`, so
//! the document and the validation agree.

pub mod access;
pub mod error;
pub mod hls;
pub mod ingress;
pub mod names;
pub mod recordings;
pub mod restream;
pub mod rooms;
pub mod tokens;

pub use access::{
    AccessMode, CreatorKeySignIn, CreatorKeyText, LockedRoom, Me, Passcode, PasscodeError,
    SignInMethod, Visibility,
};
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use hls::{HlsInfo, HlsMode};
pub use ingress::{CreateIngressRequest, IngressInfo, IngressInputType};
pub use names::{DisplayName, NameError, RoomId, StreamTitle};
pub use recordings::{
    RecordingList, RecordingStarted, RecordingStatus, RecordingStopped, RecordingSummary,
    StartRecordingRequest, StopRecordingRequest,
};
pub use restream::{
    AddDestinationRequest, Destination, DestinationError, DestinationList, DestinationStatus,
    RtmpUrl, StreamKey,
};
pub use rooms::{CreateRoomRequest, CreatedRoom, RoomAnswer, RoomInfo};
pub use tokens::{ParticipantNameRequest, Playback, TokenRequest, TokenResponse};
