//! LiveKit webhooks: what livekit-server (and egress and ingress through it) tells OnAir as it
//! happens. This module owns checking them — the `Authorization` JWT signed with the API secret
//! and its `sha256` claim over the raw body, through `livekit-api`'s `WebhookReceiver`, and each
//! event `id` accepted once — and the state they feed: the room cache is dropped for the room an
//! event is about, and each egress's latest report is kept for a while and announced to whoever
//! waits on it (a recording being stopped, a destination's status).
//!
//! Webhooks are an accelerator, never the only source: a server whose LiveKit sends none (LiveKit
//! Cloud without a webhook set, say) still works from its bounded polls; once a verified webhook
//! came, those polls slow down ([`Webhooks::poll_interval`]).

use livekit_api::access_token::TokenVerifier;
use livekit_api::webhooks::{WebhookError, WebhookReceiver};
use livekit_protocol as proto;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::broadcast;

/// Largest webhook body accepted (an egress event with its request and results is a few KB).
pub const WEBHOOK_BODY_LIMIT_BYTES: usize = 64 * 1024;

/// How long an event id is remembered. LiveKit signs each webhook for 5 minutes, so a replay
/// after this is refused for its expired signature anyway.
const SEEN_EVENTS_TTL: Duration = Duration::from_secs(15 * 60);
/// How long an egress's latest report is kept.
const EGRESS_REPORT_TTL: Duration = Duration::from_secs(30 * 60);

/// Counter of webhooks received, by `event` and `outcome`.
pub const WEBHOOKS_METRIC: &str = "onair_livekit_webhooks_total";

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No `Authorization`, a token not signed with this server's API secret, expired, or whose
    /// `sha256` is not the body's.
    #[error("not signed by this server's LiveKit: {0}")]
    Unsigned(String),
    /// Signed, but not a webhook event LiveKit would send (not UTF-8, not its JSON, no id).
    #[error("not a LiveKit webhook event: {0}")]
    Malformed(String),
    /// The same event id came before.
    #[error("event {0} was already received")]
    Replayed(String),
}

/// What an accepted webhook is about, for the caller to act on.
#[derive(Debug)]
pub struct Accepted {
    pub event: proto::WebhookEvent,
}

impl Accepted {
    /// The name of the room the event is about, when it names one.
    pub fn room_name(&self) -> Option<&str> {
        let event = &self.event;
        let name = event
            .room
            .as_ref()
            .map(|room| room.name.as_str())
            .or_else(|| event.egress_info.as_ref().map(|e| e.room_name.as_str()))
            .or_else(|| event.ingress_info.as_ref().map(|i| i.room_name.as_str()))?;
        (!name.is_empty()).then_some(name)
    }
}

/// Checks webhooks and keeps what they said about egresses.
pub struct Webhooks {
    receiver: WebhookReceiver,
    seen: moka::sync::Cache<String, ()>,
    egress_reports: moka::sync::Cache<String, Arc<proto::EgressInfo>>,
    egress_updates: broadcast::Sender<Arc<proto::EgressInfo>>,
    /// A verified webhook came: this server's LiveKit sends them.
    flowing: AtomicBool,
}

impl Webhooks {
    pub fn new(api_key: &str, api_secret: &str) -> Self {
        let (egress_updates, _) = broadcast::channel(256);
        Self {
            receiver: WebhookReceiver::new(TokenVerifier::with_api_key(api_key, api_secret)),
            seen: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(SEEN_EVENTS_TTL)
                .build(),
            egress_reports: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(EGRESS_REPORT_TTL)
                .build(),
            egress_updates,
            flowing: AtomicBool::new(false),
        }
    }

    /// Verifies a webhook (`authorization` is the header's value, with or without `Bearer `),
    /// refuses an event id seen before, and keeps an egress report.
    pub fn receive(&self, body: &[u8], authorization: Option<&str>) -> Result<Accepted, Refusal> {
        let token = authorization
            .map(|value| value.strip_prefix("Bearer ").unwrap_or(value).trim())
            .filter(|token| !token.is_empty())
            .ok_or_else(|| Refusal::Unsigned("no Authorization header".into()))?;
        // The signature covers the bytes as sent: a body that is not UTF-8 cannot match what
        // LiveKit hashed (it sends JSON), and is refused as unsigned before anything reads it.
        let text = std::str::from_utf8(body)
            .map_err(|_| Refusal::Unsigned("the body is not the signed UTF-8 JSON".into()))?;
        let event = self
            .receiver
            .receive(text, token)
            .map_err(|err| match err {
                WebhookError::InvalidData(err) => Refusal::Malformed(err.to_string()),
                other => Refusal::Unsigned(other.to_string()),
            })?;
        if event.id.is_empty() || event.event.is_empty() {
            return Err(Refusal::Malformed("an event without id or name".into()));
        }
        // Coalescing: of the same event delivered twice at once, one is fresh.
        let entry = self.seen.entry(event.id.clone()).or_insert_with(|| ());
        if !entry.is_fresh() {
            return Err(Refusal::Replayed(event.id));
        }
        self.flowing.store(true, Ordering::Relaxed);
        if let Some(info) = &event.egress_info {
            self.keep_egress_report(info.clone());
        }
        Ok(Accepted { event })
    }

    /// Keeps an egress report unless a newer one is kept, and announces it.
    fn keep_egress_report(&self, info: proto::EgressInfo) {
        let info = Arc::new(info);
        let newer_kept = self
            .egress_reports
            .get(&info.egress_id)
            .is_some_and(|kept| kept.updated_at > info.updated_at);
        if newer_kept {
            return;
        }
        self.egress_reports
            .insert(info.egress_id.clone(), info.clone());
        // Nobody waiting is fine.
        let _ = self.egress_updates.send(info);
    }

    /// The latest report a webhook brought about `egress_id`, if one came lately.
    pub fn egress_report(&self, egress_id: &str) -> Option<Arc<proto::EgressInfo>> {
        self.egress_reports.get(egress_id)
    }

    /// Waits up to `within` for a webhook about `egress_id`; `None` when none came.
    pub async fn next_egress_report(
        &self,
        egress_id: &str,
        within: Duration,
    ) -> Option<Arc<proto::EgressInfo>> {
        let mut updates = self.egress_updates.subscribe();
        let wait = async {
            loop {
                match updates.recv().await {
                    Ok(info) if info.egress_id == egress_id => return Some(info),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        };
        tokio::time::timeout(within, wait).await.ok().flatten()
    }

    /// Whether this server's LiveKit sends webhooks (one verified webhook came).
    pub fn flowing(&self) -> bool {
        self.flowing.load(Ordering::Relaxed)
    }

    /// How long to wait between two polls of LiveKit for a state that webhooks also report:
    /// `fallback` while none came, four times that once they flow (the poll then only covers a
    /// lost webhook).
    pub fn poll_interval(&self, fallback: Duration) -> Duration {
        if self.flowing() {
            fallback * 4
        } else {
            fallback
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_api::access_token::AccessToken;
    use sha2::{Digest, Sha256};

    const KEY: &str = "devkey";
    const SECRET: &str = "a-secret-of-at-least-32-characters!";

    fn signed(body: &str, secret: &str) -> String {
        let hash = Sha256::digest(body.as_bytes());
        AccessToken::with_api_key(KEY, secret)
            .with_sha256(&base64_simd::STANDARD.encode_to_string(hash))
            .to_jwt()
            .unwrap()
    }

    fn event(id: &str) -> String {
        format!(
            r#"{{"event":"egress_updated","id":"{id}","createdAt":"1764000000","egressInfo":{{"egressId":"EG_1","roomName":"abcdefghij0123","status":"EGRESS_ACTIVE","updatedAt":"5"}}}}"#
        )
    }

    #[test]
    fn a_signed_event_is_accepted_once() {
        let webhooks = Webhooks::new(KEY, SECRET);
        let body = event("EV_1");
        let token = signed(&body, SECRET);
        let accepted = webhooks.receive(body.as_bytes(), Some(&token)).unwrap();
        assert_eq!(accepted.room_name(), Some("abcdefghij0123"));
        assert!(webhooks.flowing());
        assert!(webhooks.egress_report("EG_1").is_some());
        assert!(matches!(
            webhooks.receive(body.as_bytes(), Some(&token)),
            Err(Refusal::Replayed(_))
        ));
    }

    #[test]
    fn unsigned_wrongly_signed_and_altered_events_are_refused() {
        let webhooks = Webhooks::new(KEY, SECRET);
        let body = event("EV_2");
        assert!(matches!(
            webhooks.receive(body.as_bytes(), None),
            Err(Refusal::Unsigned(_))
        ));
        let other_secret = signed(&body, "another-secret-of-at-least-32-chars");
        assert!(matches!(
            webhooks.receive(body.as_bytes(), Some(&other_secret)),
            Err(Refusal::Unsigned(_))
        ));
        let token = signed(&body, SECRET);
        let altered = body.replace("EG_1", "EG_2");
        assert!(matches!(
            webhooks.receive(altered.as_bytes(), Some(&token)),
            Err(Refusal::Unsigned(_))
        ));
        assert!(!webhooks.flowing(), "nothing refused counts");
    }

    #[test]
    fn an_older_egress_report_does_not_replace_a_newer_one() {
        let webhooks = Webhooks::new(KEY, SECRET);
        let newer = event("EV_3").replace(r#""updatedAt":"5""#, r#""updatedAt":"9""#);
        webhooks
            .receive(newer.as_bytes(), Some(&signed(&newer, SECRET)))
            .unwrap();
        let older = event("EV_4");
        webhooks
            .receive(older.as_bytes(), Some(&signed(&older, SECRET)))
            .unwrap();
        assert_eq!(webhooks.egress_report("EG_1").unwrap().updated_at, 9);
    }
}
