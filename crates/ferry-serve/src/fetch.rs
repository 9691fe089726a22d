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
    allowed: Vec<UrlPrefix>,
    max_bytes: usize,
}

/// An allowed URL prefix, compared by its parts: scheme, host, port and whole path segments
/// (`https://h/allowed` covers `https://h/allowed/x.wdl`, not `https://h/allowed-evil/x.wdl`).
#[derive(Clone, Debug)]
pub struct UrlPrefix {
    host: String,
    port: Option<u16>,
    segments: Vec<String>,
}

impl UrlPrefix {
    pub fn parse(prefix: &str) -> Result<UrlPrefix> {
        let url = url::Url::parse(prefix).with_context(|| format!("{prefix}: not a URL"))?;
        if url.scheme() != "https" {
            bail!("{prefix}: only https:// URLs may be allowed");
        }
        if !url.username().is_empty() || url.password().is_some() {
            bail!("{prefix}: a URL with a user name or password");
        }
        if url.query().is_some() || url.fragment().is_some() {
            bail!("{prefix}: a URL prefix has no query or fragment");
        }
        Ok(UrlPrefix {
            host: url.host_str().context("a URL without a host")?.to_string(),
            port: url.port_or_known_default(),
            segments: segments(&url),
        })
    }

    pub fn covers(&self, url: &url::Url) -> bool {
        url.scheme() == "https"
            && url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none()
            && url.host_str() == Some(self.host.as_str())
            && url.port_or_known_default() == self.port
            && segments(url).starts_with(&self.segments)
    }
}

/// A URL's path segments without empty ones (`/a//b/` is `a`, `b`).
fn segments(url: &url::Url) -> Vec<String> {
    url.path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

impl Fetcher {
    /// `allowed`: URL prefixes (`https://host/path/`); `ca`: a PEM file of extra certificate
    /// authorities to trust (an in-house server's).
    pub fn new(allowed: Vec<String>, ca: Option<&Path>, max_bytes: usize) -> Result<Fetcher> {
        let allowed = allowed
            .iter()
            .map(|p| UrlPrefix::parse(p).context("--allow-workflow-url"))
            .collect::<Result<Vec<_>>>()?;
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
        self.allowed.iter().any(|p| p.covers(url))
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

/// Checks what a submitted workflow imports, transitively, before it may run: a local import
/// must stay under `roots` (the run's own workflow directory, the `--workflow-root`s), and an
/// import by URL must be under a prefix the server may fetch from (then the run's WDL loader
/// fetches it). Documents the server fetched (`fetched/`) were checked when fetched.
pub fn check_imports(main: &Path, fetcher: Option<&Fetcher>, roots: &[PathBuf]) -> Result<()> {
    let mut todo = vec![main.to_path_buf()];
    let mut seen = std::collections::HashSet::new();
    while let Some(doc) = todo.pop() {
        let real = doc
            .canonicalize()
            .with_context(|| format!("{}: no such document", doc.display()))?;
        if !roots.iter().any(|r| real.starts_with(r)) {
            bail!(
                "{} is outside the directories this server reads workflows from",
                doc.display()
            );
        }
        if !seen.insert(real.clone()) {
            continue;
        }
        if seen.len() > MAX_DOCUMENTS {
            bail!(
                "{} imports more than {MAX_DOCUMENTS} documents",
                main.display()
            );
        }
        let text = std::fs::read_to_string(&real)
            .with_context(|| format!("cannot read {}", doc.display()))?;
        for import in imports(&text) {
            if import.contains("://") {
                let url = url::Url::parse(&import).with_context(|| {
                    format!("{}: import {import:?} is not a URL", doc.display())
                })?;
                if url.scheme() == "file" {
                    let path = url.to_file_path().map_err(|_| {
                        anyhow::anyhow!("{}: import {import:?} is not a path", doc.display())
                    })?;
                    todo.push(path);
                } else if !fetcher.is_some_and(|f| f.allows(&url)) {
                    bail!(
                        "{} imports {import}, which this server may not fetch (see --allow-workflow-url)",
                        doc.display()
                    );
                }
                continue;
            }
            let base = real.parent().unwrap_or(Path::new("/"));
            todo.push(base.join(&import));
        }
    }
    Ok(())
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

    #[test]
    fn prefixes_match_whole_segments_host_and_port() {
        let p = UrlPrefix::parse("https://h/allowed").expect("prefix");
        let covers = |u: &str| p.covers(&url::Url::parse(u).expect("url"));
        assert!(covers("https://h/allowed/x.wdl"));
        assert!(covers("https://h:443/allowed/a/b.wdl"));
        assert!(covers("https://H/allowed/x.wdl"));
        assert!(!covers("https://h/allowed-evil/x.wdl"));
        assert!(!covers("https://h@127.0.0.1:8443/allowed/x.wdl"));
        assert!(!covers("https://h/allowed@127.0.0.1/x.wdl") || p.host == "h");
        assert!(!covers("https://user:pw@h/allowed/x.wdl"));
        assert!(!covers("https://h:8443/allowed/x.wdl"));
        assert!(!covers("http://h/allowed/x.wdl"));
        assert!(!covers("https://h/allowed/../other/x.wdl"));
        assert!(!covers("https://h/allowed/x.wdl?y=1"));
        assert!(UrlPrefix::parse("https://u@h/").is_err());
        assert!(UrlPrefix::parse("http://h/").is_err());
    }
}
