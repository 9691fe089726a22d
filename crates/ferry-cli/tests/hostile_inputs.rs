//! Inputs and expressions built to exhaust the engine are refused early, with a message, and
//! leave no run in a state it cannot leave.

mod common;

use common::{project, run};

/// YAML inputs nested 100,000 deep are refused in one pass over the text (the YAML parser's
/// own limit is reached only after work quadratic in the depth: a minute here).
#[test]
fn deeply_nested_yaml_inputs_are_refused_at_once() {
    let wdl =
        "version 1.1\nworkflow w {\n  input { String s = \"x\" }\n  output { String o = s }\n}\n";
    let deep = format!("w.s: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let dir = project(&[("w.wdl", wdl), ("deep.yml", &deep)]);
    let r = run(dir.path(), "w.wdl", &["-i", "deep.yml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("nested more than 128 levels deep"),
        "{}",
        r.stderr
    );
}

/// `flatten` counts what it would build before it builds it: ten arrays of ten million (each
/// within the limit) would be a hundred million elements. The call fails with its reason, the
/// run ends failed, not aborted with its state left `running`.
#[test]
fn flatten_refuses_an_array_past_the_limit_before_allocating_it() {
    let wdl = r#"version 1.1
workflow w {
  Array[Int] big = range(10000000)
  Array[Array[Int]] ten = [big, big, big, big, big, big, big, big, big, big]
  output { Int n = length(flatten(ten)) }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let r = run(dir.path(), "w.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("would build an array of 100000000 elements"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(r.run_dir.join("state")).expect("state"),
        "failed\n"
    );
}
