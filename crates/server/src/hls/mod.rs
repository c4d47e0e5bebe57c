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
//! A stream costs one compositor however it is recorded and broadcast: the recording's egress
//! carries the broadcast too (`Broadcaster::broadcast_for_recording`), its folder named by the
//! recording's start, so its event playlist is the recording's second replay format (seekable,
//! starts at once). A broadcast already running when the recording starts is taken over: the
//! recording's egress continues it (a `continues.json` marker in its folder names the one it
//! continues) and the broadcast's own egress is stopped once the recording's has written its
//! first segment. When the recording stops, a broadcast the host had on before it (or
//! `HLS_MODE=always`) is handed back to an egress of its own the same way. Players follow one
//! live playlist throughout ([`chain`]): one numbering, a discontinuity where the egress
//! changes, nothing shown twice.
//!
//! A viral stream's viewers cost one egress lookup and one bucket read per second per replica
//! for the playlist, and one bucket read per segment per replica: rendered playlists (one
//! second) and segments (a minute, 128 MiB at most) are cached with request coalescing (moka),
//! however many viewers ask.

mod chain;

use livekit_api::services::egress::EgressOutput;
use livekit_protocol as proto;
use onair_api::hls::live_playlist_path;
use onair_api::{HlsInfo, HlsMode, RoomId};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
/// The marker in a broadcast's folder naming the broadcast it continues.
const CONTINUES_MARKER: &str = "continues.json";
/// How long the broadcast's own egress keeps running while the recording's egress that takes
/// it over has written no segment yet; past it, the broadcast stays on its own egress.
const TAKEOVER_WAIT: Duration = Duration::from_secs(60);
const TAKEOVER_POLL: Duration = Duration::from_millis(500);

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

fn continues_key(room: &RoomId, start_millis: u64) -> String {
    format!("{}{CONTINUES_MARKER}", broadcast_folder(room, start_millis))
}

fn live_playlist_key(room: &RoomId, start_millis: u64) -> String {
    format!("{}{LIVE_PLAYLIST}", broadcast_folder(room, start_millis))
}

/// What a `continues.json` marker says.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Continues {
    /// The start (unix millis) of the broadcast this one continues.
    continues: u64,
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

/// The starts (unix millis) of the room's running broadcasts, oldest egress first.
fn running_broadcast_starts(infos: &[proto::EgressInfo]) -> Vec<u64> {
    let mut running: Vec<_> = infos
        .iter()
        .filter(|info| livekit_says_running(info))
        .filter_map(|info| Some((info.started_at, start_of(&folder_of(info)?)?)))
        .collect();
    running.sort_unstable();
    running.into_iter().map(|(_, start)| start).collect()
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

/// The broadcast a recording's egress carries beside its file.
pub struct CarriedBroadcast {
    /// Where it writes the segments.
    pub output: proto::SegmentedFileOutput,
    /// The egress of the broadcast it takes over, stopped once it writes.
    takes_over_egress: Option<String>,
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
    /// What each broadcast's `continues.json` says (written before its egress starts, so
    /// never changed once read): the broadcast it continues, if any.
    continues: moka::future::Cache<(RoomId, u64), Option<u64>>,
    /// Where each broadcast joins the one it continues; fixed once that one ended.
    joins: moka::future::Cache<(RoomId, u64), Arc<chain::Join>>,
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
            continues: moka::future::Cache::builder().max_capacity(10_000).build(),
            joins: moka::future::Cache::builder().max_capacity(10_000).build(),
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
        let info = self.start_broadcast(room, unix_millis(), None).await?;
        self.playlists.invalidate(room).await;
        Ok((true, info_of(room, &[info])))
    }

    /// Starts an egress broadcasting `room` into the folder of `start_millis`, continuing the
    /// broadcast started at `continues` if one is given.
    async fn start_broadcast(
        &self,
        room: &RoomId,
        start_millis: u64,
        continues: Option<u64>,
    ) -> Result<proto::EgressInfo, ApiError> {
        if let Some(previous) = continues {
            self.mark_continuation(room, start_millis, previous).await?;
        }
        let folder = broadcast_folder(room, start_millis);
        let segments = self.segments_output(&folder);
        let info = self
            .livekit
            .start_room_composite(room, vec![EgressOutput::Segments(segments)])
            .await
            .map_err(Self::egress_error)?;
        tracing::info!(room = %room, egress = %info.egress_id, folder = %folder, ?continues, "HLS broadcast started");
        Ok(info)
    }

    /// Writes that the broadcast of `room` started at `start_millis` continues the one started
    /// at `previous` (before its egress starts, so players never see it on its own).
    async fn mark_continuation(
        &self,
        room: &RoomId,
        start_millis: u64,
        previous: u64,
    ) -> Result<(), ApiError> {
        let marker = Continues {
            continues: previous,
        };
        let body = serde_json::to_vec(&marker).expect("a marker serialises");
        self.store
            .put_json(&continues_key(room, start_millis), body)
            .await?;
        Ok(())
    }

    /// The broadcast that the one of `room` started at `start_millis` continues, if any.
    async fn continued_by(
        &self,
        room: &RoomId,
        start_millis: u64,
    ) -> Result<Option<u64>, ApiError> {
        let store = &self.store;
        self.continues
            .try_get_with((room.clone(), start_millis), async move {
                let marker = store.find(&continues_key(room, start_millis)).await?;
                Ok(marker
                    .and_then(|body| serde_json::from_slice::<Continues>(&body).ok())
                    .map(|marker| marker.continues))
            })
            .await
            .map_err(|err: Arc<ApiError>| shared_error(&err))
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
    /// given the room's `egresses`: `None` when HLS is off. A broadcast already running is
    /// taken over: the recording's continues it ([`Self::recording_started`] retires its egress).
    pub async fn broadcast_for_recording(
        &self,
        room: &RoomId,
        started_at: u64,
        egresses: &[proto::EgressInfo],
    ) -> Result<Option<CarriedBroadcast>, ApiError> {
        if self.mode == HlsMode::Off {
            return Ok(None);
        }
        let taken_over = running_broadcast(egresses)
            .and_then(|info| Some((info.egress_id.clone(), start_of(&folder_of(info)?)?)));
        if let Some((_, previous)) = &taken_over {
            self.mark_continuation(room, started_at, *previous).await?;
        }
        Ok(Some(CarriedBroadcast {
            output: self.segments_output(&broadcast_folder(room, started_at)),
            takes_over_egress: taken_over.map(|(egress_id, _)| egress_id),
        }))
    }

    /// The recording of `room` started at `started_at` carries `carried`: the egress of the
    /// broadcast it took over stops, in the background, once the recording's has written its
    /// first segment (players switch without a gap). If it writes none within a minute, the
    /// broadcast stays on its own egress.
    pub fn recording_started(&self, room: &RoomId, started_at: u64, carried: CarriedBroadcast) {
        let Some(retiring) = carried.takes_over_egress else {
            return;
        };
        let (livekit, store, room) = (self.livekit.clone(), self.store.clone(), room.clone());
        tokio::spawn(async move {
            let live_playlist = live_playlist_key(&room, started_at);
            let waiting_since = Instant::now();
            while waiting_since.elapsed() < TAKEOVER_WAIT {
                let written = store.find(&live_playlist).await.unwrap_or_else(|err| {
                    tracing::debug!(room = %room, error = %err, "the recording's live playlist is unreadable yet");
                    None
                });
                if written
                    .and_then(|body| chain::parse(&body))
                    .is_some_and(|playlist| !playlist.segments.is_empty())
                {
                    match livekit.stop_egress(&retiring).await {
                        Ok(_) | Err(LiveKitError::NotFound) => {
                            tracing::info!(room = %room, egress = %retiring, waited_ms = waiting_since.elapsed().as_millis() as u64, "the recording's egress took the broadcast over; its own egress stopped")
                        }
                        Err(err) => {
                            tracing::warn!(room = %room, egress = %retiring, error = %err, "the broadcast's own egress could not be stopped after the takeover")
                        }
                    }
                    return;
                }
                tokio::time::sleep(TAKEOVER_POLL).await;
            }
            tracing::warn!(room = %room, egress = %retiring, "the recording's egress wrote no segment within a minute; the broadcast stays on its own egress");
        });
    }

    /// The host stops the recording `recording` of `room`: when its egress carries a broadcast
    /// that outlives it (one the host had on before, or `HLS_MODE=always`), an egress of its
    /// own continues that broadcast, started in the background beside the recording's ending.
    pub async fn recording_stopping(&self, room: &RoomId, recording: &proto::EgressInfo) {
        let Some(carried) = folder_of(recording).as_deref().and_then(start_of) else {
            return;
        };
        let outlives = match self.mode {
            HlsMode::Off => false,
            HlsMode::Always => true,
            HlsMode::Host => match self.continued_by(room, carried).await {
                Ok(previous) => previous.is_some(),
                Err(err) => {
                    tracing::warn!(room = %room, error = %err, "cannot tell whether the broadcast outlives the recording; it ends with it");
                    false
                }
            },
        };
        if !outlives {
            return;
        }
        if let Err(err) = self
            .start_broadcast(room, unix_millis(), Some(carried))
            .await
        {
            tracing::warn!(room = %room, error = %err, "the broadcast could not go on after the recording");
        }
        self.playlists.invalidate(room).await;
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
        let running = running_broadcast_starts(&self.egresses(room).await?);
        let Some(&newest) = running.last() else {
            return Ok(None);
        };
        // A broadcast that has not joined the one it continues yet (its first new segment is
        // not written, or the previous egress still runs): players follow the previous one.
        let mut current = newest;
        let mut join = None;
        while let Some(previous) = self.continued_by(room, current).await? {
            match self.join(room, previous, current, &running).await? {
                Some(joined) => {
                    join = Some(joined);
                    break;
                }
                None => current = previous,
            }
        }
        let Some(live) = self
            .store
            .find(&live_playlist_key(room, current))
            .await?
            .and_then(|body| chain::parse(&body))
        else {
            return Ok(None);
        };
        let mut placed = join
            .as_ref()
            .map(|join| join.previous_tail.clone())
            .unwrap_or_default();
        placed.extend(chain::place(&live, current, join.as_deref()));
        if placed.is_empty() {
            return Ok(None);
        }
        // The end of a broadcast that another continues is not the end.
        let ended = current == newest && live.end_list;
        Ok(Some(chain::live_window(placed, room, ended).into()))
    }

    /// Where the broadcast of `room` started at `next` joins the one started at `previous`;
    /// `None` until `previous` has ended and `next` has a segment past its end. `running` are
    /// the starts of the room's running broadcasts.
    async fn join(
        &self,
        room: &RoomId,
        previous: u64,
        next: u64,
        running: &[u64],
    ) -> Result<Option<Arc<chain::Join>>, ApiError> {
        let key = (room.clone(), next);
        if let Some(join) = self.joins.get(&key).await {
            return Ok(Some(join));
        }
        let Some(shown_before) = self.all_placed(room, previous, running).await? else {
            return Ok(None);
        };
        let next_event = self
            .store
            .find(&event_playlist_key(room, next))
            .await?
            .and_then(|body| chain::parse(&body));
        let Some(join) = next_event.and_then(|event| chain::join(&shown_before, &event)) else {
            return Ok(None);
        };
        let join = Arc::new(join);
        self.joins.insert(key, join.clone()).await;
        Ok(Some(join))
    }

    /// Every segment the ended broadcast of `room` started at `start` showed, placed in the
    /// continuous broadcast; `None` while it runs.
    fn all_placed<'a>(
        &'a self,
        room: &'a RoomId,
        start: u64,
        running: &'a [u64],
    ) -> futures_util::future::BoxFuture<'a, Result<Option<Vec<chain::Placed>>, ApiError>> {
        Box::pin(async move {
            let event = self
                .store
                .find(&event_playlist_key(room, start))
                .await?
                .and_then(|body| chain::parse(&body));
            let ended = !running.contains(&start) || event.as_ref().is_some_and(|e| e.end_list);
            if !ended {
                return Ok(None);
            }
            let Some(event) = event else {
                // It ended before writing anything.
                return Ok(Some(Vec::new()));
            };
            let join = match self.continued_by(room, start).await? {
                Some(previous) => self.join(room, previous, start, running).await?,
                None => None,
            };
            Ok(Some(chain::place(&event, start, join.as_deref())))
        })
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
        Ok(chain::parse(&body).map(|event| chain::with_segment_paths(event, room, start_millis)))
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
    fn a_folder_names_its_start() {
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
