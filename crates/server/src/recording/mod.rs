//! Recording a stream: a LiveKit RoomComposite egress writing an MP4 straight to the S3 bucket.
//! LiveKit's egress list says what runs and what failed, the room's participants say whether a
//! running one still has its worker ([`verdict`]), the bucket says what was saved.
//!
//! OnAir's only state is in the bucket: when it starts a recording it first writes a small
//! marker next to the file-to-be (`{startedAt}.recording.json` beside `{startedAt}.mp4`). That
//! write proves the store takes writes (nothing is started against a dead store), and it keeps
//! every recording known even when LiveKit forgets it (its egress list lives in Redis): a marker
//! with no file and no egress is reported `failed`, never dropped. Stop waits, bounded, for the
//! file; a failed egress is reported as `failed` with its error, never left "active"; a file
//! that egress could only write to its backup storage is reported with where it is.

mod guard;
pub mod verdict;

use livekit_api::services::egress::EgressOutput;
use livekit_protocol as proto;
use onair_api::{
    RecordingList, RecordingStarted, RecordingStatus, RecordingStopped, RecordingSummary, RoomId,
};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::config::S3Settings;
use crate::error::ApiError;
use crate::hls::{Broadcaster, HLS_PREFIX, event_playlist_key, event_playlist_path};
use crate::livekit::{LiveKit, LiveKitError, unix_millis};
use crate::storage::{RecordingStore, StorageError};
use crate::streams::RoomMetadata;
use crate::webhooks::Webhooks;
use secrecy::ExposeSecret;
use verdict::Verdict;

/// Folder of all recordings in the bucket.
pub const RECORDINGS_PREFIX: &str = "live-recordings";
/// How long `stop` waits for the egress to finish writing the file.
const STOP_WAIT: Duration = Duration::from_secs(45);
const STOP_POLL: Duration = Duration::from_millis(500);
/// How long `stop` keeps asking a recording that is still starting (egress answers a stop only
/// once the recording's handler runs, about a second after the start).
const STOP_WHILE_STARTING_WAIT: Duration = Duration::from_secs(10);

/// The bucket key of a recording of `room` started at `unix_millis`.
pub fn recording_key(room: &RoomId, unix_millis: u64) -> String {
    format!("{RECORDINGS_PREFIX}/{room}/{unix_millis}.mp4")
}

/// What follows `{startedAt}` in the key of a recording's marker.
const MARKER_SUFFIX: &str = ".recording.json";

/// The key of the marker written when the recording of `recording_key` starts.
fn marker_key(recording_key: &str) -> String {
    let stem = recording_key.strip_suffix(".mp4").unwrap_or(recording_key);
    format!("{stem}{MARKER_SUFFIX}")
}

/// The recording a marker stands for, when `key` is a marker's.
fn recording_key_of_marker(key: &str) -> Option<String> {
    key.strip_suffix(MARKER_SUFFIX)
        .map(|stem| format!("{stem}.mp4"))
}

/// What a marker says: the recording OnAir started, and (once LiveKit answered) its egress.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Marker {
    room_id: String,
    file_path: String,
    started_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    egress_id: Option<String>,
}

impl Marker {
    fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a marker serialises")
    }
}

/// Why a recording that has a marker but neither a file nor an egress is failed.
const LOST_REASON: &str = "LiveKit lost track of this recording before its file was saved (its \
     state was lost, for example when its Redis restarted). OnAir asked the recorder to finish: \
     if it still runs, the file appears here once it is saved.";

/// The start time encoded in a recording's key (`…/{unixMillis}.mp4`).
fn started_at_of(key: &str) -> Option<u64> {
    key.rsplit('/').next()?.strip_suffix(".mp4")?.parse().ok()
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        tracing::warn!(error = %err, "recording store unavailable");
        ApiError::StorageUnavailable
    }
}

/// Whether LiveKit counts the egress as running (whatever OnAir makes of it).
pub(crate) fn livekit_says_running(info: &proto::EgressInfo) -> bool {
    use proto::EgressStatus::*;
    matches!(
        proto::EgressStatus::try_from(info.status),
        Ok(EgressStarting | EgressActive | EgressEnding)
    )
}

/// Whether the egress writes a recording (a file), rather than only restreaming or sending HLS:
/// the room's other egresses are not recordings and never count as one.
pub(crate) fn is_recording(info: &proto::EgressInfo) -> bool {
    file_path_of(info).is_some()
}

/// The room's egresses that are recordings.
fn recordings_only(mut infos: Vec<proto::EgressInfo>) -> Vec<proto::EgressInfo> {
    infos.retain(is_recording);
    infos
}

fn is_running(status: RecordingStatus) -> bool {
    matches!(
        status,
        RecordingStatus::Starting | RecordingStatus::Active | RecordingStatus::Stopping
    )
}

/// An egress and OnAir's verdict on it.
struct Judged {
    info: proto::EgressInfo,
    verdict: Verdict,
}

impl Judged {
    fn is_running(&self) -> bool {
        is_running(self.verdict.status)
    }
}

/// Judges egresses of one room, given the identities of its participants.
fn judge_all(infos: Vec<proto::EgressInfo>, participants: &[String]) -> Vec<Judged> {
    let now = SystemTime::now();
    infos
        .into_iter()
        .map(|info| {
            let present = participants.contains(&info.egress_id);
            let verdict = verdict::judge(&info, present, now);
            Judged { info, verdict }
        })
        .collect()
}

/// The latest recording of a room as OnAir judges it, when it is running or failed (for the
/// room info; a completed one is in the list). `participants` are the room's identities.
pub fn latest_recording(
    infos: Vec<proto::EgressInfo>,
    participants: &[String],
) -> Option<RecordingSummary> {
    let latest = recordings_only(infos)
        .into_iter()
        .max_by_key(|info| info.started_at.max(info.updated_at))?;
    let judged = judge_all(vec![latest], participants).pop()?;
    (judged.is_running() || judged.verdict.status == RecordingStatus::Failed)
        .then(|| summary_of(&judged))
}

/// The bucket key an egress writes: the file path of its request (exactly the key OnAir chose),
/// else what it reported.
fn file_path_of(info: &proto::EgressInfo) -> Option<String> {
    let requested = match &info.request {
        Some(proto::egress_info::Request::RoomComposite(request)) => {
            request.file_outputs.first().map(|f| f.filepath.clone())
        }
        _ => None,
    };
    requested
        .or_else(|| info.file_results.first().map(|f| f.filename.clone()))
        .filter(|path| !path.is_empty())
}

fn nanos_to_millis(nanos: i64) -> u64 {
    u64::try_from(nanos / 1_000_000).unwrap_or(0)
}

fn summary_of(judged: &Judged) -> RecordingSummary {
    let info = &judged.info;
    let file = info.file_results.first();
    let file_path = file_path_of(info).unwrap_or_default();
    RecordingSummary {
        egress_id: info.egress_id.clone(),
        status: judged.verdict.status,
        started_at: started_at_of(&file_path).unwrap_or_else(|| nanos_to_millis(info.started_at)),
        file_path,
        duration_ms: file
            .filter(|f| f.duration > 0)
            .map(|f| nanos_to_millis(f.duration)),
        size_bytes: file
            .filter(|f| f.size > 0)
            .and_then(|f| u64::try_from(f.size).ok()),
        playback_url: None,
        hls_playlist_url: None,
        error: judged.verdict.error.clone(),
    }
}

/// Where egress uploads what it writes: the bucket, with OnAir's credentials.
pub(crate) fn s3_upload(s3: &S3Settings) -> proto::S3Upload {
    proto::S3Upload {
        access_key: s3.access_key_id.clone(),
        secret: s3.secret_access_key.expose_secret().to_owned(),
        region: s3.region.clone(),
        endpoint: s3
            .endpoint
            .as_ref()
            .map(|e| e.as_str().trim_end_matches('/').to_owned())
            .unwrap_or_default(),
        bucket: s3.bucket.clone(),
        force_path_style: s3.force_path_style,
        ..Default::default()
    }
}

/// A recording found by its egress id.
pub struct FoundRecording {
    /// The stream it records.
    pub room: RoomId,
    judged: Judged,
}

impl FoundRecording {
    /// Its egress, while OnAir judges it running (a recording that can still be stopped).
    pub fn running_egress(&self) -> Option<&proto::EgressInfo> {
        self.judged.is_running().then_some(&self.judged.info)
    }
}

/// Starts, stops and lists recordings.
pub struct Recorder {
    livekit: Arc<LiveKit>,
    store: Arc<dyn RecordingStore>,
    s3: S3Settings,
    /// Egresses this replica asked LiveKit to stop after judging them failed, so that every
    /// poll of the list does not ask again (an optimisation: losing it costs one more call).
    stale_stops: moka::sync::Cache<String, ()>,
    /// What LiveKit's webhooks said about egresses: a stop hears of the file being saved at
    /// once rather than at its next poll.
    webhooks: Arc<Webhooks>,
    /// The passcode hash each finished stream's replays are kept under (`replay_passcode`):
    /// read from the bucket once a minute per stream, not on every segment a replay fetches.
    replay_passcodes: moka::future::Cache<RoomId, Option<String>>,
}

/// How long a finished stream's replay passcode is remembered; it is written while the stream
/// is live, so an ended stream's hardly changes.
const REPLAY_PASSCODE_TTL: Duration = Duration::from_secs(60);

impl Recorder {
    pub fn new(
        livekit: Arc<LiveKit>,
        store: Arc<dyn RecordingStore>,
        s3: S3Settings,
        webhooks: Arc<Webhooks>,
    ) -> Self {
        let stale_stops = moka::sync::Cache::builder()
            .max_capacity(10_000)
            .time_to_live(Duration::from_secs(600))
            .build();
        Self {
            livekit,
            store,
            s3,
            stale_stops,
            webhooks,
            replay_passcodes: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(REPLAY_PASSCODE_TTL)
                .build(),
        }
    }

    /// The bucket answers (for `/readyz`).
    pub async fn check_store(&self) -> Result<(), StorageError> {
        self.store.check().await
    }

    fn egress_error(err: LiveKitError) -> ApiError {
        match err {
            // "egress not connected", "no response from servers": no worker can take the job.
            LiveKitError::Refused(message) | LiveKitError::Unavailable(message) => {
                tracing::warn!(error = %message, "egress could not start or answer");
                ApiError::EgressUnavailable
            }
            LiveKitError::NotFound => ApiError::NotFound("recording not found".into()),
        }
    }

    /// The room's egresses, judged against its participants (looked up only when LiveKit calls
    /// one of them running). Stale ones are stopped in the background, best effort.
    async fn judged_egresses(&self, room: &RoomId, infos: Vec<proto::EgressInfo>) -> Vec<Judged> {
        let participants = if infos.iter().any(livekit_says_running) {
            match self.livekit.list_participants(room).await {
                Ok(participants) => participants.into_iter().map(|p| p.identity).collect(),
                // The room is gone: so is every recorder that was in it.
                Err(LiveKitError::NotFound) => Vec::new(),
                // Cannot tell: count the recorders present rather than fail a recording that
                // may be fine.
                Err(err) => {
                    tracing::warn!(room = %room, error = %err, "participants unknown; trusting LiveKit's egress states");
                    infos.iter().map(|info| info.egress_id.clone()).collect()
                }
            }
        } else {
            Vec::new()
        };
        let judged = judge_all(infos, &participants);
        for stale in judged.iter().filter(|j| j.verdict.stale) {
            self.stop_stale(&stale.info.egress_id, stale.verdict.error.as_deref());
        }
        judged
    }

    /// Asks LiveKit to stop an egress judged failed, without waiting: it frees the worker if one
    /// is still there; when the worker is gone LiveKit cannot reach it, which is fine.
    fn stop_stale(&self, egress_id: &str, reason: Option<&str>) {
        if self.stale_stops.contains_key(egress_id) {
            return;
        }
        self.stale_stops.insert(egress_id.to_owned(), ());
        tracing::warn!(egress = %egress_id, reason = reason.unwrap_or_default(), "recording judged failed; stopping its egress");
        let (livekit, egress_id) = (self.livekit.clone(), egress_id.to_owned());
        tokio::spawn(async move {
            if let Err(err) = livekit.stop_egress(&egress_id).await {
                tracing::info!(egress = %egress_id, error = %err, "stale egress could not be stopped");
            }
        });
    }

    /// Starts recording `room` (one recording per room) of the stream `stream`: kept private
    /// when the stream has a passcode; refused with `recording_quota` when its creator recorded
    /// `minutes_per_day` already today. When HLS is on, the same egress broadcasts the stream
    /// too (`broadcaster`), taking over a broadcast that runs: one compositor for both.
    pub async fn start(
        &self,
        room: &RoomId,
        stream: &RoomMetadata,
        minutes_per_day: Option<u32>,
        broadcaster: Option<&Broadcaster>,
    ) -> Result<RecordingStarted, ApiError> {
        if let (Some(tag), Some(limit)) = (&stream.creator, minutes_per_day) {
            let used = self.minutes_recorded_today(tag).await?;
            if used >= limit {
                return Err(ApiError::RecordingQuota { used, limit });
            }
        }
        let egresses = self
            .livekit
            .list_egress(Some(room), None)
            .await
            .map_err(Self::egress_error)?;
        let started_at = unix_millis();
        if self
            .judged_egresses(room, recordings_only(egresses.clone()))
            .await
            .iter()
            .any(Judged::is_running)
        {
            return Err(ApiError::RecordingActive);
        }
        if let Some(hash) = &stream.passcode_hash {
            // Before anything is recorded: the replay is private from its first byte.
            self.keep_private(room, hash).await?;
        }
        // The recording's egress carries the broadcast too (taking over a running one).
        let broadcast = match broadcaster {
            Some(broadcaster) => {
                broadcaster
                    .broadcast_for_recording(room, started_at, &egresses)
                    .await?
            }
            None => None,
        };
        let file_path = recording_key(room, started_at);
        // The marker first: a store that cannot take it would lose the recording at its end.
        let marker_path = marker_key(&file_path);
        let mut marker = Marker {
            room_id: room.to_string(),
            file_path: file_path.clone(),
            started_at,
            egress_id: None,
        };
        self.store.put_json(&marker_path, marker.to_json()).await?;
        let mut outputs = vec![EgressOutput::File(self.file_output(&file_path))];
        outputs.extend(
            broadcast
                .as_ref()
                .map(|carried| EgressOutput::Segments(carried.output.clone())),
        );
        let info = match self.livekit.start_room_composite(room, outputs).await {
            Ok(info) => info,
            Err(err) => {
                // Nothing records: take the marker back, or it would be reported as lost.
                if let Err(delete) = self.store.delete(&marker_path).await {
                    tracing::warn!(room = %room, marker = %marker_path, error = %delete, "marker of a recording that did not start is left in the bucket");
                }
                return Err(Self::egress_error(err));
            }
        };
        // With its egress id, OnAir can stop the recorder even if LiveKit forgets it.
        marker.egress_id = Some(info.egress_id.clone());
        if let Err(err) = self.store.put_json(&marker_path, marker.to_json()).await {
            tracing::warn!(room = %room, egress = %info.egress_id, error = %err, "the recording's marker lacks its egress id");
        }
        if let Some(tag) = &stream.creator {
            self.note_usage(tag, room, &info.egress_id, started_at)
                .await;
        }
        tracing::info!(room = %room, egress = %info.egress_id, file = %file_path, "recording started");
        if let Some((broadcaster, carried)) = broadcaster.zip(broadcast) {
            broadcaster.recording_started(room, started_at, carried);
        }
        let verdict = verdict::judge(&info, false, SystemTime::now());
        Ok(RecordingStarted {
            egress_id: info.egress_id.clone(),
            room_name: room.clone(),
            file_path,
            status: verdict.status,
        })
    }

    /// Where egress writes the recording: an MP4 at `file_path` in the bucket.
    fn file_output(&self, file_path: &str) -> proto::EncodedFileOutput {
        proto::EncodedFileOutput {
            file_type: proto::EncodedFileType::Mp4 as i32,
            filepath: file_path.to_owned(),
            disable_manifest: true,
            output: Some(proto::encoded_file_output::Output::S3(s3_upload(&self.s3))),
        }
    }

    /// A recording by its egress id, with the room it records (for the host check).
    pub async fn find(&self, egress_id: &str) -> Result<FoundRecording, ApiError> {
        let info = self.egress(egress_id).await?;
        let room = RoomId::parse(&info.room_name)
            .map_err(|_| ApiError::NotFound("recording not found".into()))?;
        let judged = self
            .judged_egresses(&room, vec![info])
            .await
            .pop()
            .expect("one egress in, one judged out");
        Ok(FoundRecording { room, judged })
    }

    async fn egress(&self, egress_id: &str) -> Result<proto::EgressInfo, ApiError> {
        self.livekit
            .list_egress(None, Some(egress_id))
            .await
            .map_err(Self::egress_error)?
            .into_iter()
            .find(|info| info.egress_id == egress_id && is_recording(info))
            .ok_or_else(|| ApiError::NotFound("recording not found".into()))
    }

    /// The egress as LiveKit reports it now, judged.
    async fn refreshed(&self, room: &RoomId, egress_id: &str) -> Result<Judged, ApiError> {
        let info = self.egress(egress_id).await?;
        Ok(self
            .judged_egresses(room, vec![info])
            .await
            .pop()
            .expect("one egress in, one judged out"))
    }

    /// The egress's next state: what a webhook reports about it as soon as one comes, else
    /// (after the poll interval) what LiveKit's egress list says.
    async fn next_report(&self, room: &RoomId, egress_id: &str) -> Result<Judged, ApiError> {
        // An end reported before this wait began is not announced again.
        let ended = self
            .webhooks
            .egress_report(egress_id)
            .filter(|info| !livekit_says_running(info));
        let report = match ended {
            Some(info) => Some(info),
            None => {
                let wait = self.webhooks.poll_interval(STOP_POLL);
                self.webhooks.next_egress_report(egress_id, wait).await
            }
        };
        match report {
            Some(info) => Ok(self
                .judged_egresses(room, vec![(*info).clone()])
                .await
                .pop()
                .expect("one egress in, one judged out")),
            None => self.refreshed(room, egress_id).await,
        }
    }

    /// Stops the recording and waits (bounded) until its file is written or it failed. A
    /// recording already judged failed is answered at once.
    pub async fn stop(&self, recording: FoundRecording) -> Result<RecordingStopped, ApiError> {
        let room = recording.room;
        let mut judged = recording.judged;
        let egress_id = judged.info.egress_id.clone();
        let started = Instant::now();
        while judged.is_running() {
            match self.livekit.stop_egress(&egress_id).await {
                Ok(stopped) => {
                    judged = Judged {
                        verdict: verdict::judge(&stopped, true, SystemTime::now()),
                        info: stopped,
                    };
                    break;
                }
                // Already finishing or finished: fall through to waiting for its end.
                Err(LiveKitError::Refused(message)) => {
                    tracing::info!(egress = %egress_id, %message, "stop refused; waiting for the end");
                    break;
                }
                // A recording asked for a moment ago has no recorder to take the stop yet (its
                // handler is still starting): ask again shortly rather than fail the host.
                Err(LiveKitError::Unavailable(message))
                    if judged.verdict.status == RecordingStatus::Starting
                        && started.elapsed() < STOP_WHILE_STARTING_WAIT =>
                {
                    tracing::info!(egress = %egress_id, %message, "recording still starting; asking it to stop again");
                    tokio::time::sleep(STOP_POLL).await;
                    judged = self.refreshed(&room, &egress_id).await?;
                }
                Err(err) => return Err(Self::egress_error(err)),
            }
        }
        while judged.is_running() && started.elapsed() < STOP_WAIT {
            judged = self.next_report(&room, &egress_id).await?;
        }
        let summary = summary_of(&judged);
        let status = summary.status;
        let (s3_url, playback_url) = if status == RecordingStatus::Completed {
            (
                Some(self.store.s3_url(&summary.file_path)),
                Some(self.store.playback_url(&summary.file_path).await?),
            )
        } else {
            (None, None)
        };
        tracing::info!(egress = %egress_id, ?status, egress_error = %judged.info.error, waited_ms = started.elapsed().as_millis() as u64, "recording stopped");
        Ok(RecordingStopped {
            egress_id,
            s3_url,
            playback_url,
            status,
            error: summary.error,
        })
    }

    /// A recording that only its marker remembers, unless it is one being started. Its
    /// recorder, if it still runs, cannot be reached through LiveKit's state any more and would
    /// record for ever: it is asked to finish (by egress id, which reaches the worker itself),
    /// so that its file gets saved.
    async fn lost(&self, room: &RoomId, key: String) -> Option<RecordingSummary> {
        let started_at = started_at_of(&key).unwrap_or(0);
        let marker = match self.store.get(&marker_key(&key)).await {
            Ok(body) => serde_json::from_slice::<Marker>(&body).ok(),
            Err(err) => {
                tracing::warn!(room = %room, file = %key, error = %err, "marker unreadable");
                None
            }
        };
        let egress_id = marker.and_then(|m| m.egress_id).unwrap_or_default();
        let age = Duration::from_millis(unix_millis().saturating_sub(started_at));
        if egress_id.is_empty() && age < verdict::STARTING_TIMEOUT {
            // Written just before LiveKit is asked, rewritten with the egress id just after.
            return None;
        }
        if !egress_id.is_empty() {
            self.stop_stale(&egress_id, Some("LiveKit no longer knows it"));
        }
        Some(RecordingSummary {
            egress_id,
            status: RecordingStatus::Failed,
            file_path: key,
            started_at,
            duration_ms: None,
            size_bytes: None,
            playback_url: None,
            hls_playlist_url: None,
            error: Some(LOST_REASON.to_owned()),
        })
    }

    /// The running recording of `room`, and the saved (and failed) ones, newest first — once
    /// `admit` lets the caller in, given the passcode hash the recordings are kept under (if
    /// they are private).
    pub async fn list(
        &self,
        room: &RoomId,
        admit: impl FnOnce(Option<&str>) -> Result<(), ApiError>,
    ) -> Result<RecordingList, ApiError> {
        let prefix = format!("{RECORDINGS_PREFIX}/{room}/");
        let broadcasts_prefix = format!("{HLS_PREFIX}/{room}/");
        let (egresses, objects, broadcasts) = tokio::join!(
            self.livekit.list_egress(Some(room), None),
            self.store.list(&prefix),
            self.store.list(&broadcasts_prefix)
        );
        // The bucket is the truth about saved files; the egress list adds durations and failures
        // when LiveKit still remembers them.
        // Without it, a marker with no file could be a recording that runs fine: none is judged.
        let egress_list_known = egresses.is_ok();
        let egresses = recordings_only(egresses.unwrap_or_else(|err| {
            tracing::warn!(room = %room, error = %err, "egress list unavailable; listing the bucket only");
            Vec::new()
        }));
        let objects = objects?;
        // The broadcasts recordings carried (a second replay format); none when unreadable.
        let broadcasts = broadcasts.unwrap_or_else(|err| {
            tracing::warn!(room = %room, error = %err, "the room's broadcasts are not listed");
            Vec::new()
        });
        admit(self.stored_passcode(room, &objects).await?.as_deref())?;
        let egresses = self.judged_egresses(room, egresses).await;
        let active = egresses.iter().find(|j| j.is_running()).map(summary_of);
        let mut recordings = Vec::new();
        for object in objects.iter().filter(|o| o.key.ends_with(".mp4")) {
            let egress = egresses
                .iter()
                .find(|j| file_path_of(&j.info).as_deref() == Some(object.key.as_str()));
            if egress.is_some_and(Judged::is_running) {
                continue;
            }
            let mut summary = egress.map(summary_of).unwrap_or_else(|| RecordingSummary {
                egress_id: String::new(),
                status: RecordingStatus::Completed,
                file_path: object.key.clone(),
                started_at: 0,
                duration_ms: None,
                size_bytes: None,
                playback_url: None,
                hls_playlist_url: None,
                error: None,
            });
            summary.file_path = object.key.clone();
            summary.started_at = started_at_of(&object.key).unwrap_or(summary.started_at);
            summary.size_bytes = Some(object.size_bytes);
            if object.size_bytes == 0 {
                // Nothing to play: never offer it as a finished recording.
                summary.status = RecordingStatus::Failed;
                summary.error =
                    Some("The recording is empty: no audio or video was written.".into());
                recordings.push(summary);
                continue;
            }
            if summary.status == RecordingStatus::Failed {
                // A file was written even though the egress ended badly: keep it playable.
                summary
                    .error
                    .get_or_insert_with(|| "the recording ended with an error".into());
            }
            summary.playback_url = Some(self.store.playback_url(&object.key).await?);
            summary.hls_playlist_url = broadcasts
                .iter()
                .any(|o| o.key == event_playlist_key(room, summary.started_at))
                .then(|| event_playlist_path(room, summary.started_at));
            recordings.push(summary);
        }
        // Failures that left no file are reported too: a recording is never silently lost.
        let in_bucket = |key: &str| objects.iter().any(|o| o.key == key);
        for judged in egresses.iter().filter(|j| !j.is_running()) {
            let path = file_path_of(&judged.info).unwrap_or_default();
            if in_bucket(&path) {
                continue;
            }
            let mut summary = summary_of(judged);
            if summary.status == RecordingStatus::Completed {
                summary.status = RecordingStatus::Failed;
                summary.error = Some(
                    "The recording finished, but its file is not in the bucket (was it deleted?)."
                        .into(),
                );
            }
            recordings.push(summary);
        }
        // So are recordings LiveKit forgot before their file was saved: only their marker says
        // they were started.
        for key in objects
            .iter()
            .filter(|_| egress_list_known)
            .filter_map(|o| recording_key_of_marker(&o.key))
        {
            let has_egress = egresses
                .iter()
                .any(|j| file_path_of(&j.info).as_deref() == Some(key.as_str()));
            if !in_bucket(&key) && !has_egress {
                recordings.extend(self.lost(room, key).await);
            }
        }
        recordings.sort_by_key(|r| std::cmp::Reverse(r.started_at));
        Ok(RecordingList {
            room_id: room.clone(),
            active,
            recordings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_live_under_the_room_with_their_start_time() {
        let room = RoomId::parse("abcdefghij0123").unwrap();
        let key = recording_key(&room, 1_764_000_000_000);
        assert_eq!(key, "live-recordings/abcdefghij0123/1764000000000.mp4");
        assert_eq!(started_at_of(&key), Some(1_764_000_000_000));
        assert_eq!(started_at_of("live-recordings/x/notes.txt"), None);
    }

    #[test]
    fn each_recording_has_a_marker_beside_its_file() {
        let key = "live-recordings/abcdefghij0123/1764000000000.mp4";
        let marker = marker_key(key);
        assert_eq!(
            marker,
            "live-recordings/abcdefghij0123/1764000000000.recording.json"
        );
        assert_eq!(recording_key_of_marker(&marker).as_deref(), Some(key));
        assert_eq!(recording_key_of_marker(key), None);
    }

    fn room_composite(
        file_outputs: Vec<proto::EncodedFileOutput>,
        stream_outputs: Vec<proto::StreamOutput>,
    ) -> proto::EgressInfo {
        proto::EgressInfo {
            egress_id: "EG_1".into(),
            status: proto::EgressStatus::EgressActive as i32,
            request: Some(proto::egress_info::Request::RoomComposite(
                proto::RoomCompositeEgressRequest {
                    file_outputs,
                    stream_outputs,
                    ..Default::default()
                },
            )),
            ..Default::default()
        }
    }

    #[test]
    fn a_restream_is_not_a_recording() {
        let restream = room_composite(
            Vec::new(),
            vec![proto::StreamOutput {
                urls: vec!["rtmp://a.rtmp.youtube.com/live2/key".into()],
                ..Default::default()
            }],
        );
        assert!(!is_recording(&restream));
        assert!(latest_recording(vec![restream.clone()], &["EG_1".into()]).is_none());
        let recording = room_composite(
            vec![proto::EncodedFileOutput {
                filepath: "live-recordings/abcdefghij0123/1764000000000.mp4".into(),
                ..Default::default()
            }],
            Vec::new(),
        );
        assert!(is_recording(&recording));
        assert_eq!(recordings_only(vec![restream, recording]).len(), 1);
    }
}
