//! OnAir's own, stateless judgement of whether a recording LiveKit calls running really is.
//!
//! livekit-server v1.13.5 never fails an egress whose worker died: the egress stays `ACTIVE` (and
//! the room "recording") for ever. Two signals that hold without remembering anything:
//! - a RoomComposite egress is a hidden participant of the room, with the egress id as its
//!   identity, for as long as its worker records: an `ACTIVE` egress whose participant is gone
//!   has lost its worker;
//! - egress reports every change of state, and stamps `updatedAt`: a recording still `STARTING`
//!   long after it was asked for never started (the most reported case: nothing is published),
//!   and one still `ENDING` long after the stop never finished its upload.
//!
//! A finished file of 0 bytes is not a recording either, nor is one that egress had to write to
//! its backup storage because the bucket could not be reached (it is not where OnAir plays
//! from). Each of these is `failed`, with a reason a host (or their operator) can act on.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use livekit_protocol as proto;
use onair_api::RecordingStatus;

/// How long an `ACTIVE` recording may miss its participant after its last report (the page
/// joins the room before egress reports `ACTIVE`, and leaves only after it reports the end).
pub const ACTIVE_WITHOUT_PARTICIPANT_GRACE: Duration = Duration::from_secs(5);
/// How long a recording may stay `STARTING` (it takes 4–5 s when something is published).
pub const STARTING_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the upload after a stop may take before the recording counts as lost.
pub const ENDING_TIMEOUT: Duration = Duration::from_secs(300);

/// What OnAir makes of an egress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: RecordingStatus,
    pub error: Option<String>,
    /// LiveKit still counts it as running although OnAir judged it failed: stopping it (best
    /// effort) frees the worker, if there is one.
    pub stale: bool,
}

/// Judges `info` at `now`; `participant_present` says whether the room has a participant with
/// the egress id as its identity.
pub fn judge(info: &proto::EgressInfo, participant_present: bool, now: SystemTime) -> Verdict {
    use proto::EgressStatus::*;
    let reported = |status, error: &str| Verdict {
        status,
        error: (!error.is_empty()).then(|| error.to_owned()),
        stale: false,
    };
    let stale = |reason: String| Verdict {
        status: RecordingStatus::Failed,
        error: Some(reason),
        stale: true,
    };
    let since_report = since(info.updated_at.max(info.started_at), now);
    match proto::EgressStatus::try_from(info.status).unwrap_or(EgressFailed) {
        EgressStarting if since_report > STARTING_TIMEOUT => stale(format!(
            "The recording did not start within {} s: nothing may be published yet, or the \
             recorder is down.",
            STARTING_TIMEOUT.as_secs()
        )),
        EgressStarting => reported(RecordingStatus::Starting, ""),
        EgressActive if !participant_present && since_report > ACTIVE_WITHOUT_PARTICIPANT_GRACE => {
            stale(
                "The recorder stopped unexpectedly, so this recording was not saved. You can start a \
                 new one."
                .to_owned(),
            )
        }
        EgressActive => reported(RecordingStatus::Active, ""),
        EgressEnding if since_report > ENDING_TIMEOUT => stale(format!(
            "The recording was not saved: its upload did not finish within {} minutes.",
            ENDING_TIMEOUT.as_secs() / 60
        )),
        EgressEnding => reported(RecordingStatus::Stopping, ""),
        EgressComplete if wrote_nothing(info) => Verdict {
            status: RecordingStatus::Failed,
            error: Some("The recording is empty: no audio or video was written.".to_owned()),
            stale: false,
        },
        EgressComplete if info.backup_storage_used => Verdict {
            status: RecordingStatus::Failed,
            error: Some(kept_on_backup(info)),
            stale: false,
        },
        EgressComplete => reported(RecordingStatus::Completed, ""),
        // Aborted (e.g. nothing was published) and limit-reached files are not a clean recording.
        EgressFailed | EgressAborted | EgressLimitReached => Verdict {
            status: RecordingStatus::Failed,
            error: Some(plain_reason(&info.error)),
            stale: false,
        },
    }
}

/// egress's error, in words for the host (its own text is for operators: it is logged).
fn plain_reason(egress_error: &str) -> String {
    let known = [
        (
            "upload failed",
            "The recording could not be saved: the upload to storage failed.",
        ),
        (
            "Start signal not received",
            "The recording did not start: nothing was being published.",
        ),
        (
            "Stop called before pipeline could start",
            "The recording was stopped before it had started.",
        ),
    ];
    match known
        .iter()
        .find(|(needle, _)| egress_error.contains(needle))
    {
        Some((_, plain)) => (*plain).to_owned(),
        None if egress_error.is_empty() => "The recording ended with an error.".to_owned(),
        None => format!("The recording ended with an error: {egress_error}"),
    }
}

/// Where a file written to egress's backup storage is, and how to make it playable.
fn kept_on_backup(info: &proto::EgressInfo) -> String {
    let file = info.file_results.first();
    let location = file.map(|f| f.location.as_str()).unwrap_or_default();
    let key = file.map(|f| f.filename.as_str()).unwrap_or_default();
    format!(
        "Storage could not be reached when the recording ended, so it is not in the bucket yet. \
         The recording server kept the file at {location}: copy it into the bucket as {key} and \
         it plays here."
    )
}

/// Whether a finished egress reports a file of 0 bytes.
fn wrote_nothing(info: &proto::EgressInfo) -> bool {
    info.file_results.first().is_some_and(|file| file.size == 0)
}

/// Time from `nanos` since the epoch to `now` (zero when in the future or unset).
fn since(nanos: i64, now: SystemTime) -> Duration {
    let then = UNIX_EPOCH + Duration::from_nanos(u64::try_from(nanos).unwrap_or(0));
    now.duration_since(then).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn egress(
        status: proto::EgressStatus,
        updated_secs_ago: u64,
        now: SystemTime,
    ) -> proto::EgressInfo {
        let updated = now - Duration::from_secs(updated_secs_ago);
        proto::EgressInfo {
            egress_id: "EG_test".into(),
            status: status as i32,
            updated_at: updated.duration_since(UNIX_EPOCH).unwrap().as_nanos() as i64,
            ..Default::default()
        }
    }

    #[test]
    fn an_active_recording_with_its_participant_is_active() {
        let now = SystemTime::now();
        let info = egress(proto::EgressStatus::EgressActive, 600, now);
        assert_eq!(judge(&info, true, now).status, RecordingStatus::Active);
    }

    #[test]
    fn an_active_recording_whose_worker_left_the_room_failed() {
        let now = SystemTime::now();
        let info = egress(proto::EgressStatus::EgressActive, 30, now);
        let verdict = judge(&info, false, now);
        assert_eq!(verdict.status, RecordingStatus::Failed);
        assert!(verdict.stale);
        assert!(verdict.error.unwrap().contains("stopped unexpectedly"));
    }

    #[test]
    fn a_recording_that_just_became_active_gets_a_grace_period() {
        let now = SystemTime::now();
        let info = egress(proto::EgressStatus::EgressActive, 1, now);
        assert_eq!(judge(&info, false, now).status, RecordingStatus::Active);
    }

    #[test]
    fn a_recording_stuck_starting_failed() {
        let now = SystemTime::now();
        let young = egress(proto::EgressStatus::EgressStarting, 3, now);
        assert_eq!(judge(&young, false, now).status, RecordingStatus::Starting);
        let stuck = egress(proto::EgressStatus::EgressStarting, 25, now);
        let verdict = judge(&stuck, true, now);
        assert_eq!(verdict.status, RecordingStatus::Failed);
        assert!(verdict.error.unwrap().contains("did not start"));
    }

    #[test]
    fn an_empty_file_is_not_a_recording() {
        let now = SystemTime::now();
        let mut info = egress(proto::EgressStatus::EgressComplete, 1, now);
        info.file_results = vec![proto::FileInfo::default()];
        let verdict = judge(&info, false, now);
        assert_eq!(verdict.status, RecordingStatus::Failed);
        assert!(!verdict.stale);
        info.file_results[0].size = 1000;
        assert_eq!(judge(&info, false, now).status, RecordingStatus::Completed);
    }

    #[test]
    fn a_file_kept_on_backup_storage_is_reported_with_where_it_is() {
        let now = SystemTime::now();
        let mut info = egress(proto::EgressStatus::EgressComplete, 1, now);
        info.backup_storage_used = true;
        info.file_results = vec![proto::FileInfo {
            filename: "live-recordings/abcdefghij0123/1764000000000.mp4".into(),
            location: "/var/lib/egress/backup/live-recordings/abcdefghij0123/1764000000000.mp4"
                .into(),
            size: 250_000,
            ..Default::default()
        }];
        let verdict = judge(&info, false, now);
        assert_eq!(verdict.status, RecordingStatus::Failed);
        let reason = verdict.error.unwrap();
        assert!(reason.contains(&info.file_results[0].location), "{reason}");
        assert!(reason.contains(&info.file_results[0].filename), "{reason}");
    }

    #[test]
    fn failures_reported_by_egress_keep_their_reason() {
        let now = SystemTime::now();
        let mut info = egress(proto::EgressStatus::EgressFailed, 1, now);
        info.error = "S3 upload failed: err: operation error S3: PutObject…".into();
        let verdict = judge(&info, false, now);
        assert_eq!(verdict.status, RecordingStatus::Failed);
        assert!(verdict.error.unwrap().contains("upload to storage failed"));
        info.error = "pipeline frozen".into();
        assert!(
            judge(&info, false, now)
                .error
                .unwrap()
                .ends_with("pipeline frozen")
        );
    }
}
