//! The object-store clients of the three clouds and plain HTTP(S): endpoints and credentials from
//! the profile and each cloud's standard chain, one client per bucket or container.

use super::*;

/// The S3 endpoint in effect: the profile's, else the standard `AWS_ENDPOINT_URL_S3`, else
/// `AWS_ENDPOINT_URL` (what the AWS CLI and SDKs read for LocalStack, MinIO or moto). An endpoint
/// that is an IP address or `localhost` is addressed path-style without being told: a
/// virtual-hosted name (`bucket.127.0.0.1`) cannot resolve.
pub fn s3_endpoint(
    profile_endpoint: Option<&str>,
    profile_path_style: bool,
    env: impl Fn(&str) -> Option<String>,
) -> S3Endpoint {
    let url = profile_endpoint
        .map(String::from)
        .or_else(|| env("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .filter(|u| !u.is_empty());
    let path_style = profile_path_style
        || url
            .as_deref()
            .and_then(host_of)
            .is_some_and(is_ip_or_localhost);
    S3Endpoint { url, path_style }
}

pub(super) fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .host_str()
        .map(|h| h.trim_matches(['[', ']']).to_string())
}

pub(super) fn is_ip_or_localhost(host: String) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok()
}

/// Whether `url` is plain http to a host off this machine (credentials and data would cross
/// the network unencrypted).
pub fn plain_http_off_loopback(url: &str) -> bool {
    url.starts_with("http://")
        && host_of(url).is_some_and(|h| {
            h != "localhost"
                && !h
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        })
}

impl ObjectStorage {
    pub(super) async fn aws(&self) -> &AwsConfig {
        self.aws
            .get_or_init(|| async {
                if self.settings.anonymous {
                    return AwsConfig {
                        credentials: None,
                        region: None,
                        sdk: None,
                    };
                }
                let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .load()
                    .await;
                AwsConfig {
                    credentials: config
                        .credentials_provider()
                        .map(|provider| Arc::new(AwsChain { provider })),
                    region: config.region().map(|r| r.to_string()),
                    sdk: Some(config),
                }
            })
            .await
    }

    pub(super) fn retry() -> RetryConfig {
        RetryConfig {
            backoff: BackoffConfig {
                init_backoff: std::time::Duration::from_millis(100),
                max_backoff: std::time::Duration::from_secs(15),
                base: 2.0,
            },
            max_retries: 8,
            retry_timeout: std::time::Duration::from_secs(300),
        }
    }

    /// The AWS SDK's S3 client, with the same endpoint, addressing, region and credentials as
    /// `object_store`'s; `None` for anonymous access.
    pub(super) async fn s3_sdk(&self) -> Option<&aws_sdk_s3::Client> {
        self.s3_sdk
            .get_or_init(|| async {
                let aws = self.aws().await;
                let sdk = aws.sdk.as_ref()?;
                let endpoint = self.s3_endpoint();
                let mut b = aws_sdk_s3::config::Builder::from(sdk)
                    .region(aws_sdk_s3::config::Region::new(self.s3_region(aws)))
                    .force_path_style(endpoint.path_style);
                if let Some(url) = &endpoint.url {
                    b = b.endpoint_url(url);
                }
                Some(aws_sdk_s3::Client::from_conf(b.build()))
            })
            .await
            .as_ref()
    }

    /// The S3 endpoint this storage sends requests to.
    pub fn s3_endpoint(&self) -> S3Endpoint {
        s3_endpoint(
            self.settings.endpoint.as_deref(),
            self.settings.path_style,
            |k| std::env::var(k).ok(),
        )
    }

    /// The profile's region, else the AWS configuration's, else us-east-1.
    pub(super) fn s3_region(&self, aws: &AwsConfig) -> String {
        self.settings
            .region
            .clone()
            .or_else(|| aws.region.clone())
            .unwrap_or_else(|| "us-east-1".into())
    }

    pub(super) async fn s3_store(&self, loc: &Location) -> Result<Arc<dyn ObjectStore>> {
        let aws = self.aws().await;
        let region = self.s3_region(aws);
        let endpoint = self.s3_endpoint();
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&loc.bucket)
            .with_region(region)
            .with_virtual_hosted_style_request(!endpoint.path_style)
            .with_retry(Self::retry());
        if self.settings.upload_checksums {
            b = b.with_checksum_algorithm(object_store::aws::Checksum::SHA256);
        }
        let writes = &self.settings.s3_writes;
        if let Some(sse) = &writes.sse {
            use object_store::aws::AmazonS3ConfigKey;
            let key = |name: &str| name.parse::<AmazonS3ConfigKey>();
            b = b.with_config(key("aws_server_side_encryption")?, sse);
            if let Some(id) = &writes.kms_key_id {
                b = b.with_config(key("aws_sse_kms_key_id")?, id);
            }
        }
        if writes.requester_pays {
            b = b.with_request_payer(true);
        }
        if let Some(ep) = &endpoint.url {
            if plain_http_off_loopback(ep) {
                tracing::warn!(
                    "S3 endpoint {ep} is plain http off this machine: requests and data are not encrypted"
                );
            }
            b = b
                .with_endpoint(ep)
                .with_allow_http(ep.starts_with("http://"));
        }
        if self.settings.anonymous {
            b = b.with_skip_signature(true);
        } else if let Some(c) = &aws.credentials {
            b = b.with_credentials(c.clone());
        }
        Ok(Arc::new(b.build().context("S3 client")?))
    }

    pub(super) fn gcs_store(&self, loc: &Location) -> Result<Arc<dyn ObjectStore>> {
        let gcs = &self.settings.gcs;
        let mut b = GoogleCloudStorageBuilder::from_env()
            .with_bucket_name(&loc.bucket)
            .with_retry(Self::retry());
        if let Some(ep) = &gcs.endpoint {
            b = b
                .with_base_url(ep.trim_end_matches('/'))
                .with_client_options(
                    object_store::ClientOptions::new().with_allow_http(ep.starts_with("http://")),
                );
        }
        if gcs.anonymous {
            // No token is fetched (a metadata server is never asked) and none is sent.
            b = b
                .with_service_account_key(
                    r#"{"disable_oauth":true,"client_email":"","private_key":"","private_key_id":""}"#,
                )
                .with_skip_signature(true);
        }
        Ok(Arc::new(b.build().context("GCS client")?))
    }

    pub(super) fn azure_store(&self, loc: &Location) -> Result<Arc<dyn ObjectStore>> {
        let az = &self.settings.azure;
        let mut b = MicrosoftAzureBuilder::from_env()
            .with_container_name(&loc.bucket)
            .with_retry(Self::retry());
        if let Some(account) = &az.account {
            b = b.with_account(account);
        }
        if az.use_emulator {
            b = b.with_use_emulator(true);
        }
        if let Some(ep) = &az.endpoint {
            b = b
                .with_endpoint(ep.trim_end_matches('/').to_string())
                .with_allow_http(ep.starts_with("http://"));
        }
        if az.anonymous {
            b = b.with_skip_signature(true);
        }
        Ok(Arc::new(b.build().context("Azure client")?))
    }
}
