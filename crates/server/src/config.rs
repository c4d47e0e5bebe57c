//! Configuration: built-in defaults, then the optional file `config/onair.toml` (or the file
//! named by `ONAIR_CONFIG`), then environment variables, which win. Every key is the lowercase
//! form of its environment variable (`LIVEKIT_URL` ↔ `livekit_url`); `.env.example` documents
//! each one. Loading validates everything once, so the rest of the server works with values that
//! are known to be usable, and a bad setting stops start-up with one line naming it.

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

pub use onair_api::{AccessMode, HlsMode};

/// Default location of the optional settings file, relative to the working directory.
pub const DEFAULT_CONFIG_FILE: &str = "config/onair.toml";
/// Shortest accepted `HOST_KEY_SECRET` (HS256 wants at least 256 bits).
const MIN_SECRET_CHARS: usize = 32;

/// Output format of the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Picture size and rate of recordings. Lower costs less CPU on the egress machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordingPreset {
    #[serde(rename = "1080p30")]
    P1080,
    #[serde(rename = "720p30")]
    P720,
    #[serde(rename = "540p25")]
    P540,
    #[serde(rename = "360p25")]
    P360,
}

impl RecordingPreset {
    /// Width, height, frames per second, video kbit/s.
    pub fn dimensions(self) -> (i32, i32, i32, i32) {
        match self {
            RecordingPreset::P1080 => (1920, 1080, 30, 4500),
            RecordingPreset::P720 => (1280, 720, 30, 3000),
            RecordingPreset::P540 => (960, 540, 25, 1800),
            RecordingPreset::P360 => (640, 360, 25, 900),
        }
    }
}

/// Settings as read from file and environment, before validation.
#[derive(Debug, Serialize, Deserialize)]
struct RawSettings {
    livekit_url: Option<String>,
    livekit_api_key: Option<String>,
    #[serde(serialize_with = "never_serialize_secret")]
    livekit_api_secret: Option<SecretString>,
    livekit_public_url: Option<String>,
    public_url: Option<String>,
    bind_address: IpAddr,
    port: u16,
    static_dir: PathBuf,
    log_format: LogFormat,
    token_ttl_seconds: u64,
    #[serde(serialize_with = "never_serialize_secret")]
    host_key_secret: Option<SecretString>,
    host_key_ttl_seconds: u64,
    livekit_timeout_ms: u64,
    room_cache_ttl_ms: u64,
    room_create_per_minute: u32,
    room_create_burst: u32,
    trust_forwarded_for: bool,
    room_empty_timeout_seconds: u32,
    room_departure_timeout_seconds: u32,
    recording_preset: RecordingPreset,
    hls_mode: HlsMode,
    /// 0: no limit.
    max_webrtc_viewers: u32,
    s3_bucket_name: Option<String>,
    s3_endpoint: Option<String>,
    s3_public_endpoint: Option<String>,
    s3_force_path_style: bool,
    aws_region: String,
    aws_access_key_id: Option<String>,
    #[serde(serialize_with = "never_serialize_secret")]
    aws_secret_access_key: Option<SecretString>,
    access_mode: AccessMode,
    #[serde(serialize_with = "never_serialize_secret")]
    session_secret: Option<SecretString>,
    session_ttl_seconds: u64,
    oidc_issuer_url: Option<String>,
    oidc_client_id: Option<String>,
    #[serde(serialize_with = "never_serialize_secret")]
    oidc_client_secret: Option<SecretString>,
    oidc_allowed_emails: Option<String>,
    oidc_allowed_groups: Option<String>,
    oidc_groups_claim: String,
    creator_keys_file: Option<PathBuf>,
    max_live_streams_per_creator: u32,
    /// 0: no limit.
    max_recording_minutes_per_day: u32,
}

/// Defaults are only ever serialised into figment, and none of them holds a secret.
fn never_serialize_secret<S: serde::Serializer>(
    _: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_none()
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            livekit_url: None,
            livekit_api_key: None,
            livekit_api_secret: None,
            livekit_public_url: None,
            public_url: None,
            bind_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 3000,
            static_dir: PathBuf::from("frontend/dist"),
            log_format: LogFormat::Text,
            token_ttl_seconds: 6 * 3600,
            host_key_secret: None,
            host_key_ttl_seconds: 24 * 3600,
            livekit_timeout_ms: 2500,
            room_cache_ttl_ms: 2000,
            room_create_per_minute: 10,
            room_create_burst: 5,
            trust_forwarded_for: false,
            room_empty_timeout_seconds: 600,
            room_departure_timeout_seconds: 120,
            recording_preset: RecordingPreset::P720,
            hls_mode: HlsMode::Host,
            max_webrtc_viewers: 0,
            s3_bucket_name: None,
            s3_endpoint: None,
            s3_public_endpoint: None,
            s3_force_path_style: false,
            aws_region: "us-east-1".into(),
            aws_access_key_id: None,
            aws_secret_access_key: None,
            access_mode: AccessMode::Open,
            session_secret: None,
            session_ttl_seconds: 12 * 3600,
            oidc_issuer_url: None,
            oidc_client_id: None,
            oidc_client_secret: None,
            oidc_allowed_emails: None,
            oidc_allowed_groups: None,
            oidc_groups_claim: "groups".into(),
            creator_keys_file: None,
            max_live_streams_per_creator: 3,
            max_recording_minutes_per_day: 0,
        }
    }
}

/// How to reach LiveKit.
#[derive(Debug, Clone)]
pub struct LiveKitSettings {
    /// URL the server uses for LiveKit's API (`ws(s)://` or `http(s)://`).
    pub url: Url,
    /// URL browsers connect to (`ws(s)://`).
    pub public_url: Url,
    pub api_key: String,
    pub api_secret: SecretString,
    /// Upper bound on one LiveKit API call, so an unreachable LiveKit becomes a quick 503.
    pub request_timeout: Duration,
    /// How long an empty room waits for its host before LiveKit closes it.
    pub empty_timeout: Duration,
    /// How long a room stays open after everyone left (a host reload must not end the stream).
    pub departure_timeout: Duration,
    /// Picture of RoomComposite recordings.
    pub recording_preset: RecordingPreset,
}

/// Where recordings go. Present only when recording is configured.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    pub endpoint: Option<Url>,
    /// Endpoint browsers reach, for playback URLs (default: `endpoint`).
    pub public_endpoint: Option<Url>,
    pub force_path_style: bool,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

/// Rate limit of `POST /api/rooms` per client address.
#[derive(Debug, Clone, Copy)]
pub struct RoomCreationLimit {
    pub per_minute: u32,
    pub burst: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
}

/// Sign-in through the operator's OpenID Connect provider.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The provider's issuer, exactly as configured (it must equal the `issuer` of the
    /// provider's discovery document, trailing slash or not).
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Accounts that may create streams, by verified email: exact addresses or `*@domain`.
    /// Empty: any account of the provider (subject to `allowed_groups`).
    pub allowed_emails: Vec<String>,
    /// Accounts that may create streams, by group (any one of them). Empty: no group needed.
    pub allowed_groups: Vec<String>,
    /// The ID token or user info claim that lists the account's groups.
    pub groups_claim: String,
}

/// Who may create streams, how creators sign in, and what each may use.
#[derive(Debug, Clone)]
pub struct AccessSettings {
    pub mode: AccessMode,
    /// Signs the creator session cookie (and the OpenID Connect flow's cookie).
    pub session_secret: SecretString,
    pub session_ttl: Duration,
    pub oidc: Option<OidcSettings>,
    /// The file `onair creator-key add` writes: names and hashes of creator keys.
    pub creator_keys_file: Option<PathBuf>,
    /// Streams one creator may have open at once (signed-in creators only).
    pub max_live_streams_per_creator: u32,
    /// Minutes one creator may record per day (UTC); `None`: no limit.
    pub max_recording_minutes_per_day: Option<u32>,
}

/// Validated configuration of one OnAir server.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// Base URL of this app as users reach it; share links start with it.
    pub public_url: Url,
    pub static_dir: PathBuf,
    pub log_format: LogFormat,
    pub livekit: LiveKitSettings,
    pub token_ttl: Duration,
    pub host_key_secret: SecretString,
    pub host_key_ttl: Duration,
    pub room_cache_ttl: Duration,
    pub room_creation: RoomCreationLimit,
    pub s3: Option<S3Settings>,
    /// Who starts HLS broadcasts (they need `s3`).
    pub hls_mode: HlsMode,
    /// Viewers one stream serves over WebRTC; those past it watch the HLS broadcast (`None`:
    /// no limit).
    pub max_webrtc_viewers: Option<NonZeroU32>,
    pub access: AccessSettings,
}

/// A setting that is missing or unusable; the message names the environment variable.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(String);

impl ConfigError {
    fn invalid(key: &str, why: impl std::fmt::Display) -> Self {
        Self(format!("{} {why}", key.to_uppercase()))
    }
}

impl Config {
    /// Reads defaults, the settings file and the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var("ONAIR_CONFIG").unwrap_or_else(|_| DEFAULT_CONFIG_FILE.to_owned());
        Self::from_figment(Figment::from(Toml::file(file)).merge(Env::raw()))
    }

    /// Builds a configuration from explicit `(ENV_NAME, value)` pairs on top of the defaults,
    /// without reading the environment or any file (for tests and tools).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        for (key, value) in pairs {
            // Parsed like an environment variable's value: "3000" is a number, "true" a bool.
            let value: figment::value::Value =
                value.parse().expect("parsing a value is infallible");
            figment = figment.merge((key.to_lowercase(), value));
        }
        Self::from_figment(figment)
    }

    fn from_figment(layers: Figment) -> Result<Self, ConfigError> {
        let raw: RawSettings = Figment::from(Serialized::defaults(RawSettings::default()))
            .merge(layers)
            .extract()
            .map_err(|err| {
                let key = err.path.last().cloned().unwrap_or_default();
                match &err.kind {
                    figment::error::Kind::MissingField(name) => {
                        ConfigError::invalid(name, "is required")
                    }
                    kind => ConfigError::invalid(&key, format_args!("is invalid: {kind}")),
                }
            })?;
        raw.validate()
    }
}

fn required(value: Option<String>, key: &str, hint: &str) -> Result<String, ConfigError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => Err(ConfigError::invalid(
            key,
            format_args!("is required ({hint})"),
        )),
    }
}

fn parse_url(raw: &str, key: &str, schemes: &[&str]) -> Result<Url, ConfigError> {
    let url = Url::parse(raw)
        .map_err(|e| ConfigError::invalid(key, format_args!("is not a URL: {e}")))?;
    if !schemes.contains(&url.scheme()) {
        return Err(ConfigError::invalid(
            key,
            format_args!("must start with {}", schemes.join("://, ") + "://"),
        ));
    }
    Ok(url)
}

/// The URL browsers use for LiveKit's WebSocket: `http(s)` becomes `ws(s)`.
fn websocket_url(url: &Url) -> Url {
    let mut ws = url.clone();
    let scheme = match url.scheme() {
        "https" => "wss",
        "http" => "ws",
        other => other,
    }
    .to_owned();
    // Switching between these "special" schemes cannot fail.
    let _ = ws.set_scheme(&scheme);
    ws
}

fn secret_of_min_length(secret: SecretString, key: &str) -> Result<SecretString, ConfigError> {
    if secret.expose_secret().chars().count() < MIN_SECRET_CHARS {
        return Err(ConfigError::invalid(
            key,
            format_args!("must be at least {MIN_SECRET_CHARS} characters"),
        ));
    }
    Ok(secret)
}

/// Without `HOST_KEY_SECRET` (or `SESSION_SECRET`), the key is derived from the LiveKit API
/// secret and a label saying what it signs, so every replica with the same LiveKit credentials
/// verifies the same host keys and sessions, and a key of one kind never passes for the other.
fn derived_secret(livekit_secret: &SecretString, label: &[u8]) -> SecretString {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(livekit_secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(label);
    let bytes = mac.finalize().into_bytes();
    SecretString::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

impl RawSettings {
    fn validate(self) -> Result<Config, ConfigError> {
        let livekit_url = parse_url(
            &required(
                self.livekit_url,
                "livekit_url",
                "the LiveKit server, e.g. ws://127.0.0.1:7880",
            )?,
            "livekit_url",
            &["ws", "wss", "http", "https"],
        )?;
        let api_key = required(self.livekit_api_key, "livekit_api_key", "LiveKit API key")?;
        let api_secret = self
            .livekit_api_secret
            .filter(|s| !s.expose_secret().trim().is_empty())
            .ok_or_else(|| {
                ConfigError::invalid("livekit_api_secret", "is required (LiveKit API secret)")
            })?;
        let livekit_public_url = match self.livekit_public_url.filter(|s| !s.trim().is_empty()) {
            Some(raw) => parse_url(&raw, "livekit_public_url", &["ws", "wss", "http", "https"])?,
            None => livekit_url.clone(),
        };
        let public_url = match self.public_url.filter(|s| !s.trim().is_empty()) {
            Some(raw) => parse_url(&raw, "public_url", &["http", "https"])?,
            None => Url::parse(&format!("http://127.0.0.1:{}", self.port)).expect("valid URL"),
        };
        if !(60..=86_400).contains(&self.token_ttl_seconds) {
            return Err(ConfigError::invalid(
                "token_ttl_seconds",
                "must be between 60 and 86400 (tokens last hours, not days)",
            ));
        }
        if !(60..=7 * 86_400).contains(&self.host_key_ttl_seconds) {
            return Err(ConfigError::invalid(
                "host_key_ttl_seconds",
                "must be between 60 and 604800",
            ));
        }
        if !(100..=30_000).contains(&self.livekit_timeout_ms) {
            return Err(ConfigError::invalid(
                "livekit_timeout_ms",
                "must be between 100 and 30000",
            ));
        }
        if self.room_cache_ttl_ms > 60_000 {
            return Err(ConfigError::invalid(
                "room_cache_ttl_ms",
                "must be at most 60000",
            ));
        }
        if self.room_create_per_minute == 0 || self.room_create_burst == 0 {
            return Err(ConfigError::invalid(
                "room_create_per_minute",
                "and ROOM_CREATE_BURST must be at least 1",
            ));
        }
        let host_key_secret = match self
            .host_key_secret
            .filter(|s| !s.expose_secret().is_empty())
        {
            Some(secret) => secret_of_min_length(secret, "host_key_secret")?,
            None => derived_secret(&api_secret, b"onair host key v1"),
        };
        let session_secret = match self
            .session_secret
            .filter(|s| !s.expose_secret().is_empty())
        {
            Some(secret) => secret_of_min_length(secret, "session_secret")?,
            None => derived_secret(&api_secret, b"onair creator session v1"),
        };
        let access = access_settings(
            self.access_mode,
            session_secret,
            self.session_ttl_seconds,
            OidcRaw {
                issuer_url: self.oidc_issuer_url,
                client_id: self.oidc_client_id,
                client_secret: self.oidc_client_secret,
                allowed_emails: self.oidc_allowed_emails,
                allowed_groups: self.oidc_allowed_groups,
                groups_claim: self.oidc_groups_claim,
            },
            self.creator_keys_file,
            self.max_live_streams_per_creator,
            self.max_recording_minutes_per_day,
        )?;
        let s3 = match self.s3_bucket_name.filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(bucket) => Some(S3Settings {
                bucket,
                region: self.aws_region,
                endpoint: self
                    .s3_endpoint
                    .filter(|s| !s.trim().is_empty())
                    .map(|raw| parse_url(&raw, "s3_endpoint", &["http", "https"]))
                    .transpose()?,
                public_endpoint: self
                    .s3_public_endpoint
                    .filter(|s| !s.trim().is_empty())
                    .map(|raw| parse_url(&raw, "s3_public_endpoint", &["http", "https"]))
                    .transpose()?,
                force_path_style: self.s3_force_path_style,
                access_key_id: required(
                    self.aws_access_key_id,
                    "aws_access_key_id",
                    "needed when S3_BUCKET_NAME is set",
                )?,
                secret_access_key: self.aws_secret_access_key.ok_or_else(|| {
                    ConfigError::invalid(
                        "aws_secret_access_key",
                        "is required when S3_BUCKET_NAME is set",
                    )
                })?,
            }),
        };
        Ok(Config {
            bind: SocketAddr::new(self.bind_address, self.port),
            public_url,
            static_dir: self.static_dir,
            log_format: self.log_format,
            livekit: LiveKitSettings {
                url: livekit_url,
                public_url: websocket_url(&livekit_public_url),
                api_key,
                api_secret,
                request_timeout: Duration::from_millis(self.livekit_timeout_ms),
                empty_timeout: Duration::from_secs(self.room_empty_timeout_seconds.into()),
                departure_timeout: Duration::from_secs(self.room_departure_timeout_seconds.into()),
                recording_preset: self.recording_preset,
            },
            token_ttl: Duration::from_secs(self.token_ttl_seconds),
            host_key_secret,
            host_key_ttl: Duration::from_secs(self.host_key_ttl_seconds),
            room_cache_ttl: Duration::from_millis(self.room_cache_ttl_ms),
            room_creation: RoomCreationLimit {
                per_minute: self.room_create_per_minute,
                burst: self.room_create_burst,
                trust_forwarded_for: self.trust_forwarded_for,
            },
            s3,
            hls_mode: self.hls_mode,
            max_webrtc_viewers: NonZeroU32::new(self.max_webrtc_viewers),
            access,
        })
    }
}

/// The `OIDC_*` settings as read.
struct OidcRaw {
    issuer_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    allowed_emails: Option<String>,
    allowed_groups: Option<String>,
    groups_claim: String,
}

fn comma_list(raw: Option<String>) -> Vec<String> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

fn access_settings(
    mode: AccessMode,
    session_secret: SecretString,
    session_ttl_seconds: u64,
    oidc: OidcRaw,
    creator_keys_file: Option<PathBuf>,
    max_live_streams_per_creator: u32,
    max_recording_minutes_per_day: u32,
) -> Result<AccessSettings, ConfigError> {
    if !(300..=30 * 86_400).contains(&session_ttl_seconds) {
        return Err(ConfigError::invalid(
            "session_ttl_seconds",
            "must be between 300 and 2592000",
        ));
    }
    let oidc = match oidc.issuer_url.filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(raw) => {
            parse_url(raw.trim(), "oidc_issuer_url", &["http", "https"])?;
            let issuer_url = raw.trim().to_owned();
            let allowed_emails = comma_list(oidc.allowed_emails);
            if let Some(bad) = allowed_emails.iter().find(|e| !e.contains('@')) {
                return Err(ConfigError::invalid(
                    "oidc_allowed_emails",
                    format_args!("has {bad:?}, which is neither an address nor *@domain"),
                ));
            }
            Some(OidcSettings {
                issuer_url,
                client_id: required(
                    oidc.client_id,
                    "oidc_client_id",
                    "needed when OIDC_ISSUER_URL is set",
                )?,
                client_secret: oidc
                    .client_secret
                    .filter(|s| !s.expose_secret().trim().is_empty())
                    .ok_or_else(|| {
                        ConfigError::invalid(
                            "oidc_client_secret",
                            "is required when OIDC_ISSUER_URL is set",
                        )
                    })?,
                allowed_emails: allowed_emails
                    .into_iter()
                    .map(|e| e.to_lowercase())
                    .collect(),
                allowed_groups: comma_list(oidc.allowed_groups),
                groups_claim: oidc.groups_claim.trim().to_owned(),
            })
        }
    };
    let creator_keys_file = creator_keys_file.filter(|p| !p.as_os_str().is_empty());
    if mode == AccessMode::Private && oidc.is_none() && creator_keys_file.is_none() {
        return Err(ConfigError::invalid(
            "access_mode",
            "is private, but no way to sign in is set: set OIDC_ISSUER_URL (and OIDC_CLIENT_ID, \
             OIDC_CLIENT_SECRET) or CREATOR_KEYS_FILE",
        ));
    }
    if max_live_streams_per_creator == 0 {
        return Err(ConfigError::invalid(
            "max_live_streams_per_creator",
            "must be at least 1",
        ));
    }
    Ok(AccessSettings {
        mode,
        session_secret,
        session_ttl: Duration::from_secs(session_ttl_seconds),
        oidc,
        creator_keys_file,
        max_live_streams_per_creator,
        max_recording_minutes_per_day: (max_recording_minutes_per_day > 0)
            .then_some(max_recording_minutes_per_day),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Vec<(&'static str, String)> {
        vec![
            ("LIVEKIT_URL", "ws://127.0.0.1:7880".into()),
            ("LIVEKIT_API_KEY", "devkey".into()),
            (
                "LIVEKIT_API_SECRET",
                "a-secret-that-is-long-enough-000000".into(),
            ),
        ]
    }

    fn error_for(pairs: Vec<(&'static str, String)>) -> String {
        Config::from_pairs(pairs).unwrap_err().to_string()
    }

    #[test]
    fn three_livekit_settings_are_enough() {
        let config = Config::from_pairs(minimal()).unwrap();
        assert_eq!(config.bind.port(), 3000);
        assert_eq!(config.public_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(config.livekit.public_url.as_str(), "ws://127.0.0.1:7880/");
        assert!(config.s3.is_none());
    }

    #[test]
    fn a_missing_livekit_url_is_named() {
        let mut pairs = minimal();
        pairs.remove(0);
        let message = error_for(pairs);
        assert!(message.contains("LIVEKIT_URL is required"), "{message}");
    }

    #[test]
    fn an_invalid_port_is_named() {
        let mut pairs = minimal();
        pairs.push(("PORT", "not-a-port".into()));
        let message = error_for(pairs);
        assert!(message.contains("PORT is invalid"), "{message}");
    }

    #[test]
    fn an_http_livekit_url_is_offered_to_browsers_as_websocket() {
        let mut pairs = minimal();
        pairs[0].1 = "https://lk.example.com".into();
        let config = Config::from_pairs(pairs).unwrap();
        assert_eq!(config.livekit.public_url.as_str(), "wss://lk.example.com/");
    }

    #[test]
    fn token_lifetimes_are_hours_not_days() {
        let mut pairs = minimal();
        pairs.push(("TOKEN_TTL_SECONDS", "1209600".into()));
        assert!(error_for(pairs).contains("TOKEN_TTL_SECONDS"));
    }

    #[test]
    fn a_short_host_key_secret_is_refused() {
        let mut pairs = minimal();
        pairs.push(("HOST_KEY_SECRET", "short".into()));
        assert!(error_for(pairs).contains("HOST_KEY_SECRET must be at least 32"));
    }

    #[test]
    fn a_bucket_without_credentials_is_refused() {
        let mut pairs = minimal();
        pairs.push(("S3_BUCKET_NAME", "recordings".into()));
        assert!(error_for(pairs).contains("AWS_ACCESS_KEY_ID"));
    }

    /// `.env.example` as `(NAME, value)` pairs.
    fn env_example() -> Vec<(&'static str, String)> {
        include_str!("../../../.env.example")
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .filter_map(|line| line.split_once('='))
            .map(|(name, value)| (name.trim(), value.trim().to_owned()))
            .collect()
    }

    #[test]
    fn env_example_documents_every_setting() {
        let documented: Vec<&str> = env_example().iter().map(|(name, _)| *name).collect();
        let defaults = serde_json::to_value(RawSettings::default()).unwrap();
        for key in defaults.as_object().unwrap().keys() {
            let name = key.to_uppercase();
            assert!(
                documented.contains(&name.as_str()),
                "{name} is missing from .env.example"
            );
        }
    }

    #[test]
    fn env_example_as_is_is_a_working_configuration() {
        let config = Config::from_pairs(env_example()).unwrap();
        assert!(
            config.s3.is_none(),
            "recording stays off with an empty bucket"
        );
    }

    #[test]
    fn the_settings_file_in_config_holds_the_built_in_defaults() {
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/onair.toml");
        let mut layers = Figment::from(Toml::file(file));
        for (key, value) in minimal() {
            layers = layers.merge((key.to_lowercase(), value));
        }
        let from_file = Config::from_figment(layers).unwrap();
        let built_in = Config::from_pairs(minimal()).unwrap();
        assert_eq!(format!("{from_file:?}"), format!("{built_in:?}"));
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let mut pairs = minimal();
        pairs.push(("OIDC_ISSUER_URL", "https://id.example.com".into()));
        pairs.push(("OIDC_CLIENT_ID", "onair".into()));
        pairs.push(("OIDC_CLIENT_SECRET", "the-oidc-client-secret".into()));
        let config = Config::from_pairs(pairs).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("a-secret-that-is-long-enough"), "{debug}");
        assert!(!debug.contains("the-oidc-client-secret"), "{debug}");
    }

    #[test]
    fn the_access_mode_is_open_unless_set() {
        let config = Config::from_pairs(minimal()).unwrap();
        assert_eq!(config.access.mode, AccessMode::Open);
        assert!(config.access.oidc.is_none());
    }

    #[test]
    fn a_private_server_needs_a_way_to_sign_in() {
        let mut pairs = minimal();
        pairs.push(("ACCESS_MODE", "private".into()));
        assert!(error_for(pairs.clone()).contains("ACCESS_MODE is private"));
        pairs.push(("CREATOR_KEYS_FILE", "/tmp/keys.json".into()));
        let config = Config::from_pairs(pairs).unwrap();
        assert_eq!(config.access.mode, AccessMode::Private);
    }

    #[test]
    fn an_oidc_issuer_needs_its_client() {
        let mut pairs = minimal();
        pairs.push(("OIDC_ISSUER_URL", "https://id.example.com".into()));
        assert!(error_for(pairs.clone()).contains("OIDC_CLIENT_ID"));
        pairs.push(("OIDC_CLIENT_ID", "onair".into()));
        assert!(error_for(pairs.clone()).contains("OIDC_CLIENT_SECRET"));
        pairs.push(("OIDC_CLIENT_SECRET", "s3cret".into()));
        pairs.push((
            "OIDC_ALLOWED_EMAILS",
            "Ada@Example.com, *@team.example".into(),
        ));
        let oidc = Config::from_pairs(pairs).unwrap().access.oidc.unwrap();
        assert_eq!(oidc.allowed_emails, ["ada@example.com", "*@team.example"]);
        assert_eq!(oidc.groups_claim, "groups");
    }
}
