//! `onair doctor`: what an operator runs after deploying. With the server's own configuration
//! ([`Config::load`](crate::config::Config::load)), from where the server runs, it checks what a
//! stream needs and start-up cannot see: LiveKit's API, LiveKit over its public URL as a browser
//! joins it, the media ports, egress and ingress, the bucket as OnAir writes it and as browsers
//! download from it, the clock, and LiveKit's webhooks reaching the running server. It prints
//! one line per check — `ok   <what>`, `warn <what>: <hint>`, `FAIL <what>: <why> — fix: <what
//! to change>` — and `main.rs` exits 1 when one failed.
//!
//! This module owns the checks, their order and their wording; the calls themselves are
//! `livekit.rs`'s and `storage.rs`'s. Every check is bounded by a few seconds, so a dead service
//! is a FAIL line, not a hang. Nothing secret is printed: no API secret, S3 key, token or signed
//! URL (and every line is scrubbed of the configured secrets before it is).

use futures_util::StreamExt;
use livekit_protocol as proto;
use prost::Message as _;
use proto::signal_response::Message as Signal;
use rand::Rng;
use secrecy::ExposeSecret;
use std::fmt;
use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio_tungstenite::tungstenite;
use url::Url;

use crate::config::{Config, S3Settings};
use crate::healthcheck::probe_address;
use crate::livekit::{LiveKit, LiveKitError};
use crate::storage::{RecordingStore, S3Store};
use crate::webhooks::WEBHOOKS_METRIC;

/// Upper bound on one check (one call, one connection).
const CHECK_TIMEOUT: Duration = Duration::from_secs(6);
/// Past this, LiveKit refuses tokens as not yet valid or expired.
const MAX_CLOCK_SKEW_SECS: f64 = 5.0;
/// How long the running server has to count the throwaway room's `room_started` webhook.
const WEBHOOK_WAIT: Duration = Duration::from_secs(5);
/// How long to listen for LiveKit's ICE candidates once it answered the join.
const CANDIDATE_WAIT: Duration = Duration::from_secs(2);
/// LiveKit's documented defaults, when its candidates do not say.
const DEFAULT_RTC_TCP_PORT: u16 = 7881;
const DEFAULT_RTC_UDP_PORT: u16 = 7882;
/// The signal protocol version of LiveKit's JS SDK 2.x, the one browsers speak.
const SIGNAL_PROTOCOL: u32 = 16;
/// LiveKit closes the throwaway room by itself this long after it is empty, should the doctor
/// die before deleting it.
const ROOM_EMPTY_TIMEOUT: Duration = Duration::from_secs(30);

const FIX_LIVEKIT_PUBLIC_URL: &str = "LIVEKIT_PUBLIC_URL must be the address browsers reach \
     livekit-server's signalling at (its port open; a reverse proxy must forward the WebSocket \
     upgrade: Upgrade and Connection headers)";
const FIX_LIVEKIT_KEYS: &str = "LIVEKIT_API_KEY and LIVEKIT_API_SECRET must be one of the key \
     pairs of livekit.yaml's keys: (or of the LiveKit Cloud project)";
const FIX_CLOCK: &str = "sync the clock (chrony/systemd-timesyncd)";

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// A hint: nothing is known to be broken, or what is broken is optional.
    Warn,
    Fail,
}

/// One check's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub verdict: Verdict,
    /// What was checked, with the setting it depends on.
    pub what: String,
    /// Why it failed, or the hint; empty when ok.
    pub why: String,
    /// What to change; empty when ok (and for a hint that needs none).
    pub fix: String,
}

impl Finding {
    fn ok(what: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Ok,
            what: what.into(),
            why: String::new(),
            fix: String::new(),
        }
    }

    fn warn(what: impl Into<String>, why: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Warn,
            what: what.into(),
            why: why.into(),
            fix: fix.into(),
        }
    }

    fn fail(what: impl Into<String>, why: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Fail,
            what: what.into(),
            why: why.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.verdict {
            Verdict::Ok => return write!(f, "ok   {}", self.what),
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
        };
        write!(f, "{label} {}: {}", self.what, self.why)?;
        if !self.fix.is_empty() {
            write!(f, " — fix: {}", self.fix)?;
        }
        Ok(())
    }
}

/// The lines so far; each is printed as soon as it is known, scrubbed of the secrets.
struct Report {
    secrets: Vec<String>,
    findings: Vec<Finding>,
}

impl Report {
    fn new(config: &Config) -> Self {
        let mut secrets = vec![config.livekit.api_secret.expose_secret().to_owned()];
        if let Some(s3) = &config.s3 {
            secrets.push(s3.secret_access_key.expose_secret().to_owned());
            secrets.push(s3.access_key_id.clone());
        }
        // Too short to replace without garbling the line; no real secret is this short.
        secrets.retain(|secret| secret.len() >= 6);
        Self {
            secrets,
            findings: Vec::new(),
        }
    }

    fn add(&mut self, finding: Finding) {
        let mut line = without_tokens(&finding.to_string());
        for secret in &self.secrets {
            line = line.replace(secret.as_str(), "<redacted>");
        }
        // A closed pipe (`onair doctor | head`) is no reason to stop checking.
        let _ = writeln!(std::io::stdout(), "{line}");
        self.findings.push(finding);
    }

    fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.verdict == Verdict::Fail)
    }
}

/// Runs every check against the deployment `config` describes, printing one line per check as
/// it comes; `true` when none failed.
pub async fn run(config: &Config) -> bool {
    let mut report = Report::new(config);
    Doctor::new(config).check_all(&mut report).await;
    !report.failed()
}

/// The line for a configuration that does not load (`onair doctor` cannot go further).
pub fn configuration_failure(error: &dyn fmt::Display) -> Finding {
    Finding::fail(
        "configuration",
        error.to_string(),
        "set it in the environment or in the settings file (ONAIR_CONFIG, default \
         config/onair.toml); .env.example documents every setting",
    )
}

struct Doctor<'a> {
    config: &'a Config,
    livekit: LiveKit,
    /// Plain HTTP(S) as a browser does it: system and webpki roots, no redirects, bounded.
    http: reqwest::Client,
    tls: Arc<rustls::ClientConfig>,
}

/// What LiveKit told the throwaway participant.
#[derive(Debug, Default)]
struct SignalFacts {
    server_version: Option<String>,
    candidates: Vec<Candidate>,
}

impl<'a> Doctor<'a> {
    fn new(config: &'a Config) -> Self {
        let tls = tls_config();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured((*tls).clone())
            .dns_resolver(Arc::new(LocalhostNames))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(CHECK_TIMEOUT)
            .build()
            .expect("a plain HTTP client builds");
        Self {
            config,
            livekit: LiveKit::new(config.livekit.clone()),
            http,
            tls,
        }
    }

    async fn check_all(&self, report: &mut Report) {
        let api_answers = self.livekit_api(report).await;
        report.add(
            self.clock("LiveKit", &http_form(&self.config.livekit.url))
                .await,
        );
        let mut webhooks = None;
        if api_answers {
            webhooks = self.throwaway_room(report).await;
        } else {
            report.add(Finding::warn(
                "LiveKit public URL, media, egress, ingress and webhooks",
                "not checked",
                "the LiveKit API must answer first (above)",
            ));
        }
        match &self.config.s3 {
            Some(s3) => self.bucket(s3, report).await,
            None => report.add(Finding::ok(
                "recording is off (S3_BUCKET_NAME is empty): no bucket to check",
            )),
        }
        if let Some(webhooks) = webhooks {
            report.add(self.webhook_arrived(webhooks).await);
        }
    }

    /// Check 1: the API answers with our key and secret.
    async fn livekit_api(&self, report: &mut Report) -> bool {
        let settings = &self.config.livekit;
        let what = format!(
            "LiveKit API at {} (LIVEKIT_URL) with key {}",
            origin(&settings.url),
            settings.api_key
        );
        let finding = match bounded(self.livekit.list_all_rooms()).await {
            Ok(Ok(rooms)) => Finding::ok(format!("{what} answers ({} rooms open)", rooms.len())),
            failed => match self.refusal_of_credentials().await {
                Some(refusal) => Finding::fail(what, refusal, FIX_LIVEKIT_KEYS),
                None => match failed {
                    Ok(Err(err)) => Finding::fail(what, err.to_string(), livekit_fix(&err)),
                    _ => Finding::fail(
                        what,
                        failure(failed).unwrap_or_default(),
                        "LIVEKIT_URL must be the address this server reaches livekit-server at",
                    ),
                },
            },
        };
        let answers = finding.verdict == Verdict::Ok;
        report.add(finding);
        answers
    }

    /// LiveKit's refusal of our key and secret, asked by hand: the SDK reads LiveKit's 401 (a
    /// plain-text body) as an answer it cannot decode, which looks like an unreachable LiveKit.
    async fn refusal_of_credentials(&self) -> Option<String> {
        use livekit_api::access_token::{AccessToken, VideoGrants};
        let settings = &self.config.livekit;
        let token =
            AccessToken::with_api_key(&settings.api_key, settings.api_secret.expose_secret())
                .with_grants(VideoGrants {
                    room_list: true,
                    ..VideoGrants::default()
                })
                .with_ttl(Duration::from_secs(60))
                .to_jwt()
                .ok()?;
        let url = format!(
            "{}/twirp/livekit.RoomService/ListRooms",
            http_form(&settings.url).trim_end_matches('/')
        );
        let response = self
            .http
            .post(url)
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body("{}")
            .send()
            .await
            .ok()?;
        // Not its body, which echoes the token.
        let status = response.status();
        (status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN)
            .then(|| format!("LiveKit refuses this key and secret (it answers {status})"))
    }

    /// Checks 2, 3 and 5 around a throwaway room, which check 7 (webhooks) watches: returns
    /// when the room was made and the webhook counts before, for [`Self::webhook_arrived`].
    async fn throwaway_room(&self, report: &mut Report) -> Option<WebhookWatch> {
        let room = format!("onair-doctor-{}", random_suffix());
        let what_join = format!(
            "LiveKit over its public URL {} (LIVEKIT_PUBLIC_URL, joined as a browser does)",
            signal_display(&self.config.livekit.public_url)
        );
        let before = self.webhook_counts().await;
        let created = bounded(self.livekit.create_probe_room(&room, ROOM_EMPTY_TIMEOUT)).await;
        let watch = WebhookWatch {
            created_at: Instant::now(),
            before,
        };
        let facts = match created {
            Ok(Ok(())) => {
                let (finding, facts) = self.join(&room, what_join).await;
                report.add(finding);
                facts
            }
            failed => {
                let fix = match &failed {
                    Ok(Err(err)) => livekit_fix(err),
                    _ => "LIVEKIT_URL must be the address this server reaches livekit-server at"
                        .to_owned(),
                };
                let why = failure(failed).unwrap_or_default();
                report.add(Finding::fail(
                    what_join,
                    format!("could not create a throwaway room: {why}"),
                    fix,
                ));
                report.add(Finding::warn(
                    "LiveKit media, egress, ingress and webhooks",
                    "not checked",
                    "LiveKit must create the throwaway room first (above)",
                ));
                return None;
            }
        };
        match &facts {
            Some(facts) => {
                report.add(self.media_over_tcp(facts).await);
                report.add(media_over_udp(facts));
            }
            None => report.add(Finding::warn(
                "LiveKit media over TCP and UDP",
                "not checked",
                "LiveKit must answer over its public URL first (above)",
            )),
        }
        match bounded(self.livekit.delete_room_named(&room)).await {
            Ok(Ok(()) | Err(LiveKitError::NotFound)) => {}
            other => report.add(Finding::warn(
                format!("throwaway room {room}"),
                format!(
                    "could not delete it: {}",
                    failure(other).unwrap_or_default()
                ),
                format!(
                    "none needed: LiveKit closes it {} s after it is empty",
                    ROOM_EMPTY_TIMEOUT.as_secs()
                ),
            )),
        }
        report.add(self.egress(&room).await);
        report.add(self.ingress(&room).await);
        Some(watch)
    }

    /// Check 2: a WebSocket to `<LIVEKIT_PUBLIC_URL>/rtc` as LiveKit's JS SDK opens it, with a
    /// token for the throwaway room; LiveKit must answer the join.
    async fn join(&self, room: &str, what: String) -> (Finding, Option<SignalFacts>) {
        let identity = format!("doctor-{}", random_suffix());
        let token = match self
            .livekit
            .probe_token(room, &identity, Duration::from_secs(60))
        {
            Ok(token) => token,
            Err(err) => {
                return (
                    Finding::fail(what, format!("signing a token: {err}"), "report this bug"),
                    None,
                );
            }
        };
        let url = signal_url(&self.config.livekit.public_url, &token);
        let connector = tokio_tungstenite::Connector::Rustls(self.tls.clone());
        let connecting = async {
            let host = url.host_str().unwrap_or_default();
            let port = url.port_or_known_default().unwrap_or(443);
            let stream = connect_tcp(host, port)
                .await
                .map_err(tungstenite::Error::Io)?;
            tokio_tungstenite::client_async_tls_with_config(
                url.as_str(),
                stream,
                None,
                Some(connector),
            )
            .await
        };
        let mut socket = match tokio::time::timeout(CHECK_TIMEOUT, connecting).await {
            Err(_) => {
                return (
                    Finding::fail(
                        what,
                        format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
                        FIX_LIVEKIT_PUBLIC_URL,
                    ),
                    None,
                );
            }
            Ok(Err(err)) => return (self.refused_join(what, err), None),
            Ok(Ok((socket, _upgrade))) => socket,
        };
        let mut facts = SignalFacts::default();
        let mut joined = false;
        let mut left = None;
        let mut deadline = Instant::now() + CHECK_TIMEOUT;
        while let Some(left_time) = deadline.checked_duration_since(Instant::now()) {
            let message = match tokio::time::timeout(left_time, socket.next()).await {
                Ok(Some(Ok(tungstenite::Message::Binary(bytes)))) => bytes,
                Ok(Some(Ok(_ping_or_text))) => continue,
                Ok(Some(Err(_)) | None) | Err(_) => break,
            };
            let Ok(response) = proto::SignalResponse::decode(message) else {
                continue;
            };
            match response.message {
                Some(Signal::Join(join)) => {
                    joined = true;
                    facts.server_version = join.server_info.map(|info| info.version);
                    deadline = deadline.min(Instant::now() + CANDIDATE_WAIT);
                }
                Some(Signal::Offer(offer)) => {
                    facts
                        .candidates
                        .extend(offer.sdp.lines().filter_map(Candidate::parse));
                }
                Some(Signal::Trickle(trickle)) => {
                    facts
                        .candidates
                        .extend(candidate_of_trickle(&trickle.candidate_init));
                }
                Some(Signal::Leave(leave)) => {
                    left = Some(format!("{:?}", leave.reason()));
                    break;
                }
                _ => {}
            }
            if joined && facts.has_both_transports() {
                break;
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
        let finding = match (joined, left) {
            (_, Some(reason)) => Finding::fail(
                what,
                format!("LiveKit sent the participant away ({reason})"),
                "see livekit-server's log for the room",
            ),
            (false, None) => Finding::warn(
                what,
                format!(
                    "the WebSocket upgrade succeeded (101), but no join answer came within {} s",
                    CHECK_TIMEOUT.as_secs()
                ),
                "check that LIVEKIT_PUBLIC_URL reaches livekit-server itself, and its log",
            ),
            (true, None) if self.mixed_content() => Finding::fail(
                what,
                format!(
                    "PUBLIC_URL is https://, and browsers refuse a {}:// WebSocket from an \
                     https:// page",
                    self.config.livekit.public_url.scheme()
                ),
                "serve LiveKit over TLS and set LIVEKIT_PUBLIC_URL to its wss:// address",
            ),
            (true, None) => Finding::ok(match &facts.server_version {
                Some(version) if !version.is_empty() => {
                    format!("{what}: answered the join (livekit-server {version})")
                }
                _ => format!("{what}: answered the join"),
            }),
        };
        (finding, joined.then_some(facts))
    }

    fn public_url_is_onairs_own(&self) -> bool {
        Url::parse(&http_form(&self.config.livekit.public_url))
            .is_ok_and(|livekit| livekit.origin() == self.config.public_url.origin())
    }

    fn mixed_content(&self) -> bool {
        self.config.public_url.scheme() == "https"
            && self.config.livekit.public_url.scheme() == "ws"
    }

    /// Why the WebSocket to the public URL was not opened, and what to change.
    fn refused_join(&self, what: String, err: tungstenite::Error) -> Finding {
        let public = &self.config.livekit.public_url;
        match err {
            tungstenite::Error::Http(response) => {
                let status = response.status();
                // A short plain-text body says what answered (LiveKit's says why it refused);
                // an HTML page says nothing a line can hold.
                let body = response
                    .body()
                    .as_deref()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .chars()
                    .take(120)
                    .collect::<String>();
                let body = if body.starts_with('<') {
                    String::new()
                } else {
                    body
                };
                let why = if body.is_empty() {
                    format!("answered HTTP {status} instead of a WebSocket upgrade")
                } else {
                    format!("answered HTTP {status} instead of a WebSocket upgrade ({body})")
                };
                let fix = match status.as_u16() {
                    401 | 403 => "LIVEKIT_PUBLIC_URL reaches a LiveKit that refuses this \
                                  server's tokens: it must be the same LiveKit as LIVEKIT_URL, \
                                  with the keys of LIVEKIT_API_KEY/LIVEKIT_API_SECRET"
                        .to_owned(),
                    404 if body.contains("does not exist") => {
                        "LIVEKIT_PUBLIC_URL reaches another LiveKit than LIVEKIT_URL (the room \
                         made through LIVEKIT_URL is not there): point both at the same \
                         LiveKit (or cluster)"
                            .to_owned()
                    }
                    _ if self.public_url_is_onairs_own() => "LIVEKIT_PUBLIC_URL is OnAir's own \
                        address (PUBLIC_URL): set it to LiveKit's (wss://livekit.example.com)"
                        .to_owned(),
                    _ => FIX_LIVEKIT_PUBLIC_URL.to_owned(),
                };
                Finding::fail(what, why, fix)
            }
            tungstenite::Error::Tls(tls) => {
                Finding::fail(what, format!("TLS: {tls}"), tls_fix(public))
            }
            tungstenite::Error::Io(io) if looks_like_tls(&io.to_string()) => {
                Finding::fail(what, format!("TLS: {io}"), tls_fix(public))
            }
            tungstenite::Error::Io(io) => Finding::fail(
                what,
                format!("cannot connect: {io}"),
                FIX_LIVEKIT_PUBLIC_URL,
            ),
            other => Finding::fail(what, other.to_string(), FIX_LIVEKIT_PUBLIC_URL),
        }
    }

    /// Check 3: LiveKit's RTC TCP port answers where its ICE candidates say (else the public
    /// host's 7881).
    async fn media_over_tcp(&self, facts: &SignalFacts) -> Finding {
        let mut targets: Vec<(String, u16)> = Vec::new();
        for candidate in &facts.candidates {
            let target = (candidate.address.clone(), candidate.port);
            if candidate.transport == Transport::Tcp
                && candidate.tcp_type.as_deref() != Some("active")
                && !targets.contains(&target)
            {
                targets.push(target);
            }
        }
        let from = if targets.is_empty() {
            let host = self
                .config
                .livekit
                .public_url
                .host_str()
                .unwrap_or("localhost")
                .to_owned();
            targets.push((host, DEFAULT_RTC_TCP_PORT));
            "the documented default on LIVEKIT_PUBLIC_URL's host"
        } else {
            "from LiveKit's ICE candidates"
        };
        let mut errors = Vec::new();
        for (host, port) in &targets {
            let address = host_port(host, *port);
            match tokio::time::timeout(Duration::from_secs(3), connect_tcp(host, *port)).await {
                Ok(Ok(_)) => {
                    return Finding::ok(format!(
                        "LiveKit media over TCP: {address} answers (rtc.tcp_port, {from})"
                    ));
                }
                Ok(Err(err)) => errors.push(format!("{address}: {err}")),
                Err(_) => errors.push(format!("{address}: no answer within 3 s")),
            }
        }
        let ports: Vec<String> = unique(targets.iter().map(|(_, port)| port.to_string()));
        Finding::fail(
            format!("LiveKit media over TCP ({from})"),
            errors.join("; "),
            format!(
                "open {}/tcp in every firewall between browsers and LiveKit, and make \
                 livekit.yaml's rtc.node_ip (or use_external_ip) the address browsers reach \
                 (checked from this machine)",
                ports.join(", ")
            ),
        )
    }

    /// Check 5a: egress answers (needed by recording, HLS and restreaming).
    async fn egress(&self, room: &str) -> Finding {
        let what = "LiveKit egress (ListEgress: recording, HLS, restreaming)";
        let why = match bounded(self.livekit.list_egress_named(room)).await {
            Ok(Ok(_)) => return Finding::ok(format!("{what} answers")),
            Ok(Err(err)) => err.to_string(),
            Err(late) => late,
        };
        let fix = "run livekit-server with Redis and an egress worker on the same Redis (README, \
                   With your own LiveKit); LiveKit Cloud has egress built in";
        if self.config.s3.is_some() {
            Finding::fail(what, why, fix)
        } else {
            Finding::warn(what, why, fix)
        }
    }

    /// Check 5b: ingress answers (streaming from OBS, optional).
    async fn ingress(&self, room: &str) -> Finding {
        let what = "LiveKit ingress (ListIngress: streaming from OBS)";
        let fix = "run an ingress worker on LiveKit's Redis and give livekit.yaml an ingress: \
                   block (rtmp_base_url, whip_base_url) (README, With your own LiveKit)";
        match bounded(self.livekit.list_ingress_named(room)).await {
            Ok(Ok(_)) => Finding::ok(format!("{what} answers")),
            Ok(Err(LiveKitError::Refused(message))) if message.contains("not connected") => {
                Finding::warn(
                    what,
                    "not connected: the studio will say streaming from OBS is unavailable",
                    fix,
                )
            }
            Ok(Err(err)) => Finding::fail(what, err.to_string(), fix),
            Err(late) => Finding::fail(what, late, fix),
        }
    }

    /// Check 4: write, read back, presign, download as a browser, delete; then the clock
    /// against the store's.
    async fn bucket(&self, s3: &S3Settings, report: &mut Report) {
        let store = S3Store::new(s3);
        let endpoint = s3
            .endpoint
            .as_ref()
            .map_or_else(|| "AWS".to_owned(), origin);
        let what = format!(
            "S3 bucket {} at {endpoint} (S3_BUCKET_NAME, S3_ENDPOINT): write, read back, delete",
            s3.bucket
        );
        let key = format!("onair-doctor/{}.json", random_suffix());
        let body = format!(r#"{{"onairDoctor":"{}"}}"#, random_suffix()).into_bytes();
        let written = bounded(store.put_json(&key, body.clone())).await;
        if let Some(why) = failure(written) {
            report.add(Finding::fail(what, format!("write: {why}"), s3_fix(&why)));
            report.add(self.clock("S3", &s3_http_url(s3)).await);
            return;
        }
        let mut problems = Vec::new();
        match bounded(store.get(&key)).await {
            Ok(Ok(read)) if read == body => {}
            Ok(Ok(_)) => problems.push((
                "read back: another content than written".to_owned(),
                "S3_ENDPOINT must reach the store itself (not a cache in front of it)".to_owned(),
            )),
            other => {
                let why = failure(other).unwrap_or_default();
                problems.push((format!("read back: {why}"), s3_fix(&why)));
            }
        }
        let download = self.download(s3, &store, &key, &body).await;
        if let Some(why) = failure(bounded(store.delete(&key)).await) {
            problems.push((
                format!("delete: {why}"),
                "the key AWS_ACCESS_KEY_ID needs the right to delete objects in the bucket (OnAir \
                 deletes its markers and sealed stream keys)"
                    .to_owned(),
            ));
        }
        report.add(match problems.into_iter().next() {
            None => Finding::ok(what),
            Some((why, fix)) => Finding::fail(what, why, fix),
        });
        report.add(download);
        report.add(self.clock("S3", &s3_http_url(s3)).await);
    }

    /// A presigned URL of `key`, downloaded as a browser plays a recording.
    async fn download(&self, s3: &S3Settings, store: &S3Store, key: &str, body: &[u8]) -> Finding {
        let public = s3.public_endpoint.as_ref().or(s3.endpoint.as_ref());
        let setting = if s3.public_endpoint.is_some() {
            "S3_PUBLIC_ENDPOINT"
        } else {
            "S3_ENDPOINT, as S3_PUBLIC_ENDPOINT is unset"
        };
        let origin_shown = public.map_or_else(|| "AWS".to_owned(), origin);
        let what = format!(
            "browsers download recordings from {origin_shown} ({setting}; a presigned URL)"
        );
        let fix_endpoint = "set S3_PUBLIC_ENDPOINT to the address browsers reach the store at \
                            (the same store and bucket as S3_ENDPOINT)";
        let url = match bounded(store.playback_url(key)).await {
            Ok(Ok(url)) => url,
            other => {
                let why = failure(other).unwrap_or_default();
                return Finding::fail(what, format!("presigning: {why}"), fix_endpoint);
            }
        };
        let response = match self.http.get(&url).send().await {
            Ok(response) => response,
            Err(err) => {
                return Finding::fail(what, error_chain(&err.without_url()), fix_endpoint);
            }
        };
        let status = response.status();
        let content = response.bytes().await.unwrap_or_default();
        let fix = match status.as_u16() {
            200 if content.as_ref() == body => {
                if self.config.public_url.scheme() == "https"
                    && public.is_some_and(|endpoint| endpoint.scheme() == "http")
                {
                    return Finding::warn(
                        what,
                        "PUBLIC_URL is https://, and browsers block or upgrade http:// media on \
                         an https:// page",
                        "serve the store over https and set S3_PUBLIC_ENDPOINT to it",
                    );
                }
                return Finding::ok(format!("{what}: 200, the bytes written"));
            }
            200 | 404 => {
                "S3_PUBLIC_ENDPOINT reaches another store or bucket than S3_ENDPOINT: point it at \
                 the same store (and keep S3_FORCE_PATH_STYLE as that store wants)"
            }
            403 => {
                "S3_PUBLIC_ENDPOINT must reach the store under the very host name the URL is \
                 signed for (a proxy in front must pass the Host header unchanged)"
            }
            _ => fix_endpoint,
        };
        let why = if status.is_success() {
            format!("{status}, but not the bytes written")
        } else {
            format!("answered {status}")
        };
        Finding::fail(what, why, fix)
    }

    /// Check 6: this machine's clock against the `Date` of `service`'s answer at `url`.
    async fn clock(&self, service: &str, url: &str) -> Finding {
        let shown = Url::parse(url).map_or_else(|_| url.to_owned(), |u| origin(&u));
        let what = format!("clock against {service}'s ({shown}, Date header)");
        let sent = SystemTime::now();
        let started = Instant::now();
        let response = match self.http.get(url).send().await {
            Ok(response) => response,
            Err(err) => {
                return Finding::warn(
                    what,
                    format!("not compared: {}", error_chain(&err.without_url())),
                    "",
                );
            }
        };
        let took = started.elapsed();
        let date = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| httpdate::parse_http_date(value).ok());
        let Some(date) = date else {
            return Finding::warn(what, "not compared: the answer has no Date header", "");
        };
        let skew = clock_skew(sent + took / 2, date);
        if skew.abs() > MAX_CLOCK_SKEW_SECS {
            Finding::fail(
                what,
                format!(
                    "this machine's clock is {:.0} s {} {service}'s: tokens would be refused",
                    skew.abs(),
                    if skew > 0.0 { "ahead of" } else { "behind" }
                ),
                FIX_CLOCK,
            )
        } else {
            Finding::ok(format!("{what}: {:.0} s apart", skew.abs()))
        }
    }

    /// `onair_livekit_webhooks_total` as the running server counts it.
    async fn webhook_counts(&self) -> Result<WebhookCounts, String> {
        let url = format!("http://{}/metrics", probe_address(self.config.bind));
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|err| format!("{url}: {}", error_chain(&err.without_url())))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let text = response
            .text()
            .await
            .map_err(|err| format!("{url}: {}", error_chain(&err.without_url())))?;
        Ok(WebhookCounts::parse(&text))
    }

    /// Check 7: the throwaway room's `room_started` reached the running server within
    /// [`WEBHOOK_WAIT`] of its creation.
    async fn webhook_arrived(&self, watch: WebhookWatch) -> Finding {
        let what = "LiveKit webhooks";
        let endpoint = format!(
            "{}/api/livekit/webhook",
            self.config.public_url.as_str().trim_end_matches('/')
        );
        let before = match watch.before {
            Ok(counts) => counts,
            Err(why) => {
                return Finding::warn(
                    what,
                    format!("not checked: cannot read the running server's counter ({why})"),
                    "run onair doctor where onair runs (same machine or container, same \
                     configuration), with onair started",
                );
            }
        };
        let deadline = watch.created_at + WEBHOOK_WAIT;
        let mut now = before;
        loop {
            if let Ok(counts) = self.webhook_counts().await {
                now = counts;
            }
            if now.room_started > before.room_started {
                return Finding::ok(format!(
                    "{what} reach this server (the throwaway room's room_started, counted in \
                     {WEBHOOKS_METRIC})"
                ));
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        if now.refused > before.refused {
            return Finding::warn(
                what,
                "webhooks arrive but are refused (not signed with this server's key)",
                "livekit.yaml's webhook.api_key must be LIVEKIT_API_KEY",
            );
        }
        Finding::warn(
            what,
            "no webhook arrived",
            format!(
                "point livekit.yaml's webhook.urls at {endpoint} (README, LiveKit webhooks); \
                 without them OnAir works on bounded polls"
            ),
        )
    }
}

/// The running server's webhook counts, and when the throwaway room was made.
struct WebhookWatch {
    created_at: Instant,
    before: Result<WebhookCounts, String>,
}

/// What `onair_livekit_webhooks_total` says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct WebhookCounts {
    /// `room_started` events accepted.
    room_started: u64,
    /// Events refused (unsigned, malformed, replayed).
    refused: u64,
}

impl WebhookCounts {
    fn parse(metrics: &str) -> Self {
        let mut counts = Self::default();
        let prefix = format!("{WEBHOOKS_METRIC}{{");
        for line in metrics.lines().filter(|line| line.starts_with(&prefix)) {
            let Some(value) = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) else {
                continue;
            };
            let value = value as u64;
            if !line.contains("outcome=\"accepted\"") {
                counts.refused += value;
            } else if line.contains("event=\"room_started\"") {
                counts.room_started += value;
            }
        }
        counts
    }
}

/// Check 3b: UDP cannot be verified from here; the ports LiveKit offers (else its default).
fn media_over_udp(facts: &SignalFacts) -> Finding {
    let mut ports = unique(
        facts
            .candidates
            .iter()
            .filter(|c| c.transport == Transport::Udp && c.kind == "host")
            .map(|c| c.port.to_string()),
    );
    let from = if ports.is_empty() {
        ports.push(DEFAULT_RTC_UDP_PORT.to_string());
        "LiveKit's default"
    } else {
        "from LiveKit's ICE candidates"
    };
    let ports = ports.join(", ");
    Finding::warn(
        format!("LiveKit media over UDP (port {ports}, {from})"),
        "UDP cannot be verified from here",
        format!(
            "make sure {ports}/udp (rtc.udp_port, or the rtc.port_range_start–end range) is open \
             in every firewall between browsers and LiveKit (README, Troubleshooting)"
        ),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Udp,
    Tcp,
}

/// One ICE candidate LiveKit offers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Candidate {
    transport: Transport,
    address: String,
    port: u16,
    /// `host`, `srflx`, `relay`…
    kind: String,
    /// `passive` for the TCP candidates a browser dials.
    tcp_type: Option<String>,
}

impl Candidate {
    /// `candidate:1 1 tcp 1671430143 203.0.113.7 7881 typ host tcptype passive` (with or
    /// without SDP's `a=`).
    fn parse(line: &str) -> Option<Self> {
        let line = line.trim().strip_prefix("a=").unwrap_or(line.trim());
        let fields: Vec<&str> = line
            .strip_prefix("candidate:")?
            .split_whitespace()
            .collect();
        let transport = match fields.get(2)?.to_ascii_lowercase().as_str() {
            "udp" => Transport::Udp,
            "tcp" => Transport::Tcp,
            _ => return None,
        };
        let value_after = |name: &str| {
            fields
                .iter()
                .position(|field| *field == name)
                .and_then(|i| fields.get(i + 1))
                .map(|value| (*value).to_owned())
        };
        Some(Self {
            transport,
            address: (*fields.get(4)?).to_owned(),
            port: fields.get(5)?.parse().ok()?,
            kind: value_after("typ")?,
            tcp_type: value_after("tcptype"),
        })
    }
}

impl SignalFacts {
    fn has_both_transports(&self) -> bool {
        let has = |t| self.candidates.iter().any(|c| c.transport == t);
        has(Transport::Tcp) && has(Transport::Udp)
    }
}

/// The candidate of a trickle message (`{"candidate":"candidate:…","sdpMid":…}`).
fn candidate_of_trickle(candidate_init: &str) -> Option<Candidate> {
    let init: serde_json::Value = serde_json::from_str(candidate_init).ok()?;
    Candidate::parse(init.get("candidate")?.as_str()?)
}

/// `<public url>/rtc?access_token=…&protocol=…`, as LiveKit's JS SDK builds it.
fn signal_url(public_url: &Url, token: &str) -> Url {
    let mut url = public_url.clone();
    let path = format!("{}/rtc", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_fragment(None);
    url.query_pairs_mut()
        .clear()
        .append_pair("access_token", token)
        .append_pair("protocol", &SIGNAL_PROTOCOL.to_string())
        .append_pair("sdk", "js")
        .append_pair("auto_subscribe", "1")
        .append_pair("adaptive_stream", "0");
    url
}

/// The signal URL as printed: no token.
fn signal_display(public_url: &Url) -> String {
    let mut url = signal_url(public_url, "");
    url.set_query(None);
    url.to_string()
}

/// `line` with every JWT in it (a LiveKit refusal may echo the token it refused) replaced.
fn without_tokens(line: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("eyJ") {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let end = from.find(|c| !is_token_char(c)).unwrap_or(from.len());
        let word = &from[..end];
        if word.matches('.').count() >= 2 {
            out.push_str("<token>");
        } else {
            out.push_str(word);
        }
        rest = &from[end..];
    }
    out.push_str(rest);
    out
}

/// `scheme://host:port` of a URL: never a path, query or credentials.
fn origin(url: &Url) -> String {
    let origin = url.origin();
    if origin.is_tuple() {
        origin.ascii_serialization()
    } else {
        url.scheme().to_owned()
    }
}

/// The `http(s)://` form of a `ws(s)://` URL.
fn http_form(url: &Url) -> String {
    let mut http = url.clone();
    let scheme = match url.scheme() {
        "wss" => "https",
        "ws" => "http",
        other => other,
    }
    .to_owned();
    let _ = http.set_scheme(&scheme);
    http.to_string()
}

/// Where OnAir reaches the store (AWS's regional endpoint when no endpoint is set).
fn s3_http_url(s3: &S3Settings) -> String {
    s3.endpoint.as_ref().map_or_else(
        || format!("https://s3.{}.amazonaws.com/", s3.region),
        Url::to_string,
    )
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// Seconds this machine's clock (read at `local`) is ahead of a `Date` of `remote` (positive:
/// ahead). `Date` has whole seconds, so the remote instant is taken mid-second.
fn clock_skew(local: SystemTime, remote: SystemTime) -> f64 {
    let remote = remote + Duration::from_millis(500);
    match local.duration_since(remote) {
        Ok(ahead) => ahead.as_secs_f64(),
        Err(behind) => -behind.duration().as_secs_f64(),
    }
}

/// `future` within [`CHECK_TIMEOUT`]; `Err` says how long it was given.
async fn bounded<T>(future: impl Future<Output = T>) -> Result<T, String> {
    tokio::time::timeout(CHECK_TIMEOUT, future)
        .await
        .map_err(|_| format!("no answer within {} s", CHECK_TIMEOUT.as_secs()))
}

/// The failure of a bounded call, if it failed.
fn failure<T, E: fmt::Display>(outcome: Result<Result<T, E>, String>) -> Option<String> {
    match outcome {
        Ok(Ok(_)) => None,
        Ok(Err(err)) => Some(err.to_string()),
        Err(late) => Some(late),
    }
}

/// An error and its sources, `: `-separated (reqwest's own Display says only "error sending
/// request").
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

fn looks_like_tls(message: &str) -> bool {
    let message = message.to_lowercase();
    [
        "certificate",
        "tls",
        "handshake",
        "unknownissuer",
        "corrupt message",
        "invalidcontenttype",
    ]
    .iter()
    .any(|word| message.contains(word))
}

fn tls_fix(public: &Url) -> String {
    format!(
        "a wss:// LIVEKIT_PUBLIC_URL must reach TLS (a reverse proxy, or LiveKit's own) with a \
         certificate browsers trust for {}; ws:// when its port speaks plain HTTP",
        public.host_str().unwrap_or("its host")
    )
}

/// What to change for a failed LiveKit API call.
fn livekit_fix(err: &LiveKitError) -> String {
    match err {
        LiveKitError::Unavailable(_) => "LIVEKIT_URL must be the address this server reaches \
                                         livekit-server at (and livekit-server must run)"
            .to_owned(),
        LiveKitError::Refused(message)
            if [
                "unauthenticated",
                "permission",
                "unauthorized",
                "invalid token",
            ]
            .iter()
            .any(|word| message.to_lowercase().contains(word)) =>
        {
            FIX_LIVEKIT_KEYS.to_owned()
        }
        LiveKitError::Refused(_) | LiveKitError::NotFound => {
            "LIVEKIT_URL must point at livekit-server itself (its API port, 7880 by default)"
                .to_owned()
        }
    }
}

/// The setting to change for a failed bucket call, read from the store's error.
fn s3_fix(message: &str) -> String {
    let message = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| message.contains(word));
    if has(&["nosuchbucket", "bucket does not exist"]) {
        "S3_BUCKET_NAME must name an existing bucket of the store at S3_ENDPOINT".into()
    } else if has(&[
        "invalidaccesskeyid",
        "signaturedoesnotmatch",
        "accessdenied",
        "access denied",
        "forbidden",
        "403",
    ]) {
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be a key of the store allowed to put, \
         get, list and delete objects in S3_BUCKET_NAME"
            .into()
    } else if has(&[
        "authorizationheadermalformed",
        "permanentredirect",
        "region",
        "301",
    ]) {
        "AWS_REGION must be the bucket's region (and S3_FORCE_PATH_STYLE=true for SeaweedFS, \
         MinIO, Ceph, R2…)"
            .into()
    } else if has(&[
        "dispatch",
        "connect",
        "dns",
        "timeout",
        "timed out",
        "refused",
        "no answer",
    ]) {
        "S3_ENDPOINT must be the address this server reaches the store at (and the store must run)"
            .into()
    } else {
        "check S3_ENDPOINT, S3_BUCKET_NAME, AWS_REGION, S3_FORCE_PATH_STYLE and the key's rights \
         (put, get, list, delete)"
            .into()
    }
}

/// TLS as a browser trusts it: the system's CA store, and the webpki roots beside it (a slim
/// image may have no CA store at all); rustls on ring, the provider the rest of the process uses.
fn tls_config() -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let _ = roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring offers the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// Whether `host` is a localhost name (`localhost`, `*.localhost`), which RFC 6761 reserves for
/// this machine and browsers resolve to loopback by themselves, whatever DNS says: so does the
/// doctor (a test or LAN deployment named `onair.localhost` then checks as browsers see it).
fn is_localhost_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

/// The addresses of `host`:`port`, localhost names resolved as browsers do.
async fn resolve(host: &str, port: u16) -> std::io::Result<Vec<std::net::SocketAddr>> {
    if is_localhost_name(host) {
        return Ok(vec![std::net::SocketAddr::from(([127, 0, 0, 1], port))]);
    }
    Ok(tokio::net::lookup_host((host, port)).await?.collect())
}

/// A TCP connection to `host`:`port` (see [`resolve`]), trying each address in turn.
async fn connect_tcp(host: &str, port: u16) -> std::io::Result<tokio::net::TcpStream> {
    let mut last_error = None;
    for address in resolve(host, port).await? {
        match tokio::net::TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{host} has no address"),
        )
    }))
}

/// reqwest's name resolution, with localhost names as [`resolve`] has them.
struct LocalhostNames;

impl reqwest::dns::Resolve for LocalhostNames {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = resolve(&host, 0).await?;
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_ok_warn_and_fail_with_their_fix() {
        assert_eq!(Finding::ok("LiveKit API").to_string(), "ok   LiveKit API");
        assert_eq!(
            Finding::fail("S3 bucket", "write: refused", "set S3_ENDPOINT").to_string(),
            "FAIL S3 bucket: write: refused — fix: set S3_ENDPOINT"
        );
        assert_eq!(
            Finding::warn("clock", "not compared", "").to_string(),
            "warn clock: not compared"
        );
    }

    #[test]
    fn livekit_candidates_are_read_from_sdp_and_trickle() {
        let tcp = Candidate::parse(
            "a=candidate:2 1 tcp 1671430143 203.0.113.7 7881 typ host tcptype passive",
        )
        .unwrap();
        assert_eq!(tcp.transport, Transport::Tcp);
        assert_eq!((tcp.address.as_str(), tcp.port), ("203.0.113.7", 7881));
        assert_eq!(tcp.tcp_type.as_deref(), Some("passive"));
        let udp = candidate_of_trickle(
            r#"{"candidate":"candidate:1 1 udp 2130706431 203.0.113.7 7882 typ host","sdpMid":"0"}"#,
        )
        .unwrap();
        assert_eq!(
            (udp.transport, udp.port, udp.kind.as_str()),
            (Transport::Udp, 7882, "host")
        );
        assert!(Candidate::parse("a=ice-ufrag:abc").is_none());
    }

    #[test]
    fn the_signal_url_is_the_sdks_and_is_printed_without_the_token() {
        let public = Url::parse("wss://lk.example.com/").unwrap();
        let url = signal_url(&public, "the-token");
        assert_eq!(url.path(), "/rtc");
        assert!(url.query().unwrap().contains("access_token=the-token"));
        assert_eq!(signal_display(&public), "wss://lk.example.com/rtc");
        let behind_a_path = Url::parse("wss://example.com/livekit").unwrap();
        assert_eq!(
            signal_display(&behind_a_path),
            "wss://example.com/livekit/rtc"
        );
    }

    #[test]
    fn webhook_counts_are_read_from_the_prometheus_text() {
        let text = "# TYPE onair_livekit_webhooks_total counter\n\
            onair_livekit_webhooks_total{event=\"room_started\",outcome=\"accepted\"} 3\n\
            onair_livekit_webhooks_total{event=\"room_finished\",outcome=\"accepted\"} 2\n\
            onair_livekit_webhooks_total{event=\"unknown\",outcome=\"unsigned\"} 1\n";
        assert_eq!(
            WebhookCounts::parse(text),
            WebhookCounts {
                room_started: 3,
                refused: 1
            }
        );
    }

    #[test]
    fn clock_skew_is_signed_and_counts_the_date_mid_second() {
        let remote = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let ahead = clock_skew(remote + Duration::from_secs(10), remote);
        assert!((ahead - 9.5).abs() < 1e-6, "{ahead}");
        let behind = clock_skew(remote, remote + Duration::from_secs(10));
        assert!((behind + 10.5).abs() < 1e-6, "{behind}");
    }

    #[test]
    fn a_failed_bucket_call_names_the_setting_to_change() {
        assert!(s3_fix("service error: NoSuchBucket").contains("S3_BUCKET_NAME"));
        assert!(s3_fix("service error: InvalidAccessKeyId").contains("AWS_ACCESS_KEY_ID"));
        assert!(s3_fix("dispatch failure: io error: Connection refused").contains("S3_ENDPOINT"));
    }

    #[test]
    fn tokens_never_reach_a_line() {
        assert_eq!(
            without_tokens("401: invalid token: eyJ0eXAi.eyJleHAi.c2lnbmF0dXJl, try again"),
            "401: invalid token: <token>, try again"
        );
        assert_eq!(without_tokens("eyJ alone stays"), "eyJ alone stays");
    }

    #[test]
    fn localhost_names_are_this_machine_as_browsers_have_them() {
        assert!(is_localhost_name("localhost"));
        assert!(is_localhost_name("s3.onair.localhost"));
        assert!(is_localhost_name("Onair.LOCALHOST."));
        assert!(!is_localhost_name("localhost.example.com"));
        assert!(!is_localhost_name("onair.example.com"));
    }

    #[test]
    fn origins_carry_no_path_query_or_credentials() {
        let url =
            Url::parse("https://user:pw@s3.example.com:9000/bucket/key?X-Amz-Signature=x").unwrap();
        assert_eq!(origin(&url), "https://s3.example.com:9000");
    }
}
