//! `ferry inputs` (an inputs template) and `ferry validate` (inputs checked without a run).

mod common;

const W: &str = r#"version 1.0
task t {
  input { File f  Int n  String s = "x" }
  command <<< cat ~{f} >>>
  output { String o = read_string(stdout()) }
}
workflow w {
  input {
    File reads
    Int threads = 4
    String? label
    Array[String] names = ["a",
      "b"]
  }
  call t { input: f = reads }
  output { String o = t.o }
}
"#;

fn ferry(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = common::ferry()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_template_lists_every_input_with_its_type_and_default_and_filled_in_it_validates() {
    let dir = common::project(&[("w.wdl", W), ("reads.txt", "hi\n")]);
    let (code, out, err) = ferry(dir.path(), &["inputs", "w.wdl"]);
    assert_eq!(code, 0, "{err}");
    let t: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        t,
        serde_json::json!({
            "w.reads": "File",
            "w.threads": "Int (optional, default = 4)",
            "w.label": "String? (optional)",
            "w.names": "Array[String] (optional, default = [\"a\", \"b\"])",
            "w.t.n": "Int",
        })
    );
    // In declaration order, the call's open input last.
    let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["w.reads", "w.threads", "w.label", "w.names", "w.t.n"]
    );
    let (code, out, _) = ferry(
        dir.path(),
        &["inputs", "w.wdl", "--format", "yaml", "--required"],
    );
    assert_eq!(code, 0);
    assert_eq!(out, "w.reads: File\nw.t.n: Int\n");
    // A task of the document on its own.
    let (_, out, _) = ferry(dir.path(), &["inputs", "w.wdl", "--task", "t"]);
    assert!(
        out.contains("\"t.s\": \"String (optional, default = \\\"x\\\")\""),
        "{out}"
    );

    std::fs::write(
        dir.path().join("in.json"),
        r#"{"w.reads": "reads.txt", "w.t.n": 3}"#,
    )
    .unwrap();
    let (code, _, err) = ferry(dir.path(), &["validate", "w.wdl", "-i", "in.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("the inputs are valid"), "{err}");
    let (code, out, err) = ferry(dir.path(), &["run", "w.wdl", "-i", "in.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"w.o\": \"hi\""), "{out}");
}

#[test]
fn validate_names_every_bad_input_and_runs_nothing() {
    let dir = common::project(&[("w.wdl", W)]);
    std::fs::write(
        dir.path().join("bad.json"),
        r#"{"w.reads": "reads.txt", "w.t.n": "x", "w.bogus": 1}"#,
    )
    .unwrap();
    let (code, _, err) = ferry(dir.path(), &["validate", "w.wdl", "-i", "bad.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("input `w.t.n` (Int): \"x\" is not an Int"),
        "{err}"
    );
    assert!(err.contains("unknown input `w.bogus`"), "{err}");
    // Keys and types right, a file missing and a required input left out.
    let (code, _, err) = ferry(dir.path(), &["validate", "w.wdl", "w.reads=nowhere.txt"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("missing required input `w.t.n` (Int)"),
        "{err}"
    );
    std::fs::write(
        dir.path().join("in.json"),
        r#"{"w.reads": "nowhere.txt", "w.t.n": 1}"#,
    )
    .unwrap();
    let (code, _, err) = ferry(dir.path(), &["validate", "w.wdl", "-i", "in.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nowhere.txt"), "{err}");
    assert!(
        !dir.path().join("ferry-runs").exists(),
        "validate ran nothing"
    );
    let (code, _, err) = ferry(dir.path(), &["inputs", "missing.wdl"]);
    assert_eq!(code, 1, "{err}");
}
