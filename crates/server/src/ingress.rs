//! Streaming from an encoder (OBS): one LiveKit ingress per stream, RTMP or WHIP, publishing
//! into the stream's room as an `encoder-…` participant under the host's name, so viewers watch
//! it like the host's camera. LiveKit keeps the ingress; onair keeps nothing. The stream key is
//! a secret: it goes only to the host, and never to a log.

use livekit_protocol as proto;
use onair_api::{IngressInfo, IngressInputType, RoomId};
use std::time::Duration;

use crate::error::ApiError;
use crate::livekit::{LiveKit, LiveKitError, Role};

/// LiveKit without ingress (no Redis, or no `ingress` section) is this server's configuration,
/// not a passing fault: 503 `ingress_unavailable`.
fn ingress_error(err: LiveKitError) -> ApiError {
    match err {
        // livekit-server answers "ingress not connected (redis required)" as an internal error.
        LiveKitError::Refused(message) if message.contains("ingress not connected") => {
            ApiError::IngressUnavailable
        }
        other => ApiError::from(other),
    }
}

fn input_of(kind: IngressInputType) -> proto::IngressInput {
    match kind {
        IngressInputType::Rtmp => proto::IngressInput::RtmpInput,
        IngressInputType::Whip => proto::IngressInput::WhipInput,
    }
}

fn to_info(ingress: proto::IngressInfo) -> Option<IngressInfo> {
    let input_type = match proto::IngressInput::try_from(ingress.input_type).ok()? {
        proto::IngressInput::RtmpInput => IngressInputType::Rtmp,
        proto::IngressInput::WhipInput => IngressInputType::Whip,
        proto::IngressInput::UrlInput => return None,
    };
    Some(IngressInfo {
        ingress_id: ingress.ingress_id,
        input_type,
        url: ingress.url,
        stream_key: ingress.stream_key,
    })
}

/// The stream's ingress, if it has one.
pub async fn find(livekit: &LiveKit, room: &RoomId) -> Result<Option<IngressInfo>, ApiError> {
    let ingresses = livekit.list_ingress(room).await.map_err(ingress_error)?;
    Ok(ingresses.into_iter().find_map(to_info))
}

/// Creates the stream's ingress; `host_name` is the name viewers see on it.
pub async fn create(
    livekit: &LiveKit,
    room: &RoomId,
    kind: IngressInputType,
    host_name: &str,
) -> Result<IngressInfo, ApiError> {
    if find(livekit, room).await?.is_some() {
        return Err(ApiError::IngressExists);
    }
    let identity = Role::Encoder.new_identity();
    let created = livekit
        .create_ingress(room, input_of(kind), &identity, host_name)
        .await
        .map_err(ingress_error)?;
    // Without `rtmp_base_url` / `whip_base_url` in its config, LiveKit hands out no URL.
    if created.url.is_empty() {
        if let Err(err) = livekit.delete_ingress(&created.ingress_id).await {
            tracing::warn!(room = %room, error = %err, "could not delete an ingress without a URL");
        }
        return Err(ApiError::IngressUnavailable);
    }
    to_info(created)
        .ok_or_else(|| ApiError::Upstream("LiveKit made another kind of ingress".into()))
}

/// How long, and how often, a deletion that timed out is looked for: the host hears within a few
/// seconds either way.
const DELETION_LOOK_LIMIT: Duration = Duration::from_millis(1500);
const DELETION_CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// Deletes the stream's ingresses (the encoder's publication ends with it). `false` when it had
/// none.
pub async fn delete_all(livekit: &LiveKit, room: &RoomId) -> Result<bool, ApiError> {
    let ingresses = livekit.list_ingress(room).await.map_err(ingress_error)?;
    for ingress in &ingresses {
        match livekit.delete_ingress(&ingress.ingress_id).await {
            Ok(()) | Err(LiveKitError::NotFound) => {}
            // Deleting an ingress an encoder is sending to waits for the ingress worker to stop
            // its pipeline, which a busy worker can take longer than LiveKit calls may; LiveKit
            // deletes the ingress whatever the worker answers. So a timeout is followed by a
            // look before the host is told to try again.
            Err(LiveKitError::Unavailable(why)) => {
                let look = deleted_after_all(livekit, room, &ingress.ingress_id);
                if tokio::time::timeout(DELETION_LOOK_LIMIT, look)
                    .await
                    .is_err()
                {
                    return Err(ingress_error(LiveKitError::Unavailable(why)));
                }
            }
            Err(err) => return Err(ingress_error(err)),
        }
    }
    Ok(!ingresses.is_empty())
}

/// Waits until the ingress `ingress_id` of `room` is gone (bounded by the caller).
async fn deleted_after_all(livekit: &LiveKit, room: &RoomId, ingress_id: &str) {
    loop {
        tokio::time::sleep(DELETION_CHECK_INTERVAL).await;
        if let Ok(left) = livekit.list_ingress(room).await
            && left.iter().all(|ingress| ingress.ingress_id != ingress_id)
        {
            tracing::info!(room = %room, "the ingress was deleted after LiveKit's answer timed out");
            return;
        }
    }
}
