//! The shared state of one OnAir server: configuration and the services the handlers call.

use metrics_exporter_prometheus::PrometheusHandle;
use onair_api::RoomId;
use secrecy::ExposeSecret;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::access::Access;
use crate::audience::WebrtcSeats;
use crate::config::Config;
use crate::error::ApiError;
use crate::extract::BearerToken;
use crate::hls::Broadcaster;
use crate::host_key::HostKeys;
use crate::livekit::{LiveKit, Role};
use crate::passcode::Passcodes;
use crate::rate_limit::RoomCreationLimiter;
use crate::recording::Recorder;
use crate::restream::Restreamer;
use crate::storage::{RecordingStore, S3Store};
use crate::streams::{RoomMetadata, Streams};
use crate::web_app::WebApp;
use crate::webhooks::Webhooks;

/// Cheap to clone; every handler gets one.
#[derive(Clone)]
pub struct AppState(Arc<App>);

pub struct App {
    pub config: Config,
    pub livekit: Arc<LiveKit>,
    pub streams: Streams,
    pub host_keys: HostKeys,
    pub room_creation: RoomCreationLimiter,
    /// Who may create streams, and how creators sign in.
    pub access: Access,
    /// Stream passcodes: hashing, checking, and wrong guesses.
    pub passcodes: Passcodes,
    pub prometheus: PrometheusHandle,
    pub web_app: WebApp,
    /// Present when recording is configured (an S3 bucket is set).
    pub recorder: Option<Recorder>,
    /// Present when a bucket is set too: it keeps the destinations.
    pub restreamer: Option<Restreamer>,
    /// Present when a bucket is set too: HLS broadcasts go there.
    pub broadcaster: Option<Broadcaster>,
    /// Each stream's WebRTC audience, up to `MAX_WEBRTC_VIEWERS`.
    pub webrtc_seats: WebrtcSeats,
    /// LiveKit's webhooks: checked, and what they said about egresses.
    pub webhooks: Arc<Webhooks>,
    /// Set once a shutdown signal came: `/readyz` answers 503 so load balancers stop sending
    /// work, and every response says `Connection: close`.
    pub draining: Draining,
}

/// Whether this server is shutting down. Starts false; set once, never cleared.
#[derive(Default)]
pub struct Draining(AtomicBool);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    pub fn new(config: Config) -> Self {
        let livekit = Arc::new(LiveKit::new(config.livekit.clone()));
        let streams = Streams::new(livekit.clone(), config.room_cache_ttl, config.s3.is_some());
        let host_keys = HostKeys::new(&config.host_key_secret, config.host_key_ttl);
        let room_creation = RoomCreationLimiter::new(config.room_creation);
        let webhooks = Arc::new(Webhooks::new(
            &config.livekit.api_key,
            config.livekit.api_secret.expose_secret(),
        ));
        let store: Option<Arc<dyn RecordingStore>> = config
            .s3
            .as_ref()
            .map(|s3| Arc::new(S3Store::new(s3)) as Arc<dyn RecordingStore>);
        let recorder =
            config.s3.as_ref().zip(store.clone()).map(|(s3, store)| {
                Recorder::new(livekit.clone(), store, s3.clone(), webhooks.clone())
            });
        let broadcaster = config.s3.as_ref().zip(store.clone()).map(|(s3, store)| {
            Broadcaster::new(livekit.clone(), store, s3.clone(), config.hls_mode)
        });
        let restreamer = store.map(|store| {
            Restreamer::new(
                livekit.clone(),
                store,
                &config.host_key_secret,
                webhooks.clone(),
            )
        });
        let access = Access::new(&config.access, &config.public_url);
        let passcodes = Passcodes::new(&config.host_key_secret);
        Self(Arc::new(App {
            access,
            passcodes,
            livekit,
            streams,
            host_keys,
            room_creation,
            prometheus: crate::metrics::prometheus(),
            recorder,
            restreamer,
            broadcaster,
            webrtc_seats: WebrtcSeats::new(config.max_webrtc_viewers, config.room_cache_ttl),
            web_app: WebApp::new(&config.static_dir),
            webhooks,
            draining: Draining::default(),
            config,
        }))
    }
}

impl App {
    /// Checks the request carries the host key of `room`: none → 401, any other key → 403.
    /// Returns the stream metadata the key carries.
    pub fn authorize_host(
        &self,
        credential: &BearerToken,
        room: &RoomId,
    ) -> Result<RoomMetadata, ApiError> {
        let key = credential.as_deref().ok_or(ApiError::MissingHostKey)?;
        Ok(self.host_keys.verify(key, room)?)
    }

    /// Checks the request carries a viewer's own participant token for `room` (as `POST
    /// /api/token` issued it): none → 401, any other → 403. Returns the viewer's identity.
    pub fn authorize_viewer(
        &self,
        credential: &BearerToken,
        room: &RoomId,
    ) -> Result<String, ApiError> {
        let token = credential
            .as_deref()
            .ok_or(ApiError::MissingParticipantToken)?;
        self.livekit
            .verify_participant_token(token, room)
            .filter(|identity| Role::of_identity(identity) == Some(Role::Viewer))
            .ok_or(ApiError::ParticipantTokenRejected)
    }

    /// The recorder, or 503 `recording_unavailable` when recording is not configured.
    pub fn recorder(&self) -> Result<&Recorder, ApiError> {
        self.recorder.as_ref().ok_or(ApiError::RecordingUnavailable)
    }

    /// The restreamer, or 503 `restream_unavailable` when no bucket is configured.
    pub fn restreamer(&self) -> Result<&Restreamer, ApiError> {
        self.restreamer
            .as_ref()
            .ok_or(ApiError::RestreamUnavailable)
    }

    /// The HLS broadcaster, or 503 `hls_unavailable` when no bucket is configured.
    pub fn broadcaster(&self) -> Result<&Broadcaster, ApiError> {
        self.broadcaster.as_ref().ok_or(ApiError::HlsUnavailable)
    }

    /// The link viewers open.
    pub fn share_url(&self, room: &RoomId) -> String {
        format!(
            "{}/stream/{room}",
            self.config.public_url.as_str().trim_end_matches('/')
        )
    }
}
