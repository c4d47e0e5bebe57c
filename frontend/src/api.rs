//! The OnAir HTTP API as async functions over the `onair-api` wire types. Errors keep the
//! server's code, message and field, so pages can show them next to the right input.

use gloo_net::http::{Request, RequestBuilder, Response};
use onair_api::access::PASSCODE_HEADER;
use onair_api::{
    AddDestinationRequest, CreateIngressRequest, CreateRoomRequest, CreatedRoom, CreatorKeySignIn,
    CreatorKeyText, Destination, DestinationList, DisplayName, ErrorBody, ErrorCode, IngressInfo,
    IngressInputType, LockedRoom, Me, ParticipantNameRequest, Passcode, Playback, RecordingList,
    RecordingStarted, RecordingStopped, RoomAnswer, RoomId, RoomInfo, RtmpUrl,
    StartRecordingRequest, StopRecordingRequest, StreamKey, StreamTitle, TokenRequest,
    TokenResponse, Visibility,
};
use serde::de::DeserializeOwned;

/// A failed call: what the server said, or that it could not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// HTTP status; 0 when the server could not be reached.
    pub status: u16,
    pub code: Option<ErrorCode>,
    pub message: String,
    /// The request field at fault, for validation errors.
    pub field: Option<String>,
    /// When a retry may succeed (429, 502, 503), in seconds.
    pub retry_after_seconds: Option<u64>,
}

impl ApiFailure {
    fn unreachable(err: impl std::fmt::Display) -> Self {
        Self {
            status: 0,
            code: None,
            message: format!("The server could not be reached ({err})."),
            field: None,
            retry_after_seconds: None,
        }
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == Some(code)
    }
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, ApiFailure> {
    let request = request.map_err(ApiFailure::unreachable)?;
    let response = request.send().await.map_err(ApiFailure::unreachable)?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|seconds| seconds.trim().parse().ok());
    let body = response.text().await.unwrap_or_default();
    Err(failure(status, &body, retry_after))
}

/// The failure an error answer (`status`, `body`) tells of.
fn failure(status: u16, body: &str, retry_after: Option<u64>) -> ApiFailure {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(body) => ApiFailure {
            status,
            code: Some(body.error.code),
            message: body.error.message,
            field: body.error.field,
            retry_after_seconds: body.error.retry_after_seconds.or(retry_after),
        },
        Err(_) => ApiFailure {
            status,
            code: None,
            message: format!("The server answered {status}."),
            field: None,
            retry_after_seconds: retry_after,
        },
    }
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    response.json::<T>().await.map_err(ApiFailure::unreachable)
}

/// `Authorization: Bearer <key>`: a host key, or a viewer's own participant token.
fn with_bearer(builder: RequestBuilder, key: Option<&str>) -> RequestBuilder {
    match key {
        Some(key) => builder.header("Authorization", &format!("Bearer {key}")),
        None => builder,
    }
}

/// `X-Stream-Passcode: <passcode>` on a read of a passcode stream.
///
/// `fetch` sends a header value as bytes, one per character, refuses characters beyond U+00FF
/// and trims spaces at both ends: so the passcode goes percent-encoded (its UTF-8 bytes, all
/// but letters, digits and `-._~` as `%XX`), which the server decodes.
fn with_passcode(builder: RequestBuilder, passcode: Option<&Passcode>) -> RequestBuilder {
    match passcode {
        Some(passcode) => builder.header(PASSCODE_HEADER, &percent_encoded(passcode.expose())),
        None => builder,
    }
}

/// `text`'s UTF-8 bytes, all but ASCII letters, digits and `-._~` written as `%XX`.
fn percent_encoded(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A passcode as typed, checked with the server's rules.
fn passcode(raw: Option<&str>) -> Result<Option<Passcode>, ApiFailure> {
    raw.map(|raw| Passcode::parse(raw).map_err(|e| invalid("passcode", e)))
        .transpose()
}

/// GET /api/me — who this browser is signed in as, and how one signs in here.
pub async fn me() -> Result<Me, ApiFailure> {
    json(send(Request::get("/api/me").build()).await?).await
}

/// POST /auth/key — signs in with a creator key (the session is an HttpOnly cookie).
pub async fn sign_in_with_key(key: &str) -> Result<(), ApiFailure> {
    let key = CreatorKeyText::parse(key).map_err(|e| invalid("key", e))?;
    let body = CreatorKeySignIn { key };
    send(Request::post("/auth/key").json(&body)).await.map(drop)
}

/// POST /auth/logout
pub async fn sign_out() -> Result<(), ApiFailure> {
    send(Request::post("/auth/logout").build()).await.map(drop)
}

/// POST /api/rooms — a passcode stream when `passcode` is given.
pub async fn create_room(
    host_name: &str,
    title: &str,
    passcode: Option<&str>,
) -> Result<CreatedRoom, ApiFailure> {
    // Validate here first, with the server's own rules, to answer without a round trip.
    let host_name = DisplayName::parse(host_name).map_err(|e| invalid("hostName", e))?;
    let title = StreamTitle::parse_optional(title).map_err(|e| invalid("title", e))?;
    let passcode = self::passcode(passcode)?;
    let visibility = if passcode.is_some() {
        Visibility::Passcode
    } else {
        Visibility::Public
    };
    let body = CreateRoomRequest {
        host_name,
        title,
        visibility,
        passcode,
    };
    json(send(Request::post("/api/rooms").json(&body)).await?).await
}

fn invalid(field: &str, error: impl std::fmt::Display) -> ApiFailure {
    ApiFailure {
        status: 400,
        code: Some(ErrorCode::InvalidField),
        message: format!("{field}: {error}"),
        field: Some(field.to_owned()),
        retry_after_seconds: None,
    }
}

/// GET /api/rooms/:roomId — for a passcode stream, only that it needs one unless `passcode`
/// is given (a wrong one: 403 `passcode_wrong`).
pub async fn get_room(room_id: &RoomId, passcode: Option<&str>) -> Result<RoomAnswer, ApiFailure> {
    let passcode = self::passcode(passcode)?;
    let request = with_passcode(
        Request::get(&format!("/api/rooms/{room_id}")),
        passcode.as_ref(),
    );
    let body = send(request.build())
        .await?
        .text()
        .await
        .map_err(ApiFailure::unreachable)?;
    // The two shapes tried in turn: serde's `untagged` would do the same, at a cost of about
    // 15 KiB to each page's wasm.
    match serde_json::from_str::<RoomInfo>(&body) {
        Ok(info) => Ok(RoomAnswer::Info(info)),
        Err(_) => serde_json::from_str::<LockedRoom>(&body)
            .map(RoomAnswer::Locked)
            .map_err(ApiFailure::unreachable),
    }
}

/// POST /api/token: as the host with its key, or as a viewer (`name`, or a neutral name the
/// server picks); a viewer of a passcode stream gives its `passcode`, and one watching the HLS
/// broadcast asks for `playback`.
pub async fn request_token(
    room_id: &RoomId,
    name: Option<&str>,
    host_key: Option<&str>,
    passcode: Option<&str>,
    playback: Option<Playback>,
) -> Result<TokenResponse, ApiFailure> {
    let participant_name = name
        .map(DisplayName::parse)
        .transpose()
        .map_err(|e| invalid("participantName", e))?;
    let body = TokenRequest {
        room_name: room_id.clone(),
        participant_name,
        is_host: host_key.is_some(),
        passcode: self::passcode(passcode)?,
        playback,
    };
    json(send(with_bearer(Request::post("/api/token"), host_key).json(&body)).await?).await
}

/// The token in the answer (`status`, `body`) to a token request the page made before the app
/// started (`js/livekit.js`, the early join).
pub fn token_from_answer(status: u16, body: &str) -> Result<TokenResponse, ApiFailure> {
    if (200..300).contains(&status) {
        serde_json::from_str(body).map_err(ApiFailure::unreachable)
    } else {
        Err(failure(status, body, None))
    }
}

/// PUT /api/rooms/:roomId/name, with the viewer's own participant token: from now on the
/// viewer is shown as `name`.
pub async fn choose_name(
    room_id: &RoomId,
    token: &str,
    name: &DisplayName,
) -> Result<(), ApiFailure> {
    let body = ParticipantNameRequest { name: name.clone() };
    let request = with_bearer(
        Request::put(&format!("/api/rooms/{room_id}/name")),
        Some(token),
    );
    send(request.json(&body)).await.map(drop)
}

/// DELETE /api/rooms/:roomId
pub async fn end_stream(room_id: &RoomId, host_key: &str) -> Result<(), ApiFailure> {
    let request = with_bearer(
        Request::delete(&format!("/api/rooms/{room_id}")),
        Some(host_key),
    )
    .build();
    send(request).await.map(drop)
}

/// DELETE /api/rooms/:roomId/participants/:identity
pub async fn remove_viewer(
    room_id: &RoomId,
    identity: &str,
    host_key: &str,
) -> Result<(), ApiFailure> {
    let path = format!("/api/rooms/{room_id}/participants/{identity}");
    send(with_bearer(Request::delete(&path), Some(host_key)).build())
        .await
        .map(drop)
}

/// GET /api/recordings/:roomId — a passcode stream's need its `passcode`.
pub async fn list_recordings(
    room_id: &RoomId,
    passcode: Option<&str>,
) -> Result<RecordingList, ApiFailure> {
    let passcode = self::passcode(passcode)?;
    let path = format!("/api/recordings/{room_id}");
    json(send(with_passcode(Request::get(&path), passcode.as_ref()).build()).await?).await
}

/// POST /api/recordings/start
pub async fn start_recording(
    room_id: &RoomId,
    host_key: &str,
) -> Result<RecordingStarted, ApiFailure> {
    let body = StartRecordingRequest {
        room_name: room_id.clone(),
    };
    json(
        send(with_bearer(Request::post("/api/recordings/start"), Some(host_key)).json(&body))
            .await?,
    )
    .await
}

/// POST /api/recordings/stop — answers once the file is written (or the recording failed).
pub async fn stop_recording(
    egress_id: &str,
    host_key: &str,
) -> Result<RecordingStopped, ApiFailure> {
    let body = StopRecordingRequest {
        egress_id: egress_id.to_owned(),
    };
    json(
        send(with_bearer(Request::post("/api/recordings/stop"), Some(host_key)).json(&body))
            .await?,
    )
    .await
}

/// POST or DELETE /api/rooms/:roomId/hand, with the viewer's own participant token.
pub async fn set_hand(room_id: &RoomId, token: &str, raised: bool) -> Result<(), ApiFailure> {
    let path = format!("/api/rooms/{room_id}/hand");
    let request = if raised {
        Request::post(&path)
    } else {
        Request::delete(&path)
    };
    send(with_bearer(request, Some(token)).build())
        .await
        .map(drop)
}

/// POST (invite) or DELETE (take off) /api/rooms/:roomId/stage/:identity, with the host key;
/// a guest leaves with their own participant token as `key`.
pub async fn set_on_stage(
    room_id: &RoomId,
    identity: &str,
    key: &str,
    on_stage: bool,
) -> Result<(), ApiFailure> {
    let path = format!("/api/rooms/{room_id}/stage/{identity}");
    let request = if on_stage {
        Request::post(&path)
    } else {
        Request::delete(&path)
    };
    send(with_bearer(request, Some(key)).build())
        .await
        .map(drop)
}

/// POST /api/rooms/:roomId/ingress
pub async fn create_ingress(
    room_id: &RoomId,
    input_type: IngressInputType,
    host_key: &str,
) -> Result<IngressInfo, ApiFailure> {
    let path = format!("/api/rooms/{room_id}/ingress");
    let body = CreateIngressRequest { input_type };
    json(send(with_bearer(Request::post(&path), Some(host_key)).json(&body)).await?).await
}

/// GET /api/rooms/:roomId/ingress (`Ok(None)` when the stream has none).
pub async fn find_ingress(
    room_id: &RoomId,
    host_key: &str,
) -> Result<Option<IngressInfo>, ApiFailure> {
    let path = format!("/api/rooms/{room_id}/ingress");
    match send(with_bearer(Request::get(&path), Some(host_key)).build()).await {
        Ok(response) => json(response).await.map(Some),
        Err(failure) if failure.is(ErrorCode::IngressNotFound) => Ok(None),
        Err(failure) => Err(failure),
    }
}

/// DELETE /api/rooms/:roomId/ingress
pub async fn delete_ingress(room_id: &RoomId, host_key: &str) -> Result<(), ApiFailure> {
    let path = format!("/api/rooms/{room_id}/ingress");
    send(with_bearer(Request::delete(&path), Some(host_key)).build())
        .await
        .map(drop)
}

/// POST (start) or DELETE (stop) /api/rooms/:roomId/hls: the stream's HLS broadcast.
pub async fn set_hls(room_id: &RoomId, host_key: &str, on: bool) -> Result<(), ApiFailure> {
    let path = format!("/api/rooms/{room_id}/hls");
    let request = if on {
        Request::post(&path)
    } else {
        Request::delete(&path)
    };
    send(with_bearer(request, Some(host_key)).build())
        .await
        .map(drop)
}

/// POST /api/rooms/:roomId/destinations — `url` and `key` as typed, checked with the server's
/// rules first so a mistake shows under its field at once.
pub async fn add_destination(
    room_id: &RoomId,
    url: &str,
    key: &str,
    host_key: &str,
) -> Result<Destination, ApiFailure> {
    let body = AddDestinationRequest {
        url: RtmpUrl::parse(url.trim()).map_err(|e| invalid("url", e))?,
        stream_key: StreamKey::parse(key.trim()).map_err(|e| invalid("streamKey", e))?,
    };
    let path = format!("/api/rooms/{room_id}/destinations");
    json(send(with_bearer(Request::post(&path), Some(host_key)).json(&body)).await?).await
}

/// GET /api/rooms/:roomId/destinations
pub async fn list_destinations(
    room_id: &RoomId,
    host_key: &str,
) -> Result<DestinationList, ApiFailure> {
    let path = format!("/api/rooms/{room_id}/destinations");
    json(send(with_bearer(Request::get(&path), Some(host_key)).build()).await?).await
}

/// DELETE /api/rooms/:roomId/destinations/:destinationId
pub async fn remove_destination(
    room_id: &RoomId,
    destination_id: &str,
    host_key: &str,
) -> Result<(), ApiFailure> {
    let path = format!("/api/rooms/{room_id}/destinations/{destination_id}");
    send(with_bearer(Request::delete(&path), Some(host_key)).build())
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::percent_encoded;

    #[test]
    fn a_passcode_header_is_percent_encoded() {
        assert_eq!(percent_encoded("open-sesame_1.~"), "open-sesame_1.~");
        assert_eq!(percent_encoded(" a b%"), "%20a%20b%25");
        assert_eq!(percent_encoded("é€"), "%C3%A9%E2%82%AC");
    }
}
