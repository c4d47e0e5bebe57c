//! What a stream's privacy and its creator's quota mean for its recordings. A passcode stream's
//! recordings get `access.json` beside them with the passcode's keyed hash, so its replay
//! stays private after LiveKit forgets the room. A signed-in creator's recordings are noted in
//! a ledger in the bucket (`creator-usage/{tag}/{day}/…`), so every replica can add up the
//! minutes a creator recorded today (from LiveKit's egress records) without state of its own.

use livekit_protocol as proto;
use onair_api::RoomId;
use serde::{Deserialize, Serialize};

use super::{RECORDINGS_PREFIX, Recorder};
use crate::error::ApiError;
use crate::livekit::unix_millis;
use std::sync::Arc;

use crate::storage::{StorageError, StoredObject};

/// Name of the object that keeps a stream's recordings private.
const ACCESS_OBJECT: &str = "access.json";
/// Folder of the per-creator recording ledger.
const USAGE_PREFIX: &str = "creator-usage";
const DAY_MILLIS: u64 = 86_400_000;

fn access_key(room: &RoomId) -> String {
    format!("{RECORDINGS_PREFIX}/{room}/{ACCESS_OBJECT}")
}

/// The passcode hash in a stream's `access.json`; unreadable, a hash no passcode matches: the
/// recordings stay closed rather than open to all.
fn passcode_hash_in(room: &RoomId, body: &[u8]) -> String {
    match serde_json::from_slice::<StreamAccess>(body) {
        Ok(access) => access.passcode_hash,
        Err(err) => {
            tracing::warn!(room = %room, error = %err, "access.json unreadable; the recordings stay private");
            String::new()
        }
    }
}

/// The ledger folder of `creator_tag`'s recordings on the UTC day of `unix_millis`.
fn usage_prefix(creator_tag: &str, unix_millis: u64) -> String {
    format!("{USAGE_PREFIX}/{creator_tag}/{}/", unix_millis / DAY_MILLIS)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StreamAccess {
    passcode_hash: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageEntry {
    room_id: String,
    egress_id: String,
    started_at: u64,
}

impl Recorder {
    /// Keeps the recordings of `room` under the passcode hash `passcode_hash`.
    pub(super) async fn keep_private(
        &self,
        room: &RoomId,
        passcode_hash: &str,
    ) -> Result<(), ApiError> {
        let body = serde_json::to_vec(&StreamAccess {
            passcode_hash: passcode_hash.to_owned(),
        })
        .expect("plain JSON");
        Ok(self.store.put_json(&access_key(room), body).await?)
    }

    /// The passcode hash the recordings in `objects` (a listing of the stream's folder) are kept
    /// under, if they are kept private.
    pub(super) async fn stored_passcode(
        &self,
        room: &RoomId,
        objects: &[StoredObject],
    ) -> Result<Option<String>, ApiError> {
        let key = access_key(room);
        if !objects.iter().any(|o| o.key == key) {
            return Ok(None);
        }
        let body = self.store.get(&key).await?;
        Ok(Some(passcode_hash_in(room, &body)))
    }

    /// The passcode hash a finished stream's replays (its recordings, and the broadcast they
    /// carried) are kept under, if they are kept private: one bucket read per stream and
    /// minute (cached, coalesced), however many segments its replays fetch.
    pub async fn replay_passcode(&self, room: &RoomId) -> Result<Option<String>, ApiError> {
        self.replay_passcodes
            .try_get_with_by_ref(room, async {
                let found = self.store.find(&access_key(room)).await?;
                Ok::<_, StorageError>(found.map(|body| passcode_hash_in(room, &body)))
            })
            .await
            .map_err(|err: Arc<StorageError>| {
                tracing::warn!(room = %room, error = %err, "recording store unavailable");
                ApiError::StorageUnavailable
            })
    }

    /// Notes a recording of `creator_tag`'s in the ledger (best effort: a failure is logged).
    pub(super) async fn note_usage(
        &self,
        creator_tag: &str,
        room: &RoomId,
        egress_id: &str,
        started_at: u64,
    ) {
        let key = format!(
            "{}{started_at}-{room}.json",
            usage_prefix(creator_tag, started_at)
        );
        let body = serde_json::to_vec(&UsageEntry {
            room_id: room.to_string(),
            egress_id: egress_id.to_owned(),
            started_at,
        })
        .expect("plain JSON");
        if let Err(err) = self.store.put_json(&key, body).await {
            tracing::warn!(room = %room, egress = %egress_id, error = %err, "a recording is missing from its creator's ledger");
        }
    }

    /// Whole minutes `creator_tag` recorded today (UTC), running recordings counted up to now.
    pub(super) async fn minutes_recorded_today(&self, creator_tag: &str) -> Result<u32, ApiError> {
        let now = unix_millis();
        let entries = self.store.list(&usage_prefix(creator_tag, now)).await?;
        let mut total_millis = 0u64;
        for object in entries {
            let Ok(body) = self.store.get(&object.key).await else {
                continue;
            };
            let Ok(entry) = serde_json::from_slice::<UsageEntry>(&body) else {
                continue;
            };
            let info = self
                .livekit
                .list_egress(None, Some(&entry.egress_id))
                .await
                .map_err(Self::egress_error)?;
            total_millis += match info.first() {
                Some(info) => recorded_millis(info, now),
                None => {
                    tracing::warn!(egress = %entry.egress_id, "LiveKit forgot a recording of the ledger; counted from its start to now");
                    now.saturating_sub(entry.started_at)
                }
            };
        }
        Ok(u32::try_from(total_millis / 60_000).unwrap_or(u32::MAX))
    }
}

/// How long `info` recorded (in milliseconds), up to `now` when it still runs.
fn recorded_millis(info: &proto::EgressInfo, now: u64) -> u64 {
    let nanos_to_millis = |n: i64| u64::try_from(n / 1_000_000).unwrap_or(0);
    let started = nanos_to_millis(info.started_at);
    if started == 0 {
        return 0;
    }
    let ended = match nanos_to_millis(info.ended_at) {
        0 => now,
        ended => ended,
    };
    ended.saturating_sub(started)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_counts_from_start_to_end_or_to_now() {
        let info = proto::EgressInfo {
            started_at: 60_000 * 1_000_000,
            ended_at: 180_000 * 1_000_000,
            ..Default::default()
        };
        assert_eq!(recorded_millis(&info, 999_999_999), 120_000);
        let running = proto::EgressInfo {
            started_at: 60_000 * 1_000_000,
            ..Default::default()
        };
        assert_eq!(recorded_millis(&running, 90_000), 30_000);
        assert_eq!(recorded_millis(&proto::EgressInfo::default(), 90_000), 0);
    }

    #[test]
    fn the_ledger_is_by_creator_and_utc_day() {
        assert_eq!(usage_prefix("tag", 0), "creator-usage/tag/0/");
        assert_eq!(usage_prefix("tag", DAY_MILLIS + 5), "creator-usage/tag/1/");
    }
}
