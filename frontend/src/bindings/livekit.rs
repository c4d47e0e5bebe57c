//! The LiveKit browser SDK as typed Rust.
//!
//! `js/livekit.js` wraps `livekit-client` (loaded on first connect, so the home page never
//! downloads it) in a `Session` that reports room events as plain objects; here they become
//! [`RoomEvent`]s. A [`Room`] disconnects and releases its event callback when dropped.
//!
//! A host previews camera and microphone before going live: [`Room::open_preview`] opens a
//! local track that nobody receives (shown under [`CAMERA_PREVIEW`]), [`Room::go_live`]
//! publishes the previewed tracks.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

mod glue {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(module = "/js/livekit.js")]
    extern "C" {
        pub type Session;

        #[wasm_bindgen(constructor)]
        pub fn new(on_event: &Closure<dyn FnMut(JsValue)>) -> Session;

        #[wasm_bindgen(method, catch)]
        pub async fn connect(this: &Session, url: &str, token: &str) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(method, catch, js_name = connectWithoutMedia)]
        pub async fn connect_without_media(
            this: &Session,
            url: &str,
            token: &str,
        ) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(method, catch, js_name = subscribeAll)]
        pub fn subscribe_all(this: &Session) -> Result<(), JsValue>;

        #[wasm_bindgen(method)]
        pub fn disconnect(this: &Session);

        #[wasm_bindgen(method, catch, js_name = setSource)]
        pub async fn set_source(
            this: &Session,
            source: &str,
            enabled: bool,
            device_id: Option<String>,
        ) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(method, catch, js_name = switchDevice)]
        pub async fn switch_device(
            this: &Session,
            kind: &str,
            device_id: &str,
        ) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(method, catch, js_name = openPreview)]
        pub async fn open_preview(
            this: &Session,
            source: &str,
            device_id: Option<String>,
        ) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(method, js_name = closePreview)]
        pub fn close_preview(this: &Session, source: &str);

        #[wasm_bindgen(method, catch, js_name = goLive)]
        pub async fn go_live(this: &Session) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(method)]
        pub fn release(this: &Session);

        #[wasm_bindgen(method)]
        pub fn attach(this: &Session, sid: &str, element: &web_sys::HtmlMediaElement) -> bool;

        #[wasm_bindgen(method)]
        pub fn detach(this: &Session, sid: &str, element: &web_sys::HtmlMediaElement);

        #[wasm_bindgen(method, js_name = playAudio)]
        pub fn play_audio(this: &Session, sid: &str) -> bool;

        #[wasm_bindgen(method, catch, js_name = startAudio)]
        pub async fn start_audio(this: &Session) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(method, catch, js_name = sendChat)]
        pub async fn send_chat(this: &Session, text: &str) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(method, catch, js_name = sendReaction)]
        pub async fn send_reaction(this: &Session, emoji: &str) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(method, catch, js_name = sendHistory)]
        pub async fn send_history(
            this: &Session,
            identity: &str,
            payload: &str,
        ) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(catch, js_name = listDevices)]
        pub async fn list_devices(kind: &str) -> Result<JsValue, JsValue>;

        pub type EarlyJoin;

        #[wasm_bindgen(js_name = takeEarlyJoin)]
        pub fn take_early_join() -> Option<EarlyJoin>;

        #[wasm_bindgen(method, getter)]
        pub fn name(this: &EarlyJoin) -> Option<String>;

        #[wasm_bindgen(method, getter)]
        pub fn passcode(this: &EarlyJoin) -> Option<String>;

        #[wasm_bindgen(method, catch)]
        pub async fn answer(this: &EarlyJoin) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(method, catch)]
        pub async fn joined(this: &EarlyJoin) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(method)]
        pub fn adopt(this: &EarlyJoin, on_event: &Closure<dyn FnMut(JsValue)>) -> Session;

        #[wasm_bindgen(method)]
        pub fn abandon(this: &EarlyJoin);

        pub type EarlyVideo;

        #[wasm_bindgen(js_name = takeEarlyVideo)]
        pub fn take_early_video() -> Option<EarlyVideo>;

        #[wasm_bindgen(method, getter)]
        pub fn sid(this: &EarlyVideo) -> String;

        #[wasm_bindgen(method, getter)]
        pub fn element(this: &EarlyVideo) -> web_sys::HtmlVideoElement;

        #[wasm_bindgen(method, js_name = placeIn)]
        pub fn place_in(this: &EarlyVideo, slot: &web_sys::Element);
    }
}

/// What went wrong in the SDK, as a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveKitError(pub String);

impl std::fmt::Display for LiveKitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn js_error(value: JsValue) -> LiveKitError {
    let message = value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown error".to_owned());
    LiveKitError(message)
}

/// The state of the connection to LiveKit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    Disconnected,
    Connecting,
    Connected,
    Reconnecting,
    SignalReconnecting,
}

impl ConnectionState {
    fn from_sdk(name: &str) -> Option<Self> {
        Some(match name {
            "disconnected" => Self::Disconnected,
            "connecting" => Self::Connecting,
            "connected" => Self::Connected,
            "reconnecting" => Self::Reconnecting,
            "signalReconnecting" => Self::SignalReconnecting,
            _ => return None,
        })
    }
}

/// Why the room closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// We called `disconnect`.
    ClientInitiated,
    /// The host removed this participant.
    ParticipantRemoved,
    /// The room was deleted: the host ended the stream.
    RoomDeleted,
    /// The same identity joined elsewhere.
    DuplicateIdentity,
    /// Anything else (server shutdown, failed rejoin, network).
    Other,
}

impl DisconnectReason {
    fn from_sdk(name: &str) -> Self {
        match name {
            "CLIENT_INITIATED" => Self::ClientInitiated,
            "PARTICIPANT_REMOVED" => Self::ParticipantRemoved,
            "ROOM_DELETED" | "ROOM_CLOSED" => Self::RoomDeleted,
            "DUPLICATE_IDENTITY" => Self::DuplicateIdentity,
            _ => Self::Other,
        }
    }
}

/// Someone in the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub identity: String,
    pub name: String,
    /// `host` or `viewer`, from the token OnAir issued; `encoder` for OBS through LiveKit
    /// Ingress.
    pub role: String,
    pub is_local: bool,
    /// A viewer asked to come on stage (set by OnAir's server, not by the viewer).
    pub hand_raised: bool,
    /// A viewer the host invited on stage.
    pub on_stage: bool,
    /// LiveKit lets this participant publish (known for the local participant).
    pub can_publish: bool,
}

impl Participant {
    pub fn is_host(&self) -> bool {
        self.role == "host"
    }

    pub fn is_viewer(&self) -> bool {
        self.role == "viewer"
    }

    /// The stream's encoder (OBS), which viewers watch like the host's camera.
    pub fn is_encoder(&self) -> bool {
        self.role == "encoder"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    Audio,
    Video,
}

impl TrackKind {
    fn from_sdk(name: &str) -> Option<Self> {
        match name {
            "audio" => Some(Self::Audio),
            "video" => Some(Self::Video),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackSource {
    Camera,
    Microphone,
    ScreenShare,
    ScreenShareAudio,
    Unknown,
}

impl TrackSource {
    fn from_sdk(name: &str) -> Self {
        match name {
            "camera" => Self::Camera,
            "microphone" => Self::Microphone,
            "screen_share" => Self::ScreenShare,
            "screen_share_audio" => Self::ScreenShareAudio,
            _ => Self::Unknown,
        }
    }

    /// The SDK's name of the source (`camera`, `screen_share`…).
    pub fn as_str(self) -> &'static str {
        match self {
            TrackSource::Camera => "camera",
            TrackSource::Microphone => "microphone",
            TrackSource::ScreenShare => "screen_share",
            TrackSource::ScreenShareAudio => "screen_share_audio",
            TrackSource::Unknown => "unknown",
        }
    }
}

/// The track id under which [`Room::attach`] shows the camera preview.
pub const CAMERA_PREVIEW: &str = "preview:camera";

/// A published track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    pub sid: String,
    pub kind: TrackKind,
    pub source: TrackSource,
    /// Identity of the participant publishing it.
    pub participant: String,
    pub muted: bool,
}

/// A chat message on topic `lk.chat`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    pub id: String,
    pub sender_identity: String,
    pub sender_name: String,
    pub text: String,
    /// Milliseconds since the Unix epoch.
    pub timestamp: f64,
}

/// Something that happened in the room.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomEvent {
    ConnectionStateChanged(ConnectionState),
    Disconnected(DisconnectReason),
    /// A participant joined, or its name or role changed (also reported for everyone present
    /// right after connecting, including the local participant).
    ParticipantUpdated(Participant),
    ParticipantLeft {
        identity: String,
    },
    TrackSubscribed(Track),
    TrackUnsubscribed(Track),
    /// Another participant published a track we do not receive (joined without media).
    TrackPublished(Track),
    TrackUnpublished(Track),
    TrackMuted(Track),
    TrackUnmuted(Track),
    LocalTrackPublished(Track),
    LocalTrackUnpublished(Track),
    /// `false` when the browser blocks audio until a user gesture.
    AudioPlaybackAllowed(bool),
    RecordingChanged(bool),
    MediaDeviceError(String),
    ChatReceived(ChatMessage),
    /// Recent chat sent by the host to a newcomer.
    ChatHistoryReceived(Vec<ChatMessage>),
    /// Someone else sent a reaction (not checked yet against the allowed set or rate).
    ReactionReceived {
        emoji: String,
        from: String,
    },
}

/// A plain object from `js/livekit.js`, read field by field. (Deriving serde's `Deserialize`
/// through serde-wasm-bindgen for these made the largest single item of the wasm.)
struct Fields(JsValue);

impl Fields {
    fn get(&self, name: &str) -> JsValue {
        js_sys::Reflect::get(&self.0, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
    }

    fn string(&self, name: &str) -> Option<String> {
        self.get(name).as_string()
    }

    fn flag(&self, name: &str) -> Option<bool> {
        self.get(name).as_bool()
    }

    fn number(&self, name: &str) -> Option<f64> {
        self.get(name).as_f64()
    }

    fn object(&self, name: &str) -> Fields {
        Fields(self.get(name))
    }

    fn participant(&self) -> Option<Participant> {
        Some(Participant {
            identity: self.string("identity")?,
            name: self.string("name")?,
            role: self.string("role")?,
            is_local: self.flag("isLocal")?,
            hand_raised: self.flag("handRaised")?,
            on_stage: self.flag("onStage")?,
            can_publish: self.flag("canPublish")?,
        })
    }

    fn track(&self) -> Option<Track> {
        Some(Track {
            sid: self.string("sid")?,
            kind: TrackKind::from_sdk(&self.string("kind")?)?,
            source: TrackSource::from_sdk(&self.string("source")?),
            participant: self.string("participant")?,
            muted: self.flag("muted")?,
        })
    }

    fn chat_message(&self) -> Option<ChatMessage> {
        Some(ChatMessage {
            id: self.string("id")?,
            sender_identity: self.string("senderIdentity")?,
            sender_name: self.string("senderName")?,
            text: self.string("text")?,
            timestamp: self.number("timestamp")?,
        })
    }

    /// An event of `Session`: `Ok(None)` for one to ignore, `Err` for one we cannot read.
    fn room_event(&self) -> Result<Option<RoomEvent>, String> {
        let kind = self.string("type").unwrap_or_default();
        let track = || self.object("track").track();
        let event = match kind.as_str() {
            "connectionState" => self
                .string("state")
                .and_then(|state| ConnectionState::from_sdk(&state))
                .map(RoomEvent::ConnectionStateChanged),
            "disconnected" => self
                .string("reason")
                .map(|reason| RoomEvent::Disconnected(DisconnectReason::from_sdk(&reason))),
            "participantConnected" => self
                .object("participant")
                .participant()
                .map(RoomEvent::ParticipantUpdated),
            "participantDisconnected" => self
                .string("identity")
                .map(|identity| RoomEvent::ParticipantLeft { identity }),
            "trackSubscribed" => track().map(RoomEvent::TrackSubscribed),
            "trackUnsubscribed" => track().map(RoomEvent::TrackUnsubscribed),
            "trackPublished" => track().map(RoomEvent::TrackPublished),
            "trackUnpublished" => track().map(RoomEvent::TrackUnpublished),
            "trackMuted" => track().map(RoomEvent::TrackMuted),
            "trackUnmuted" => track().map(RoomEvent::TrackUnmuted),
            "localTrackPublished" => track().map(RoomEvent::LocalTrackPublished),
            "localTrackUnpublished" => track().map(RoomEvent::LocalTrackUnpublished),
            "audioPlayback" => self.flag("canPlay").map(RoomEvent::AudioPlaybackAllowed),
            "recording" => self.flag("active").map(RoomEvent::RecordingChanged),
            "mediaError" => self.string("message").map(RoomEvent::MediaDeviceError),
            "reaction" => self
                .string("emoji")
                .zip(self.string("from"))
                .map(|(emoji, from)| RoomEvent::ReactionReceived { emoji, from }),
            "chat" => self
                .object("message")
                .chat_message()
                .map(RoomEvent::ChatReceived),
            // Only the host's browser may speak for the chat's past.
            "history" => {
                if self.string("fromRole").as_deref() != Some("host") {
                    return Ok(None);
                }
                self.string("payload")
                    .and_then(|payload| serde_json::from_str(&payload).ok())
                    .map(RoomEvent::ChatHistoryReceived)
            }
            _ => None,
        };
        event
            .map(Some)
            .ok_or_else(|| format!("unreadable LiveKit event `{kind}`"))
    }
}

/// A camera or microphone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDevice {
    pub device_id: String,
    pub label: String,
}

/// Which kind of device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    Camera,
    Microphone,
}

impl DeviceKind {
    fn as_sdk(self) -> &'static str {
        match self {
            DeviceKind::Camera => "videoinput",
            DeviceKind::Microphone => "audioinput",
        }
    }
}

/// The devices of one kind, with labels once the user allowed camera/microphone access.
pub async fn list_devices(kind: DeviceKind) -> Result<Vec<MediaDevice>, LiveKitError> {
    let value = glue::list_devices(kind.as_sdk()).await.map_err(js_error)?;
    js_sys::Array::from(&value)
        .iter()
        .map(|device| {
            let device = Fields(device);
            Some(MediaDevice {
                device_id: device.string("deviceId")?,
                label: device.string("label")?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| LiveKitError("unreadable device list".into()))
}

/// The viewer page's early join (`js/livekit.js`): a token asked for, and the room joined with
/// it, while the app was still loading. The page takes it over once.
pub struct EarlyJoin(glue::EarlyJoin);

/// The answer to the early token request: its HTTP status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyAnswer {
    pub status: u16,
    pub body: String,
}

impl EarlyJoin {
    /// The early join of this page, if it has one and nobody took it yet.
    pub fn take() -> Option<EarlyJoin> {
        glue::take_early_join().map(EarlyJoin)
    }

    /// The name the token was asked under (`None`: a neutral one).
    pub fn name(&self) -> Option<String> {
        self.0.name()
    }

    /// The passcode the token was asked with.
    pub fn passcode(&self) -> Option<String> {
        self.0.passcode()
    }

    /// The token request's answer; `None` when the server could not be reached.
    pub async fn answer(&self) -> Option<EarlyAnswer> {
        let value = self.0.answer().await.ok()?;
        let fields = Fields(value);
        Some(EarlyAnswer {
            status: fields.number("status")? as u16,
            body: fields.string("text")?,
        })
    }

    /// Takes the session over: `on_event` hears what happened in the room so far once the
    /// room's [`release_waiting_events`](Room::release_waiting_events) is called (when the page
    /// has stored the room, which handling them needs), then the rest. The room is the page's
    /// from now on, joined or still joining ([`joined`](Self::joined)).
    pub fn adopt(&self, on_event: impl FnMut(RoomEvent) + 'static) -> Room {
        let callback = event_callback(on_event);
        let session = self.0.adopt(&callback);
        Room {
            session,
            _on_event: callback,
        }
    }

    /// Resolves once the adopted room has joined.
    pub async fn joined(&self) -> Result<(), LiveKitError> {
        self.0.joined().await.map(drop).map_err(js_error)
    }

    /// Leaves the early room (once its join settles): the page joins its own way.
    pub fn abandon(self) {
        self.0.abandon();
    }
}

/// The early join's first picture (`js/livekit.js`): the broadcaster's video, already playing
/// in an element of its own, in a frame like the page's. The stage adopts that element rather
/// than making one, so the picture neither blinks nor waits for a new first frame.
pub struct EarlyVideo(glue::EarlyVideo);

impl EarlyVideo {
    /// The early picture, once; `None` when none shows (and from then on none will).
    pub fn take() -> Option<EarlyVideo> {
        glue::take_early_video().map(EarlyVideo)
    }

    /// The track it shows.
    pub fn track_sid(&self) -> String {
        self.0.sid()
    }

    /// The playing element.
    pub fn element(&self) -> web_sys::HtmlVideoElement {
        self.0.element()
    }

    /// Moves the element into `slot` (it keeps playing) and takes away what held it before.
    pub fn place_in(&self, slot: &web_sys::Element) {
        self.0.place_in(slot);
    }
}

/// A connection to a LiveKit room. Dropping it leaves the room.
pub struct Room {
    session: glue::Session,
    _on_event: Closure<dyn FnMut(JsValue)>,
}

impl Room {
    /// Joins the room at `url` with `token`; `on_event` sees everything that happens in it.
    pub async fn connect(
        url: &str,
        token: &str,
        on_event: impl FnMut(RoomEvent) + 'static,
    ) -> Result<Room, LiveKitError> {
        let room = Room::new(on_event);
        room.join(url, token).await?;
        Ok(room)
    }

    /// A room not joined yet: [`join`](Self::join) it. Its tracks can be attached as soon as
    /// `on_event` hears of them, which can be before joining completes.
    pub fn new(on_event: impl FnMut(RoomEvent) + 'static) -> Room {
        let callback = event_callback(on_event);
        let session = glue::Session::new(&callback);
        Room {
            session,
            _on_event: callback,
        }
    }

    /// An adopted early join's room: hands `on_event` what happened before it was adopted.
    pub fn release_waiting_events(&self) {
        self.session.release();
    }

    /// Joins the room at `url` with `token`; resolves once the media connection is up.
    pub async fn join(&self, url: &str, token: &str) -> Result<(), LiveKitError> {
        self.session.connect(url, token).await.map_err(js_error)?;
        Ok(())
    }

    /// Joins for chat and reactions only, subscribing to nothing (a viewer who watches the HLS
    /// broadcast): the SFU spends a signalling connection on it, not media.
    pub async fn join_without_media(&self, url: &str, token: &str) -> Result<(), LiveKitError> {
        self.session
            .connect_without_media(url, token)
            .await
            .map_err(js_error)?;
        Ok(())
    }

    /// Receives everything the room publishes from now on, after
    /// [`join_without_media`](Self::join_without_media): tracks then arrive as
    /// [`RoomEvent::TrackSubscribed`]. LiveKit must let us subscribe by then.
    pub fn subscribe_all(&self) -> Result<(), LiveKitError> {
        self.session.subscribe_all().map_err(js_error)
    }

    /// Turns a camera, microphone or screen share on or off (optionally on a given device).
    /// Returns whether it is on afterwards.
    pub async fn set_source(
        &self,
        source: TrackSource,
        enabled: bool,
        device_id: Option<String>,
    ) -> Result<bool, LiveKitError> {
        let value = self
            .session
            .set_source(source.as_str(), enabled, device_id)
            .await
            .map_err(js_error)?;
        Ok(value.as_bool().unwrap_or(enabled))
    }

    /// Opens the camera or microphone for the host's preview, not published until
    /// [`go_live`](Self::go_live). Returns the id of the device in use.
    pub async fn open_preview(
        &self,
        source: TrackSource,
        device_id: Option<String>,
    ) -> Result<Option<String>, LiveKitError> {
        let value = self
            .session
            .open_preview(source.as_str(), device_id)
            .await
            .map_err(js_error)?;
        Ok(value.as_string())
    }

    /// Stops a previewed camera or microphone.
    pub fn close_preview(&self, source: TrackSource) {
        self.session.close_preview(source.as_str());
    }

    /// Publishes the previewed camera and microphone: everyone in the room receives them.
    pub async fn go_live(&self) -> Result<(), LiveKitError> {
        self.session.go_live().await.map_err(js_error)?;
        Ok(())
    }

    /// Moves the camera or microphone (previewed or live) to another device.
    pub async fn switch_device(
        &self,
        kind: DeviceKind,
        device_id: &str,
    ) -> Result<(), LiveKitError> {
        self.session
            .switch_device(kind.as_sdk(), device_id)
            .await
            .map_err(js_error)?;
        Ok(())
    }

    /// Shows a video track in `element`; `false` when the track is gone.
    pub fn attach(&self, track_sid: &str, element: &web_sys::HtmlMediaElement) -> bool {
        self.session.attach(track_sid, element)
    }

    pub fn detach(&self, track_sid: &str, element: &web_sys::HtmlMediaElement) {
        self.session.detach(track_sid, element);
    }

    /// Plays a remote audio track (through an element kept out of the layout).
    pub fn play_audio(&self, track_sid: &str) -> bool {
        self.session.play_audio(track_sid)
    }

    /// Called from a click: lets audio play where the browser blocked it. Returns whether it
    /// plays now.
    pub async fn start_audio(&self) -> Result<bool, LiveKitError> {
        let value = self.session.start_audio().await.map_err(js_error)?;
        Ok(value.as_bool().unwrap_or(false))
    }

    /// Sends a chat message to everyone; returns its id and timestamp (ms).
    pub async fn send_chat(&self, text: &str) -> Result<(String, f64), LiveKitError> {
        let sent = Fields(self.session.send_chat(text).await.map_err(js_error)?);
        sent.string("id")
            .zip(sent.number("timestamp"))
            .ok_or_else(|| LiveKitError("unreadable answer to a chat message".into()))
    }

    /// Sends a reaction to everyone else in the room.
    pub async fn send_reaction(&self, emoji: &str) -> Result<(), LiveKitError> {
        self.session
            .send_reaction(emoji)
            .await
            .map(drop)
            .map_err(js_error)
    }

    /// Sends recent chat to one newcomer.
    pub async fn send_history(
        &self,
        identity: &str,
        messages: &[ChatMessage],
    ) -> Result<(), LiveKitError> {
        let payload = serde_json::to_string(messages).map_err(|e| LiveKitError(e.to_string()))?;
        self.session
            .send_history(identity, &payload)
            .await
            .map_err(js_error)?;
        Ok(())
    }
}

/// The JS callback that turns the session's plain-object events into [`RoomEvent`]s for
/// `on_event`. An event raised while the handler runs (the SDK may emit synchronously from a
/// call the handler makes) waits in the queue instead of re-entering the handler.
fn event_callback(on_event: impl FnMut(RoomEvent) + 'static) -> Closure<dyn FnMut(JsValue)> {
    let on_event = RefCell::new(on_event);
    let queue = Rc::new(RefCell::new(VecDeque::new()));
    Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
        match Fields(value).room_event() {
            Ok(event) => queue.borrow_mut().extend(event),
            Err(err) => web_sys_log(&format!("OnAir: {err}")),
        }
        let Ok(mut handler) = on_event.try_borrow_mut() else {
            return;
        };
        loop {
            let next = queue.borrow_mut().pop_front();
            match next {
                Some(event) => handler(event),
                None => break,
            }
        }
    })
}

impl Drop for Room {
    fn drop(&mut self) {
        self.session.disconnect();
    }
}

fn web_sys_log(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}
