//! Rate limits with `governor` (GCRA: a steady rate plus a burst, and the exact wait until the
//! next allowed request for `Retry-After`): stream creation per client address, and wrong
//! guesses (creator keys, passcodes), which lock the guesser out for a while.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{HeaderMap, request::Parts};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
        forget_idle_keys(&limiter);
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

    fn client_address(&self, headers: &HeaderMap, peer: PeerAddr) -> Option<IpAddr> {
        client_address(headers, peer, self.trust_forwarded_for)
    }
}

/// Forgets idle keys every minute, so memory does not grow with every client seen, until the
/// limiter is dropped.
fn forget_idle_keys<K: Hash + Eq + Clone + Send + Sync + 'static>(
    limiter: &Arc<DefaultKeyedRateLimiter<K>>,
) {
    let weak = Arc::downgrade(limiter);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let Some(limiter) = weak.upgrade() else { break };
            limiter.retain_recent();
        }
    });
}

/// The peer address, or — behind a trusted proxy — the last address it appended to
/// `X-Forwarded-For` (earlier entries are whatever the client claimed).
pub fn client_address(
    headers: &HeaderMap,
    peer: PeerAddr,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if trust_forwarded_for {
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

/// Limits wrong guesses per key (a client address, or an address and a stream): `per_minute`
/// wrong ones are allowed; past them every try — right or wrong — is refused until the limiter
/// has room again, so a guesser cannot tell a right guess from the lock.
pub struct WrongGuesses<K: Hash + Eq + Clone + Send + Sync + 'static> {
    limiter: Arc<DefaultKeyedRateLimiter<K>>,
    /// Keys locked out, and until when.
    locked: moka::sync::Cache<K, Instant>,
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> WrongGuesses<K> {
    pub fn per_minute(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let limiter = Arc::new(RateLimiter::keyed(
            Quota::per_minute(per_minute).allow_burst(per_minute),
        ));
        forget_idle_keys(&limiter);
        Self {
            limiter,
            locked: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(120))
                .build(),
        }
    }

    /// `Err(RateLimited)` while `key` is locked out.
    pub fn check(&self, key: &K) -> Result<(), ApiError> {
        match self.locked.get(key) {
            Some(until) if until > Instant::now() => Err(ApiError::TooManyGuesses {
                retry_after_seconds: until
                    .saturating_duration_since(Instant::now())
                    .as_secs()
                    .max(1),
            }),
            _ => Ok(()),
        }
    }

    /// Counts a wrong guess: `Err(RateLimited)` when it was one too many (the key is locked).
    pub fn wrong(&self, key: K) -> Result<(), ApiError> {
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            self.locked.insert(key, Instant::now() + wait);
            ApiError::TooManyGuesses {
                retry_after_seconds: wait.as_secs().max(1),
            }
        })
    }
}

/// The client's address: the TCP peer, or — with `TRUST_FORWARDED_FOR` — the address the
/// trusted proxy put in `X-Forwarded-For`. Reads the headers in place (no copy), as it runs on
/// the token path.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<crate::state::AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::state::AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = PeerAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| *addr),
        );
        Ok(ClientIp(client_address(
            &parts.headers,
            peer,
            state.config.room_creation.trust_forwarded_for,
        )))
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
