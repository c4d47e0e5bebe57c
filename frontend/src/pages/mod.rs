//! One module per route: home, host studio, viewer, replay, not found.

pub mod home;
pub mod host;
pub mod not_found;
pub mod recordings;
pub mod viewer;
