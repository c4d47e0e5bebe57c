//! The route table (one screen) and the generated OpenAPI document.

pub mod auth;
pub mod destinations;
pub mod health;
pub mod hls;
pub mod ingress;
pub mod recordings;
pub mod rooms;
pub mod stage;
pub mod tokens;
pub mod webhook;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::ApiError;
use crate::startup::compression;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "OnAir API", description = "Live streaming on LiveKit: streams, tokens, recordings."),
    components(schemas(onair_api::ErrorBody, onair_api::ErrorCode)),
    modifiers(&HostKeyScheme),
    tags(
        (name = "rooms", description = "Streams and their participants"),
        (name = "tokens", description = "LiveKit access tokens"),
        (name = "recordings", description = "Recording to S3"),
        (name = "restream", description = "Restreaming to YouTube, Twitch or any RTMP(S) server through LiveKit egress"),
        (name = "hls", description = "HLS broadcast for audiences past one SFU, a few seconds behind"),
        (name = "stage", description = "Raised hands, and viewers invited on stage"),
        (name = "ingress", description = "Streaming from OBS (RTMP or WHIP) through LiveKit Ingress"),
        (name = "access", description = "Creator sign-in: OpenID Connect, creator keys, the session"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

/// Declares the security schemes operations name: `hostKey`, the host key that `POST /api/rooms`
/// returned, and `participantToken`, the LiveKit token that `POST /api/token` returned, each
/// sent as `Authorization: Bearer …`; `creatorKey`, a creator key sent the same way, and
/// `creatorSession`, the session cookie a sign-in sets.
struct HostKeyScheme;

impl Modify for HostKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "hostKey",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The `hostKey` that `POST /api/rooms` returned for this stream. \
                         Missing: 401 `missing_host_key`; another stream's, tampered with or \
                         expired: 403 `host_key_rejected`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "creatorKey",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A creator key that `onair creator-key add` printed. Not one of this \
                         server's: 401 `creator_key_rejected`; too many wrong ones from one \
                         address: 429.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "creatorSession",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::access::session::SESSION_COOKIE,
                "The creator session cookie that `POST /auth/key` or a sign-in through \
                 `/auth/login` set (HttpOnly, SameSite=Lax). In private mode, creating a \
                 stream without it (or a creator key) answers 401 `sign_in_required`.",
            ))),
        );
        components.add_security_scheme(
            "participantToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The viewer's own LiveKit token, as `POST /api/token` returned it. \
                         Missing: 401 `missing_participant_token`; another stream's, not a \
                         viewer's, tampered with or expired: 403 `participant_token_rejected`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API routes with their OpenAPI description, plus `/api/openapi.json` serving it.
pub fn api_router() -> Router<AppState> {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(rooms::create_room))
        .routes(routes!(rooms::get_room, rooms::end_stream))
        .routes(routes!(rooms::remove_participant))
        .routes(routes!(stage::raise_hand, stage::lower_hand))
        .routes(routes!(stage::rename_viewer))
        .routes(routes!(stage::invite_to_stage, stage::remove_from_stage))
        .routes(routes!(
            ingress::create_ingress,
            ingress::get_ingress,
            ingress::delete_ingress
        ))
        .routes(routes!(
            destinations::add_destination,
            destinations::list_destinations
        ))
        .routes(routes!(destinations::remove_destination))
        .routes(routes!(hls::start_hls, hls::stop_hls))
        .routes(routes!(hls::live_playlist))
        .routes(routes!(hls::broadcast_file))
        .routes(routes!(tokens::issue_token))
        .routes(routes!(auth::get_me))
        .routes(routes!(auth::sign_in_with_key))
        .routes(routes!(auth::sign_out))
        .routes(routes!(auth::start_sign_in))
        .routes(routes!(auth::finish_sign_in))
        .routes(routes!(recordings::start_recording))
        .routes(routes!(recordings::stop_recording))
        // LiveKit's events can be larger than an API request: the handler reads its own body.
        .routes(routes!(webhook::receive_webhook))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .merge(
            // The answers that can run to many KB; the small, hot ones skip compression.
            OpenApiRouter::new()
                .routes(routes!(recordings::list_recordings))
                .routes(routes!(health::metrics))
                .layer(compression()),
        )
        .split_for_parts();
    router.route(
        "/api/openapi.json",
        get(move || async move { Json(openapi) }).layer(compression()),
    )
}

/// A known path asked with the wrong HTTP method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
