//! The host's HLS switch in the controls bar: "Broadcast" sends the stream over HLS too, for
//! audiences past what one LiveKit server carries (they watch a few seconds behind). Its state
//! comes from the stream (`hls.live`), so a broadcast the operator starts on its own
//! (`HLS_MODE=always`), or the one a recording carries in its egress, shows as on.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::{ErrorCode, RoomAnswer};

use super::state::Studio;
use crate::api;

/// After going live, how long until the stream is asked whether it broadcasts (egress takes a
/// few seconds to start an automatic broadcast).
const ASK_AFTER_GOING_LIVE: Duration = Duration::from_secs(8);

/// After the room's recording flag changed, how long until the stream is asked again (a
/// recording's egress broadcasts too, and its end ends that broadcast).
const ASK_AFTER_RECORDING_CHANGED: Duration = Duration::from_secs(1);

/// The `hls-toggle` button.
#[component]
pub(super) fn BroadcastButton(studio: Studio) -> impl IntoView {
    let on = RwSignal::new(false);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(info) = studio.info.get() {
            on.set(info.hls.live);
        }
    });
    // Whether the stream broadcasts, asked `after` a while.
    let ask_later = move |after: Duration| {
        spawn_local(async move {
            gloo_timers::future::sleep(after).await;
            let Some(room_id) = studio.room_id.get_value() else {
                return;
            };
            if busy.get_untracked() {
                return;
            }
            if let Ok(RoomAnswer::Info(info)) =
                api::get_room(&room_id, studio.passcode().as_deref()).await
            {
                on.set(info.hls.live);
            }
        });
    };
    // Going live may start the broadcast on its own: ask the stream a moment later.
    Effect::new(move |was_on_air: Option<bool>| {
        let on_air = studio.on_air.get();
        if on_air && was_on_air == Some(false) {
            ask_later(ASK_AFTER_GOING_LIVE);
        }
        on_air
    });
    Effect::new(move |was_recording: Option<bool>| {
        let recording = studio.live.recording.get();
        if was_recording.is_some_and(|was| was != recording) {
            ask_later(ASK_AFTER_RECORDING_CHANGED);
        }
        recording
    });
    let flip = move |_| {
        let (Some(room_id), Some(host_key)) = (studio.room_id.get_value(), studio.host_key())
        else {
            return;
        };
        let wanted = !on.get_untracked();
        busy.set(true);
        spawn_local(async move {
            match api::set_hls(&room_id, &host_key, wanted).await {
                Ok(()) => on.set(wanted),
                Err(failure) => studio.media_error.set(Some(
                    if failure.is(ErrorCode::HlsOff) || failure.is(ErrorCode::HlsUnavailable) {
                        "HLS broadcasting is not available on this server.".to_owned()
                    } else {
                        format!(
                            "The HLS broadcast could not be changed: {}",
                            failure.message
                        )
                    },
                )),
            }
            busy.set(false);
        });
    };
    view! {
        <button
            data-testid="hls-toggle"
            class="button control"
            class:active=move || on.get()
            aria-pressed=move || on.get().to_string()
            disabled=move || busy.get() || !(studio.connected() && studio.on_air.get())
            title=move || if on.get() {
                "Viewers past the room's capacity, and anyone opening the link with ?hls, watch the HLS broadcast, a few seconds behind"
            } else {
                "Also broadcast over HLS, for audiences larger than one server carries (a few seconds behind)"
            }
            on:click=flip
        >
            <span class="hls-dot" aria-hidden="true"></span>
            {move || match (busy.get(), on.get()) {
                (true, false) => "Starting HLS…",
                (true, true) => "Stopping HLS…",
                (false, true) => "HLS on",
                (false, false) => "Broadcast HLS",
            }}
        </button>
    }
}
