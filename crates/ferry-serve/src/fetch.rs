//! Workflows named by `https://` URL (Dockstore and Terra submit them so), fetched only when
//! the URL is under a prefix the server was given (`--allow-workflow-url`): the document and,
//! following its `import` lines, every document it imports by relative path, each also under
//! an allowed prefix. Each is kept at `fetched/<host>/<path>` in the run's workflow directory,
//! so relative imports (`../tasks/align.wdl` too) resolve as they did on the web server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// The most documents one workflow may import, transitively.
const MAX_DOCUMENTS: usize = 200;

pub struct Fetcher {
    client: reqwest::Client,
    allowed: Vec<String>,
    max_bytes: usize,
}

impl Fetcher {
    /// `allowed`: URL prefixes (`https://host/path/`); `ca`: a PEM file of extra certificate
    /// authorities to trust (an in-house server's).
    pub fn new(allowed: Vec<String>, ca: Option<&Path>, max_bytes: usize) -> Result<Fetcher> {
        for prefix in &allowed {
            let url = url::Url::parse(prefix)
                .with_context(|| format!("--allow-workflow-url {prefix}: not a URL"))?;
            if url.scheme() != "https" {
                bail!("--allow-workflow-url {prefix}: only https:// URLs may be allowed");
            }
        }
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(ca) = ca {
            let pem = std::fs::read(ca)
                .with_context(|| format!("cannot read --workflow-ca {}", ca.display()))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("--workflow-ca {}: not PEM certificates", ca.display()))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        Ok(Fetcher {
            client: builder.build().context("cannot make an HTTPS client")?,
            allowed,
            max_bytes,
        })
    }

    /// Whether the server may fetch `url`.
    pub fn allows(&self, url: &url::Url) -> bool {
        url.scheme() == "https"
            && url.query().is_none()
            && self
                .allowed
                .iter()
                .any(|p| url.as_str().starts_with(p.as_str()))
    }

    /// Fetches the workflow at `url` and what it imports into `dir`; the main document's path
    /// relative to `dir`.
    pub async fn fetch(&self, url: &str, dir: &Path) -> Result<PathBuf> {
        let main = url::Url::parse(url).with_context(|| format!("{url}: not a URL"))?;
        if !self.allows(&main) {
            bail!("{url} is not under a URL this server may fetch from (--allow-workflow-url)");
        }
        let mut todo = vec![main.clone()];
        let mut seen = std::collections::HashSet::new();
        while let Some(next) = todo.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            if seen.len() > MAX_DOCUMENTS {
                bail!("{url} imports more than {MAX_DOCUMENTS} documents");
            }
            let text = self.get(&next).await?;
            for import in imports(&text) {
                if import.contains("://") {
                    continue;
                }
                let target = next
                    .join(&import)
                    .with_context(|| format!("{next}: import {import:?} is not a path"))?;
                if !self.allows(&target) {
                    bail!(
                        "{next} imports {target}, which is not under a URL this server may fetch from"
                    );
                }
                todo.push(target);
            }
            let rel = local_path(&next)?;
            let dest = dir.join(&rel);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&dest, text)
                .with_context(|| format!("cannot write {}", dest.display()))?;
        }
        local_path(&main)
    }

    async fn get(&self, url: &url::Url) -> Result<String> {
        let mut response = self
            .client
            .get(url.clone())
            .send()
            .await
            .with_context(|| format!("cannot fetch {url}"))?;
        if !response.status().is_success() {
            bail!("{url}: the server answered {}", response.status());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .with_context(|| format!("cannot fetch {url}"))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > self.max_bytes {
                bail!("{url} is larger than {} bytes", self.max_bytes);
            }
        }
        String::from_utf8(body).with_context(|| format!("{url} is not UTF-8 text"))
    }
}

/// Where a fetched document is kept: `fetched/<host>[_<port>]/<path>`, only plain path parts.
fn local_path(url: &url::Url) -> Result<PathBuf> {
    let host = url.host_str().context("a URL without a host")?;
    let mut path = PathBuf::from("fetched");
    path.push(match url.port() {
        Some(port) => format!("{host}_{port}"),
        None => host.to_string(),
    });
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    if segments.is_empty() {
        bail!("{url} names no file");
    }
    for segment in segments {
        let decoded = percent_decode(segment);
        if decoded == "." || decoded == ".." || decoded.contains('/') || decoded.contains('\0') {
            bail!("{url}: {segment:?} is not a plain file name");
        }
        path.push(decoded);
    }
    Ok(path)
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The paths of a WDL document's `import "..."` statements.
fn imports(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("import")?;
            let rest = rest.trim_start();
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let inner = &rest[1..];
            inner.find(quote).map(|end| inner[..end].to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_and_local_paths() {
        let text =
            "version 1.0\nimport \"../tasks/a.wdl\" as a\n  import 'b.wdl'\n# import \"c\"\n";
        assert_eq!(imports(text), ["../tasks/a.wdl", "b.wdl"]);
        let url = url::Url::parse("https://h:8443/w/pipelines/x.wdl").expect("url");
        assert_eq!(
            local_path(&url).expect("path"),
            Path::new("fetched/h_8443/w/pipelines/x.wdl")
        );
        let up = url.join("../../../../etc/passwd").expect("join");
        // The URL itself cannot climb above its root, so neither can the path.
        assert_eq!(
            local_path(&up).expect("path"),
            Path::new("fetched/h_8443/etc/passwd")
        );
        let bad = url::Url::parse("https://h/w/a%2Fb.wdl").expect("url");
        assert!(local_path(&bad).is_err());
    }
}
