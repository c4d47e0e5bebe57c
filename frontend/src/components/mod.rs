//! Pieces shared by pages.

pub mod account;
pub mod chat;
pub mod icons;
pub mod layout;
pub mod obs;
pub mod passcode;
pub mod reactions;
pub mod recorder;
pub mod stage;
