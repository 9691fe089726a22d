//! `ferry serve` is safe by default: every request needs a token (one the server makes when
//! the operator gives none), the live page's session works only from the server's own pages,
//! each token sees only its own runs, and no client steps around the operator's settings
//! (profiles, configuration, host files, imports by URL). Each through HTTP, against the
//! release binary.

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::serve::{Server, nanos, write};
use serde_json::Value;

/// A request exactly as given (no token unless a header carries it): `(status, headers, body)`.
fn raw(server: &Server, method: &str, path: &str, extra: &[String]) -> (u16, Value, String) {
    let mut args = vec!["raw".to_string(), method.to_string(), path.to_string()];
    args.extend(extra.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out: Value = serde_json::from_str(&server.wes(&args)).expect("raw JSON");
    (
        out["status"].as_u64().unwrap_or(0) as u16,
        out["headers"].clone(),
        out["body"].as_str().unwrap_or_default().to_string(),
    )
}

fn bearer(token: &str) -> String {
    format!("H:Authorization=Bearer {token}")
}

const HELLO: &str = r#"version 1.1
workflow hello {
  input { String who = "world" }
  output { String greeting = "hello ~{who}" }
}
"#;

#[test]
fn every_request_needs_a_token_and_a_session_works_only_from_the_servers_own_pages() {
    let dir = tempfile::tempdir().expect("tmp");
    let runs = dir.path().join("runs");
    let server = Server::start(&runs, &[]);
    // The server made its token, private to its user, and said where it is.
    let token_file = runs.join("token");
    let mode = std::fs::metadata(&token_file)
        .expect("token")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    assert_eq!(
        std::fs::metadata(&runs).expect("runs").permissions().mode() & 0o777,
        0o700
    );
    let log = std::fs::read_to_string(&server.log).unwrap_or_default();
    assert!(log.contains(&token_file.display().to_string()), "{log}");
    let token = server.token.clone();
    assert!(token.len() >= 32);
    // No token, a wrong one, from any origin: 401 on every route, the submission too.
    for path in [
        "/ga4gh/wes/v1/runs",
        "/ga4gh/wes/v1/service-info",
        "/ferry/api/runs",
        "/ga4gh/wes/v1/openapi.json",
    ] {
        let (status, _, body) = raw(&server, "GET", path, &[]);
        assert_eq!(status, 401, "{path}: {body}");
        let (status, _, _) = raw(&server, "GET", path, &[bearer("not-the-token-at-all")]);
        assert_eq!(status, 401, "{path}");
    }
    let evil_form = [
        "H:Origin=http://evil.example".to_string(),
        "F:workflow_type=WDL".to_string(),
        "F:workflow_url=x.wdl".to_string(),
    ];
    let (status, _, _) = raw(&server, "POST", "/ga4gh/wes/v1/runs", &evil_form);
    assert_eq!(status, 401);
    // The scheme in any case; a bearer token from any origin.
    let (status, _, body) = raw(
        &server,
        "GET",
        "/ga4gh/wes/v1/runs",
        &[
            format!("H:Authorization=bEaReR {token}"),
            "H:Origin=http://evil.example".into(),
        ],
    );
    assert_eq!(status, 200, "{body}");
    // The page: a login form, then a session cookie (HttpOnly, SameSite=Strict).
    let (status, _, body) = raw(&server, "GET", "/", &[]);
    assert_eq!(status, 200);
    assert!(body.contains("/ferry/login"), "{body}");
    let own = format!("H:Origin=http://{}", server.host);
    let (status, _, _) = raw(
        &server,
        "POST",
        "/ferry/login",
        &["D:token=wrong-token-wrong-token".into(), own.clone()],
    );
    assert_eq!(status, 401);
    let (status, _, _) = raw(
        &server,
        "POST",
        "/ferry/login",
        &[
            format!("D:token={token}"),
            "H:Origin=http://evil.example".into(),
        ],
    );
    assert_eq!(status, 403, "a login from another site's page");
    let (status, headers, _) = raw(
        &server,
        "POST",
        "/ferry/login",
        &[format!("D:token={token}"), own.clone()],
    );
    assert_eq!(status, 303);
    let set = headers["set-cookie"]
        .as_str()
        .expect("a cookie")
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = format!("H:Cookie={}", set.split(';').next().expect("cookie"));
    let (status, _, body) = raw(
        &server,
        "GET",
        "/ferry/api/runs",
        std::slice::from_ref(&cookie),
    );
    assert_eq!(status, 200, "{body}");
    // The same cookie, sent by another site's page or to another host name: refused.
    let mut from_evil = evil_form.to_vec();
    from_evil.push(cookie.clone());
    let (status, _, _) = raw(&server, "POST", "/ga4gh/wes/v1/runs", &from_evil);
    assert_eq!(status, 401);
    let (status, _, _) = raw(
        &server,
        "GET",
        "/ferry/api/runs",
        &[cookie.clone(), "H:Host=evil.example".into()],
    );
    assert_eq!(status, 401, "a rebound host name");
    // A second server on the same runs directory: refused, by a lock on the directory itself.
    let out = common::ferry()
        .args(["serve", "--listen", "127.0.0.1:0", "--runs-dir"])
        .arg(&runs)
        .output()
        .expect("ferry serve");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another server is serving"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_token_file_others_may_read_is_refused_and_each_token_sees_only_its_own_runs() {
    let dir = tempfile::tempdir().expect("tmp");
    let tokens = write(
        dir.path(),
        "tokens",
        "alice:alice-token-0123456789\nbob:bob-token-0123456789ab\n",
    );
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = common::ferry()
        .args(["serve", "--listen", "127.0.0.1:0", "--runs-dir"])
        .arg(dir.path().join("runs"))
        .arg("--token-file")
        .arg(&tokens)
        .output()
        .expect("ferry serve");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("chmod 600"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let mut server = Server::start(
        &dir.path().join("runs"),
        &["--token-file", &tokens.display().to_string()],
    );
    server.token = "alice-token-0123456789".into();
    let wdl = write(dir.path(), "hello.wdl", HELLO);
    let inputs = write(dir.path(), "in.json", "{}");
    let id = server.submit(&wdl, &inputs, &[]);
    assert_eq!(server.wait(&id)["state"], "COMPLETE");
    let bob = bearer("bob-token-0123456789ab");
    let (_, _, body) = raw(
        &server,
        "GET",
        "/ga4gh/wes/v1/runs",
        std::slice::from_ref(&bob),
    );
    let listed: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(listed["runs"].as_array().map(Vec::len), Some(0), "{body}");
    for (method, path) in [
        ("GET", format!("/ga4gh/wes/v1/runs/{id}")),
        ("GET", format!("/ga4gh/wes/v1/runs/{id}/status")),
        ("GET", format!("/ga4gh/wes/v1/runs/{id}/tasks")),
        ("POST", format!("/ga4gh/wes/v1/runs/{id}/cancel")),
        ("GET", format!("/ferry/runs/{id}/stderr")),
        ("GET", format!("/ferry/runs/{id}/report")),
    ] {
        let (status, _, _) = raw(&server, method, &path, std::slice::from_ref(&bob));
        assert_eq!(status, 404, "bob {method} {path}");
    }
    let alice = bearer("alice-token-0123456789");
    let (status, _, body) = raw(
        &server,
        "GET",
        &format!("/ferry/runs/{id}/stderr"),
        std::slice::from_ref(&alice),
    );
    assert_eq!(status, 200, "{body}");
    // A range of the log, as asked.
    let (status, headers, part) = raw(
        &server,
        "GET",
        &format!("/ferry/runs/{id}/stderr"),
        &[alice, "H:Range=bytes=0-9".into()],
    );
    assert_eq!(status, 206);
    assert_eq!(part.len(), 10);
    assert_eq!(part, body[..10]);
    assert!(
        headers["content-range"]
            .as_str()
            .is_some_and(|r| r.starts_with("bytes 0-9/"))
    );
    // The run records who submitted it.
    let record: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("runs").join(&id).join("record.json")).expect("record"),
    )
    .expect("json");
    assert_eq!(record["submitter"], "alice");
    // What alice's run made is hers: bob cannot name it as an input (the input root holds the
    // runs directory), nor the server's database; alice can.
    let made = walk_files(&dir.path().join("runs").join(&id).join("run"))
        .into_iter()
        .next()
        .expect("a file alice's run made");
    let reader = write(
        dir.path(),
        "reader.wdl",
        "version 1.1\nworkflow reader {\n  input { File f }\n  output { String text = read_string(f) }\n}\n",
    );
    server.token = "bob-token-0123456789ab".into();
    for theirs in [made.clone(), dir.path().join("runs").join("runs.sqlite")] {
        let inputs = write(
            dir.path(),
            "theirs.json",
            &format!(r#"{{"reader.f": "{}"}}"#, theirs.display()),
        );
        let refused = server_submit_error(&server, &reader, &inputs, &[]);
        assert!(refused.contains("reader.f"), "{refused}");
    }
    // Named by the workflow itself, it fails bob's run as it reads.
    let sneaky = write(
        dir.path(),
        "sneaky.wdl",
        &format!(
            "version 1.1\nworkflow sneaky {{\n  output {{ String text = read_string(\"{}\") }}\n}}\n",
            made.display()
        ),
    );
    let empty = write(dir.path(), "empty.json", "{}");
    let id_bob = server.submit(&sneaky, &empty, &[]);
    assert_ne!(server.wait(&id_bob)["state"], "COMPLETE");
    server.token = "alice-token-0123456789".into();
    let mine = write(
        dir.path(),
        "mine.json",
        &format!(r#"{{"reader.f": "{}"}}"#, made.display()),
    );
    let id = server.submit(&reader, &mine, &[]);
    assert_eq!(server.wait(&id)["state"], "COMPLETE");
}

/// The regular files under `dir`, depth first.
fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(walk_files(&p)),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
    out
}

/// What a client sends cannot change where or how the operator's server runs things.
#[test]
fn clients_cannot_step_around_the_operators_settings() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = Server::start(&dir.path().join("runs"), &[]);
    let wdl = write(dir.path(), "hello.wdl", HELLO);
    let inputs = write(dir.path(), "in.json", "{}");
    // A profile the operator did not allow.
    let (status, _, body) = raw(
        &server,
        "POST",
        "/ga4gh/wes/v1/runs",
        &[
            bearer(&server.token),
            "F:workflow_type=WDL".into(),
            "F:workflow_url=file:///nonexistent.wdl".into(),
            r#"F:workflow_engine_parameters={"profile": "docker"}"#.into(),
        ],
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("profile docker"), "{body}");
    // An attached ferry.toml is never read (this one would fail the run if it were).
    let toml = write(dir.path(), "ferry.toml", "[defaults]\nretries = \"lots\"\n");
    let id = server.submit(&wdl, &inputs, &[&toml]);
    assert_eq!(server.wait(&id)["state"], "COMPLETE");
    // A host file outside the input roots, as an input: refused at submission, naming it.
    let elsewhere = tempfile::tempdir().expect("tmp");
    let secret = write(
        elsewhere.path(),
        "secret.txt",
        &format!("secret {}\n", nanos()),
    );
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let reader = write(
        dir.path(),
        "reader.wdl",
        r#"version 1.1
workflow reader {
  input { File f }
  output { String text = read_string(f) }
}
"#,
    );
    let outside = write(
        dir.path(),
        "outside.json",
        &format!(r#"{{"reader.f": "{}"}}"#, secret.display()),
    );
    let refused = server_submit_error(&server, &reader, &outside, &[]);
    assert!(
        refused.contains("reader.f") && refused.contains("--input-root"),
        "{refused}"
    );
    // The same file named by the workflow itself, in a workflow-level read_string.
    let sneaky = write(
        dir.path(),
        "sneaky.wdl",
        &format!(
            "version 1.1\nworkflow sneaky {{\n  output {{ String text = read_string(\"{}\") }}\n}}\n",
            secret.display()
        ),
    );
    let id = server.submit(&sneaky, &inputs, &[]);
    let log = server.wait(&id);
    assert_ne!(log["state"], "COMPLETE", "{log}");
    assert!(!log.to_string().contains("secret "), "{log}");
    let (_, _, stderr) = raw(
        &server,
        "GET",
        &format!("/ferry/runs/{id}/stderr"),
        &[bearer(&server.token)],
    );
    assert!(
        stderr.contains("outside the directories this run may read"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret "), "{stderr}");
    // An import by URL the server does not allow: refused, nothing fetched.
    let importer = write(
        dir.path(),
        "importer.wdl",
        "version 1.1\nimport \"http://127.0.0.1:9/lib.wdl\" as lib\nworkflow importer {}\n",
    );
    let refused = server_submit_error(&server, &importer, &inputs, &[]);
    assert!(refused.contains("may not fetch"), "{refused}");
    // A local import that climbs out of the attachments.
    let climber = write(
        dir.path(),
        "climber.wdl",
        "version 1.1\nimport \"../../../../../../etc/hostname\" as h\nworkflow climber {}\n",
    );
    let refused = server_submit_error(&server, &climber, &inputs, &[]);
    assert!(refused.contains("outside"), "{refused}");
}

/// The error a submission got (it must have been refused).
fn server_submit_error(
    server: &Server,
    wdl: &Path,
    inputs: &Path,
    attachments: &[&Path],
) -> String {
    let mut args = vec![
        "submit".to_string(),
        wdl.display().to_string(),
        inputs.display().to_string(),
    ];
    args.extend(attachments.iter().map(|a| a.display().to_string()));
    let out = std::process::Command::new("python3")
        .arg(common::serve::fixture("wes.py"))
        .arg(&server.host)
        .args(&args)
        .env("WES_TOKEN", &server.token)
        .output()
        .expect("wes.py");
    assert!(
        !out.status.success(),
        "accepted: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// A task that makes its stdout a link to a host file gets that file neither into the run's
/// outputs nor out of the server's task-log URL.
#[test]
fn a_task_log_that_is_a_link_is_not_served() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = Server::start(&dir.path().join("runs"), &[]);
    let secret = write(dir.path(), "secret.txt", &format!("secret {}\n", nanos()));
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let wdl = write(
        dir.path(),
        "linker.wdl",
        &format!(
            r#"version 1.1
task linker {{
  command <<<
    echo hi
    rm -f ../stdout ../stderr && ln -s '{0}' ../stdout && ln -s '{0}' ../stderr
  >>>
  output {{ Int n = 1 }}
}}
workflow w {{ call linker }}
"#,
            secret.display()
        ),
    );
    let inputs = write(dir.path(), "in.json", "{}");
    let id = server.submit(&wdl, &inputs, &[]);
    let log = server.wait(&id);
    let (_, _, tasks) = raw(
        &server,
        "GET",
        &format!("/ga4gh/wes/v1/runs/{id}/tasks"),
        &[bearer(&server.token)],
    );
    let tasks: Value = serde_json::from_str(&tasks).expect("json");
    let task = tasks["task_logs"][0]["id"]
        .as_str()
        .expect("a task")
        .to_string();
    for which in ["stdout", "stderr"] {
        let (status, _, body) = raw(
            &server,
            "GET",
            &format!("/ferry/runs/{id}/tasks/{task}/{which}"),
            &[bearer(&server.token)],
        );
        assert_ne!(status, 200, "{which}: {body}");
        assert!(!body.contains("secret "), "{which}: {body}");
    }
    // A file of another kind under calls/ is not a task log either.
    let (status, _, _) = raw(
        &server,
        "GET",
        &format!("/ferry/runs/{id}/tasks/{task}/command"),
        &[bearer(&server.token)],
    );
    assert_eq!(status, 404);
    assert!(!log.to_string().contains("secret "), "{log}");
}

/// Clients that open connections and send half a request hold them only for the header
/// timeout, not for ever.
#[test]
fn a_half_sent_request_is_dropped_after_the_header_timeout() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = Server::start(&dir.path().join("runs"), &[]);
    let mut open: Vec<std::net::TcpStream> = (0..20)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&server.host).expect("connect");
            s.write_all(b"GET /ga4gh/wes/v1/runs HTTP/1.1\r\nHost: x\r\n")
                .expect("write");
            s
        })
        .collect();
    let started = Instant::now();
    for s in &mut open {
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut buf = [0u8; 512];
        // Closed (0 bytes) or answered 408, within the header timeout and a margin.
        let n = s.read(&mut buf).unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(n == 0 || text.contains("408"), "{text}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
    // The server still answers.
    let (status, _, _) = raw(
        &server,
        "GET",
        "/ga4gh/wes/v1/runs",
        &[bearer(&server.token)],
    );
    assert_eq!(status, 200);
}

/// With the server's lease socket gone (deleted, say), no attempt runs without a lease: each
/// waits, saying so in its run's log, instead of running past the server's limits.
#[test]
fn no_attempt_runs_without_the_servers_lease() {
    let dir = tempfile::tempdir().expect("tmp");
    let runs = dir.path().join("runs");
    let server = Server::start(&runs, &["--max-cpus", "2"]);
    std::fs::remove_file(runs.join("leases.sock")).expect("the lease socket");
    let marker = dir.path().join("ran");
    let wdl = write(
        dir.path(),
        "touch.wdl",
        &format!(
            "version 1.1\ntask t {{\n  command <<< touch '{}' >>>\n  runtime {{ cpu: 1 }}\n}}\nworkflow touch {{ call t }}\n",
            marker.display()
        ),
    );
    let inputs = write(dir.path(), "in.json", "{}");
    let id = server.submit(&wdl, &inputs, &[]);
    let log = runs.join(&id).join("stderr");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("no lease from the server")
    {
        assert!(
            Instant::now() < deadline,
            "{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    assert!(!marker.exists(), "a task ran without a lease");
    let (status, _, _) = raw(
        &server,
        "POST",
        &format!("/ga4gh/wes/v1/runs/{id}/cancel"),
        &[bearer(&server.token)],
    );
    assert_eq!(status, 200);
    assert_eq!(server.wait(&id)["state"], "CANCELED");
    assert!(!marker.exists());
}
