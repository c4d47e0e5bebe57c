//! The reactions model: anyone in the stream taps one of a few emoji, and it floats up over the
//! video for everyone within a second. They travel as LiveKit data packets (topic
//! `onair.reaction`, UTF-8 JSON `{"emoji":"🔥"}`, reliable), documented in the README. The
//! buttons and the overlay that show them are `components::reactions`.
//!
//! Each sender is rate limited twice: the sending browser sends at most [`SEND_LIMIT`] per
//! [`WINDOW_MS`], and every receiving browser shows at most [`RECEIVE_LIMIT`] per window from
//! one sender and drops anything outside [`REACTIONS`] — the second holds against a modified
//! client, as no server sits between the browsers. The window is a dozen lines here rather than
//! `governor`: that crate reads `std::time`, which wasm32 in a browser does not have, and the
//! viewer's wasm size is a goal of its own.

use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use crate::bindings::browser;
use crate::bindings::livekit::Room;

/// The reactions anyone can send.
pub const REACTIONS: [(&str, &str); 6] = [
    ("❤️", "Love"),
    ("👏", "Applause"),
    ("🔥", "Fire"),
    ("😂", "Laugh"),
    ("😮", "Wow"),
    ("🎉", "Party"),
];
/// The rate window.
pub const WINDOW_MS: f64 = 3_000.0;
/// Reactions one browser sends per window.
pub const SEND_LIMIT: usize = 5;
/// Reactions shown per window from one sender (a little over [`SEND_LIMIT`], for timing).
pub const RECEIVE_LIMIT: usize = 8;
/// How long a reaction floats.
const FLOAT_FOR: Duration = Duration::from_millis(3_000);

/// At most `limit` events in any `WINDOW_MS`.
#[derive(Debug, Clone)]
pub struct RateWindow {
    limit: usize,
    stamps: VecDeque<f64>,
}

impl RateWindow {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            stamps: VecDeque::new(),
        }
    }

    /// Counts an event at `now_ms` if the window has room for it.
    pub fn admit(&mut self, now_ms: f64) -> bool {
        while self
            .stamps
            .front()
            .is_some_and(|&stamp| now_ms - stamp >= WINDOW_MS)
        {
            self.stamps.pop_front();
        }
        if self.stamps.len() >= self.limit {
            return false;
        }
        self.stamps.push_back(now_ms);
        true
    }
}

/// One reaction on its way up.
#[derive(Debug, Clone, PartialEq)]
pub struct Floating {
    pub id: u64,
    pub emoji: &'static str,
    /// Horizontal position, percent of the video's width (whole numbers: formatting a float
    /// with a precision costs the viewer's wasm 5 KB).
    pub left_percent: u32,
}

/// The reactions of one page: what floats now, and the rate windows.
#[derive(Clone, Copy)]
pub struct Reactions {
    floating: RwSignal<Vec<Floating>>,
    next_id: StoredValue<u64>,
    sent: StoredValue<RateWindow>,
    received: StoredValue<HashMap<String, RateWindow>>,
}

impl Reactions {
    pub fn new() -> Self {
        Self {
            floating: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(0),
            sent: StoredValue::new(RateWindow::new(SEND_LIMIT)),
            received: StoredValue::new(HashMap::new()),
        }
    }

    /// What floats now, oldest first.
    pub fn floating(&self) -> ReadSignal<Vec<Floating>> {
        self.floating.read_only()
    }

    /// A reaction from `from`: shown when it is one of [`REACTIONS`] and `from` is within
    /// [`RECEIVE_LIMIT`].
    pub fn receive(&self, emoji: &str, from: &str) {
        let Some(known) = allowed(emoji) else { return };
        let now = browser::now_millis();
        let admitted = self
            .received
            .try_update_value(|windows| {
                windows
                    .entry(from.to_owned())
                    .or_insert_with(|| RateWindow::new(RECEIVE_LIMIT))
                    .admit(now)
            })
            .unwrap_or(false);
        if admitted {
            self.float(known);
        }
    }

    /// Sends `emoji` to everyone in `room` (and shows it here), within [`SEND_LIMIT`].
    pub fn send(&self, room: Rc<Room>, emoji: &'static str) {
        let now = browser::now_millis();
        let admitted = self
            .sent
            .try_update_value(|window| window.admit(now))
            .unwrap_or(false);
        if !admitted {
            return;
        }
        self.float(emoji);
        spawn_local(async move {
            if let Err(err) = room.send_reaction(emoji).await {
                browser::warn(&format!("OnAir: a reaction was not sent: {err}"));
            }
        });
    }

    fn float(&self, emoji: &'static str) {
        let id = self
            .next_id
            .try_update_value(|next| {
                *next += 1;
                *next
            })
            .unwrap_or_default();
        let left_percent = 8 + (browser::random_fraction() * 84.0) as u32;
        self.floating.update(|list| {
            list.push(Floating {
                id,
                emoji,
                left_percent,
            })
        });
        let floating = self.floating;
        spawn_local(async move {
            gloo_timers::future::sleep(FLOAT_FOR).await;
            floating.update(|list| list.retain(|f| f.id != id));
        });
    }
}

impl Default for Reactions {
    fn default() -> Self {
        Self::new()
    }
}

fn allowed(emoji: &str) -> Option<&'static str> {
    REACTIONS
        .iter()
        .map(|(known, _)| *known)
        .find(|known| *known == emoji)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_admits_its_limit_then_refills_as_time_passes() {
        let mut window = RateWindow::new(2);
        assert!(window.admit(0.0));
        assert!(window.admit(10.0));
        assert!(
            !window.admit(20.0),
            "the third within the window is refused"
        );
        assert!(window.admit(WINDOW_MS), "the first has left the window");
        assert!(!window.admit(WINDOW_MS + 5.0));
    }

    #[test]
    fn only_the_known_reactions_are_shown() {
        assert_eq!(allowed("🔥"), Some("🔥"));
        assert_eq!(allowed("💩"), None);
        assert_eq!(allowed("<img src=x>"), None);
    }
}
