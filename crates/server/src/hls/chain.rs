//! One continuous broadcast across several egresses. When the recording's egress takes the
//! broadcast over (or hands it back when the recording stops), players must not notice a new
//! egress: OnAir numbers the segments of every egress of a room's broadcast in one sequence
//! (`EXT-X-MEDIA-SEQUENCE` keeps counting), marks the change of encoder with
//! `EXT-X-DISCONTINUITY` (counted by `EXT-X-DISCONTINUITY-SEQUENCE` once it leaves the window),
//! and cuts the overlap of the two egresses by their `EXT-X-PROGRAM-DATE-TIME`: the next
//! egress is shown from its first segment that does not repeat what the previous one showed.
//!
//! Everything here is computed from the playlists egress wrote in the bucket, so every replica
//! renders the same playlist without talking to the others.

use m3u8_rs::{MediaPlaylist, MediaSegment};
use onair_api::RoomId;

/// Segments in the live window: as many as egress's own live playlist keeps.
pub const LIVE_WINDOW: usize = 5;

/// A segment placed in the room's continuous broadcast.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    /// Its `EXT-X-MEDIA-SEQUENCE` number in the continuous broadcast.
    pub sequence: u64,
    /// How many changes of egress precede it (its discontinuity sequence number).
    pub discontinuity: u64,
    /// The start (unix millis) of the broadcast folder it is in.
    pub broadcast: u64,
    pub segment: MediaSegment,
}

/// Where a broadcast joins the one it continues; fixed once that one has ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Join {
    /// The broadcast's first segment shown, in its own numbering (from 0).
    pub first_shown: u64,
    /// The number that segment gets in the continuous broadcast.
    pub sequence: u64,
    /// The discontinuity sequence number of this broadcast's segments.
    pub discontinuity: u64,
    /// The previous broadcast's last segments, shown before this one's while the window still
    /// reaches back to them.
    pub previous_tail: Vec<Placed>,
}

/// A playlist egress wrote; `None` when it is not one.
pub fn parse(body: &[u8]) -> Option<MediaPlaylist> {
    m3u8_rs::parse_media_playlist_res(body).ok()
}

/// The segments of `playlist` (from broadcast `broadcast`), numbered in the continuous
/// broadcast: as egress numbers them, or from `join` on (segments before it are left out).
pub fn place(playlist: &MediaPlaylist, broadcast: u64, join: Option<&Join>) -> Vec<Placed> {
    let own_numbers = (playlist.media_sequence..).zip(&playlist.segments);
    match join {
        None => own_numbers
            .map(|(sequence, segment)| Placed {
                sequence,
                discontinuity: 0,
                broadcast,
                segment: segment.clone(),
            })
            .collect(),
        Some(join) => own_numbers
            .filter(|(own, _)| *own >= join.first_shown)
            .map(|(own, segment)| Placed {
                sequence: join.sequence + (own - join.first_shown),
                discontinuity: join.discontinuity,
                broadcast,
                segment: segment.clone(),
            })
            .collect(),
    }
}

/// Unix millis at which a segment starts, when egress dated it.
fn starts_at(segment: &MediaSegment) -> Option<i64> {
    segment
        .program_date_time
        .map(|date_time| date_time.timestamp_millis())
}

fn length_millis(segment: &MediaSegment) -> i64 {
    (f64::from(segment.duration) * 1000.0).round() as i64
}

/// Where the broadcast whose event playlist so far is `next` joins the ended one whose
/// segments were `previous` (all of them, placed): at its first segment that is mostly after
/// the previous one's end. `None` while `next` has no such segment yet.
pub fn join(previous: &[Placed], next: &MediaPlaylist) -> Option<Join> {
    let Some(last) = previous.last() else {
        // The previous broadcast showed nothing: this one starts the numbering.
        return (!next.segments.is_empty()).then(|| Join {
            first_shown: 0,
            sequence: 0,
            discontinuity: 0,
            previous_tail: Vec::new(),
        });
    };
    let previous_end = starts_at(&last.segment).map(|start| start + length_millis(&last.segment));
    let first_shown = next.segments.iter().position(|segment| {
        match (previous_end, starts_at(segment)) {
            (Some(end), Some(start)) => start + length_millis(segment) / 2 >= end,
            // Undated segments cannot be matched up: show all of them.
            _ => true,
        }
    })?;
    let tail_from = previous.len().saturating_sub(LIVE_WINDOW);
    Some(Join {
        first_shown: next.media_sequence + first_shown as u64,
        sequence: last.sequence + 1,
        discontinuity: last.discontinuity + 1,
        previous_tail: previous[tail_from..].to_vec(),
    })
}

/// The path of a segment on OnAir (`/hls/{roomId}/{startMillis}/{segment}`); egress writes
/// names relative to the playlist, and only that last part is kept.
pub fn segment_path(room: &RoomId, broadcast: u64, uri: &str) -> String {
    let name = uri.rsplit('/').next().unwrap_or(uri);
    format!("/hls/{room}/{broadcast}/{name}")
}

/// `playlist` with each segment's URI replaced by its path on OnAir.
pub fn with_segment_paths(mut playlist: MediaPlaylist, room: &RoomId, broadcast: u64) -> String {
    for segment in &mut playlist.segments {
        segment.uri = segment_path(room, broadcast, &segment.uri);
    }
    write(&playlist)
}

/// The live playlist players follow: the last [`LIVE_WINDOW`] of `placed` (in order), ending
/// with `EXT-X-ENDLIST` when `ended`.
pub fn live_window(placed: Vec<Placed>, room: &RoomId, ended: bool) -> String {
    let shown = &placed[placed.len().saturating_sub(LIVE_WINDOW)..];
    let first = shown.first();
    let mut previous_discontinuity = first.map_or(0, |p| p.discontinuity);
    let segments = shown
        .iter()
        .map(|placed| {
            let mut segment = placed.segment.clone();
            segment.uri = segment_path(room, placed.broadcast, &segment.uri);
            segment.discontinuity = placed.discontinuity != previous_discontinuity;
            previous_discontinuity = placed.discontinuity;
            segment
        })
        .collect::<Vec<_>>();
    let longest = segments.iter().map(|s| s.duration).fold(0.0_f32, f32::max);
    write(&MediaPlaylist {
        version: Some(4),
        target_duration: (longest.ceil() as u64).max(u64::from(super::SEGMENT_SECONDS)),
        media_sequence: first.map_or(0, |p| p.sequence),
        discontinuity_sequence: first.map_or(0, |p| p.discontinuity),
        segments,
        end_list: ended,
        ..Default::default()
    })
}

fn write(playlist: &MediaPlaylist) -> String {
    let mut text = Vec::new();
    playlist
        .write_to(&mut text)
        .expect("writing to memory cannot fail");
    String::from_utf8(text).expect("a playlist of UTF-8 parts is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A playlist as egress writes it: `count` 2 s segments from `first` (own numbering), the
    /// first one dated `start_millis`.
    fn written(first: u64, count: u64, start_millis: i64, ended: bool) -> MediaPlaylist {
        let mut text = format!(
            "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-ALLOW-CACHE:NO\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:{first}\n"
        );
        for n in first..first + count {
            let at =
                chrono::DateTime::from_timestamp_millis(start_millis + 2000 * (n - first) as i64)
                    .unwrap();
            text.push_str(&format!(
                "#EXT-X-PROGRAM-DATE-TIME:{}\n#EXTINF:2.000,\nsegment_{n:05}.ts\n",
                at.format("%Y-%m-%dT%H:%M:%S%.3fZ")
            ));
        }
        if ended {
            text.push_str("#EXT-X-ENDLIST\n");
        }
        parse(text.as_bytes()).expect("egress's playlist parses")
    }

    fn room() -> RoomId {
        RoomId::parse("abcdefghij0123").unwrap()
    }

    const T0: i64 = 1_764_000_000_000;

    #[test]
    fn a_broadcast_on_its_own_is_served_as_egress_numbers_it() {
        let live = written(7, 5, T0, false);
        let text = live_window(place(&live, 100, None), &room(), false);
        assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:7\n"), "{text}");
        assert!(!text.contains("DISCONTINUITY"), "{text}");
        assert!(
            text.contains("/hls/abcdefghij0123/100/segment_00011.ts\n"),
            "{text}"
        );
        assert!(!text.contains("ENDLIST"));
    }

    #[test]
    fn the_next_egress_continues_the_numbering_after_a_discontinuity_without_repeating() {
        // The HLS-only egress wrote 10 segments (20 s); the recording's egress started 6 s
        // before it was stopped, so its first three segments repeat what was shown.
        let previous = written(0, 10, T0, true);
        let previous_placed = place(&previous, 100, None);
        let next_start = T0 + 14_000;
        assert_eq!(
            join(&previous_placed, &written(0, 3, next_start, false)),
            None
        );
        let join = join(&previous_placed, &written(0, 4, next_start, false)).expect("joined");
        assert_eq!(
            join.first_shown, 3,
            "the first segment after the previous one's end"
        );
        assert_eq!((join.sequence, join.discontinuity), (10, 1));
        assert_eq!(join.previous_tail.len(), LIVE_WINDOW);

        // Right after the join: the previous tail, then the new egress's segment.
        let live = written(0, 4, next_start, false);
        let mut placed = join.previous_tail.clone();
        placed.extend(place(&live, 200, Some(&join)));
        let text = live_window(placed, &room(), false);
        assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:6\n"), "{text}");
        assert!(!text.contains("#EXT-X-DISCONTINUITY-SEQUENCE"), "{text}");
        let tail = text
            .split("#EXT-X-DISCONTINUITY\n")
            .nth(1)
            .expect("a discontinuity");
        assert!(
            tail.contains("/hls/abcdefghij0123/200/segment_00003.ts"),
            "{text}"
        );
        assert!(
            text.contains("/hls/abcdefghij0123/100/segment_00009.ts"),
            "{text}"
        );

        // Later the previous egress's segments have left the window: the count of
        // discontinuities says what was there.
        let live = written(5, 5, next_start + 10_000, false);
        let mut placed = join.previous_tail.clone();
        placed.extend(place(&live, 200, Some(&join)));
        let text = live_window(placed, &room(), false);
        assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:12\n"), "{text}");
        assert!(text.contains("#EXT-X-DISCONTINUITY-SEQUENCE:1\n"), "{text}");
        assert!(!text.contains("#EXT-X-DISCONTINUITY\n"), "{text}");
        assert!(!text.contains("/100/"), "{text}");
    }

    #[test]
    fn a_third_egress_continues_the_second() {
        let first = place(&written(0, 4, T0, true), 100, None);
        let second_event = written(0, 6, T0 + 8_000, true);
        let second_join = join(&first, &second_event).unwrap();
        let second = place(&second_event, 200, Some(&second_join));
        assert_eq!(second.first().unwrap().sequence, 4);
        let third = join(&second, &written(0, 1, T0 + 20_000, false)).unwrap();
        assert_eq!((third.sequence, third.discontinuity), (10, 2));
    }

    #[test]
    fn segments_are_served_by_onair_and_the_replay_keeps_its_tags() {
        let event = written(0, 2, T0, true);
        let text = with_segment_paths(event, &room(), 17);
        assert!(text.contains("#EXT-X-TARGETDURATION:2\n"), "{text}");
        assert!(
            text.contains("/hls/abcdefghij0123/17/segment_00001.ts\n"),
            "{text}"
        );
        assert!(text.ends_with("#EXT-X-ENDLIST\n"), "{text}");
    }
}
