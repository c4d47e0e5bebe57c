//! hls.js as typed Rust: an [`HlsPlayer`] plays a playlist (the live broadcast, or a finished
//! stream's event playlist) in a video element and reports [`HlsEvent`]s. `js/hls-player.js`
//! loads hls.js the first time a player starts. Dropping the player stops it.

use wasm_bindgen::prelude::*;

mod glue {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(module = "/js/hls-player.js")]
    extern "C" {
        pub type HlsPlayer;

        #[wasm_bindgen(constructor)]
        pub fn new(on_event: &Closure<dyn FnMut(JsValue)>) -> HlsPlayer;

        #[wasm_bindgen(method)]
        pub fn play(
            this: &HlsPlayer,
            video: &web_sys::HtmlVideoElement,
            url: &str,
            passcode: Option<String>,
        ) -> js_sys::Promise;

        #[wasm_bindgen(method)]
        pub fn unmute(this: &HlsPlayer) -> js_sys::Promise;

        #[wasm_bindgen(method)]
        pub fn destroy(this: &HlsPlayer);
    }
}

/// What a player says about its playback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HlsEvent {
    /// Nothing to play yet: the playlist is not there (the broadcast is starting); it asks
    /// again every few seconds.
    Waiting,
    /// Frames show.
    Playing,
    /// The browser plays it muted until a tap ([`HlsPlayer::unmute`]).
    SoundBlocked,
    /// This browser cannot play it; why, for people.
    Failed(String),
}

impl HlsEvent {
    fn from_js(value: &JsValue) -> Option<Self> {
        let field = |name: &str| {
            js_sys::Reflect::get(value, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_string())
        };
        Some(match field("type")?.as_str() {
            "waiting" => HlsEvent::Waiting,
            "playing" => HlsEvent::Playing,
            "soundBlocked" => HlsEvent::SoundBlocked,
            "failed" => HlsEvent::Failed(field("message").unwrap_or_default()),
            _ => return None,
        })
    }
}

/// A playlist playing in a video element.
pub struct HlsPlayer {
    player: glue::HlsPlayer,
    _on_event: Closure<dyn FnMut(JsValue)>,
}

impl HlsPlayer {
    /// Starts playing `url` in `video` (with sound if the browser lets it), sending a passcode
    /// stream's `passcode` with each request; `on_event` hears how it goes.
    pub fn play(
        video: &web_sys::HtmlVideoElement,
        url: &str,
        passcode: Option<String>,
        mut on_event: impl FnMut(HlsEvent) + 'static,
    ) -> HlsPlayer {
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
            if let Some(event) = HlsEvent::from_js(&value) {
                on_event(event);
            }
        });
        let player = glue::HlsPlayer::new(&callback);
        // Its outcome comes as events.
        let _ = player.play(video, url, passcode);
        HlsPlayer {
            player,
            _on_event: callback,
        }
    }

    /// Called from a tap: plays the sound the browser held back. Returns whether it plays.
    pub async fn unmute(&self) -> bool {
        wasm_bindgen_futures::JsFuture::from(self.player.unmute())
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }
}

impl Drop for HlsPlayer {
    fn drop(&mut self) {
        self.player.destroy();
    }
}
