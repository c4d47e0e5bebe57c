//! Pieces shared by pages.

pub mod chat;
pub mod layout;
