//! Pieces shared by pages.

pub mod chat;
pub mod icons;
pub mod layout;
pub mod recorder;
