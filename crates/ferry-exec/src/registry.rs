//! Container registries: the credentials a user's Docker login left, and a tag's manifest
//! digest asked of the registry itself (Registry API v2), for executors that must pin an image
//! without pulling it (AWS Batch).

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;

/// Docker Hub's key in `config.json`.
const DOCKER_HUB: &str = "https://index.docker.io/v1/";

/// Docker Hub's registry host, and the names users give it.
const DOCKER_HUB_REGISTRY: &str = "registry-1.docker.io";

fn is_docker_hub(host: &str) -> bool {
    matches!(
        host,
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com"
    )
}

/// The image as the profile's registry mirrors (`container.mirrors`, registry → mirror prefix)
/// would have it pulled: `ubuntu:22.04` with `docker.io = "ACCOUNT.dkr.ecr.REGION.amazonaws.com/docker-hub"`
/// becomes `ACCOUNT.dkr.ecr.REGION.amazonaws.com/docker-hub/library/ubuntu:22.04` (an ECR
/// pull-through cache). `None` when no mirror applies.
pub fn mirrored(image: &str, mirrors: &[(String, String)]) -> Option<String> {
    let r = Reference::parse(image).ok()?;
    let (_, prefix) = mirrors.iter().find(|(registry, _)| {
        registry == &r.registry || is_docker_hub(registry) && r.registry == DOCKER_HUB_REGISTRY
    })?;
    let separator = if r.reference.contains(':') && image.contains('@') {
        '@'
    } else {
        ':'
    };
    Some(format!(
        "{}/{}{separator}{}",
        prefix.trim_end_matches('/'),
        r.repository,
        r.reference
    ))
}

/// `name@sha256:…` for `image`, asked of its registry with the user's saved login (or an ECR
/// token); an image already named by digest is returned as it is.
pub async fn pin_digest(image: &str) -> Result<String> {
    if image.contains('@') {
        return Ok(image.to_string());
    }
    let login = login_or_ecr(image).await?;
    let digest = manifest_digest(image, login.as_ref()).await?;
    let name = image
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .map(|(n, _)| n)
        .unwrap_or(image);
    tracing::debug!("image `{image}` is {name}@{digest}");
    Ok(format!("{name}@{digest}"))
}

/// Every manifest kind a registry may hold for a tag. Without them a registry converts to the
/// old schema 1, whose digest is not the image's.
const MANIFEST_TYPES: &str = "application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json";

/// An image reference split the way registries see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// `127.0.0.1:5050`, `ghcr.io`; Docker Hub is `registry-1.docker.io`.
    pub registry: String,
    /// `library/ubuntu`, `biocontainers/samtools`.
    pub repository: String,
    /// The tag (`latest` when none is given) or the digest (`sha256:…`).
    pub reference: String,
}

impl Reference {
    pub fn parse(image: &str) -> Result<Reference> {
        let (name, reference) = match image.split_once('@') {
            Some((n, d)) => (n, d.to_string()),
            None => {
                // A colon after the last slash is a tag; one before it is a registry's port.
                let last = image.rfind('/').map(|i| i + 1).unwrap_or(0);
                match image[last..].rfind(':') {
                    Some(i) => (&image[..last + i], image[last + i + 1..].to_string()),
                    None => (image, "latest".to_string()),
                }
            }
        };
        if name.is_empty() || reference.is_empty() {
            bail!("`{image}` is not an image reference");
        }
        let (registry, repository) = match name.split_once('/') {
            // `docker.io/ubuntu` is Docker Hub's `library/ubuntu`, as `ubuntu` is.
            Some((first, rest)) if is_docker_hub(first) => (
                DOCKER_HUB_REGISTRY.to_string(),
                if rest.contains('/') {
                    rest.to_string()
                } else {
                    format!("library/{rest}")
                },
            ),
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ if name.contains('/') => (DOCKER_HUB_REGISTRY.to_string(), name.to_string()),
            _ => (DOCKER_HUB_REGISTRY.to_string(), format!("library/{name}")),
        };
        Ok(Reference {
            registry,
            repository,
            reference,
        })
    }

    /// The key `docker login` files this registry's credentials under.
    fn config_key(&self) -> &str {
        if self.registry == DOCKER_HUB_REGISTRY {
            DOCKER_HUB
        } else {
            &self.registry
        }
    }

    /// Plain http for loopback registries (as Docker treats them), https elsewhere.
    fn base_url(&self) -> String {
        let host = self
            .registry
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(&self.registry);
        let loopback = host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        let scheme = if loopback { "http" } else { "https" };
        format!("{scheme}://{}", self.registry)
    }
}

/// A registry login.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub username: String,
    pub secret: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Login({})", self.username)
    }
}

/// The login `docker login` saved for the image's registry: `$DOCKER_CONFIG/config.json` (else
/// `~/.docker/config.json`), from its `auths`, or from the credential helper it names
/// (`credHelpers`, `credsStore`: `docker-credential-NAME get`). None when there is none.
pub fn login_for(image: &str) -> Result<Option<Login>> {
    let reference = Reference::parse(image)?;
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".docker")));
    let Some(dir) = dir else { return Ok(None) };
    let path = dir.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let config: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    let key = reference.config_key();
    let helper = config["credHelpers"][key]
        .as_str()
        .or_else(|| config["credsStore"].as_str());
    let auths = config["auths"].as_object();
    let saved = auths.and_then(|a| {
        a.iter()
            .find(|(k, _)| {
                let k = k
                    .trim_start_matches("https://")
                    .trim_start_matches("http://");
                k == key.trim_start_matches("https://") || k.trim_end_matches('/') == key
            })
            .map(|(_, v)| v)
    });
    if let Some(auth) = saved.and_then(|v| v["auth"].as_str()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .with_context(|| format!("{}: the login for {key} is not base64", path.display()))?;
        let decoded = String::from_utf8_lossy(&decoded);
        let (username, secret) = decoded.split_once(':').ok_or_else(|| {
            anyhow!(
                "{}: the login for {key} is not user:password",
                path.display()
            )
        })?;
        return Ok(Some(Login {
            username: username.to_string(),
            secret: secret.to_string(),
        }));
    }
    match helper {
        Some(h) => from_helper(h, key),
        None => Ok(None),
    }
}

/// The login for `image`: the one `docker login` saved, else for an Amazon ECR registry a
/// token from ECR itself (GetAuthorizationToken with the AWS credential chain, valid 12 hours),
/// as `docker login` with ECR's credential helper would get it.
pub async fn login_or_ecr(image: &str) -> Result<Option<Login>> {
    if let Some(login) = login_for(image)? {
        return Ok(Some(login));
    }
    let reference = Reference::parse(image)?;
    match ecr_registry(&reference.registry) {
        Some((account, region)) => ecr_login(account, region, None)
            .await
            .with_context(|| format!("image `{image}`"))
            .map(Some),
        None => Ok(None),
    }
}

/// The account and region of an Amazon ECR registry host
/// (`123456789012.dkr.ecr.us-east-1.amazonaws.com`, also `dkr.ecr-fips` and `.amazonaws.com.cn`).
pub fn ecr_registry(host: &str) -> Option<(&str, &str)> {
    let mut parts = host.split('.');
    let account = parts.next()?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if parts.next()? != "dkr" || !matches!(parts.next()?, "ecr" | "ecr-fips") {
        return None;
    }
    let region = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    matches!(
        rest.as_slice(),
        ["amazonaws", "com"] | ["amazonaws", "com", "cn"]
    )
    .then_some((account, region))
}

/// An ECR registry's login: user `AWS` and a token (good for every registry of the account the
/// credentials can read). `endpoint`: an ECR-compatible API instead
/// of AWS's (the SDK also reads `AWS_ENDPOINT_URL_ECR`).
pub async fn ecr_login(account: &str, region: &str, endpoint: Option<&str>) -> Result<Login> {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .load()
        .await;
    let mut b = aws_sdk_ecr::config::Builder::from(&config);
    if let Some(url) = endpoint {
        b = b.endpoint_url(url);
    }
    let client = aws_sdk_ecr::Client::from_conf(b.build());
    let answer = client.get_authorization_token().send().await.map_err(|e| {
        anyhow!(
            "cannot get an ECR login for account {account} in {region} (GetAuthorizationToken): {}",
            aws_sdk_ecr::error::DisplayErrorContext(&e)
        )
    })?;
    let token = answer
        .authorization_data()
        .first()
        .and_then(|d| d.authorization_token())
        .ok_or_else(|| anyhow!("ECR returned no authorization token for account {account}"))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .context("ECR's authorization token is not base64")?;
    let decoded = String::from_utf8_lossy(&decoded);
    let (username, secret) = decoded
        .split_once(':')
        .ok_or_else(|| anyhow!("ECR's authorization token is not user:password"))?;
    Ok(Login {
        username: username.to_string(),
        secret: secret.to_string(),
    })
}

fn from_helper(helper: &str, server: &str) -> Result<Option<Login>> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {program} (named by the Docker config)"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(server.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        // "credentials not found in native keychain": no login for this registry.
        return Ok(None);
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).with_context(|| format!("{program}: not JSON"))?;
    Ok(match (v["Username"].as_str(), v["Secret"].as_str()) {
        (Some(u), Some(s)) => Some(Login {
            username: u.to_string(),
            secret: s.to_string(),
        }),
        _ => None,
    })
}

/// The manifest digest (`sha256:…`) the registry serves for `image` now: one HEAD (two or three
/// requests with a token exchange). A digest reference is returned as it is.
pub async fn manifest_digest(image: &str, login: Option<&Login>) -> Result<String> {
    let r = Reference::parse(image)?;
    if r.reference.starts_with("sha256:") {
        return Ok(r.reference);
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("HTTP client")?;
    let url = format!(
        "{}/v2/{}/manifests/{}",
        r.base_url(),
        r.repository,
        r.reference
    );
    let head = |auth: Option<String>| {
        let mut req = client.head(&url).header("Accept", MANIFEST_TYPES);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req.send()
    };
    let basic = login.map(|l| {
        let pair = format!("{}:{}", l.username, l.secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    });
    let mut resp = head(None)
        .await
        .with_context(|| format!("cannot reach registry {}", r.registry))?;
    if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
        let challenge = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let auth = if challenge.to_ascii_lowercase().starts_with("bearer") {
            Some(format!(
                "Bearer {}",
                bearer_token(&client, &challenge, basic.as_deref()).await?
            ))
        } else {
            basic.clone()
        };
        resp = head(auth)
            .await
            .with_context(|| format!("cannot reach registry {}", r.registry))?;
    }
    match resp.status().as_u16() {
        200 => resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(String::from)
            .ok_or_else(|| anyhow!("registry {} sent no digest for `{image}`", r.registry)),
        401 | 403 => bail!(
            "registry {} refused `{image}`{}",
            r.registry,
            if login.is_some() {
                " with the saved login"
            } else {
                " (no login saved for it: `docker login`)"
            }
        ),
        404 => bail!("`{image}`: no such image or tag in registry {}", r.registry),
        s => bail!("registry {} answered {s} for `{image}`", r.registry),
    }
}

/// A token from the realm a `WWW-Authenticate: Bearer realm=…,service=…,scope=…` challenge
/// names (Docker Hub, GHCR, Quay), asked with the login when there is one.
async fn bearer_token(
    client: &reqwest::Client,
    challenge: &str,
    basic: Option<&str>,
) -> Result<String> {
    let params: HashMap<String, String> = challenge
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .split(',')
        .filter_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            Some((k.to_ascii_lowercase(), v.trim_matches('"').to_string()))
        })
        .collect();
    let realm = params
        .get("realm")
        .ok_or_else(|| anyhow!("registry challenge without a realm: {challenge}"))?;
    let query: Vec<(&str, &str)> = ["service", "scope"]
        .iter()
        .filter_map(|k| params.get(*k).map(|v| (*k, v.as_str())))
        .collect();
    let mut req = client.get(realm).query(&query);
    if let Some(b) = basic {
        req = req.header("Authorization", b);
    }
    let v: serde_json::Value = req
        .send()
        .await
        .with_context(|| format!("cannot reach {realm}"))?
        .error_for_status()
        .with_context(|| format!("{realm} refused a token"))?
        .json()
        .await
        .with_context(|| format!("{realm}: not JSON"))?;
    v["token"]
        .as_str()
        .or_else(|| v["access_token"].as_str())
        .map(String::from)
        .ok_or_else(|| anyhow!("{realm} sent no token"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ecr_hosts_are_told_from_other_registries() {
        use super::ecr_registry;
        assert_eq!(
            ecr_registry("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some(("123456789012", "eu-west-1"))
        );
        assert_eq!(
            ecr_registry("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"),
            Some(("123456789012", "us-gov-west-1"))
        );
        assert_eq!(
            ecr_registry("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
            Some(("123456789012", "cn-north-1"))
        );
        for other in [
            "public.ecr.aws",
            "ghcr.io",
            "127.0.0.1:5050",
            "12345.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
        ] {
            assert_eq!(ecr_registry(other), None, "{other}");
        }
    }

    use super::*;

    #[test]
    fn docker_hub_names_are_one_registry_and_mirrors_rewrite_them() {
        for name in [
            "ubuntu:22.04",
            "docker.io/ubuntu:22.04",
            "docker.io/library/ubuntu:22.04",
        ] {
            let r = Reference::parse(name).unwrap();
            assert_eq!(
                (r.registry.as_str(), r.repository.as_str()),
                (DOCKER_HUB_REGISTRY, "library/ubuntu"),
                "{name}"
            );
        }
        let mirrors = vec![
            (
                "docker.io".to_string(),
                "1.dkr.ecr.us-east-1.amazonaws.com/docker-hub/".to_string(),
            ),
            ("quay.io".to_string(), "mirror.lab/quay".to_string()),
        ];
        assert_eq!(
            mirrored("docker.io/ubuntu:22.04", &mirrors).as_deref(),
            Some("1.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/ubuntu:22.04")
        );
        assert_eq!(
            mirrored("biocontainers/samtools@sha256:ab", &mirrors).as_deref(),
            Some("1.dkr.ecr.us-east-1.amazonaws.com/docker-hub/biocontainers/samtools@sha256:ab")
        );
        assert_eq!(
            mirrored("quay.io/biocontainers/bwa:0.7", &mirrors).as_deref(),
            Some("mirror.lab/quay/biocontainers/bwa:0.7")
        );
        assert_eq!(mirrored("ghcr.io/o/i:1", &mirrors), None);
    }

    #[test]
    fn references_split_into_registry_repository_and_tag() {
        let r = |s: &str| {
            let r = Reference::parse(s).unwrap();
            (r.registry, r.repository, r.reference)
        };
        let hub = "registry-1.docker.io".to_string();
        assert_eq!(
            r("ubuntu"),
            (hub.clone(), "library/ubuntu".into(), "latest".into())
        );
        assert_eq!(
            r("biocontainers/samtools:1.16"),
            (hub, "biocontainers/samtools".into(), "1.16".into())
        );
        assert_eq!(
            r("127.0.0.1:5050/ferry/busybox:1"),
            ("127.0.0.1:5050".into(), "ferry/busybox".into(), "1".into())
        );
        assert_eq!(
            r("localhost:5000/x"),
            ("localhost:5000".into(), "x".into(), "latest".into())
        );
        assert_eq!(
            r("ghcr.io/o/i@sha256:abc"),
            ("ghcr.io".into(), "o/i".into(), "sha256:abc".into())
        );
        assert_eq!(
            Reference::parse("127.0.0.1:5050/x").unwrap().base_url(),
            "http://127.0.0.1:5050"
        );
        assert_eq!(
            Reference::parse("ghcr.io/o/i").unwrap().base_url(),
            "https://ghcr.io"
        );
    }
}
