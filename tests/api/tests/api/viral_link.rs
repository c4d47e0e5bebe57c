//! A popular link: hundreds of viewers ask for tokens at once; LiveKit sees a handful of calls.

use futures::future::join_all;
use onair_api_tests::spawn_app;
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test]
async fn three_hundred_viewers_at_once_cost_one_room_lookup() {
    let app = spawn_app().await;
    let stream = app.create_stream_as("Ada").await;
    let room = stream.room_id.as_str();
    // Let the entry cached at creation expire, so the burst must look the room up.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let rooms_before = app.livekit_calls("ListRooms").await;
    let participants_before = app.livekit_calls("ListParticipants").await;

    let app = &app;
    let statuses: Vec<StatusCode> = join_all((0..300).map(|i| async move {
        app.viewer_token(room, &format!("Viewer {i}"))
            .await
            .status()
    }))
    .await;

    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "every viewer got a token"
    );
    let room_lookups = app.livekit_calls("ListRooms").await - rooms_before;
    let participant_lookups = app.livekit_calls("ListParticipants").await - participants_before;
    assert!(
        (1..=2).contains(&room_lookups),
        "{room_lookups} ListRooms calls for 300 viewers"
    );
    assert!(
        participant_lookups <= 2,
        "{participant_lookups} ListParticipants calls for 300 viewers"
    );
}
