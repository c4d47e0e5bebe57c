//! One module per route: home, host studio, viewer, replay, not found.

pub mod home;
pub mod not_found;
pub mod recordings;
pub mod studio;
pub mod watch;
