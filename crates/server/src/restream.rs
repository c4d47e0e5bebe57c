//! Restreaming a stream to RTMP(S) destinations (YouTube, Twitch, …): one RoomComposite egress
//! with a `StreamOutput` per stream, started by its first destination; later ones are added and
//! removed while it runs with `UpdateStream`, never by restarting it, and the last one removed
//! stops it. Each destination's status is the egress's own report of that URL
//! (`EgressInfo.stream_results`), from the latest webhook or LiveKit's egress list.
//!
//! LiveKit keeps only redacted URLs (`rtmp://host/app/{abc...xyz}`), but removing one output
//! needs its exact URL: OnAir keeps each destination as a small object in the bucket
//! (`live-destinations/{roomId}/{destinationId}.json`), shared by every replica, with the
//! stream key sealed (XChaCha20-Poly1305, keyed from the host-key secret). The key never leaves
//! this module in the clear except towards LiveKit, and is never logged.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use livekit_api::services::egress::EgressOutput;
use livekit_protocol as proto;
use onair_api::restream::MAX_DESTINATIONS;
use onair_api::{
    AddDestinationRequest, Destination, DestinationList, DestinationStatus, RoomId, StreamKey,
};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::sync::Arc;

use crate::error::ApiError;
use crate::livekit::{LiveKit, LiveKitError, unix_millis, without_destination_urls};
use crate::recording::livekit_says_running;
use crate::storage::RecordingStore;
use crate::webhooks::Webhooks;

/// Folder of the destinations in the bucket.
pub const DESTINATIONS_PREFIX: &str = "live-destinations";

/// A destination as the bucket keeps it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredDestination {
    destination_id: String,
    /// The server URL, without the key.
    url: String,
    platform: String,
    /// The URL with its key as LiveKit reports it (redacted), to find its status.
    reported_url: String,
    /// The key, sealed: base64 of the nonce and the ciphertext.
    sealed_key: String,
    /// The egress that sends to it.
    egress_id: String,
    added_at: u64,
}

fn destination_key(room: &RoomId, destination_id: &str) -> String {
    format!("{DESTINATIONS_PREFIX}/{room}/{destination_id}.json")
}

fn new_destination_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let suffix: String = (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("dst_{suffix}")
}

/// The URL as egress reports it: the stream key (what follows the last `/`) cut to its first
/// and last few characters, as LiveKit's `utils.RedactIdentifier` does.
fn redacted(full_url: &str) -> String {
    let Some((base, key)) = full_url.rsplit_once('/') else {
        return full_url.to_owned();
    };
    let keep = (1..=3).rev().find(|n| key.len() >= n * 3).unwrap_or(0);
    format!("{base}/{{{}...{}}}", &key[..keep], &key[key.len() - keep..])
}

/// Seals and opens stream keys with a key derived from the host-key secret.
struct KeySealer {
    cipher: XChaCha20Poly1305,
}

impl KeySealer {
    fn new(secret: &SecretString) -> Self {
        let mut derive = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
            .expect("HMAC takes keys of any length");
        derive.update(b"onair restream stream keys v1");
        let key = derive.finalize().into_bytes();
        Self {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }

    fn seal(&self, key: &StreamKey) -> String {
        let mut nonce = [0u8; 24];
        rand::rng().fill(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), key.expose().as_bytes())
            .expect("sealing a short key does not fail");
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        base64_simd::STANDARD.encode_to_string(bytes)
    }

    /// The key, or `None` when it was sealed with another secret (or altered).
    fn open(&self, sealed: &str) -> Option<StreamKey> {
        let bytes = base64_simd::STANDARD.decode_to_vec(sealed).ok()?;
        let (nonce, ciphertext) = bytes.split_at_checked(24)?;
        let nonce = XNonce::from(<[u8; 24]>::try_from(nonce).ok()?);
        let plain = self.cipher.decrypt(&nonce, ciphertext).ok()?;
        StreamKey::parse(std::str::from_utf8(&plain).ok()?).ok()
    }
}

/// Whether the egress sends to RTMP URLs (a restream, not a recording).
fn is_restream(info: &proto::EgressInfo) -> bool {
    match &info.request {
        Some(proto::egress_info::Request::RoomComposite(request)) => {
            !request.stream_outputs.is_empty()
        }
        _ => false,
    }
}

/// What the egress says of one destination.
fn status_of(stored: &StoredDestination, egress: Option<&proto::EgressInfo>) -> Destination {
    let (status, error) = match egress {
        // LiveKit forgot the egress (its state lives in Redis): nothing sends any more.
        None => (DestinationStatus::Ended, None),
        Some(info) => judge(stored, info),
    };
    Destination {
        destination_id: stored.destination_id.clone(),
        url: stored.url.clone(),
        platform: stored.platform.clone(),
        status,
        error,
    }
}

fn judge(
    stored: &StoredDestination,
    info: &proto::EgressInfo,
) -> (DestinationStatus, Option<String>) {
    use proto::stream_info::Status;
    let result = info
        .stream_results
        .iter()
        .rev()
        .find(|result| result.url == stored.reported_url);
    let nonempty = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    match result {
        Some(result) => match Status::try_from(result.status) {
            Ok(Status::Failed) => (
                DestinationStatus::Failed,
                nonempty(&result.error).or_else(|| Some("the platform refused the stream".into())),
            ),
            Ok(Status::Finished) => (DestinationStatus::Ended, None),
            // Egress counts an RTMP output active from the start; it is live once connected.
            Ok(Status::Active) if result.started_at > 0 && livekit_says_running(info) => {
                (DestinationStatus::Active, None)
            }
            _ if livekit_says_running(info) => (DestinationStatus::Starting, None),
            _ => ended_with(info),
        },
        None if livekit_says_running(info) => (DestinationStatus::Starting, None),
        None => ended_with(info),
    }
}

/// The state of a destination whose egress is over.
fn ended_with(info: &proto::EgressInfo) -> (DestinationStatus, Option<String>) {
    use proto::EgressStatus::*;
    match proto::EgressStatus::try_from(info.status) {
        Ok(EgressFailed | EgressAborted | EgressLimitReached) => (
            DestinationStatus::Failed,
            Some(if info.error.is_empty() {
                "the restream stopped with an error".into()
            } else {
                info.error.clone()
            }),
        ),
        _ => (DestinationStatus::Ended, None),
    }
}

/// Adds, lists and removes a stream's destinations.
pub struct Restreamer {
    livekit: Arc<LiveKit>,
    store: Arc<dyn RecordingStore>,
    sealer: KeySealer,
    webhooks: Arc<Webhooks>,
}

impl Restreamer {
    pub fn new(
        livekit: Arc<LiveKit>,
        store: Arc<dyn RecordingStore>,
        secret: &SecretString,
        webhooks: Arc<Webhooks>,
    ) -> Self {
        Self {
            livekit,
            store,
            sealer: KeySealer::new(secret),
            webhooks,
        }
    }

    fn egress_error(err: LiveKitError) -> ApiError {
        match err {
            LiveKitError::Refused(message) | LiveKitError::Unavailable(message) => {
                let message = without_destination_urls(&message);
                tracing::warn!(error = %message, "egress could not start or update the restream");
                ApiError::EgressUnavailable
            }
            LiveKitError::NotFound => ApiError::EgressUnavailable,
        }
    }

    /// The stream's destinations as the bucket keeps them, oldest first.
    async fn stored(&self, room: &RoomId) -> Result<Vec<StoredDestination>, ApiError> {
        let prefix = format!("{DESTINATIONS_PREFIX}/{room}/");
        let objects = self.store.list(&prefix).await?;
        let mut stored = Vec::with_capacity(objects.len());
        for object in objects.iter().filter(|o| o.key.ends_with(".json")) {
            let body = self.store.get(&object.key).await?;
            match serde_json::from_slice::<StoredDestination>(&body) {
                Ok(destination) => stored.push(destination),
                Err(err) => {
                    tracing::warn!(room = %room, key = %object.key, error = %err, "unreadable destination skipped")
                }
            }
        }
        stored.sort_by_key(|d| d.added_at);
        Ok(stored)
    }

    /// The room's egresses, each replaced by a webhook's report of it when that is newer.
    async fn egresses(&self, room: &RoomId) -> Result<Vec<proto::EgressInfo>, ApiError> {
        let listed = self
            .livekit
            .list_egress(Some(room), None)
            .await
            .map_err(Self::egress_error)?;
        Ok(listed
            .into_iter()
            .map(|info| match self.webhooks.egress_report(&info.egress_id) {
                Some(report) if report.updated_at > info.updated_at => (*report).clone(),
                _ => info,
            })
            .collect())
    }

    /// Sends the stream to a new destination: through the running restream egress when there
    /// is one, else a new one.
    pub async fn add(
        &self,
        room: &RoomId,
        request: AddDestinationRequest,
    ) -> Result<Destination, ApiError> {
        let stored = self.stored(room).await?;
        let egresses = self.egresses(room).await?;
        let live: Vec<&StoredDestination> = stored
            .iter()
            .filter(|d| {
                let egress = egresses.iter().find(|e| e.egress_id == d.egress_id);
                matches!(
                    status_of(d, egress).status,
                    DestinationStatus::Starting | DestinationStatus::Active
                )
            })
            .collect();
        if live.len() >= MAX_DESTINATIONS {
            return Err(ApiError::TooManyDestinations {
                limit: MAX_DESTINATIONS,
            });
        }
        let full_url = request.url.with_key(&request.stream_key);
        let already = live.iter().any(|d| {
            d.url == request.url.as_str()
                && self.sealer.open(&d.sealed_key).as_ref() == Some(&request.stream_key)
        });
        if already {
            return Err(ApiError::DestinationExists);
        }
        let running = egresses
            .iter()
            .filter(|e| is_restream(e) && livekit_says_running(e))
            .max_by_key(|e| e.started_at);
        let info = match running {
            Some(egress) => match self
                .livekit
                .update_stream(&egress.egress_id, vec![full_url.clone()], Vec::new())
                .await
            {
                Ok(info) => info,
                // It ended meanwhile (its last destination failed, say): start another.
                Err(LiveKitError::Refused(message)) => {
                    tracing::info!(room = %room, egress = %egress.egress_id, %message, "restream egress would not take a new destination; starting another");
                    self.start(room, &full_url).await?
                }
                Err(err) => return Err(Self::egress_error(err)),
            },
            None => self.start(room, &full_url).await?,
        };
        let destination = StoredDestination {
            destination_id: new_destination_id(),
            url: request.url.as_str().to_owned(),
            platform: request.url.platform(),
            reported_url: redacted(&full_url),
            sealed_key: self.sealer.seal(&request.stream_key),
            egress_id: info.egress_id.clone(),
            added_at: unix_millis(),
        };
        let body = serde_json::to_vec(&destination).map_err(anyhow::Error::from)?;
        self.store
            .put_json(&destination_key(room, &destination.destination_id), body)
            .await?;
        tracing::info!(room = %room, egress = %info.egress_id, destination = %destination.destination_id, url = %destination.url, "restream destination added");
        Ok(status_of(&destination, Some(&info)))
    }

    async fn start(&self, room: &RoomId, full_url: &str) -> Result<proto::EgressInfo, ApiError> {
        let output = proto::StreamOutput {
            protocol: proto::StreamProtocol::Rtmp as i32,
            urls: vec![full_url.to_owned()],
        };
        self.livekit
            .start_room_composite(room, vec![EgressOutput::Stream(output)])
            .await
            .map_err(Self::egress_error)
    }

    /// The stream's destinations with their status, oldest first.
    pub async fn list(&self, room: &RoomId) -> Result<DestinationList, ApiError> {
        let stored = self.stored(room).await?;
        let egresses = if stored.is_empty() {
            Vec::new()
        } else {
            self.egresses(room).await?
        };
        let destinations = stored
            .iter()
            .map(|d| status_of(d, egresses.iter().find(|e| e.egress_id == d.egress_id)))
            .collect();
        Ok(DestinationList {
            room_id: room.clone(),
            destinations,
        })
    }

    /// Stops sending to a destination and forgets it; the last one sending stops the egress.
    pub async fn remove(&self, room: &RoomId, destination_id: &str) -> Result<(), ApiError> {
        let stored = self.stored(room).await?;
        let destination = stored
            .iter()
            .find(|d| d.destination_id == destination_id)
            .ok_or_else(|| ApiError::NotFound("destination not found".into()))?;
        let egresses = self.egresses(room).await?;
        let egress = egresses
            .iter()
            .find(|e| e.egress_id == destination.egress_id && livekit_says_running(e));
        if let Some(egress) = egress {
            let sending = |d: &&StoredDestination| {
                d.egress_id == egress.egress_id
                    && matches!(
                        status_of(d, Some(egress)).status,
                        DestinationStatus::Starting | DestinationStatus::Active
                    )
            };
            let others = stored
                .iter()
                .filter(sending)
                .filter(|d| d.destination_id != destination_id)
                .count();
            let key = self.sealer.open(&destination.sealed_key);
            let result = match (others, key) {
                (0, _) => self.livekit.stop_egress(&egress.egress_id).await.map(drop),
                (_, Some(key)) => {
                    let url = onair_api::RtmpUrl::parse(&destination.url)
                        .map_err(|err| anyhow::anyhow!("stored destination URL: {err}"))?;
                    self.livekit
                        .update_stream(&egress.egress_id, Vec::new(), vec![url.with_key(&key)])
                        .await
                        .map(drop)
                }
                (_, None) => {
                    // Sealed under another host-key secret: the exact URL is lost, so only
                    // stopping the whole restream would stop this one. Leave the others be.
                    tracing::warn!(room = %room, destination = %destination_id, "destination's key sealed with another secret; it keeps receiving until the stream ends");
                    Ok(())
                }
            };
            match result {
                Ok(()) => {}
                // Already failed, removed or ended: nothing left to stop.
                Err(err @ (LiveKitError::Refused(_) | LiveKitError::NotFound)) => {
                    tracing::info!(room = %room, destination = %destination_id, error = %err, "destination was no longer being sent to");
                }
                Err(err) => return Err(Self::egress_error(err)),
            }
        }
        self.store
            .delete(&destination_key(room, destination_id))
            .await?;
        tracing::info!(room = %room, destination = %destination_id, "restream destination removed");
        Ok(())
    }

    /// Forgets every destination of an ended stream (its egress ends with its room).
    pub async fn forget_all(&self, room: &RoomId) {
        let prefix = format!("{DESTINATIONS_PREFIX}/{room}/");
        let objects = match self.store.list(&prefix).await {
            Ok(objects) => objects,
            Err(err) => {
                tracing::warn!(room = %room, error = %err, "destinations of an ended stream left in the bucket");
                return;
            }
        };
        for object in objects {
            if let Err(err) = self.store.delete(&object.key).await {
                tracing::warn!(room = %room, key = %object.key, error = %err, "destination of an ended stream left in the bucket");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn egress_errors_are_logged_without_the_stream_key() {
        let logged = without_destination_urls(
            r#"invalid url rtmp://h/app/s3cret-key: parse "rtmp://h/app/s3cret-key": bad"#,
        );
        assert!(!logged.contains("s3cret"), "{logged}");
        assert!(
            logged.starts_with("invalid url <destination URL>"),
            "{logged}"
        );
    }

    use super::*;

    #[test]
    fn urls_are_redacted_as_livekit_reports_them() {
        assert_eq!(
            redacted("rtmp://127.0.0.1:1935/live/abcdefghijkl"),
            "rtmp://127.0.0.1:1935/live/{abc...jkl}"
        );
        assert_eq!(redacted("rtmp://h/app/abcdef"), "rtmp://h/app/{ab...ef}");
        assert_eq!(redacted("rtmp://h/app/abc"), "rtmp://h/app/{a...c}");
        assert_eq!(redacted("rtmp://h/app/ab"), "rtmp://h/app/{...}");
    }

    #[test]
    fn a_sealed_key_opens_only_with_its_secret() {
        let sealer = KeySealer::new(&SecretString::from("one secret"));
        let key = StreamKey::parse("live_abc-123").unwrap();
        let sealed = sealer.seal(&key);
        assert!(!sealed.contains("live_abc-123"));
        assert_eq!(sealer.open(&sealed), Some(key));
        let other = KeySealer::new(&SecretString::from("another secret"));
        assert_eq!(other.open(&sealed), None);
    }

    fn stored(reported_url: &str) -> StoredDestination {
        StoredDestination {
            destination_id: "dst_1".into(),
            url: "rtmp://h/live".into(),
            platform: "h".into(),
            reported_url: reported_url.into(),
            sealed_key: String::new(),
            egress_id: "EG_1".into(),
            added_at: 1,
        }
    }

    fn egress(status: proto::EgressStatus, results: Vec<proto::StreamInfo>) -> proto::EgressInfo {
        proto::EgressInfo {
            egress_id: "EG_1".into(),
            status: status as i32,
            stream_results: results,
            ..Default::default()
        }
    }

    fn result(url: &str, status: proto::stream_info::Status, started_at: i64) -> proto::StreamInfo {
        proto::StreamInfo {
            url: url.into(),
            status: status as i32,
            started_at,
            error: if status == proto::stream_info::Status::Failed {
                "connection refused".into()
            } else {
                String::new()
            },
            ..Default::default()
        }
    }

    #[test]
    fn each_destination_reads_its_own_result() {
        use proto::stream_info::Status;
        let a = stored("rtmp://h/live/{a...a}");
        let info = egress(
            proto::EgressStatus::EgressActive,
            vec![
                result("rtmp://h/live/{b...b}", Status::Failed, 0),
                result("rtmp://h/live/{a...a}", Status::Active, 5),
            ],
        );
        assert_eq!(status_of(&a, Some(&info)).status, DestinationStatus::Active);
        let b = stored("rtmp://h/live/{b...b}");
        let judged = status_of(&b, Some(&info));
        assert_eq!(judged.status, DestinationStatus::Failed);
        assert_eq!(judged.error.as_deref(), Some("connection refused"));
        let connecting = egress(
            proto::EgressStatus::EgressActive,
            vec![result("rtmp://h/live/{a...a}", Status::Active, 0)],
        );
        assert_eq!(
            status_of(&a, Some(&connecting)).status,
            DestinationStatus::Starting
        );
        assert_eq!(status_of(&a, None).status, DestinationStatus::Ended);
        let failed = egress(proto::EgressStatus::EgressFailed, vec![]);
        assert_eq!(
            status_of(&a, Some(&failed)).status,
            DestinationStatus::Failed
        );
    }
}
