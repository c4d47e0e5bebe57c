//! HLS broadcast of a stream, for audiences past one SFU: a RoomComposite egress writing 2 s
//! segments, a sliding-window live playlist and the whole-event playlist to the bucket under
//! `live-hls/{roomId}/{startMillis}/`.
//!
//! Browsers get the playlist and the segments from OnAir, never from the bucket: no bucket CORS
//! rule nor public-read prefix is needed, the bucket stays private, and a passcode stream gates
//! its segments as it gates its playlist. For a CDN in front of OnAir the two differ: the live
//! playlist changes every 2 s and is cached one second; a segment never changes once written
//! (`/hls/{roomId}/{startMillis}/segment_00042.ts`) and is cached for a year, so the CDN asks
//! OnAir for each segment once.
//!
//! One egress carries the recording and the broadcast together when the host records while
//! nothing broadcasts (`Broadcaster::segments_for_recording`): one compositor and one encoder
//! for both, the broadcast's folder named by the recording's start. That broadcast then lasts
//! as long as the recording, and its event playlist is the recording's second replay format
//! (seekable, starts at once). A broadcast started first keeps its own egress when a recording
//! follows: moving its viewers to a new egress would restart their players.
//!
//! A viral stream's viewers cost one egress lookup and one bucket read per second per replica
//! for the playlist, and one bucket read per segment per replica: rendered playlists (one
//! second) and segments (a minute, 128 MiB at most) are cached with request coalescing (moka),
//! however many viewers ask.

use livekit_api::services::egress::EgressOutput;
use livekit_protocol as proto;
use onair_api::hls::live_playlist_path;
use onair_api::{HlsInfo, HlsMode, RoomId};
use std::sync::Arc;
use std::time::Duration;

use crate::config::S3Settings;
use crate::error::ApiError;
use crate::livekit::{LiveKit, LiveKitError, unix_millis};
use crate::recording::{is_recording, livekit_says_running, s3_upload};
use crate::storage::RecordingStore;

/// Folder of all HLS broadcasts in the bucket.
pub const HLS_PREFIX: &str = "live-hls";
/// Length of one segment. Two seconds keeps the broadcast a few seconds behind the room.
pub const SEGMENT_SECONDS: u32 = 2;
/// The sliding-window playlist players follow while the stream is live.
pub const LIVE_PLAYLIST: &str = "live.m3u8";
/// The playlist of the whole event, for the replay.
pub const EVENT_PLAYLIST: &str = "index.m3u8";
/// How long one rendered playlist is served to everyone: under a segment's length.
const PLAYLIST_CACHE_TTL: Duration = Duration::from_secs(1);
/// How long a segment stays in memory: its viewers all fetch it within a few seconds.
const SEGMENT_CACHE_TTL: Duration = Duration::from_secs(60);
/// The most memory the segments in cache take.
const SEGMENT_CACHE_BYTES: u64 = 128 * 1024 * 1024;
/// How long a broadcast started on its own is remembered, so the host's next tracks (or a
/// republish after a reconnect) do not start another while egress is still starting it.
const AUTO_START_MEMORY: Duration = Duration::from_secs(60);

/// The bucket folder of a broadcast of `room` started at `start_millis` (ends with `/`).
pub fn broadcast_folder(room: &RoomId, start_millis: u64) -> String {
    format!("{HLS_PREFIX}/{room}/{start_millis}/")
}

/// Where the whole event's playlist of a broadcast of `room` started at `start_millis` is kept.
pub fn event_playlist_key(room: &RoomId, start_millis: u64) -> String {
    format!("{}{EVENT_PLAYLIST}", broadcast_folder(room, start_millis))
}

/// Where browsers get that playlist (the replay of a broadcast) from OnAir.
pub fn event_playlist_path(room: &RoomId, start_millis: u64) -> String {
    format!("/hls/{room}/{start_millis}/{EVENT_PLAYLIST}")
}

/// The folder an HLS egress writes to, from its request; `None` for other egresses.
pub(crate) fn folder_of(info: &proto::EgressInfo) -> Option<String> {
    let Some(proto::egress_info::Request::RoomComposite(request)) = &info.request else {
        return None;
    };
    let playlist = &request.segment_outputs.first()?.playlist_name;
    let (folder, _) = playlist.rsplit_once('/')?;
    Some(format!("{folder}/"))
}

/// The running HLS egress among a room's egresses.
fn running_broadcast(infos: &[proto::EgressInfo]) -> Option<&proto::EgressInfo> {
    infos
        .iter()
        .filter(|info| livekit_says_running(info) && folder_of(info).is_some())
        .max_by_key(|info| info.started_at)
}

/// What viewers are told of a room's broadcast, from its egresses.
pub fn info_of(room: &RoomId, infos: &[proto::EgressInfo]) -> HlsInfo {
    match running_broadcast(infos) {
        Some(_) => HlsInfo {
            live: true,
            playlist_url: Some(live_playlist_path(room)),
        },
        None => HlsInfo::default(),
    }
}

/// `playlist` with each segment line replaced by its path on OnAir
/// (`/hls/{roomId}/{startMillis}/{segment}`); tags are kept as they are.
fn with_segment_paths(playlist: &str, room: &RoomId, start_millis: u64) -> String {
    let mut rendered = String::with_capacity(playlist.len() * 2);
    for line in playlist.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            rendered.push_str(line);
        } else {
            // Egress writes segment names relative to the playlist; keep only that last part.
            let name = line.rsplit('/').next().unwrap_or(line);
            rendered.push_str(&format!("/hls/{room}/{start_millis}/{name}"));
        }
        rendered.push('\n');
    }
    rendered
}

/// The start time in a broadcast folder (`live-hls/{roomId}/{startMillis}/`).
fn start_of(folder: &str) -> Option<u64> {
    folder
        .trim_end_matches('/')
        .rsplit('/')
        .next()?
        .parse()
        .ok()
}

/// Whether `name` is a segment egress writes (`segment_00042.ts`): the only files served.
pub fn is_segment_name(name: &str) -> bool {
    name.strip_prefix("segment_")
        .and_then(|rest| rest.strip_suffix(".ts"))
        .is_some_and(|number| {
            (5..=9).contains(&number.len()) && number.chars().all(|c| c.is_ascii_digit())
        })
}

/// The error of a playlist render that several requests waited on (rendering fails only on an
/// unreachable egress or bucket, or a room LiveKit does not know).
fn shared_error(err: &ApiError) -> ApiError {
    match err {
        ApiError::EgressUnavailable => ApiError::EgressUnavailable,
        ApiError::StorageUnavailable => ApiError::StorageUnavailable,
        ApiError::NotFound(message) => ApiError::NotFound(message.clone()),
        other => ApiError::Internal(anyhow::anyhow!("rendering an HLS playlist: {other}")),
    }
}

/// Starts and stops broadcasts, and renders their playlists.
pub struct Broadcaster {
    livekit: Arc<LiveKit>,
    store: Arc<dyn RecordingStore>,
    s3: S3Settings,
    mode: HlsMode,
    /// Rendered live playlists by room; `None` while the broadcast has written none yet.
    playlists: moka::future::Cache<RoomId, Option<Arc<str>>>,
    /// Segments by bucket key: written once, read by every viewer.
    segments: moka::future::Cache<String, bytes::Bytes>,
    /// Rooms whose broadcast this replica started on its own lately (`HLS_MODE=always`): the
    /// host's audio and video are two `track_published` events, and they start one egress.
    auto_started: moka::future::Cache<RoomId, ()>,
}

impl Broadcaster {
    pub fn new(
        livekit: Arc<LiveKit>,
        store: Arc<dyn RecordingStore>,
        s3: S3Settings,
        mode: HlsMode,
    ) -> Self {
        let playlists = moka::future::Cache::builder()
            .max_capacity(10_000)
            .time_to_live(PLAYLIST_CACHE_TTL)
            .build();
        let segments = moka::future::Cache::builder()
            .weigher(|_key: &String, segment: &bytes::Bytes| {
                u32::try_from(segment.len()).unwrap_or(u32::MAX)
            })
            .max_capacity(SEGMENT_CACHE_BYTES)
            .time_to_live(SEGMENT_CACHE_TTL)
            .build();
        let auto_started = moka::future::Cache::builder()
            .max_capacity(10_000)
            .time_to_live(AUTO_START_MEMORY)
            .build();
        Self {
            livekit,
            store,
            s3,
            mode,
            playlists,
            segments,
            auto_started,
        }
    }

    pub fn mode(&self) -> HlsMode {
        self.mode
    }

    fn egress_error(err: LiveKitError) -> ApiError {
        match err {
            LiveKitError::Refused(message) | LiveKitError::Unavailable(message) => {
                tracing::warn!(error = %message, "egress could not start or answer about HLS");
                ApiError::EgressUnavailable
            }
            LiveKitError::NotFound => ApiError::NotFound("stream not found".into()),
        }
    }

    async fn egresses(&self, room: &RoomId) -> Result<Vec<proto::EgressInfo>, ApiError> {
        self.livekit
            .list_egress(Some(room), None)
            .await
            .map_err(Self::egress_error)
    }

    /// Starts broadcasting `room` unless it is already; answers whether this call started it.
    pub async fn start(&self, room: &RoomId) -> Result<(bool, HlsInfo), ApiError> {
        if self.mode == HlsMode::Off {
            return Err(ApiError::HlsOff);
        }
        let egresses = self.egresses(room).await?;
        if running_broadcast(&egresses).is_some() {
            return Ok((false, info_of(room, &egresses)));
        }
        let folder = broadcast_folder(room, unix_millis());
        let segments = self.segments_output(&folder);
        let info = self
            .livekit
            .start_room_composite(room, vec![EgressOutput::Segments(segments)])
            .await
            .map_err(Self::egress_error)?;
        tracing::info!(room = %room, egress = %info.egress_id, folder = %folder, "HLS broadcast started");
        self.playlists.invalidate(room).await;
        Ok((true, info_of(room, &[info])))
    }

    /// The segments a broadcast writes into `folder` of the bucket.
    fn segments_output(&self, folder: &str) -> proto::SegmentedFileOutput {
        proto::SegmentedFileOutput {
            protocol: proto::SegmentedFileProtocol::HlsProtocol as i32,
            filename_prefix: format!("{folder}segment"),
            playlist_name: format!("{folder}{EVENT_PLAYLIST}"),
            live_playlist_name: format!("{folder}{LIVE_PLAYLIST}"),
            segment_duration: SEGMENT_SECONDS,
            output: Some(proto::segmented_file_output::Output::S3(s3_upload(
                &self.s3,
            ))),
            ..Default::default()
        }
    }

    /// The broadcast a recording of `room` starting at `started_at` carries in its own egress,
    /// given the room's `egresses`: `None` when HLS is off or a broadcast already runs.
    pub fn segments_for_recording(
        &self,
        room: &RoomId,
        started_at: u64,
        egresses: &[proto::EgressInfo],
    ) -> Option<proto::SegmentedFileOutput> {
        if self.mode == HlsMode::Off || running_broadcast(egresses).is_some() {
            return None;
        }
        Some(self.segments_output(&broadcast_folder(room, started_at)))
    }

    /// The host (or their encoder) published a track: with `HLS_MODE=always` the broadcast
    /// starts, in the background, once per room.
    pub async fn host_went_live(&self, room: &RoomId) {
        if self.mode == HlsMode::Always {
            self.start_once(room, "HLS_MODE=always").await;
        }
    }

    /// Whether viewers past the WebRTC audience can be sent to a broadcast (HLS is not off).
    pub fn takes_overflow(&self) -> bool {
        self.mode != HlsMode::Off
    }

    /// A viewer was sent to the broadcast because the stream's WebRTC audience is full: it
    /// starts, once per room, if the host has not started it.
    pub async fn audience_overflowed(&self, room: &RoomId) {
        if self.takes_overflow() {
            self.start_once(room, "the WebRTC audience is full").await;
        }
    }

    /// Starts the broadcast of `room` for `why`, unless this server already did in the last
    /// minute (one start for a burst of triggers); a failure is logged, and allows a retry.
    async fn start_once(&self, room: &RoomId, why: &'static str) {
        // `or_insert_with`, not `or_insert`: only it coalesces concurrent callers into one
        // fresh entry (`or_insert` reads, then writes).
        let first = self
            .auto_started
            .entry(room.clone())
            .or_insert_with(async {})
            .await;
        if !first.is_fresh() {
            return;
        }
        match self.start(room).await {
            Ok((started, _)) => {
                if started {
                    tracing::info!(room = %room, why, "why the HLS broadcast started");
                }
            }
            Err(err) => {
                tracing::warn!(room = %room, why, error = %err, "the HLS broadcast did not start");
                self.auto_started.invalidate(room).await;
            }
        }
    }

    /// Stops every HLS egress of `room` (none running is fine); a broadcast that rides on the
    /// recording's egress is refused (`hls_with_recording`): it ends with the recording.
    pub async fn stop(&self, room: &RoomId) -> Result<(), ApiError> {
        let running: Vec<_> = self
            .egresses(room)
            .await?
            .into_iter()
            .filter(|info| livekit_says_running(info) && folder_of(info).is_some())
            .collect();
        if running.iter().any(is_recording) {
            return Err(ApiError::HlsWithRecording);
        }
        for info in running {
            match self.livekit.stop_egress(&info.egress_id).await {
                Ok(_) | Err(LiveKitError::NotFound) => {}
                Err(err) => return Err(Self::egress_error(err)),
            }
            tracing::info!(room = %room, egress = %info.egress_id, "HLS broadcast stopped");
        }
        self.playlists.invalidate(room).await;
        Ok(())
    }

    /// The live playlist of `room`'s broadcast, with segment URLs a browser plays; `None` while
    /// nothing is broadcast or the first segment is not written yet.
    pub async fn live_playlist(&self, room: &RoomId) -> Result<Option<Arc<str>>, ApiError> {
        self.playlists
            .try_get_with(room.clone(), self.render_live_playlist(room))
            .await
            .map_err(|err: Arc<ApiError>| shared_error(&err))
    }

    async fn render_live_playlist(&self, room: &RoomId) -> Result<Option<Arc<str>>, ApiError> {
        let egresses = self.egresses(room).await?;
        let Some(folder) = running_broadcast(&egresses).and_then(folder_of) else {
            return Ok(None);
        };
        let Some(playlist) = self.store.find(&format!("{folder}{LIVE_PLAYLIST}")).await? else {
            return Ok(None);
        };
        let start = start_of(&folder).unwrap_or_default();
        let rendered = with_segment_paths(&String::from_utf8_lossy(&playlist), room, start);
        Ok(Some(rendered.into()))
    }

    /// The playlist of the whole broadcast of `room` started at `start_millis` (the replay), with
    /// segment URLs a browser plays; `None` when there is none in the bucket.
    pub async fn event_playlist(
        &self,
        room: &RoomId,
        start_millis: u64,
    ) -> Result<Option<String>, ApiError> {
        let Some(body) = self
            .store
            .find(&event_playlist_key(room, start_millis))
            .await?
        else {
            return Ok(None);
        };
        let playlist = String::from_utf8_lossy(&body);
        Ok(Some(with_segment_paths(&playlist, room, start_millis)))
    }

    /// The segment `name` of `room`'s broadcast started at `start_millis` (cached, coalesced);
    /// `None` when there is no such segment.
    pub async fn segment(
        &self,
        room: &RoomId,
        start_millis: u64,
        name: &str,
    ) -> Result<Option<bytes::Bytes>, ApiError> {
        if !is_segment_name(name) {
            return Ok(None);
        }
        let key = format!("{}{name}", broadcast_folder(room, start_millis));
        let store = &self.store;
        let found = self
            .segments
            .try_get_with(key.clone(), async move {
                match store.find(&key).await {
                    Ok(Some(body)) => Ok(bytes::Bytes::from(body)),
                    Ok(None) => Err(ApiError::NotFound("no such segment".into())),
                    Err(err) => Err(ApiError::from(err)),
                }
            })
            .await;
        match found {
            Ok(segment) => Ok(Some(segment)),
            Err(err) if matches!(*err, ApiError::NotFound(_)) => Ok(None),
            Err(err) => Err(shared_error(&err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hls_egress(status: proto::EgressStatus, folder: &str) -> proto::EgressInfo {
        proto::EgressInfo {
            egress_id: "EG_hls".into(),
            status: status as i32,
            request: Some(proto::egress_info::Request::RoomComposite(
                proto::RoomCompositeEgressRequest {
                    segment_outputs: vec![proto::SegmentedFileOutput {
                        playlist_name: format!("{folder}{EVENT_PLAYLIST}"),
                        live_playlist_name: format!("{folder}{LIVE_PLAYLIST}"),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            )),
            ..Default::default()
        }
    }

    #[test]
    fn a_running_hls_egress_makes_the_broadcast_live_with_its_playlist() {
        let room = RoomId::parse("abcdefghij0123").unwrap();
        let folder = broadcast_folder(&room, 1_764_000_000_000);
        assert_eq!(folder, "live-hls/abcdefghij0123/1764000000000/");
        let running = hls_egress(proto::EgressStatus::EgressActive, &folder);
        assert_eq!(folder_of(&running).as_deref(), Some(folder.as_str()));
        let info = info_of(&room, &[running]);
        assert!(info.live);
        assert_eq!(
            info.playlist_url.as_deref(),
            Some("/hls/abcdefghij0123/live.m3u8")
        );
        let ended = hls_egress(proto::EgressStatus::EgressComplete, &folder);
        assert_eq!(info_of(&room, &[ended]), HlsInfo::default());
        let restream = proto::EgressInfo {
            status: proto::EgressStatus::EgressActive as i32,
            request: Some(proto::egress_info::Request::RoomComposite(
                proto::RoomCompositeEgressRequest::default(),
            )),
            ..Default::default()
        };
        assert!(!info_of(&room, &[restream]).live);
    }

    #[test]
    fn segments_are_served_by_onair_and_the_tags_kept() {
        let room = RoomId::parse("abcdefghij0123").unwrap();
        let playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\nsegment_00001.ts\n#EXTINF:2.000,\nsegment_00002.ts\n";
        assert_eq!(
            with_segment_paths(playlist, &room, 17),
            "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\n/hls/abcdefghij0123/17/segment_00001.ts\n#EXTINF:2.000,\n/hls/abcdefghij0123/17/segment_00002.ts\n"
        );
        assert_eq!(start_of("live-hls/abcdefghij0123/17/"), Some(17));
    }

    #[test]
    fn only_segment_files_are_served() {
        assert!(is_segment_name("segment_00042.ts"));
        assert!(is_segment_name("segment_123456.ts"));
        for name in [
            "live.m3u8",
            "index.m3u8",
            "segment_4.ts",
            "segment_0004a.ts",
            "../x.ts",
            "segment_00001.mp4",
        ] {
            assert!(!is_segment_name(name), "{name}");
        }
    }
}
