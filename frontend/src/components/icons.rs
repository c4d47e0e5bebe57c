//! Small inline SVG icons (no icon font, no emoji: both depend on what the viewer's system has).

use leptos::prelude::*;

/// Which icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyph {
    Mic,
    MicOff,
    Camera,
    CameraOff,
    Screen,
    Record,
    Fullscreen,
    Speaker,
    Copy,
    Lock,
}

impl Glyph {
    /// SVG path data on a 24×24 grid, stroked.
    fn path(self) -> &'static str {
        match self {
            Glyph::Mic => {
                "M12 3a3 3 0 0 1 3 3v6a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3zM5 11a7 7 0 0 0 14 0M12 18v3"
            }
            Glyph::MicOff => {
                "M9 9v3a3 3 0 0 0 5.1 2.1M15 9.3V6a3 3 0 0 0-5.7-1.3M5 11a7 7 0 0 0 11.6 5.3M19 11a7 7 0 0 1-.5 2.5M12 18v3M3 3l18 18"
            }
            Glyph::Camera => {
                "M3 7h12a1 1 0 0 1 1 1v8a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1zM16 10.5l6-3.5v10l-6-3.5"
            }
            Glyph::CameraOff => {
                "M16 10.5l6-3.5v10l-6-3.5M10 7h5a1 1 0 0 1 1 1v5M16 16a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1h1M3 3l18 18"
            }
            Glyph::Screen => "M3 4h18v12H3zM8 20h8M12 16v4",
            Glyph::Record => "M12 5a7 7 0 1 0 0 14a7 7 0 1 0 0-14z",
            Glyph::Fullscreen => "M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5",
            Glyph::Speaker => "M4 9h4l5-4v14l-5-4H4zM16 9a4 4 0 0 1 0 6M18.5 6.5a8 8 0 0 1 0 11",
            Glyph::Copy => "M8 8h11v12H8zM5 16H4V4h12v1",
            Glyph::Lock => "M5 11h14v10H5zM8 11V7a4 4 0 0 1 8 0v4",
        }
    }
}

#[component]
pub fn Icon(glyph: Glyph) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false"
            fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            <path d=glyph.path()></path>
        </svg>
    }
}
