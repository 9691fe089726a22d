//! End-to-end: what a careless or hostile task cannot do. Each test runs the real `ferry`
//! binary on a task written to misbehave.

mod common;

use common::{project, run};

/// Links inside a Directory output never make Ferry walk or publish anything outside it: a
/// link to a host directory, to `/`, to a host file or to nothing fails the task naming the
/// link; links within the directory are published as (relative) links, and the call is cached.
#[test]
fn directory_outputs_never_follow_links_out_of_the_tree() {
    for (name, link) in [
        ("host_dir", "ln -s /etc d/stolen"),
        ("root", "ln -s / d/root"),
        ("host_file", "ln -s /etc/hostname d/host"),
        ("dangling", "ln -s /nonexistent/x d/gone"),
    ] {
        let wdl = format!(
            "version 1.2\ntask t {{\n  command <<<\n    mkdir d && echo x > d/x.txt && {link}\n  >>>\n  output {{ Directory o = \"d\" }}\n}}\n"
        );
        let file = format!("{name}.wdl");
        let dir = project(&[(&file, &wdl)]);
        let r = run(dir.path(), &file, &[]);
        assert_eq!(r.code, 1, "{name}: {}", r.stderr);
        let link_name = link.rsplit(' ').next().unwrap_or_default();
        assert!(
            r.stderr.contains(&format!("link ")) && r.stderr.contains(link_name),
            "{name}: {}",
            r.stderr
        );
        assert!(
            !r.run_dir.join("out").exists(),
            "{name}: something published"
        );
    }

    let wdl = r#"version 1.2
task t {
  command <<<
    mkdir -p d/sub && echo a > d/sub/a.txt
    ln -s sub/a.txt d/alias
    ln -s sub d/subalias
    ln -s .. d/sub/up
  >>>
  output { Directory o = "d" }
}
"#;
    let dir = project(&[("ok.wdl", wdl)]);
    let r = run(dir.path(), "ok.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = std::path::PathBuf::from(r.outputs()["t.o"].as_str().expect("o"));
    assert!(out.starts_with(r.run_dir.join("out")), "{}", out.display());
    let alias = out.join("alias");
    assert_eq!(
        std::fs::read_link(&alias).expect("alias is a link"),
        std::path::PathBuf::from("sub/a.txt")
    );
    assert_eq!(std::fs::read_to_string(&alias).expect("alias"), "a\n");
    assert_eq!(
        std::fs::read_link(out.join("subalias")).expect("link"),
        std::path::PathBuf::from("sub")
    );
    assert_eq!(
        std::fs::read_link(out.join("sub/up")).expect("link"),
        std::path::PathBuf::from("..")
    );
    // The call was recorded in the cache (a link to a directory used to prevent that).
    assert!(!r.stderr.contains("could not be recorded"), "{}", r.stderr);
    let again = run(dir.path(), "ok.wdl", &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        !again.run_dir.join("calls/t/attempt-1").exists(),
        "the second run ran the task again instead of using the cache"
    );
}
