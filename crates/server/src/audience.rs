//! Who watches over WebRTC and who through the HLS broadcast. One stream serves at most
//! `MAX_WEBRTC_VIEWERS` viewers over WebRTC (a LiveKit room lives on one node); the viewers past
//! it watch the HLS broadcast and join the room for chat and reactions only.
//!
//! The token path seats viewers without a LiveKit call each: the stream's snapshot (cached for
//! `ROOM_CACHE_TTL_MS`) says how many WebRTC viewers were in the room, and a counter per stream,
//! living as long as a snapshot, how many WebRTC tokens were handed out since. It is an
//! estimate, so the cap is soft: a viewer counted by both the snapshot and the counter sends the
//! next one to HLS early, and one still connecting when a counter restarts is missed until the
//! next snapshot. Within a burst — what the cap is for — it holds exactly.

use moka::future::Cache;
use onair_api::{Playback, RoomId};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The WebRTC seats of every stream on this server.
pub struct WebrtcSeats {
    max: Option<NonZeroU32>,
    handed_out: Cache<RoomId, Arc<AtomicU32>>,
}

impl WebrtcSeats {
    /// `max` seats per stream (`None`: no limit); a counter lives for `snapshot_ttl`, as long
    /// as the snapshot whose count it adds to.
    pub fn new(max: Option<NonZeroU32>, snapshot_ttl: Duration) -> Self {
        Self {
            max,
            handed_out: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(snapshot_ttl)
                .build(),
        }
    }

    /// How a new viewer of `room` watches, given the WebRTC viewers its last snapshot counted:
    /// over WebRTC while a seat is free (the seat is then taken), else through HLS.
    pub async fn seat(&self, room: &RoomId, webrtc_viewers_in_snapshot: u32) -> Playback {
        let Some(max) = self.max else {
            return Playback::Webrtc;
        };
        if webrtc_viewers_in_snapshot >= max.get() {
            return Playback::Hls;
        }
        let handed_out = self
            .handed_out
            .get_with_by_ref(room, async { Arc::new(AtomicU32::new(0)) })
            .await;
        let took_a_seat = handed_out
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
                (webrtc_viewers_in_snapshot.saturating_add(taken) < max.get()).then_some(taken + 1)
            })
            .is_ok();
        if took_a_seat {
            Playback::Webrtc
        } else {
            Playback::Hls
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> RoomId {
        RoomId::parse("abcdefghij0123").unwrap()
    }

    #[tokio::test]
    async fn without_a_limit_every_viewer_watches_over_webrtc() {
        let seats = WebrtcSeats::new(None, Duration::from_secs(2));
        for in_room in [0, 10_000, u32::MAX] {
            assert_eq!(seats.seat(&room(), in_room).await, Playback::Webrtc);
        }
    }

    #[tokio::test]
    async fn a_burst_of_viewers_fills_the_seats_then_overflows_to_hls() {
        let seats = WebrtcSeats::new(NonZeroU32::new(5), Duration::from_secs(60));
        // Two were in the room at the snapshot: three seats are left for the burst.
        let mut playbacks = Vec::new();
        for _ in 0..6 {
            playbacks.push(seats.seat(&room(), 2).await);
        }
        let webrtc = playbacks.iter().filter(|p| **p == Playback::Webrtc).count();
        assert_eq!(webrtc, 3, "{playbacks:?}");
        assert_eq!(playbacks[3..], [Playback::Hls; 3]);
    }

    #[tokio::test]
    async fn a_full_room_sends_everyone_to_hls_and_other_streams_keep_their_seats() {
        let seats = WebrtcSeats::new(NonZeroU32::new(3), Duration::from_secs(60));
        assert_eq!(seats.seat(&room(), 3).await, Playback::Hls);
        let other = RoomId::parse("mnopqrstuv4567").unwrap();
        assert_eq!(seats.seat(&other, 0).await, Playback::Webrtc);
    }
}
