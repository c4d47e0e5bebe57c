//! The recording store: an S3-compatible bucket, behind a small trait so the recording service
//! does not care which store it is. Egress writes the files; OnAir lists a stream's recordings,
//! presigns the URLs browsers play them from, and writes one small marker per recording it
//! starts (so that a recording is never forgotten, whatever LiveKit loses). Every call is
//! bounded, so an unreachable store becomes a quick 503.

use async_trait::async_trait;
use aws_sdk_s3::config::{Credentials, Region, timeout::TimeoutConfig};
use aws_sdk_s3::presigning::PresigningConfig;
use secrecy::ExposeSecret;
use std::time::Duration;

use crate::config::S3Settings;

/// How long a presigned playback URL works.
pub const PLAYBACK_URL_TTL: Duration = Duration::from_secs(6 * 3600);

/// A file in the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub size_bytes: u64,
}

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
#[error("recording store: {0}")]
pub struct StorageError(pub String);

/// What the recording service needs from a store.
#[async_trait]
pub trait RecordingStore: Send + Sync {
    /// The objects whose key starts with `prefix`.
    async fn list(&self, prefix: &str) -> Result<Vec<StoredObject>, StorageError>;
    /// A URL that downloads `key` without credentials, for a while.
    async fn playback_url(&self, key: &str) -> Result<String, StorageError>;
    /// The bucket answers with our credentials.
    async fn check(&self) -> Result<(), StorageError>;
    /// Reads the small object at `key`.
    async fn get(&self, key: &str) -> Result<Vec<u8>, StorageError>;
    /// Reads the small object at `key`, or `None` when there is none (yet).
    async fn find(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Writes a small JSON object at `key`.
    async fn put_json(&self, key: &str, body: Vec<u8>) -> Result<(), StorageError>;
    /// Deletes `key` (no error when it does not exist).
    async fn delete(&self, key: &str) -> Result<(), StorageError>;
    /// `s3://bucket/key`, how operators name the file.
    fn s3_url(&self, key: &str) -> String;
}

/// An S3 bucket reached through `aws-sdk-s3`.
pub struct S3Store {
    client: aws_sdk_s3::Client,
    /// Signs playback URLs with the endpoint browsers reach (may differ from `client`'s).
    presigner: aws_sdk_s3::Client,
    bucket: String,
}

fn client_for(settings: &S3Settings, endpoint: Option<&url::Url>) -> aws_sdk_s3::Client {
    let credentials = Credentials::new(
        settings.access_key_id.clone(),
        settings.secret_access_key.expose_secret().to_owned(),
        None,
        None,
        "onair-config",
    );
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(3))
        .build();
    let mut builder = aws_sdk_s3::config::Builder::new()
        .behavior_version_latest()
        .region(Region::new(settings.region.clone()))
        .credentials_provider(credentials)
        .force_path_style(settings.force_path_style)
        .timeout_config(timeouts)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::standard().with_max_attempts(2));
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint.as_str().trim_end_matches('/'));
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

impl S3Store {
    pub fn new(settings: &S3Settings) -> Self {
        Self {
            client: client_for(settings, settings.endpoint.as_ref()),
            presigner: client_for(
                settings,
                settings
                    .public_endpoint
                    .as_ref()
                    .or(settings.endpoint.as_ref()),
            ),
            bucket: settings.bucket.clone(),
        }
    }
}

fn storage_error(err: impl std::error::Error) -> StorageError {
    // The SDK's Display says only "service error"; the source chain says what happened.
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    StorageError(message)
}

#[async_trait]
impl RecordingStore for S3Store {
    async fn list(&self, prefix: &str) -> Result<Vec<StoredObject>, StorageError> {
        let mut objects = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(storage_error)?;
            objects.extend(page.contents().iter().filter_map(|object| {
                Some(StoredObject {
                    key: object.key()?.to_owned(),
                    size_bytes: object
                        .size()
                        .and_then(|s| u64::try_from(s).ok())
                        .unwrap_or(0),
                })
            }));
        }
        Ok(objects)
    }

    async fn playback_url(&self, key: &str) -> Result<String, StorageError> {
        let config = PresigningConfig::expires_in(PLAYBACK_URL_TTL).map_err(storage_error)?;
        let request = self
            .presigner
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type("video/mp4")
            .presigned(config)
            .await
            .map_err(storage_error)?;
        Ok(request.uri().to_owned())
    }

    async fn check(&self) -> Result<(), StorageError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(storage_error)?;
        let body = object.body.collect().await.map_err(storage_error)?;
        Ok(body.into_bytes().to_vec())
    }

    async fn find(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(object) => object,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(None);
            }
            Err(err) => return Err(storage_error(err)),
        };
        let body = object.body.collect().await.map_err(storage_error)?;
        Ok(Some(body.into_bytes().to_vec()))
    }

    async fn put_json(&self, key: &str, body: Vec<u8>) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(body.into())
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    fn s3_url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}
