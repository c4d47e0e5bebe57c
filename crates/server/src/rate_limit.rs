//! Rate limit of stream creation per client address, with `governor` (GCRA: a steady rate plus
//! a burst, and the exact wait until the next allowed request for `Retry-After`).

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{HeaderMap, request::Parts};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use crate::config::RoomCreationLimit;
use crate::error::ApiError;

/// Limits how often one client address may create streams.
pub struct RoomCreationLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trust_forwarded_for: bool,
}

impl RoomCreationLimiter {
    pub fn new(limit: RoomCreationLimit) -> Self {
        let per_minute = NonZeroU32::new(limit.per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
        let limiter = Arc::new(RateLimiter::keyed(
            Quota::per_minute(per_minute).allow_burst(burst),
        ));
        // Forget idle addresses now and then, so memory does not grow with every client seen.
        let weak = Arc::downgrade(&limiter);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(limiter) = weak.upgrade() else { break };
                limiter.retain_recent();
            }
        });
        Self {
            limiter,
            trust_forwarded_for: limit.trust_forwarded_for,
        }
    }

    /// Admits one stream creation from the client at `peer`, or answers 429.
    pub fn admit(&self, headers: &HeaderMap, peer: PeerAddr) -> Result<(), ApiError> {
        let Some(client) = self.client_address(headers, peer) else {
            return Ok(());
        };
        self.limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited {
                retry_after_seconds: wait.as_secs().max(1),
            }
        })
    }

    /// The peer address, or — behind a trusted proxy — the last address it appended to
    /// `X-Forwarded-For` (earlier entries are whatever the client claimed).
    fn client_address(&self, headers: &HeaderMap, peer: PeerAddr) -> Option<IpAddr> {
        if self.trust_forwarded_for {
            let forwarded = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|ip| ip.trim().parse::<IpAddr>().ok())
                .next_back();
            if forwarded.is_some() {
                return forwarded;
            }
        }
        peer.0.map(|addr| addr.ip())
    }
}

/// The TCP peer of the request, when the server was started with connection info.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| *addr),
        ))
    }
}
