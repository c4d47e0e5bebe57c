//! Streams as the API sees them: a LiveKit room plus the OnAir metadata stored in it. LiveKit is
//! the source of truth; this module keeps a short-lived cache of room snapshots so that a viral
//! link (hundreds of viewers asking for tokens within seconds) costs a couple of LiveKit calls per
//! cache period instead of one per viewer. Concurrent lookups of one room share one load
//! (`moka`'s `try_get_with` coalesces them); failures are not cached.

use livekit_protocol as proto;
use moka::future::Cache;
use onair_api::{HlsInfo, RecordingStatus, RecordingSummary, RoomId, RoomInfo};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

use crate::error::ApiError;
use crate::livekit::{LiveKit, LiveKitError, Role};

/// What OnAir stores in the LiveKit room's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomMetadata {
    pub host_name: String,
    #[serde(default)]
    pub title: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    /// Whose stream it is: the opaque tag of its signed-in creator (`Access::creator_tag`),
    /// absent when an anonymous host created it (open mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// The keyed hash of the stream's passcode (`crate::passcode`); absent for a public stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode_hash: Option<String>,
}

/// A stream at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSnapshot {
    pub metadata: RoomMetadata,
    pub live: bool,
    pub viewer_count: u32,
    /// Viewers who may subscribe: those watching over WebRTC, not through the HLS broadcast.
    pub webrtc_viewer_count: u32,
    pub is_recording: bool,
    /// The recording LiveKit counts as running, as OnAir judges it.
    pub recording: Option<RecordingSummary>,
    /// Its HLS broadcast.
    pub hls: HlsInfo,
}

impl StreamSnapshot {
    pub fn to_room_info(&self, room_id: &RoomId) -> RoomInfo {
        RoomInfo {
            room_id: room_id.clone(),
            host_name: self.metadata.host_name.clone(),
            title: self.metadata.title.clone(),
            created_at: self.metadata.created_at,
            live: self.live,
            viewer_count: self.viewer_count,
            is_recording: self.is_recording,
            recording: self.recording.clone(),
            hls: self.hls.clone(),
            requires_passcode: self.metadata.passcode_hash.is_some(),
        }
    }
}

/// A new, unguessable room id.
pub fn new_room_id() -> RoomId {
    let alphabet = onair_api::names::ROOM_ID_ALPHABET;
    let mut rng = rand::rng();
    let raw: String = (0..onair_api::names::ROOM_ID_LEN)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect();
    RoomId::parse(&raw).expect("generated from the room id alphabet")
}

/// Looks streams up in LiveKit, through the snapshot cache.
pub struct Streams {
    livekit: Arc<LiveKit>,
    snapshots: Cache<RoomId, Option<Arc<StreamSnapshot>>>,
    /// Streams' metadata alone, for the reads that need only that (a replay's passcode): they
    /// must not fill `snapshots`, whose live state they do not load.
    metadata: Cache<RoomId, Option<Arc<RoomMetadata>>>,
    /// Recording is configured: a snapshot also says how the stream's latest recording fares.
    recording: bool,
}

impl Streams {
    pub fn new(livekit: Arc<LiveKit>, cache_ttl: Duration, recording: bool) -> Self {
        let snapshots = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(cache_ttl)
            .build();
        let metadata = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(cache_ttl)
            .build();
        Self {
            livekit,
            snapshots,
            metadata,
            recording,
        }
    }

    /// Creates the LiveKit room of a new stream, with the metadata `metadata_for` makes for its
    /// new id, and remembers it, so that the host's first requests need no lookup.
    pub async fn create(
        &self,
        metadata_for: impl FnOnce(&RoomId) -> RoomMetadata,
    ) -> Result<(RoomId, RoomMetadata), ApiError> {
        let room_id = new_room_id();
        let metadata = metadata_for(&room_id);
        self.open(&room_id, &metadata).await?;
        Ok((room_id, metadata))
    }

    /// How many open streams carry the creator tag `creator` (one LiveKit call).
    pub async fn count_of_creator(&self, creator: &str) -> Result<u32, ApiError> {
        let rooms = self.livekit.list_all_rooms().await?;
        let count = rooms
            .iter()
            .filter_map(|room| serde_json::from_str::<RoomMetadata>(&room.metadata).ok())
            .filter(|metadata| metadata.creator.as_deref() == Some(creator))
            .count();
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// Opens the LiveKit room of a stream with its metadata and caches it.
    async fn open(&self, room_id: &RoomId, metadata: &RoomMetadata) -> Result<(), ApiError> {
        let encoded = serde_json::to_string(metadata).map_err(anyhow::Error::from)?;
        self.livekit.create_room(room_id, encoded).await?;
        let snapshot = StreamSnapshot {
            metadata: metadata.clone(),
            live: false,
            viewer_count: 0,
            webrtc_viewer_count: 0,
            is_recording: false,
            recording: None,
            hls: HlsInfo::default(),
        };
        self.snapshots
            .insert(room_id.clone(), Some(Arc::new(snapshot)))
            .await;
        Ok(())
    }

    /// The stream, for its host: when LiveKit no longer has it (a LiveKit restart forgets its
    /// rooms), it is opened again from the metadata the host key carries, so the studio can
    /// reconnect. LiveKit's CreateRoom returns an existing room unchanged (a reconnecting client
    /// may have re-created it bare), so the metadata is written once more.
    pub async fn get_or_reopen(
        &self,
        room_id: &RoomId,
        metadata: &RoomMetadata,
    ) -> Result<(), ApiError> {
        match self.get(room_id).await {
            Err(ApiError::StreamNotFound) => {
                tracing::info!(room = %room_id, "re-opening, for its host, a stream LiveKit no longer has");
                self.open(room_id, metadata).await?;
                let encoded = serde_json::to_string(metadata).map_err(anyhow::Error::from)?;
                self.livekit.update_room_metadata(room_id, encoded).await?;
                Ok(())
            }
            other => other.map(drop),
        }
    }

    /// The stream, or `StreamNotFound`. Served from the cache when fresh.
    pub async fn get(&self, room_id: &RoomId) -> Result<Arc<StreamSnapshot>, ApiError> {
        // A hit, the common case of a viral link, only looks up; the lookup future of a miss
        // (LiveKit calls: several KB of state) is made, and boxed, only when it is needed.
        let loaded = match self.snapshots.get(room_id).await {
            Some(cached) => cached,
            None => Box::pin(self.snapshots.try_get_with(
                room_id.clone(),
                load_snapshot(&self.livekit, room_id, self.recording),
            ))
            .await
            .map_err(|err: Arc<LiveKitError>| ApiError::from(err.as_ref()))?,
        };
        loaded.ok_or(ApiError::StreamNotFound)
    }

    /// The stream's metadata, or `None` when LiveKit has no such stream: from a fresh snapshot
    /// when there is one, else from LiveKit's room list alone (cached, coalesced), without
    /// touching the snapshots.
    pub async fn metadata(&self, room_id: &RoomId) -> Result<Option<Arc<RoomMetadata>>, ApiError> {
        if let Some(Some(snapshot)) = self.snapshots.get(room_id).await {
            return Ok(Some(Arc::new(snapshot.metadata.clone())));
        }
        self.metadata
            .try_get_with(room_id.clone(), async {
                let room = self.livekit.find_room(room_id).await?;
                Ok(room
                    .and_then(|room| serde_json::from_str::<RoomMetadata>(&room.metadata).ok())
                    .map(Arc::new))
            })
            .await
            .map_err(|err: Arc<LiveKitError>| ApiError::from(err.as_ref()))
    }

    /// Ends the stream for everyone and stops token issuance for it at once on this replica
    /// (other replicas follow within the cache period).
    pub async fn end(&self, room_id: &RoomId) -> Result<(), ApiError> {
        let result = self.livekit.delete_room(room_id).await;
        self.snapshots.invalidate(room_id).await;
        result.map_err(ApiError::from)
    }

    /// Disconnects a viewer.
    pub async fn remove_viewer(&self, room_id: &RoomId, identity: &str) -> Result<(), ApiError> {
        if Role::of_identity(identity) != Some(Role::Viewer) {
            return Err(ApiError::ParticipantNotFound);
        }
        let result = self.livekit.remove_participant(room_id, identity).await;
        self.snapshots.invalidate(room_id).await;
        result.map_err(|err| match err {
            LiveKitError::NotFound => ApiError::ParticipantNotFound,
            other => ApiError::from(other),
        })
    }

    /// Forgets what is cached about a stream (after something changed it).
    pub async fn forget(&self, room_id: &RoomId) {
        self.snapshots.invalidate(room_id).await;
    }
}

/// Reads a stream from LiveKit: `None` when there is no room, or the room is not OnAir's. With
/// `recording`, also the fate of its latest recording (one more call, per cache period).
async fn load_snapshot(
    livekit: &LiveKit,
    room_id: &RoomId,
    recording: bool,
) -> Result<Option<Arc<StreamSnapshot>>, LiveKitError> {
    let Some(room) = livekit.find_room(room_id).await? else {
        return Ok(None);
    };
    let Ok(metadata) = serde_json::from_str::<RoomMetadata>(&room.metadata) else {
        tracing::debug!(room = %room_id, "room without OnAir metadata treated as not found");
        return Ok(None);
    };
    let participants = match livekit.list_participants(room_id).await {
        Ok(participants) => participants,
        Err(LiveKitError::NotFound) => return Ok(None),
        Err(err) => return Err(err),
    };
    let mut snapshot = snapshot_of(&room, metadata, &participants);
    if recording {
        // LiveKit's "recording" flag neither says why a recording stopped nor notices a
        // recorder stuck starting: judge the latest egress.
        match livekit.list_egress(Some(room_id), None).await {
            Ok(egresses) => {
                let identities: Vec<String> =
                    participants.iter().map(|p| p.identity.clone()).collect();
                snapshot.hls = crate::hls::info_of(room_id, &egresses);
                snapshot.recording = crate::recording::latest_recording(egresses, &identities);
                snapshot.is_recording = snapshot.recording.as_ref().is_some_and(|r| {
                    matches!(
                        r.status,
                        RecordingStatus::Starting
                            | RecordingStatus::Active
                            | RecordingStatus::Stopping
                    )
                });
            }
            Err(err) => {
                tracing::warn!(room = %room_id, error = %err, "egress list unavailable; trusting the room's recording flag");
            }
        }
    }
    Ok(Some(Arc::new(snapshot)))
}

fn snapshot_of(
    room: &proto::Room,
    metadata: RoomMetadata,
    participants: &[proto::ParticipantInfo],
) -> StreamSnapshot {
    let role = |p: &proto::ParticipantInfo| Role::of_identity(&p.identity);
    let viewers = || {
        participants
            .iter()
            .filter(|p| role(p) == Some(Role::Viewer))
    };
    let viewer_count = viewers().count();
    let webrtc_viewer_count = viewers()
        .filter(|p| p.permission.as_ref().is_some_and(|p| p.can_subscribe))
        .count();
    // On air: the host's browser, or an encoder (OBS) through LiveKit Ingress, publishes.
    let live = participants
        .iter()
        .any(|p| matches!(role(p), Some(Role::Host | Role::Encoder)) && !p.tracks.is_empty());
    StreamSnapshot {
        metadata,
        live,
        viewer_count: u32::try_from(viewer_count).unwrap_or(u32::MAX),
        webrtc_viewer_count: u32::try_from(webrtc_viewer_count).unwrap_or(u32::MAX),
        is_recording: room.active_recording,
        recording: None,
        hls: HlsInfo::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn participant(identity: &str, publishing: bool) -> proto::ParticipantInfo {
        proto::ParticipantInfo {
            identity: identity.into(),
            tracks: if publishing {
                vec![proto::TrackInfo::default()]
            } else {
                vec![]
            },
            ..Default::default()
        }
    }

    fn metadata() -> RoomMetadata {
        RoomMetadata {
            host_name: "Ada".into(),
            title: None,
            created_at: 1,
            creator: None,
            passcode_hash: None,
        }
    }

    #[test]
    fn viewers_are_counted_without_the_host() {
        let people = [
            participant("host-a", true),
            participant("viewer-b", false),
            participant("viewer-c", false),
        ];
        let snapshot = snapshot_of(&proto::Room::default(), metadata(), &people);
        assert_eq!(snapshot.viewer_count, 2);
        assert!(snapshot.live);
    }

    #[test]
    fn a_connected_host_that_publishes_nothing_is_not_live() {
        let snapshot = snapshot_of(
            &proto::Room::default(),
            metadata(),
            &[participant("host-a", false)],
        );
        assert!(!snapshot.live);
    }

    #[test]
    fn new_room_ids_are_valid_and_distinct() {
        let a = new_room_id();
        let b = new_room_id();
        assert_ne!(a, b);
        assert!(RoomId::parse(a.as_str()).is_ok());
    }
}
