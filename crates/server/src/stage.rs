//! The stage: a viewer raises a hand, the host invites them on stage — LiveKit then lets them
//! publish their camera and microphone — and takes them off again, which unpublishes their
//! tracks and withdraws the right. All of it is state in LiveKit (the participant attributes
//! `hand` and `stage`, and its permissions), which every browser in the room hears of at once:
//! onair keeps nothing. The grant comes only from here, on the host key.

use livekit_protocol as proto;
use onair_api::{DisplayName, RoomId};

use crate::error::ApiError;
use crate::livekit::{LiveKit, LiveKitError, Role};

/// Participant attribute set while a viewer's hand is raised.
pub const HAND_ATTRIBUTE: &str = "hand";
pub const HAND_RAISED: &str = "raised";
/// Participant attribute set while a viewer is on stage.
pub const STAGE_ATTRIBUTE: &str = "stage";
pub const ON_STAGE: &str = "guest";
/// Guests on stage at once beside the host: four people is what a viewer's screen (a phone
/// included) can show side by side.
pub const MAX_GUESTS: usize = 3;

/// What a guest on stage may do besides: publish a camera and a microphone (no screen share).
fn guest_permission() -> proto::ParticipantPermission {
    proto::ParticipantPermission {
        can_publish: true,
        can_publish_sources: vec![
            proto::TrackSource::Camera as i32,
            proto::TrackSource::Microphone as i32,
        ],
        ..Role::Viewer.permission()
    }
}

/// A missing participant is the client's 404; anything else is LiveKit's failure.
fn participant_error(err: LiveKitError) -> ApiError {
    match err {
        LiveKitError::NotFound => ApiError::ParticipantNotFound,
        other => ApiError::from(other),
    }
}

/// Raises (or lowers) the hand of `viewer`, who proved who they are with their token.
pub async fn set_hand(
    livekit: &LiveKit,
    room: &RoomId,
    viewer: &str,
    raised: bool,
) -> Result<(), ApiError> {
    let value = if raised { HAND_RAISED } else { "" };
    livekit
        .update_participant(room, viewer, &[(HAND_ATTRIBUTE, value)], None)
        .await
        .map(drop)
        .map_err(participant_error)
}

/// Shows `viewer` (who proved who they are with their token) under `name` from now on.
pub async fn rename(
    livekit: &LiveKit,
    room: &RoomId,
    viewer: &str,
    name: &DisplayName,
) -> Result<(), ApiError> {
    livekit
        .rename_participant(room, viewer, name)
        .await
        .map(drop)
        .map_err(participant_error)
}

/// Brings viewer `identity` on stage. Inviting a guest again changes nothing.
pub async fn invite(livekit: &LiveKit, room: &RoomId, identity: &str) -> Result<(), ApiError> {
    if Role::of_identity(identity) != Some(Role::Viewer) {
        return Err(ApiError::ParticipantNotFound);
    }
    let participants = livekit
        .list_participants(room)
        .await
        .map_err(|err| match err {
            LiveKitError::NotFound => ApiError::StreamNotFound,
            other => ApiError::from(other),
        })?;
    let is_guest = |p: &proto::ParticipantInfo| {
        p.attributes.get(STAGE_ATTRIBUTE).map(String::as_str) == Some(ON_STAGE)
    };
    let invited = participants
        .iter()
        .find(|p| p.identity == identity)
        .ok_or(ApiError::ParticipantNotFound)?;
    if is_guest(invited) {
        return Ok(());
    }
    if participants.iter().filter(|p| is_guest(p)).count() >= MAX_GUESTS {
        return Err(ApiError::StageFull);
    }
    livekit
        .update_participant(
            room,
            identity,
            &[(STAGE_ATTRIBUTE, ON_STAGE), (HAND_ATTRIBUTE, "")],
            Some(guest_permission()),
        )
        .await
        .map(drop)
        .map_err(participant_error)
}

/// Takes `identity` off stage: LiveKit unpublishes their tracks as it withdraws the right.
pub async fn take_off(livekit: &LiveKit, room: &RoomId, identity: &str) -> Result<(), ApiError> {
    if Role::of_identity(identity) != Some(Role::Viewer) {
        return Err(ApiError::ParticipantNotFound);
    }
    livekit
        .update_participant(
            room,
            identity,
            &[(STAGE_ATTRIBUTE, ""), (HAND_ATTRIBUTE, "")],
            Some(Role::Viewer.permission()),
        )
        .await
        .map(drop)
        .map_err(participant_error)
}
