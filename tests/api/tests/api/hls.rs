//! HLS broadcast on the real stack: the host turns it on, the real LiveKit egress writes 2 s
//! segments to SeaweedFS, OnAir serves the live playlist and its segments, one playlist render
//! serves a crowd, and turning it off ends it. With `HLS_MODE=always` the host going live is
//! enough. Past `MAX_WEBRTC_VIEWERS`, viewers are seated in the broadcast (which then starts by
//! itself) with tokens that cannot subscribe. Then what the door refuses.

use std::time::{Duration, Instant};

use onair_api::{CreatedRoom, Playback, TokenResponse};
use onair_api_tests::{
    LiveKitTarget, TestApp, eventually, expect_error, free_port, spawn_app, spawn_app_with,
    spawn_recording_app, spawn_recording_app_with, webhook_port,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::TAKE_TURNS;
use crate::recording_real::{listed, live_stream, start_recording};

fn hls_path(stream: &CreatedRoom) -> String {
    format!("/api/rooms/{}/hls", stream.room_id)
}

async fn turn_on(app: &TestApp, stream: &CreatedRoom) -> reqwest::Response {
    app.post_json(&hls_path(stream), &json!({}), Some(&stream.host_key))
        .await
}

async fn hls_of(app: &TestApp, stream: &CreatedRoom) -> Value {
    let room: Value = app
        .get_stream(stream.room_id.as_str())
        .await
        .json()
        .await
        .unwrap();
    room["hls"].clone()
}

/// The segment URLs of a playlist.
fn segments(playlist: &str) -> Vec<String> {
    playlist
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Waits for the live playlist to list a segment; returns it.
async fn first_playlist(app: &TestApp, path: &str) -> String {
    let mut found = None;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let response = app.get(path).await;
        if response.status() == StatusCode::OK {
            let playlist = response.text().await.unwrap();
            if !segments(&playlist).is_empty() {
                found = Some(playlist);
                break;
            }
        } else {
            assert_eq!(
                response.status(),
                StatusCode::NOT_FOUND,
                "before the first segment"
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    found.expect("the live playlist lists a segment within 60 s")
}

#[tokio::test]
async fn a_host_broadcasts_over_hls_and_a_browser_downloads_its_segments_through_onair() {
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app_with(webhook_port(), &[]).await;
    let (show, _publisher) = live_stream(&app, "Ada").await;
    assert_eq!(
        hls_of(&app, &show).await["live"],
        false,
        "off until the host turns it on"
    );

    let turned_on = Instant::now();
    let response = turn_on(&app, &show).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let started: Value = response.json().await.unwrap();
    let playlist_path = format!("/hls/{}/live.m3u8", show.room_id);
    assert_eq!(started["live"], true);
    assert_eq!(started["playlistUrl"], playlist_path.as_str());
    // Asking again starts nothing more.
    assert_eq!(turn_on(&app, &show).await.status(), StatusCode::OK);
    assert_eq!(app.livekit_calls("StartRoomCompositeEgress").await, 1);
    let hls = hls_of(&app, &show).await;
    assert_eq!(hls["live"], true, "{hls}");
    assert_eq!(hls["playlistUrl"], playlist_path.as_str());

    let playlist = first_playlist(&app, &playlist_path).await;
    println!(
        "hls: first segment listed {} ms after the host turned HLS on",
        turned_on.elapsed().as_millis()
    );
    assert!(playlist.starts_with("#EXTM3U"), "{playlist}");
    assert!(playlist.contains("#EXT-X-TARGETDURATION:2"), "{playlist}");
    let response = app.get(&playlist_path).await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/vnd.apple.mpegurl");
    assert_eq!(header("cache-control"), "public, max-age=1");

    // Each segment comes from OnAir, MPEG-TS, and never changes.
    let urls = segments(&playlist);
    let last = urls.last().unwrap();
    assert!(
        last.starts_with(&format!("/hls/{}/", show.room_id)),
        "{last}"
    );
    let segment = app.get(last).await;
    assert_eq!(segment.status(), StatusCode::OK, "{last}");
    assert_eq!(segment.headers()["content-type"], "video/mp2t");
    assert_eq!(
        segment.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let bytes = segment.bytes().await.unwrap();
    assert!(bytes.len() > 1000, "a segment of {} bytes", bytes.len());
    assert_eq!(bytes[0], 0x47, "MPEG-TS starts with its sync byte");
    for unknown in ["segment_99999.ts", "live.m3u8", "other.m3u8"] {
        let path = last.rsplit_once('/').unwrap().0.to_owned() + "/" + unknown;
        expect_error(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    // The playlist of the whole event grows beside the sliding window.
    let event_path = last.rsplit_once('/').unwrap().0.to_owned() + "/index.m3u8";
    let event = app.get(&event_path).await;
    assert_eq!(event.status(), StatusCode::OK, "{event_path}");
    assert_eq!(event.headers()["cache-control"], "public, max-age=1");
    assert!(event.text().await.unwrap().contains("segment_00000.ts"));
    println!(
        "hls: {} segments listed, the last one {} KB",
        urls.len(),
        bytes.len() / 1024
    );

    // A crowd asking at once costs one render (one egress lookup), not one per viewer.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let lookups_before = app.livekit_calls("ListEgress").await;
    let crowd = (0..50).map(|_| app.get(&playlist_path));
    let answers = futures::future::join_all(crowd).await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::OK));
    let lookups = app.livekit_calls("ListEgress").await - lookups_before;
    assert!(
        lookups <= 2,
        "50 playlist requests cost {lookups} egress lookups"
    );

    // Turned off: no longer live, the playlist is gone, the event stays in the bucket.
    let response = app.delete(&hls_path(&show), Some(&show.host_key)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let off = eventually(Duration::from_secs(10), || async {
        hls_of(&app, &show).await["live"] == false
    })
    .await;
    assert!(off.is_some(), "the stream says HLS is off");
    let gone = eventually(Duration::from_secs(5), || async {
        app.get(&playlist_path).await.status() == StatusCode::NOT_FOUND
    })
    .await;
    assert!(gone.is_some(), "no live playlist once HLS is off");
}

#[tokio::test]
async fn with_hls_always_on_the_host_going_live_starts_the_broadcast() {
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app_with(webhook_port(), &[("HLS_MODE", "always")]).await;
    let went_live = Instant::now();
    let (show, _publisher) = live_stream(&app, "Ada").await;
    let on = eventually(Duration::from_secs(30), || async {
        hls_of(&app, &show).await["live"] == true
    })
    .await;
    assert!(
        on.is_some(),
        "HLS started by itself when the host went live"
    );
    println!(
        "hls: HLS_MODE=always started the broadcast {} ms after the host published",
        went_live.elapsed().as_millis()
    );
    let playlist = first_playlist(&app, &format!("/hls/{}/live.m3u8", show.room_id)).await;
    println!(
        "hls: HLS_MODE=always listed the first segment {} ms after the host published",
        went_live.elapsed().as_millis()
    );
    assert!(!segments(&playlist).is_empty());
    // The host's audio and video are two events: one broadcast.
    assert_eq!(app.livekit_calls("StartRoomCompositeEgress").await, 1);
    let response = app.delete(&hls_path(&show), Some(&show.host_key)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_recording_carries_the_broadcast_in_its_egress_and_replays_it_after_the_stream() {
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app_with(webhook_port(), &[]).await;
    let (show, _publisher) = live_stream(&app, "Ada").await;
    let room = show.room_id.to_string();
    let egress_id = start_recording(&app, &show).await;
    // One egress, one compositor: the recording broadcasts the stream too.
    let on = eventually(Duration::from_secs(10), || async {
        hls_of(&app, &show).await["live"] == true
    })
    .await;
    assert!(on.is_some(), "the recording's egress broadcasts");
    let playlist = first_playlist(&app, &format!("/hls/{room}/live.m3u8")).await;
    assert!(!segments(&playlist).is_empty());
    assert_eq!(turn_on(&app, &show).await.status(), StatusCode::OK);
    assert_eq!(app.livekit_calls("StartRoomCompositeEgress").await, 1);
    // That broadcast ends with the recording, not before.
    let response = app.delete(&hls_path(&show), Some(&show.host_key)).await;
    expect_error(response, StatusCode::CONFLICT, "hls_with_recording").await;

    tokio::time::sleep(Duration::from_secs(4)).await;
    let response = app.stop_recording(&egress_id, Some(&show.host_key)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let recording = listed(&app, &room, &egress_id).await.expect("listed");
    let replay = recording["hlsPlaylistUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("no HLS replay beside the MP4: {recording}"))
        .to_owned();
    assert!(replay.starts_with(&format!("/hls/{room}/")) && replay.ends_with("/index.m3u8"));
    let off = eventually(Duration::from_secs(10), || async {
        hls_of(&app, &show).await["live"] == false
    })
    .await;
    assert!(off.is_some(), "the broadcast ended with the recording");

    // After the stream: the whole event, seekable, from its first segment.
    assert_eq!(
        app.end_stream(&room, Some(&show.host_key)).await.status(),
        StatusCode::NO_CONTENT
    );
    let finished = eventually(Duration::from_secs(15), || async {
        let response = app.get(&replay).await;
        response.status() == StatusCode::OK
            && response.text().await.unwrap().contains("#EXT-X-ENDLIST")
    })
    .await;
    assert!(finished.is_some(), "the event playlist ends");
    let response = app.get(&replay).await;
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let event = response.text().await.unwrap();
    assert!(event.contains("#EXT-X-PLAYLIST-TYPE:EVENT"), "{event}");
    let listed_segments = segments(&event);
    assert!(
        listed_segments.len() >= 2,
        "a few seconds of segments: {event}"
    );
    assert!(listed_segments[0].ends_with("segment_00000.ts"), "{event}");
    let first = app.get(&listed_segments[0]).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.bytes().await.unwrap()[0], 0x47);
}

async fn viewer_token(app: &TestApp, stream: &CreatedRoom, body: Value) -> TokenResponse {
    let mut request = json!({"roomName": stream.room_id});
    request
        .as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    let response = app.post_json("/api/token", &request, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn viewers_past_the_webrtc_audience_watch_the_broadcast_which_starts_for_them() {
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app_with(webhook_port(), &[("MAX_WEBRTC_VIEWERS", "2")]).await;
    let (show, _publisher) = live_stream(&app, "Ada").await;
    assert_eq!(hls_of(&app, &show).await["live"], false);

    // A burst of five viewers within one snapshot: two seats, then the broadcast.
    let mut seated = Vec::new();
    for _ in 0..5 {
        seated.push(viewer_token(&app, &show, json!({})).await);
    }
    let playbacks: Vec<Playback> = seated.iter().map(|t| t.playback).collect();
    assert_eq!(
        playbacks,
        [
            Playback::Webrtc,
            Playback::Webrtc,
            Playback::Hls,
            Playback::Hls,
            Playback::Hls
        ]
    );
    for token in &seated {
        let grant = app.token_claims(&token.token).video;
        assert_eq!(
            grant.can_subscribe,
            Some(token.playback == Playback::Webrtc),
            "a broadcast viewer's token receives no media"
        );
        assert_eq!(
            grant.can_publish_data,
            Some(true),
            "every viewer chats and reacts"
        );
        assert_eq!(grant.can_publish, Some(false));
    }
    // Whoever asks for the broadcast gets it, whatever the seats.
    let asked = viewer_token(&app, &show, json!({"playback": "hls"})).await;
    assert_eq!(asked.playback, Playback::Hls);
    assert_eq!(
        app.token_claims(&asked.token).video.can_subscribe,
        Some(false)
    );

    // The overflow started the broadcast once, though three viewers overflowed.
    let playlist = first_playlist(&app, &format!("/hls/{}/live.m3u8", show.room_id)).await;
    assert!(!segments(&playlist).is_empty());
    assert_eq!(
        app.livekit_calls("StartRoomCompositeEgress").await,
        1,
        "{}",
        app.logs()
    );
    let response = app.delete(&hls_path(&show), Some(&show.host_key)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_full_audience_without_a_broadcast_to_offer_is_told_to_come_back() {
    let one_seat = ("MAX_WEBRTC_VIEWERS", "1");
    let no_bucket = spawn_app_with(&LiveKitTarget::shared(), &[one_seat]).await;
    let hls_off = spawn_recording_app_with(free_port(), &[one_seat, ("HLS_MODE", "off")]).await;
    for (app, why) in [
        (no_bucket, "no bucket, so no broadcast"),
        (hls_off, "HLS_MODE=off"),
    ] {
        let stream = app.create_stream_as("Ada").await;
        let first = viewer_token(&app, &stream, json!({})).await;
        assert_eq!(first.playback, Playback::Webrtc, "{why}");
        let response = app
            .post_json("/api/token", &json!({"roomName": stream.room_id}), None)
            .await;
        assert_eq!(response.headers()["retry-after"], "15", "{why}");
        expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "audience_full").await;
        // The host always gets in.
        let response = app
            .host_token(stream.room_id.as_str(), "Ada", Some(&stream.host_key))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{why}");
    }
}

#[tokio::test]
async fn hls_is_the_hosts_to_turn_on_and_the_operators_to_allow() {
    let app = spawn_recording_app().await;
    let stream = app.create_stream_as("Ada").await;
    let response = app.post_json(&hls_path(&stream), &json!({}), None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_host_key").await;
    let other = app.create_stream_as("Ben").await;
    let response = app
        .post_json(&hls_path(&stream), &json!({}), Some(&other.host_key))
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "host_key_rejected").await;
    let response = app.delete(&hls_path(&stream), None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_host_key").await;
    // Not broadcasting: no playlist, and turning off what is off is fine.
    let response = app.get(&format!("/hls/{}/live.m3u8", stream.room_id)).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app.delete(&hls_path(&stream), Some(&stream.host_key)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.get("/hls/nosuchstream00/live.m3u8").await;
    expect_error(response, StatusCode::NOT_FOUND, "stream_not_found").await;

    // A passcode stream's playlist needs its passcode.
    let secret: CreatedRoom = app
        .create_stream(
            &json!({"hostName": "Ada", "visibility": "passcode", "passcode": "open sesame"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let response = app.get(&format!("/hls/{}/live.m3u8", secret.room_id)).await;
    expect_error(response, StatusCode::FORBIDDEN, "passcode_required").await;

    let off = spawn_recording_app_with(free_port(), &[("HLS_MODE", "off")]).await;
    let stream = off.create_stream_as("Ada").await;
    let response = off
        .post_json(&hls_path(&stream), &json!({}), Some(&stream.host_key))
        .await;
    expect_error(response, StatusCode::CONFLICT, "hls_off").await;

    let no_bucket = spawn_app().await;
    let stream = no_bucket.create_stream_as("Ada").await;
    let response = no_bucket
        .post_json(&hls_path(&stream), &json!({}), Some(&stream.host_key))
        .await;
    expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "hls_unavailable").await;
}

/// What a player following a live playlist saw: each segment by its number, in order.
#[derive(Default)]
struct Follower {
    /// Segment path, start (unix millis) and length (ms) by media sequence number.
    seen: std::collections::BTreeMap<u64, (String, i64, i64)>,
    /// The numbers of segments that came after a change of egress.
    discontinuities: std::collections::BTreeSet<u64>,
    /// When each segment number was first listed.
    listed_at: std::collections::BTreeMap<u64, Instant>,
    highest_media_sequence: u64,
}

impl Follower {
    /// Reads one reload of the playlist, checking what a player relies on: numbers never go
    /// back, and a number always names the same segment.
    fn reload(&mut self, text: &str) {
        let playlist = m3u8_rs::parse_media_playlist_res(text.as_bytes())
            .unwrap_or_else(|err| panic!("a playlist a player reads: {err:?}\n{text}"));
        assert!(
            playlist.media_sequence >= self.highest_media_sequence,
            "the media sequence went back to {}:\n{text}",
            playlist.media_sequence
        );
        self.highest_media_sequence = playlist.media_sequence;
        for (number, segment) in (playlist.media_sequence..).zip(&playlist.segments) {
            let starts = segment
                .program_date_time
                .unwrap_or_else(|| panic!("segment {number} is dated:\n{text}"))
                .timestamp_millis();
            let length = (f64::from(segment.duration) * 1000.0).round() as i64;
            let entry = (segment.uri.clone(), starts, length);
            self.listed_at.entry(number).or_insert_with(Instant::now);
            let known = self.seen.entry(number).or_insert_with(|| entry.clone());
            assert_eq!(known.0, entry.0, "segment {number} changed:\n{text}");
            if segment.discontinuity {
                self.discontinuities.insert(number);
            }
        }
    }

    fn has_segment_of(&self, folder: &str) -> bool {
        self.seen.values().any(|(path, ..)| path.contains(folder))
    }

    /// The gap (or, negative, the overlap) in ms between the end of each segment and the start
    /// of the next, at each change of egress.
    fn handover_gaps(&self) -> Vec<i64> {
        self.discontinuities
            .iter()
            .filter_map(|number| {
                let (_, starts, _) = self.seen.get(number)?;
                let (_, previous_starts, previous_length) = self.seen.get(&(number - 1))?;
                Some(starts - (previous_starts + previous_length))
            })
            .collect()
    }

    /// How long the playlist listed nothing new before each change of egress was listed, ms.
    fn handover_waits(&self) -> Vec<u128> {
        self.discontinuities
            .iter()
            .filter_map(|number| {
                let listed = self.listed_at.get(number)?;
                let before = self.listed_at.get(&(number - 1))?;
                Some(listed.duration_since(*before).as_millis())
            })
            .collect()
    }
}

/// Reloads the live playlist every half second, as a player does, until `done`.
async fn follow_until(
    app: &TestApp,
    path: &str,
    follower: &mut Follower,
    limit: Duration,
    done: impl Fn(&Follower) -> bool,
) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "the broadcast stays on");
        follower.reload(&response.text().await.unwrap());
        if done(follower) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

/// A player that keeps following `path` for `how_long`, whatever happens.
async fn follow_for(app: &TestApp, path: &str, follower: &mut Follower, how_long: Duration) {
    follow_until(app, path, follower, how_long, |_| false).await;
}

/// The start (unix millis) a recording's file path names.
fn started_at(file_path: &str) -> u64 {
    file_path
        .rsplit('/')
        .next()
        .and_then(|name| name.strip_suffix(".mp4"))
        .and_then(|millis| millis.parse().ok())
        .unwrap_or_else(|| panic!("a recording's path: {file_path}"))
}

#[tokio::test]
async fn a_recording_takes_over_the_running_broadcast_and_hands_it_back_without_players_noticing() {
    let _turn = TAKE_TURNS.lock().await;
    let app = spawn_recording_app_with(webhook_port(), &[]).await;
    let (show, _publisher) = live_stream(&app, "Ada").await;
    let room = show.room_id.to_string();
    let live_path = format!("/hls/{room}/live.m3u8");
    assert_eq!(turn_on(&app, &show).await.status(), StatusCode::CREATED);
    first_playlist(&app, &live_path).await;
    let mut player = Follower::default();
    follow_for(&app, &live_path, &mut player, Duration::from_secs(4)).await;

    // The host records: the recording's egress carries the broadcast, and the broadcast's own
    // egress stops once the players have been moved over, so the stream costs one compositor.
    let recording_asked = Instant::now();
    let response = app.start_recording(&room, Some(&show.host_key)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let started: Value = response.json().await.unwrap();
    let egress_id = started["egressId"].as_str().unwrap().to_owned();
    let recording_folder = format!("/{}/", started_at(started["filePath"].as_str().unwrap()));
    let moved = follow_until(
        &app,
        &live_path,
        &mut player,
        Duration::from_secs(60),
        |p| p.has_segment_of(&recording_folder),
    )
    .await;
    assert!(moved, "players reach the recording's egress");
    println!(
        "hls takeover: players on the recording's egress {} ms after record",
        recording_asked.elapsed().as_millis()
    );
    let one = eventually(Duration::from_secs(20), || async {
        app.running_egress_count(&room).await == 1
    })
    .await;
    assert!(one.is_some(), "one egress records and broadcasts");
    println!(
        "hls takeover: one egress left {} ms after record",
        recording_asked.elapsed().as_millis()
    );
    assert_eq!(hls_of(&app, &show).await["live"], true);
    follow_for(&app, &live_path, &mut player, Duration::from_secs(6)).await;

    // The recording stops: the broadcast goes on, on an egress of its own again.
    let response = app.stop_recording(&egress_id, Some(&show.host_key)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let stop_asked = Instant::now();
    let handed_back = follow_until(
        &app,
        &live_path,
        &mut player,
        Duration::from_secs(60),
        |p| p.discontinuities.len() == 2,
    )
    .await;
    assert!(
        handed_back,
        "players reach the broadcast's own egress again"
    );
    println!(
        "hls hand-back: players on the broadcast's own egress {} ms after stop",
        stop_asked.elapsed().as_millis()
    );
    follow_for(&app, &live_path, &mut player, Duration::from_secs(4)).await;
    assert_eq!(app.running_egress_count(&room).await, 1);
    assert_eq!(hls_of(&app, &show).await["live"], true);

    // What the player saw: one unbroken numbering, two changes of egress, nothing twice.
    let numbers: Vec<u64> = player.seen.keys().copied().collect();
    let first = numbers[0];
    assert_eq!(
        numbers,
        (first..first + numbers.len() as u64).collect::<Vec<_>>(),
        "no segment number skipped"
    );
    let gaps = player.handover_gaps();
    println!("hls handovers: gap between egresses {gaps:?} ms (negative: overlap)");
    println!(
        "hls handovers: the playlist listed nothing new for {:?} ms before each",
        player.handover_waits()
    );
    assert_eq!(gaps.len(), 2, "{:?}", player.discontinuities);
    assert!(
        gaps.iter().all(|gap| *gap > -1000),
        "nothing shown twice: {gaps:?}"
    );
    for (path, ..) in player.seen.values().rev().take(2) {
        let segment = app.get(path).await;
        assert_eq!(segment.status(), StatusCode::OK, "{path}");
        assert_eq!(segment.bytes().await.unwrap()[0], 0x47);
    }

    // The recording replays in both formats, and the host can still turn the broadcast off.
    let recording = listed(&app, &room, &egress_id).await.expect("listed");
    let replay = recording["hlsPlaylistUrl"].as_str().unwrap_or_default();
    assert!(replay.contains(&recording_folder), "{recording}");
    let response = app.delete(&hls_path(&show), Some(&show.host_key)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let off = eventually(Duration::from_secs(10), || async {
        hls_of(&app, &show).await["live"] == false
    })
    .await;
    assert!(
        off.is_some(),
        "the broadcast ends when the host turns it off"
    );
}
