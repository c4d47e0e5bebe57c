//! "Restream" in the studio: the host sends the show on to YouTube, Twitch or any RTMP(S)
//! server too. The form takes the platform's server URL and stream key (presets fill the URL);
//! each destination shows how it fares ("YouTube · live", "Twitch · failed: …") and can be
//! removed while the others go on. Keys go to the server once and are never shown again.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use onair_api::{Destination, DestinationStatus, ErrorCode, RoomId};

use super::state::Studio;
use crate::api::{self, ApiFailure};

/// How often the list is fetched again while there are destinations (their status comes from
/// LiveKit egress, told to the server by webhooks).
const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// The server URLs of the platforms hosts use most, as they publish them.
const PRESETS: [(&str, &str); 3] = [
    ("YouTube", "rtmp://a.rtmp.youtube.com/live2"),
    ("Twitch", "rtmp://live.twitch.tv/app"),
    ("Facebook", "rtmps://live-api-s.facebook.com:443/rtmp"),
];

/// The panel's own state; `Copy` for the closures.
#[derive(Clone, Copy)]
struct Restream {
    target: StoredValue<Option<(RoomId, String)>>,
    destinations: RwSignal<Vec<Destination>>,
    url: RwSignal<String>,
    key: RwSignal<String>,
    adding: RwSignal<bool>,
    /// Destinations being removed (their buttons are disabled meanwhile).
    removing: RwSignal<Vec<String>>,
    error: RwSignal<Option<ApiFailure>>,
    /// A refresh is under way: the timer does not start another.
    refreshing: StoredValue<bool>,
}

impl Restream {
    fn refresh(self) {
        let Some((room_id, host_key)) = self.target.get_value() else {
            return;
        };
        if self.refreshing.get_value() {
            return;
        }
        self.refreshing.set_value(true);
        spawn_local(async move {
            // A failed refresh keeps what is shown; the next one tries again.
            if let Ok(list) = api::list_destinations(&room_id, &host_key).await {
                self.destinations.set(list.destinations);
            }
            self.refreshing.set_value(false);
        });
    }

    fn add(self) {
        let Some((room_id, host_key)) = self.target.get_value() else {
            return;
        };
        self.adding.set(true);
        self.error.set(None);
        let (url, key) = (self.url.get_untracked(), self.key.get_untracked());
        spawn_local(async move {
            match api::add_destination(&room_id, &url, &key, &host_key).await {
                Ok(added) => {
                    self.destinations.update(|all| all.push(added));
                    self.url.set(String::new());
                    self.key.set(String::new());
                }
                Err(failure) => self.error.set(Some(failure)),
            }
            self.adding.set(false);
        });
    }

    fn remove(self, destination_id: String) {
        let Some((room_id, host_key)) = self.target.get_value() else {
            return;
        };
        self.removing.update(|ids| ids.push(destination_id.clone()));
        self.error.set(None);
        spawn_local(async move {
            match api::remove_destination(&room_id, &destination_id, &host_key).await {
                Ok(()) => self
                    .destinations
                    .update(|all| all.retain(|d| d.destination_id != destination_id)),
                Err(failure) if failure.is(ErrorCode::NotFound) => self
                    .destinations
                    .update(|all| all.retain(|d| d.destination_id != destination_id)),
                Err(failure) => self.error.set(Some(failure)),
            }
            self.removing
                .update(|ids| ids.retain(|id| *id != destination_id));
        });
    }

    /// The message for the form's field `field`, when the last failure was about it.
    fn field_error(self, field: &'static str) -> Option<String> {
        self.error
            .get()
            .filter(|failure| failure.field.as_deref() == Some(field))
            .map(|failure| failure.message)
    }
}

/// How a destination fares, in the host's words.
fn status_text(destination: &Destination) -> String {
    let state = match destination.status {
        DestinationStatus::Starting => "connecting…".to_owned(),
        DestinationStatus::Active => "live".to_owned(),
        DestinationStatus::Failed => match destination.error.as_deref() {
            Some(error) => format!("failed: {error}"),
            None => "failed".to_owned(),
        },
        DestinationStatus::Ended => "ended".to_owned(),
    };
    format!("{} · {state}", destination.platform)
}

/// A failure not about one field, as the host should read it.
fn general_error(failure: &ApiFailure) -> Option<String> {
    if failure.field.is_some() {
        return None;
    }
    Some(if failure.is(ErrorCode::RestreamUnavailable) {
        "Restreaming is not set up on this server (it needs LiveKit egress and a bucket).".into()
    } else {
        failure.message.clone()
    })
}

/// The studio's restream panel.
#[component]
pub(super) fn RestreamPanel(studio: Studio) -> impl IntoView {
    let restream = Restream {
        target: StoredValue::new(studio.room_id.get_value().zip(studio.host_key())),
        destinations: RwSignal::new(Vec::new()),
        url: RwSignal::new(String::new()),
        key: RwSignal::new(String::new()),
        adding: RwSignal::new(false),
        removing: RwSignal::new(Vec::new()),
        error: RwSignal::new(None),
        refreshing: StoredValue::new(false),
    };
    restream.refresh();
    let timer = set_interval_with_handle(
        move || {
            if !restream.destinations.with_untracked(Vec::is_empty) {
                restream.refresh();
            }
        },
        REFRESH_EVERY,
    );
    on_cleanup(move || {
        if let Ok(timer) = timer {
            timer.clear();
        }
    });
    let can_add = move || {
        !restream.adding.get()
            && !restream.url.with(|u| u.trim().is_empty())
            && !restream.key.with(|k| k.trim().is_empty())
    };

    view! {
        <section class="panel restream" aria-label="Restream">
            <h2 class="panel-title">"Restream"</h2>
            <ul class="destination-list">
                <For
                    each=move || restream.destinations.get()
                    key=|d| (d.destination_id.clone(), d.status, d.error.clone())
                    children=move |destination| {
                        let id = destination.destination_id.clone();
                        let removing = {
                            let id = id.clone();
                            move || restream.removing.with(|ids| ids.contains(&id))
                        };
                        let status = match destination.status {
                            DestinationStatus::Active => "live",
                            DestinationStatus::Failed => "failed",
                            DestinationStatus::Starting | DestinationStatus::Ended => "idle",
                        };
                        view! {
                            <li class="destination" data-status=status>
                                <span class="destination-dot" aria-hidden="true"></span>
                                <div class="destination-text">
                                    <span data-testid="destination-status">{status_text(&destination)}</span>
                                    <span class="muted small destination-url">{destination.url.clone()}</span>
                                </div>
                                <button
                                    data-testid="destination-remove"
                                    class="button button-small button-ghost"
                                    aria-label=format!("Stop restreaming to {}", destination.platform)
                                    disabled=removing
                                    on:click=move |_| restream.remove(id.clone())
                                >"Remove"</button>
                            </li>
                        }
                    }
                />
            </ul>
            <Show when=move || restream.destinations.with(Vec::is_empty)>
                <p class="muted small">"Send this show to YouTube, Twitch or any RTMP server too."</p>
            </Show>
            <form class="destination-form" on:submit=move |ev| { ev.prevent_default(); if can_add() { restream.add(); } }>
                <div class="preset-row" role="group" aria-label="Platform">
                    {PRESETS.into_iter().map(|(name, url)| view! {
                        <button type="button" class="chip" aria-pressed=move || restream.url.with(|u| u == url).to_string()
                            on:click=move |_| restream.url.set(url.to_owned())>{name}</button>
                    }).collect_view()}
                </div>
                <div class="field">
                    <label for="destination-url">"Server URL"</label>
                    <input id="destination-url" data-testid="destination-url" type="text" inputmode="url"
                        autocomplete="off" spellcheck="false" placeholder="rtmp://a.rtmp.youtube.com/live2"
                        prop:value=move || restream.url.get()
                        on:input=move |ev| restream.url.set(event_target_value(&ev))/>
                    <p class="field-error" role="alert">{move || restream.field_error("url")}</p>
                </div>
                <div class="field">
                    <label for="destination-key">"Stream key"</label>
                    <input id="destination-key" data-testid="destination-key" type="password"
                        autocomplete="off" spellcheck="false" placeholder="From the platform's live dashboard"
                        prop:value=move || restream.key.get()
                        on:input=move |ev| restream.key.set(event_target_value(&ev))/>
                    <p class="field-error" role="alert">{move || restream.field_error("streamKey")}</p>
                </div>
                <button data-testid="destination-add" class="button" type="submit" disabled=move || !can_add()>
                    {move || if restream.adding.get() { "Adding…" } else { "Add destination" }}
                </button>
            </form>
            <p class="media-error" role="alert">{move || restream.error.get().as_ref().and_then(general_error)}</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destination(status: DestinationStatus, error: Option<&str>) -> Destination {
        Destination {
            destination_id: "d1".into(),
            url: "rtmp://live.twitch.tv/app".into(),
            platform: "Twitch".into(),
            status,
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn the_host_reads_each_destination_as_platform_and_state() {
        assert_eq!(
            status_text(&destination(DestinationStatus::Active, None)),
            "Twitch · live"
        );
        assert_eq!(
            status_text(&destination(
                DestinationStatus::Failed,
                Some("connection refused")
            )),
            "Twitch · failed: connection refused"
        );
        assert_eq!(
            status_text(&destination(DestinationStatus::Starting, None)),
            "Twitch · connecting…"
        );
    }
}
