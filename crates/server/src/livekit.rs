//! Everything OnAir asks of LiveKit: access tokens, and the RoomService calls through LiveKit's
//! own `livekit-api` crate. Each call is bounded by the configured timeout (LiveKit's SDK would
//! wait 10 s), counted in `/metrics` by method, and its failure classified so that an unreachable
//! LiveKit becomes a quick 503 and a refusal a 502, logged here with the method that failed.

use livekit_api::access_token::TokenVerifier;
use livekit_api::services::egress::encoding::EncodingOptions;
use livekit_api::services::egress::{
    EgressListFilter, EgressListOptions, EgressOutput, RoomCompositeOptions,
};
use livekit_api::services::ingress::{CreateIngressOptions, IngressListFilter};
use livekit_api::services::room::{
    CreateRoomOptions, RemoveParticipantOptions, UpdateParticipantOptions,
};
use livekit_api::services::{LiveKitApi, ServerError, ServerErrorCode, ServiceError};
use livekit_protocol as proto;
use onair_api::{DisplayName, Playback, RoomId};
use rand::Rng;
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::access_token::{ParticipantClaims, RoleAttribute, RoomGrant, TokenSigner};
use crate::config::{LiveKitSettings, RecordingPreset};
use crate::error::ApiError;

/// Name of the counter of LiveKit API calls, labelled by `method` and `outcome`.
pub const LIVEKIT_REQUESTS_METRIC: &str = "onair_livekit_requests_total";

/// How a LiveKit call failed.
#[derive(Debug, thiserror::Error)]
pub enum LiveKitError {
    /// No answer in time, connection refused, or LiveKit said it is unavailable.
    #[error("LiveKit unreachable: {0}")]
    Unavailable(String),
    /// LiveKit answered `not_found`.
    #[error("not found in LiveKit")]
    NotFound,
    /// LiveKit answered with another error.
    #[error("LiveKit refused the call: {0}")]
    Refused(String),
}

impl From<LiveKitError> for ApiError {
    fn from(err: LiveKitError) -> Self {
        ApiError::from(&err)
    }
}

impl From<&LiveKitError> for ApiError {
    fn from(err: &LiveKitError) -> Self {
        match err {
            LiveKitError::Unavailable(_) => ApiError::LiveKitUnavailable,
            LiveKitError::NotFound => ApiError::StreamNotFound,
            LiveKitError::Refused(_) => {
                ApiError::Upstream("the streaming server refused the request".into())
            }
        }
    }
}

/// A participant's role, carried in its identity prefix and in the token's `role` attribute so
/// that browsers can tell the host apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Host,
    Viewer,
    /// The participant LiveKit Ingress publishes an encoder's stream (OBS) as.
    Encoder,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Viewer => "viewer",
            Role::Encoder => "encoder",
        }
    }

    /// The role of a participant, read from the identity the server gave it.
    pub fn of_identity(identity: &str) -> Option<Role> {
        [Role::Host, Role::Viewer, Role::Encoder]
            .into_iter()
            .find(|role| {
                identity
                    .strip_prefix(role.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
            })
    }

    /// What a participant of this role may do in its room, in one place: a token's grants are
    /// made from it, and so is the permission LiveKit gets back for a viewer taken off stage.
    /// A viewer watches and chats (data) but never publishes media — said explicitly, because
    /// LiveKit's default grants allow publishing; nobody may change their own metadata, name or
    /// attributes (the stage's are onair's to set).
    pub fn permission(self) -> proto::ParticipantPermission {
        proto::ParticipantPermission {
            can_subscribe: true,
            can_publish: matches!(self, Role::Host | Role::Encoder),
            can_publish_data: true,
            can_update_metadata: false,
            ..proto::ParticipantPermission::default()
        }
    }

    /// A fresh unique identity such as `viewer-4k2x9q0m7c1z`.
    pub fn new_identity(self) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        const SUFFIX_LEN: usize = 12;
        let mut rng = rand::rng();
        let mut identity = String::with_capacity(self.as_str().len() + 1 + SUFFIX_LEN);
        identity.push_str(self.as_str());
        identity.push('-');
        identity
            .extend((0..SUFFIX_LEN).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char));
        identity
    }
}

/// "Viewer 4821": the name of a viewer who has not chosen one. The number comes from the
/// identity's random part, so it stays the same across the viewer's reconnections with the
/// same token, and two viewers rarely share one.
pub fn neutral_name(identity: &str) -> String {
    let suffix = identity.rsplit('-').next().unwrap_or(identity);
    let folded = suffix.bytes().fold(0u32, |acc, byte| {
        acc.wrapping_mul(31).wrapping_add(u32::from(byte))
    });
    format!("Viewer {}", 1000 + folded % 9000)
}

/// A signed LiveKit access token and the identity it was issued to.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub jwt: String,
    pub identity: String,
}

/// The LiveKit server as OnAir sees it.
pub struct LiveKit {
    api: LiveKitApi,
    settings: LiveKitSettings,
    /// Signs access tokens with the API secret, keyed once: every viewer's token is signed on
    /// the hot path of a viral link.
    signer: TokenSigner,
    /// [`LiveKit::public_url`] as a JSON string, escaped once: every token answer carries it.
    public_url_json: Box<str>,
}

impl std::fmt::Debug for LiveKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveKit")
            .field("url", &self.settings.url.as_str())
            .finish_non_exhaustive()
    }
}

/// The URL browsers connect to, as configured, without a trailing slash.
fn public_url(settings: &LiveKitSettings) -> &str {
    settings.public_url.as_str().trim_end_matches('/')
}

impl LiveKit {
    pub fn new(settings: LiveKitSettings) -> Self {
        let api = LiveKitApi::with_api_key(
            settings.url.as_str().trim_end_matches('/'),
            &settings.api_key,
            settings.api_secret.expose_secret(),
        )
        .with_request_timeout(settings.request_timeout);
        let signer = TokenSigner::new(settings.api_secret.expose_secret().as_bytes());
        let public_url_json = serde_json::to_string(public_url(&settings))
            .expect("a string serialises")
            .into();
        Self {
            api,
            settings,
            signer,
            public_url_json,
        }
    }

    /// The URL browsers connect to.
    pub fn public_url(&self) -> String {
        public_url(&self.settings).to_owned()
    }

    /// [`LiveKit::public_url`] as a JSON string (quoted and escaped).
    pub fn public_url_json(&self) -> &str {
        &self.public_url_json
    }

    /// A token for a new participant of `room`, with what its role may do
    /// ([`Role::permission`]); one who watches through HLS may not subscribe, so LiveKit sends
    /// it no media (it joins for chat and reactions).
    /// A participant without a `name` (a viewer who has not chosen one) joins under a neutral
    /// one made from their identity, such as "Viewer 4821".
    pub fn issue_token(
        &self,
        room: &RoomId,
        name: Option<&DisplayName>,
        role: Role,
        playback: Playback,
        ttl: Duration,
    ) -> Result<IssuedToken, ApiError> {
        let identity = role.new_identity();
        let neutral;
        let name = match name {
            Some(name) => name.as_str(),
            None => {
                neutral = neutral_name(&identity);
                neutral.as_str()
            }
        };
        let mut permission = role.permission();
        permission.can_subscribe &= playback == Playback::Webrtc;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        // What LiveKit's `AccessToken::to_jwt` signs for a participant (HS256 with the API
        // secret), without building its owned `Claims`.
        let claims = ParticipantClaims {
            exp: (now + ttl).as_secs(),
            iss: &self.settings.api_key,
            nbf: now.as_secs(),
            sub: &identity,
            name,
            video: RoomGrant {
                room_join: true,
                room: room.as_str(),
                can_publish: permission.can_publish,
                can_subscribe: permission.can_subscribe,
                can_publish_data: permission.can_publish_data,
                can_update_own_metadata: permission.can_update_metadata,
            },
            attributes: RoleAttribute {
                role: role.as_str(),
            },
        };
        let jwt = self
            .signer
            .sign(&claims)
            .map_err(|err| ApiError::Internal(anyhow::anyhow!("signing a LiveKit token: {err}")))?;
        Ok(IssuedToken { jwt, identity })
    }

    /// The identity a participant token (one this server issued, unexpired) was issued to in
    /// `room`; `None` for any other token.
    pub fn verify_participant_token(&self, token: &str, room: &RoomId) -> Option<String> {
        let verifier = TokenVerifier::with_api_key(
            &self.settings.api_key,
            self.settings.api_secret.expose_secret(),
        );
        let claims = verifier.verify(token).ok()?;
        (claims.video.room_join && claims.video.room == room.as_str()).then_some(claims.sub)
    }

    /// Runs one LiveKit call under the timeout, counting it and classifying its failure.
    async fn call<T>(
        &self,
        method: &'static str,
        request: impl Future<Output = Result<T, ServiceError>>,
    ) -> Result<T, LiveKitError> {
        let started = Instant::now();
        // The SDK's own timeout covers one HTTP attempt; this one bounds the whole call.
        let outcome = match tokio::time::timeout(self.settings.request_timeout, request).await {
            Err(_) => Err(LiveKitError::Unavailable(format!(
                "no answer within {} ms",
                self.settings.request_timeout.as_millis()
            ))),
            Ok(result) => result.map_err(classify),
        };
        let label = match &outcome {
            Ok(_) => "ok",
            Err(LiveKitError::NotFound) => "not_found",
            Err(_) => "error",
        };
        metrics::counter!(LIVEKIT_REQUESTS_METRIC, "method" => method, "outcome" => label)
            .increment(1);
        metrics::histogram!("onair_livekit_request_duration_seconds", "method" => method)
            .record(started.elapsed().as_secs_f64());
        if let Err(err @ (LiveKitError::Unavailable(_) | LiveKitError::Refused(_))) = &outcome {
            let error = without_destination_urls(&err.to_string());
            tracing::warn!(method, url = %self.settings.url, %error, "LiveKit call failed");
        }
        outcome
    }

    /// Creates the room of a new stream with its public metadata.
    pub async fn create_room(&self, room: &RoomId, metadata: String) -> Result<(), LiveKitError> {
        let options = CreateRoomOptions {
            empty_timeout: self.settings.empty_timeout.as_secs() as u32,
            departure_timeout: self.settings.departure_timeout.as_secs() as u32,
            metadata,
            ..CreateRoomOptions::default()
        };
        self.call(
            "CreateRoom",
            self.api.room().create_room(room.as_str(), options),
        )
        .await?;
        Ok(())
    }

    /// Replaces the room's metadata.
    pub async fn update_room_metadata(
        &self,
        room: &RoomId,
        metadata: String,
    ) -> Result<(), LiveKitError> {
        self.call(
            "UpdateRoomMetadata",
            self.api
                .room()
                .update_room_metadata(room.as_str(), &metadata),
        )
        .await
        .map(drop)
    }

    /// The room, if LiveKit has it.
    pub async fn find_room(&self, room: &RoomId) -> Result<Option<proto::Room>, LiveKitError> {
        let rooms = self
            .call(
                "ListRooms",
                self.api.room().list_rooms(vec![room.to_string()]),
            )
            .await?;
        Ok(rooms.into_iter().find(|r| r.name == room.as_str()))
    }

    /// Every open room (LiveKit's ListRooms without names).
    pub async fn list_all_rooms(&self) -> Result<Vec<proto::Room>, LiveKitError> {
        self.call("ListRooms", self.api.room().list_rooms(Vec::new()))
            .await
    }

    pub async fn list_participants(
        &self,
        room: &RoomId,
    ) -> Result<Vec<proto::ParticipantInfo>, LiveKitError> {
        self.call(
            "ListParticipants",
            self.api.room().list_participants(room.as_str()),
        )
        .await
    }

    /// Ends the stream for everyone. `NotFound` when there was no such room.
    pub async fn delete_room(&self, room: &RoomId) -> Result<(), LiveKitError> {
        self.delete_room_named(room.as_str()).await
    }

    /// Deletes the room named `name` (a stream's, or the doctor's throwaway room).
    pub async fn delete_room_named(&self, name: &str) -> Result<(), LiveKitError> {
        self.call("DeleteRoom", self.api.room().delete_room(name))
            .await
    }

    /// Disconnects a participant and revokes the tokens issued to it so far, so that its
    /// browser cannot simply reconnect.
    pub async fn remove_participant(
        &self,
        room: &RoomId,
        identity: &str,
    ) -> Result<(), LiveKitError> {
        let options = RemoveParticipantOptions {
            revoke_token_ts: unix_millis() as i64,
        };
        self.call(
            "RemoveParticipant",
            self.api
                .room()
                .remove_participant_with_options(room.as_str(), identity, options),
        )
        .await
    }

    /// Changes a participant's attributes (an empty value removes one) and, when given, its
    /// permissions. LiveKit tells every browser in the room.
    pub async fn update_participant(
        &self,
        room: &RoomId,
        identity: &str,
        attributes: &[(&str, &str)],
        permission: Option<proto::ParticipantPermission>,
    ) -> Result<proto::ParticipantInfo, LiveKitError> {
        let options = UpdateParticipantOptions {
            attributes: attributes
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect::<HashMap<_, _>>(),
            permission,
            ..UpdateParticipantOptions::default()
        };
        self.call(
            "UpdateParticipant",
            self.api
                .room()
                .update_participant(room.as_str(), identity, options),
        )
        .await
    }

    /// Changes the name a participant is shown under; LiveKit tells every browser in the room.
    pub async fn rename_participant(
        &self,
        room: &RoomId,
        identity: &str,
        name: &DisplayName,
    ) -> Result<proto::ParticipantInfo, LiveKitError> {
        let options = UpdateParticipantOptions {
            name: name.as_str().to_owned(),
            ..UpdateParticipantOptions::default()
        };
        self.call(
            "UpdateParticipant",
            self.api
                .room()
                .update_participant(room.as_str(), identity, options),
        )
        .await
    }

    /// Creates an ingress that publishes into `room` as `identity`, named `name`.
    pub async fn create_ingress(
        &self,
        room: &RoomId,
        input: proto::IngressInput,
        identity: &str,
        name: &str,
    ) -> Result<proto::IngressInfo, LiveKitError> {
        let options = CreateIngressOptions {
            name: format!("onair-{room}"),
            room_name: room.to_string(),
            participant_identity: identity.to_owned(),
            participant_name: name.to_owned(),
            ..CreateIngressOptions::default()
        };
        self.call(
            "CreateIngress",
            self.api.ingress().create_ingress(input, options),
        )
        .await
    }

    /// The ingresses that publish into `room`.
    pub async fn list_ingress(
        &self,
        room: &RoomId,
    ) -> Result<Vec<proto::IngressInfo>, LiveKitError> {
        self.list_ingress_named(room.as_str()).await
    }

    /// The ingresses of the room named `room` (a stream's, or the doctor's throwaway room).
    pub async fn list_ingress_named(
        &self,
        room: &str,
    ) -> Result<Vec<proto::IngressInfo>, LiveKitError> {
        self.call(
            "ListIngress",
            self.api
                .ingress()
                .list_ingress(IngressListFilter::Room(room.to_owned())),
        )
        .await
    }

    pub async fn delete_ingress(&self, ingress_id: &str) -> Result<(), LiveKitError> {
        self.call(
            "DeleteIngress",
            self.api.ingress().delete_ingress(ingress_id),
        )
        .await
        .map(drop)
    }

    /// Starts a RoomComposite egress of `room` (the stream as viewers see it: speaker layout, at
    /// the recording preset's size) into `outputs`: a recording's file, restream URLs.
    pub async fn start_room_composite(
        &self,
        room: &RoomId,
        outputs: Vec<EgressOutput>,
    ) -> Result<proto::EgressInfo, LiveKitError> {
        let options = RoomCompositeOptions {
            layout: "speaker".into(),
            encoding: recording_encoding(self.settings.recording_preset),
            ..RoomCompositeOptions::default()
        };
        self.call(
            "StartRoomCompositeEgress",
            self.api
                .egress()
                .start_room_composite_egress(room.as_str(), outputs, options),
        )
        .await
    }

    /// Adds and removes RTMP URLs of a running stream egress, without restarting it.
    pub async fn update_stream(
        &self,
        egress_id: &str,
        add_output_urls: Vec<String>,
        remove_output_urls: Vec<String>,
    ) -> Result<proto::EgressInfo, LiveKitError> {
        self.call(
            "UpdateStream",
            self.api
                .egress()
                .update_stream(egress_id, add_output_urls, remove_output_urls),
        )
        .await
    }

    /// Egresses of a room, or one egress by id.
    pub async fn list_egress(
        &self,
        room: Option<&RoomId>,
        egress_id: Option<&str>,
    ) -> Result<Vec<proto::EgressInfo>, LiveKitError> {
        let filter = match (room, egress_id) {
            (_, Some(id)) => EgressListFilter::Egress(id.to_owned()),
            (Some(room), None) => EgressListFilter::Room(room.to_string()),
            (None, None) => EgressListFilter::All,
        };
        self.list_egress_by(filter).await
    }

    /// The egresses of the room named `room` (the doctor's throwaway room is no [`RoomId`]).
    pub async fn list_egress_named(
        &self,
        room: &str,
    ) -> Result<Vec<proto::EgressInfo>, LiveKitError> {
        self.list_egress_by(EgressListFilter::Room(room.to_owned()))
            .await
    }

    async fn list_egress_by(
        &self,
        filter: EgressListFilter,
    ) -> Result<Vec<proto::EgressInfo>, LiveKitError> {
        let options = EgressListOptions {
            filter,
            ..EgressListOptions::default()
        };
        self.call("ListEgress", self.api.egress().list_egress(options))
            .await
    }

    pub async fn stop_egress(&self, egress_id: &str) -> Result<proto::EgressInfo, LiveKitError> {
        self.call("StopEgress", self.api.egress().stop_egress(egress_id))
            .await
    }

    /// A cheap call that proves LiveKit answers and accepts our credentials.
    pub async fn check_ready(&self) -> Result<(), LiveKitError> {
        self.call(
            "ListRooms",
            self.api
                .room()
                .list_rooms(vec!["onair-readiness-probe".into()]),
        )
        .await
        .map(drop)
    }
}

/// What `onair doctor` asks of LiveKit: a throwaway room of no stream, a token to join it as
/// a browser would (the room is no [`RoomId`]; its egress and ingress lists are asked by name
/// through [`LiveKit::list_egress_named`] and [`LiveKit::list_ingress_named`]).
impl LiveKit {
    /// Opens `name` with no metadata (so no stream page shows it); LiveKit closes it by itself
    /// `empty_timeout` after it was last empty, should the doctor not delete it.
    pub async fn create_probe_room(
        &self,
        name: &str,
        empty_timeout: Duration,
    ) -> Result<(), LiveKitError> {
        let options = CreateRoomOptions {
            empty_timeout: empty_timeout.as_secs() as u32,
            departure_timeout: 1,
            max_participants: 2,
            ..CreateRoomOptions::default()
        };
        self.call("CreateRoom", self.api.room().create_room(name, options))
            .await
            .map(drop)
    }

    /// A token that joins `room` as `identity`, subscribe-only, for `ttl`.
    pub fn probe_token(
        &self,
        room: &str,
        identity: &str,
        ttl: Duration,
    ) -> Result<String, serde_json::Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.signer.sign(&ParticipantClaims {
            exp: (now + ttl).as_secs(),
            iss: &self.settings.api_key,
            nbf: now.as_secs(),
            sub: identity,
            name: "onair doctor",
            video: RoomGrant {
                room_join: true,
                room,
                can_publish: false,
                can_subscribe: true,
                can_publish_data: false,
                can_update_own_metadata: false,
            },
            attributes: RoleAttribute { role: "doctor" },
        })
    }
}

/// H.264 + AAC at the preset's size: MP4s that play in every browser and editor (the SDK's
/// default audio codec is Opus).
fn recording_encoding(preset: RecordingPreset) -> EncodingOptions {
    let (width, height, framerate, video_bitrate) = preset.dimensions();
    EncodingOptions {
        width,
        height,
        framerate,
        video_bitrate,
        audio_codec: proto::AudioCodec::Aac,
        ..EncodingOptions::default()
    }
}

/// `message` with every RTMP(S) URL in it replaced: egress echoes the URL it was given, stream
/// key and all, and its errors are logged.
pub(crate) fn without_destination_urls(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            if word.contains("rtmp://") || word.contains("rtmps://") {
                "<destination URL>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Milliseconds since the Unix epoch.
pub fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

fn classify(err: ServiceError) -> LiveKitError {
    match err {
        ServiceError::Twirp(ServerError::Twirp(code)) => match code.code.as_str() {
            ServerErrorCode::NOT_FOUND => LiveKitError::NotFound,
            ServerErrorCode::UNAVAILABLE | ServerErrorCode::DEADLINE_EXCEEDED => {
                LiveKitError::Unavailable(code.to_string())
            }
            _ => LiveKitError::Refused(code.to_string()),
        },
        ServiceError::Twirp(ServerError::Request(err)) => {
            // reqwest errors name the URL but never the Authorization header.
            LiveKitError::Unavailable(err.to_string())
        }
        other => LiveKitError::Refused(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewer_without_a_name_is_a_numbered_viewer_for_good() {
        let identity = Role::Viewer.new_identity();
        let name = neutral_name(&identity);
        let number = name.strip_prefix("Viewer ").expect("a neutral name");
        assert!(number.len() == 4 && number.parse::<u32>().is_ok(), "{name}");
        assert_eq!(
            neutral_name(&identity),
            name,
            "the same identity, the same name"
        );
        assert!(DisplayName::try_from(name).is_ok(), "a valid display name");
    }
}
