//! Who may use the server, and as whom. There is always a token: the operator's
//! (`--token-file`, one `name:token` per line; a line without `:` is the token named `default`)
//! or one the server makes at its first start (`RUNS_DIR/token`, mode 0600). Every request
//! carries one, as `Authorization: Bearer` (accepted from anywhere) or as the live page's
//! session cookie (accepted only from the server's own origin, so a web page the operator
//! opens cannot drive the server with it). The token's name is the request's `Caller`: runs
//! record who submitted them and each caller sees, reads and cancels only its own.

use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::wes::WesError;

/// The name of the token a request carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller(pub String);

const COOKIE: &str = "ferry_session";

struct Token {
    name: String,
    /// Compared by hash: `blake3::Hash` equality takes the same time whatever differs.
    hash: blake3::Hash,
    /// Signs this token's session cookies; changes with the token.
    session_key: [u8; 32],
}

/// The server's tokens.
pub struct Tokens {
    tokens: Vec<Token>,
}

impl Tokens {
    /// Reads a token file, refusing one that others may read.
    pub fn load(path: &Path) -> Result<Tokens> {
        let mut file =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "{} may be read by other users (mode {:o}): chmod 600 it",
                path.display(),
                mode & 0o777
            );
        }
        let mut text = String::new();
        file.read_to_string(&mut text)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Tokens::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// `name:token` lines; a line without `:` is the token named `default`.
    pub fn parse(text: &str) -> Result<Tokens> {
        let mut tokens: Vec<Token> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, secret) = line.split_once(':').unwrap_or(("default", line));
            let valid_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
            if !valid_name {
                bail!("line {}: {name:?} is not a token name", n + 1);
            }
            if secret.len() < 16 || secret.chars().any(char::is_whitespace) {
                bail!(
                    "line {}: the token of {name} must be at least 16 characters, without spaces",
                    n + 1
                );
            }
            if tokens.iter().any(|t| t.name == name) {
                bail!("line {}: a second token named {name}", n + 1);
            }
            tokens.push(Token {
                name: name.to_string(),
                hash: blake3::hash(secret.as_bytes()),
                session_key: blake3::derive_key("ferry-serve session cookie", secret.as_bytes()),
            });
        }
        if tokens.is_empty() {
            bail!("no token");
        }
        Ok(Tokens { tokens })
    }

    /// The server's own token in `runs_dir/token`: read if there, else made (mode 0600).
    pub fn generated(runs_dir: &Path) -> Result<(Tokens, PathBuf)> {
        let path = runs_dir.join("token");
        if path.exists() {
            return Ok((Tokens::load(&path)?, path));
        }
        let mut random = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut random))
            .context("cannot read /dev/urandom")?;
        let token = blake3::Hash::from(random).to_hex().to_string();
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(format!("{token}\n").as_bytes())?;
        file.sync_all()?;
        Ok((Tokens::parse(&token)?, path))
    }

    /// The name of the token `given` is, if any. Every token is compared, whichever matches.
    fn by_secret(&self, given: &str) -> Option<&str> {
        let hash = blake3::hash(given.as_bytes());
        let mut found = None;
        for t in &self.tokens {
            if t.hash == hash {
                found = Some(t.name.as_str());
            }
        }
        found
    }

    /// The session cookie's value for a token's holder: its name and a MAC of it.
    fn cookie_for(&self, name: &str) -> Option<String> {
        let t = self.tokens.iter().find(|t| t.name == name)?;
        let mac = blake3::keyed_hash(&t.session_key, name.as_bytes());
        Some(format!("{name}.{}", mac.to_hex()))
    }

    fn by_cookie(&self, value: &str) -> Option<&str> {
        let (name, mac) = value.rsplit_once('.')?;
        let given = blake3::Hash::from_hex(mac).ok()?;
        let t = self.tokens.iter().find(|t| t.name == name)?;
        (blake3::keyed_hash(&t.session_key, name.as_bytes()) == given).then_some(t.name.as_str())
    }
}

/// What the middleware checks requests against.
pub struct Gate {
    pub tokens: Tokens,
    /// `host[:port]` forms by which browsers reach this server: its listening address (and
    /// `localhost` when that is loopback) and each `--public-host`.
    pub own_hosts: Vec<String>,
}

impl Gate {
    pub fn new(tokens: Tokens, listen: std::net::SocketAddr, public_hosts: &[String]) -> Gate {
        let port = listen.port();
        let mut own_hosts = vec![listen.to_string()];
        if listen.ip().is_loopback() {
            own_hosts.push(format!("localhost:{port}"));
        }
        for h in public_hosts {
            own_hosts.push(h.to_ascii_lowercase());
        }
        Gate { tokens, own_hosts }
    }

    /// Whether a browser's request comes from this server's own pages: its `Host` is one of
    /// the server's and its `Origin`, when sent, is too. State-changing requests must send one.
    fn same_origin(&self, method: &Method, headers: &HeaderMap) -> bool {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase);
        if !host.is_some_and(|h| self.own_hosts.contains(&h)) {
            return false;
        }
        match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
            Some(origin) => {
                let origin = origin.to_ascii_lowercase();
                let authority = origin
                    .strip_prefix("http://")
                    .or_else(|| origin.strip_prefix("https://"));
                authority.is_some_and(|a| self.own_hosts.iter().any(|h| h == a))
            }
            None => matches!(*method, Method::GET | Method::HEAD),
        }
    }

    /// Who sent the request: `Ok(None)` when it carried no credentials at all.
    fn caller(&self, method: &Method, headers: &HeaderMap) -> Result<Option<Caller>, &'static str> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let value = value.to_str().unwrap_or_default().trim();
            let (scheme, secret) = value.split_once(' ').unwrap_or((value, ""));
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err("this server takes bearer tokens (Authorization: Bearer ...)");
            }
            return match self.tokens.by_secret(secret.trim()) {
                Some(name) => Ok(Some(Caller(name.to_string()))),
                None => Err("the bearer token is not one of this server's"),
            };
        }
        let Some(cookie) = session_cookie(headers) else {
            return Ok(None);
        };
        let Some(name) = self.tokens.by_cookie(&cookie) else {
            return Err("the session has ended: log in again at /");
        };
        if !self.same_origin(method, headers) {
            return Err("a session cookie is accepted only from this server's own pages");
        }
        Ok(Some(Caller(name.to_string())))
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

fn unauthorized(why: &str) -> Response {
    let mut response = WesError(StatusCode::UNAUTHORIZED, why.to_string()).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}

/// Every request but the login's must say who sends it.
pub async fn authorize(
    State(gate): State<Arc<Gate>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == "/ferry/login" {
        return next.run(request).await;
    }
    match gate.caller(request.method(), request.headers()) {
        Ok(Some(caller)) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        // The page, asked for by a browser that has not logged in: the login form.
        Ok(None) if path == "/" && request.method() == Method::GET => {
            login_page("").into_response()
        }
        Ok(None) => unauthorized(
            "this server needs a token: Authorization: Bearer <token> (the server printed where its token is)",
        ),
        Err(why) => unauthorized(why),
    }
}

fn login_page(message: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Ferry: log in</title></head>
<body><h1>Ferry</h1><p>{message}</p>
<form method="post" action="/ferry/login"><label>Token <input type="password" name="token" autofocus></label>
<button type="submit">Log in</button></form></body></html>"#
    ))
}

/// `GET /ferry/login`: the form. `POST /ferry/login` (`token=...`, from this server's own
/// page): a session cookie, HttpOnly and SameSite=Strict, then the page.
pub async fn login(State(gate): State<Arc<Gate>>, request: Request) -> Response {
    if request.method() == Method::GET {
        return login_page("").into_response();
    }
    if request.method() != Method::POST {
        return WesError(StatusCode::METHOD_NOT_ALLOWED, "log in with POST".into()).into_response();
    }
    if !gate.same_origin(request.method(), request.headers()) {
        return WesError(
            StatusCode::FORBIDDEN,
            "log in from this server's own page".into(),
        )
        .into_response();
    }
    let Ok(body) = axum::body::to_bytes(request.into_body(), 64 << 10).await else {
        return WesError(StatusCode::BAD_REQUEST, "the form is too large".into()).into_response();
    };
    let token = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let Some(name) = gate.tokens.by_secret(token.trim()) else {
        return (
            StatusCode::UNAUTHORIZED,
            login_page("That is not a token of this server."),
        )
            .into_response();
    };
    let Some(cookie) = gate.tokens.cookie_for(name) else {
        return unauthorized("no such token");
    };
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/".to_string()),
            (
                header::SET_COOKIE,
                format!("{COOKIE}={cookie}; HttpOnly; SameSite=Strict; Path=/"),
            ),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn tokens_are_named_and_checked() {
        let t = Tokens::parse("alice:aaaaaaaaaaaaaaaaaaaa\n\nbob:bbbbbbbbbbbbbbbbbbbb\n")
            .expect("parse");
        assert_eq!(t.by_secret("aaaaaaaaaaaaaaaaaaaa"), Some("alice"));
        assert_eq!(t.by_secret("bbbbbbbbbbbbbbbbbbbb"), Some("bob"));
        assert_eq!(t.by_secret("aaaaaaaaaaaaaaaaaaab"), None);
        let one = Tokens::parse("cccccccccccccccccccc").expect("parse");
        assert_eq!(one.by_secret("cccccccccccccccccccc"), Some("default"));
        assert!(Tokens::parse("short").is_err());
        assert!(Tokens::parse("a b:cccccccccccccccccccc").is_err());
        assert!(Tokens::parse("").is_err());
    }

    #[test]
    fn cookies_work_only_from_the_servers_own_origin() {
        let tokens = Tokens::parse("alice:aaaaaaaaaaaaaaaaaaaa").expect("parse");
        let cookie = tokens.cookie_for("alice").expect("cookie");
        let gate = Gate::new(tokens, "127.0.0.1:8000".parse().expect("addr"), &[]);
        let c = format!("{COOKIE}={cookie}");
        let ok = headers(&[("host", "127.0.0.1:8000"), ("cookie", &c)]);
        assert_eq!(
            gate.caller(&Method::GET, &ok),
            Ok(Some(Caller("alice".into())))
        );
        // A POST from the page itself; one from another site; one without an Origin.
        let own = headers(&[
            ("host", "localhost:8000"),
            ("origin", "http://localhost:8000"),
            ("cookie", &c),
        ]);
        assert!(gate.caller(&Method::POST, &own).is_ok());
        let evil = headers(&[
            ("host", "127.0.0.1:8000"),
            ("origin", "http://evil.example"),
            ("cookie", &c),
        ]);
        assert!(gate.caller(&Method::POST, &evil).is_err());
        let bare = headers(&[("host", "127.0.0.1:8000"), ("cookie", &c)]);
        assert!(gate.caller(&Method::POST, &bare).is_err());
        // DNS rebinding: the browser thinks it talks to evil.example.
        let rebound = headers(&[("host", "evil.example:8000"), ("cookie", &c)]);
        assert!(gate.caller(&Method::GET, &rebound).is_err());
        // A forged cookie.
        let forged = headers(&[
            ("host", "127.0.0.1:8000"),
            ("cookie", "ferry_session=alice.00"),
        ]);
        assert!(gate.caller(&Method::GET, &forged).is_err());
        // A bearer token from anywhere, the scheme in any case.
        let bearer = headers(&[
            ("origin", "http://evil.example"),
            ("authorization", "bEaReR aaaaaaaaaaaaaaaaaaaa"),
        ]);
        assert_eq!(
            gate.caller(&Method::POST, &bearer),
            Ok(Some(Caller("alice".into())))
        );
        assert_eq!(gate.caller(&Method::GET, &headers(&[])), Ok(None));
    }
}
