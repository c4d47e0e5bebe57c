//! Browser APIs the app needs beyond what Leptos and gloo wrap: clipboard, fullscreen, the
//! playback statistics of a video element, navigation and the address's fragment.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// Copies `text` to the clipboard; `false` when the browser refused.
pub async fn copy_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    JsFuture::from(promise).await.is_ok()
}

/// Shows `element` fullscreen, or leaves fullscreen when something already is.
pub fn toggle_fullscreen(element: &web_sys::Element) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
    } else if let Err(err) = element.request_fullscreen() {
        web_sys::console::warn_2(&JsValue::from_str("OnAir: fullscreen refused"), &err);
    }
}

/// Opens another page of this app (each page is its own small app, so this is a page load).
pub fn go_to(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
}

/// Loads this page again.
pub fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// A warning in the browser console.
pub fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

/// A moment (milliseconds since the Unix epoch) as the reader's locale writes date and time.
pub fn local_date_time(unix_millis: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(unix_millis));
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}

/// Milliseconds since the Unix epoch, from the browser's clock.
pub fn now_millis() -> f64 {
    js_sys::Date::now()
}

/// A random number in `[0, 1)` (for where a reaction floats up).
pub fn random_fraction() -> f64 {
    js_sys::Math::random()
}

/// `text` as a URL component (`encodeURIComponent`).
pub fn encode_uri_component(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

/// The value of `name` in this page's fragment (`#pc=…&…`), decoded; the parameter is then
/// taken out of the address bar (`history.replaceState`), so it is not left on screen or in
/// a bookmark. The fragment never reaches the server.
pub fn take_fragment_param(name: &str) -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let hash = location.hash().ok()?;
    let fragment = hash.strip_prefix('#')?;
    let mut found = None;
    let mut present = false;
    let mut rest = Vec::new();
    for part in fragment.split('&').filter(|part| !part.is_empty()) {
        match part.split_once('=') {
            Some((key, value)) if key == name => {
                if !present {
                    found = js_sys::decode_uri_component(value).ok().map(String::from);
                }
                present = true;
            }
            _ => rest.push(part),
        }
    }
    if !present {
        return None;
    }
    let path = location.pathname().unwrap_or_default();
    let search = location.search().unwrap_or_default();
    let fragment = if rest.is_empty() {
        String::new()
    } else {
        format!("#{}", rest.join("&"))
    };
    if let Ok(history) = window.history() {
        let url = format!("{path}{search}{fragment}");
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
    found.filter(|value| !value.is_empty())
}
