//! End-to-end: WDL as people write it (production WDL 1.0, WDL 1.3) and the checks that must
//! happen before anything runs. Each test runs the real `ferry` binary.

mod common;

use common::{check, project, run};
use serde_json::json;

/// WARP's placeholder forms: a number as an option value and several options in one placeholder
/// (the WDL 1.0 grammar allows both); the command renders as Cromwell renders it.
#[test]
fn wdl_1_0_placeholder_options_with_numbers_and_several_options() {
    let wdl = r#"version 1.0
task t {
  input {
    Float? contamination
    Array[String]? ignore
    Boolean? outlier
    Array[String] tags = ["A", "B"]
  }
  command <<<
    echo "-c ~{default=0 contamination} IGNORE=~{default="null" sep=" IGNORE=" ignore} ~{default='X=d' true='X=t' false='X=f' outlier} ~{sep=',' default='none' tags}"
  >>>
  output { String line = read_string(stdout()) }
}
workflow w {
  input { Float? c  Boolean? o  Array[String]? ig }
  call t { input: contamination = c, outlier = o, ignore = ig }
  output { String line = t.line }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let c = check(dir.path(), "w.wdl");
    assert_eq!(c.code, 0, "{}", c.stderr);
    let unset = run(dir.path(), "w.wdl", &[]);
    assert_eq!(unset.code, 0, "{}", unset.stderr);
    assert_eq!(unset.outputs()["w.line"], json!("-c 0 IGNORE=null X=d A,B"));
    let set = run(
        dir.path(),
        "w.wdl",
        &["w.c=0.5", "w.o=true", r#"w.ig=["a","b"]"#],
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert_eq!(
        set.outputs()["w.line"],
        json!("-c 0.500000 IGNORE=a IGNORE=b X=t A,B")
    );
}

/// WDL 1.1 and later keep the 1.1 rule: one option per placeholder, string values; a type
/// mismatch in any option (not only the first) is reported.
#[test]
fn wdl_1_1_keeps_one_string_option_per_placeholder() {
    for (name, body, expect) in [
        (
            "number.wdl",
            "String s = \"~{default=0 x}\"",
            "must be a string",
        ),
        (
            "two.wdl",
            "String s = \"~{default='a' sep=' ' y}\"",
            "more than one option",
        ),
    ] {
        let wdl = format!(
            "version 1.1\nworkflow w {{\n  input {{ Int? x  Array[Int]? y }}\n  {body}\n}}\n"
        );
        let dir = project(&[(name, &wdl)]);
        let c = check(dir.path(), name);
        assert_eq!(c.code, 1, "{name}: {}", c.stderr);
        assert!(c.stderr.contains(expect), "{name}: {}", c.stderr);
        assert!(c.stderr.contains(&format!("{name}:4:")), "{}", c.stderr);
    }
    // 1.0: the same kind of option twice is still an error, and so is a mismatch in the second.
    for (name, body, expect) in [
        (
            "dup.wdl",
            "String s = \"~{default='a' default='b' x}\"",
            "same option twice",
        ),
        (
            "second.wdl",
            "String s = \"~{default='a' sep=' ' x}\"",
            "placeholder option `sep`",
        ),
    ] {
        let wdl = format!("version 1.0\nworkflow w {{\n  input {{ Int? x }}\n  {body}\n}}\n");
        let dir = project(&[(name, &wdl)]);
        let c = check(dir.path(), name);
        assert_eq!(c.code, 1, "{name}: {}", c.stderr);
        assert!(c.stderr.contains(expect), "{name}: {}", c.stderr);
    }
}
