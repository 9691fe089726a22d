//! What a task needs to read an object itself (htslib's variables), with the credentials kept apart
//! as secrets.

use super::*;

impl ObjectStorage {
    /// An S3 object as htslib (samtools, bcftools), the AWS CLI and the AWS SDKs reach it:
    /// the standard variables for region and endpoint, htslib's own for the host and path-style
    /// addressing, and the credentials of the chain Ferry itself uses (temporary ones where the
    /// chain gives them: SSO, roles, web identity).
    pub(super) async fn s3_stream_access(&self, url: &str, loc: &Location) -> Result<StreamAccess> {
        let aws = self.aws().await;
        let region = self.s3_region(aws);
        let mut env = vec![
            ("AWS_REGION".to_string(), region.clone()),
            ("AWS_DEFAULT_REGION".to_string(), region),
        ];
        let mut task_url = url.to_string();
        let endpoint = self.s3_endpoint();
        if let Some(ep) = &endpoint.url {
            let parsed = url::Url::parse(ep).map_err(|e| anyhow!("S3 endpoint {ep}: {e}"))?;
            let host = match (parsed.host_str(), parsed.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_string(),
                (None, _) => bail!("S3 endpoint {ep}: no host"),
            };
            env.push(("AWS_ENDPOINT_URL_S3".into(), ep.clone()));
            env.push(("HTS_S3_HOST".into(), host));
            if parsed.scheme() == "http" {
                // htslib's spelling of "this S3 server speaks plain http".
                task_url = format!("s3+http://{}/{}", loc.bucket, loc.path);
            }
        }
        if endpoint.path_style {
            env.push(("HTS_S3_ADDRESS_STYLE".into(), "path".into()));
        }
        let mut secrets = Vec::new();
        if !self.settings.anonymous
            && let Some(chain) = &aws.credentials
        {
            use object_store::CredentialProvider;
            let c = chain
                .get_credential()
                .await
                .map_err(|e| anyhow!("{url}: {e}"))?;
            secrets.push(("AWS_ACCESS_KEY_ID".to_string(), c.key_id.clone()));
            secrets.push(("AWS_SECRET_ACCESS_KEY".to_string(), c.secret_key.clone()));
            if let Some(t) = &c.token {
                secrets.push(("AWS_SESSION_TOKEN".to_string(), t.clone()));
            }
        }
        Ok(StreamAccess {
            url: task_url,
            env,
            secrets,
        })
    }
}
