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

/// The spec has no String -> Int coercion: a call input bound to a String is a check-time error
/// with its position, and nothing runs. The benign direction and `read_lines` stay accepted,
/// shown as warnings where lints are wanted.
#[test]
fn string_to_int_is_rejected_before_anything_runs() {
    let wdl = r#"version 1.1
task t {
  input { Int x }
  command <<< echo ~{x} >>>
}
workflow w {
  input { String label = "sample" }
  call t { input: x = label }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let c = check(dir.path(), "w.wdl");
    assert_eq!(c.code, 1, "{}", c.stderr);
    assert!(
        c.stderr.contains("w.wdl:8:23: error: type mismatch"),
        "{}",
        c.stderr
    );
    let r = run(dir.path(), "w.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("w.wdl:8:23"), "{}", r.stderr);
    assert!(!r.run_dir.join("calls").exists());

    let lenient = r#"version 1.1
workflow w {
  input { Array[Int] values = [1, 2] }
  File f = write_lines(values)
  String s = read_int(write_lines([7]))
  Array[Int] n = read_lines(f)
  output { String s_out = s  Array[Int] sum = n }
}
"#;
    let dir = project(&[("l.wdl", lenient)]);
    let c = check(dir.path(), "l.wdl");
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert!(
        c.stderr.contains("l.wdl:4:24: warning") && c.stderr.contains("lenient coercion"),
        "{}",
        c.stderr
    );
    assert!(c.stderr.contains("read_lines coercion"), "{}", c.stderr);
    let r = run(dir.path(), "l.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.s_out"], json!("7"));
    assert_eq!(r.outputs()["w.sum"], json!([1, 2]));
    // `run` does not repeat lint-level warnings.
    assert!(!r.stderr.contains("lenient coercion"), "{}", r.stderr);
}

/// `--lenient-optionals`: an optional value where a required one is expected is accepted, and
/// is an error (with its position) only when it is None at run time.
#[test]
fn lenient_optionals_accept_statically_and_fail_on_none_at_run_time() {
    let wdl = r#"version 1.0
workflow w {
  input { Int? maybe  Boolean? flag }
  Int required = maybe
  Boolean both = flag && true
  output { Int r = required  Boolean b = both }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let strict = check(dir.path(), "w.wdl");
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    let out = common::ferry()
        .current_dir(dir.path())
        .args(["check", "--lenient-optionals", "w.wdl"])
        .output()
        .expect("ferry runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ok = run(
        dir.path(),
        "w.wdl",
        &["--lenient-optionals", "w.maybe=3", "w.flag=true"],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(ok.outputs()["w.r"], json!(3));
    let none = run(dir.path(), "w.wdl", &["--lenient-optionals", "w.flag=true"]);
    assert_eq!(none.code, 1, "{}", none.stderr);
    assert!(none.stderr.contains("w.wdl:4:"), "{}", none.stderr);
}

/// `size()` counts File and Directory values, not every String in a compound value.
#[test]
fn size_of_compound_values_counts_only_paths() {
    let wdl = r#"version 1.1
struct S { String name  File f }
workflow w {
  input { File f }
  output {
    Float in_map = size({"a": f})
    Float in_struct = size(S { name: "x", f: f })
    Float in_pair = size(("label", f))
    Float in_array = size([f, f])
  }
}
"#;
    let dir = project(&[("w.wdl", wdl), ("data.txt", "0123456789")]);
    let r = run(dir.path(), "w.wdl", &["w.f=data.txt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["w.in_map"], json!(10.0));
    assert_eq!(o["w.in_struct"], json!(10.0));
    assert_eq!(o["w.in_array"], json!(20.0));
    assert_eq!(o["w.in_pair"], json!(10.0));
}

/// The spec's import-structs example: an alias applies inside the imported structs, and the
/// importer's own struct of the same name stays its own.
#[test]
fn import_aliases_apply_inside_imported_structs() {
    let lib = r#"version 1.1
struct Income { Int amount }
struct Person { String name  Income? income }
"#;
    let main = r#"version 1.1
import "lib.wdl" alias Person as Patient alias Income as PatientIncome
struct Income { Float dollars }
workflow w {
  Patient p = Patient { name: "ana", income: PatientIncome { amount: 3 } }
  Income mine = Income { dollars: 2.5 }
  output { Patient patient = p  Income own = mine }
}
"#;
    let dir = project(&[("lib.wdl", lib), ("main.wdl", main)]);
    let r = run(dir.path(), "main.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.outputs()["w.patient"],
        json!({"name": "ana", "income": {"amount": 3}})
    );
    assert_eq!(r.outputs()["w.own"], json!({"dollars": 2.5}));
}

/// A placeholder option that does not fit the value is an error, not a wrong string.
#[test]
fn placeholder_options_on_the_wrong_type_are_errors() {
    for (name, expr, expect) in [
        (
            "default",
            "~{default='nope' read_json(write_json([1]))}",
            "Array",
        ),
        (
            "sep",
            "~{sep=',' read_json(write_json(5))}",
            "`sep` needs an Array",
        ),
        (
            "truefalse",
            "~{true='y' false='n' read_json(write_json(5))}",
            "`true/false` needs a Boolean",
        ),
    ] {
        let wdl = format!(
            "version 1.2\nworkflow w {{\n  String s = \"{expr}\"\n  output {{ String o = s }}\n}}\n"
        );
        let file = format!("{name}.wdl");
        let dir = project(&[(&file, &wdl)]);
        let r = run(dir.path(), &file, &[]);
        assert_eq!(r.code, 1, "{name}: {}", r.stderr);
        assert!(r.stderr.contains(expect), "{name}: {}", r.stderr);
        assert!(r.stderr.contains(&format!("{file}:3:")), "{}", r.stderr);
    }
}

/// `join_paths` is typed String, so it becomes the File or Directory it is declared as; a
/// relative result is made absolute against the task's working directory; `.` and `..` are
/// resolved lexically, as the spec's examples expect.
#[test]
fn join_paths_becomes_the_declared_file_or_directory() {
    let wdl = r#"version 1.2
task t {
  command <<<
    mkdir -p d/sub && echo hi > d/sub/x.txt
  >>>
  output {
    Directory sub = join_paths("d", "sub")
    File x = join_paths("d", ["sub", "x.txt"])
    String abs = join_paths("d", "sub")
    String up = join_paths("/usr/", "./bin/../bin")
    String root = join_paths("/usr", ["..", "..", "."])
    String rel = join_paths("d/sub", "../x")
  }
}
"#;
    let dir = project(&[("t.wdl", wdl)]);
    let r = run(dir.path(), "t.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    let x = o["t.x"].as_str().expect("x");
    assert_eq!(std::fs::read_to_string(x).expect("x"), "hi\n");
    let abs = o["t.abs"].as_str().expect("abs");
    assert!(abs.starts_with('/') && abs.ends_with("work/d/sub"), "{abs}");
    assert_eq!(o["t.up"], json!("/usr/bin"));
    assert_eq!(o["t.root"], json!("/"));
    let rel = o["t.rel"].as_str().expect("rel");
    assert!(rel.starts_with('/') && rel.ends_with("work/d/x"), "{rel}");
    assert!(
        std::path::Path::new(o["t.sub"].as_str().expect("sub"))
            .join("x.txt")
            .exists()
    );
}

/// WDL 1.2.1: `None` given for a non-optional input that has a default takes the default, for
/// task and subworkflow calls alike.
#[test]
fn none_for_an_input_with_a_default_takes_the_default() {
    let sub = r#"version 1.2
workflow sub {
  input { Int y = 7 }
  output { Int out = y }
}
"#;
    let main = r#"version 1.2
import "sub.wdl"
task t {
  input { Int x = 1  String? s = "kept only if not given" }
  command <<< echo ~{x} >>>
  output { Int out = read_int(stdout())  String? so = s }
}
workflow w {
  call t { x = None, s = None }
  call sub.sub { y = None }
  output { Int tx = t.out  String? ts = t.so  Int sy = sub.out }
}
"#;
    let dir = project(&[("sub.wdl", sub), ("main.wdl", main)]);
    let r = run(dir.path(), "main.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.tx"], json!(1));
    assert_eq!(r.outputs()["w.sy"], json!(7));
    // An optional input keeps the None it was given (the spec's optional_with_default).
    assert_eq!(r.outputs()["w.ts"], json!(null));
}

/// The spec's requirement overrides in the inputs: `wf.call.requirements.cpu` (1.2) and
/// `wf.call.runtime.memory` (1.0/1.1 naming) are accepted and applied.
#[test]
fn requirement_overrides_in_the_inputs_are_applied() {
    let wdl = r#"version 1.2
task t {
  command <<< true >>>
  requirements { cpu: 1  memory: "64 MiB" }
  output { Float cpu = task.cpu  Int memory = task.memory }
}
workflow w {
  call t
  output { Float cpu = t.cpu  Int memory = t.memory }
}
"#;
    let dir = project(&[
        ("w.wdl", wdl),
        (
            "in.json",
            r#"{"w.t.requirements.cpu": 2, "w.t.runtime.memory": "128 MiB"}"#,
        ),
    ]);
    let r = run(dir.path(), "w.wdl", &["-i", "in.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.cpu"], json!(2.0));
    assert_eq!(r.outputs()["w.memory"], json!(128 << 20));
    // A task run on its own takes `t.requirements.cpu`.
    let r = run(
        dir.path(),
        "w.wdl",
        &["--task", "t", "t.requirements.cpu=2"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["t.cpu"], json!(2.0));
    // A call that does not exist is still an unknown input.
    let r = run(dir.path(), "w.wdl", &["w.nope.requirements.cpu=2"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no call `nope`"), "{}", r.stderr);
}

/// An `object { ... }` literal checked against the struct it becomes, before anything runs.
#[test]
fn object_literals_are_checked_against_their_struct() {
    let wdl = r#"version 1.0
struct RuntimeAttr { Int? cpu  Float? mem_gb }
task t {
  input { RuntimeAttr? attr }
  command <<< true >>>
}
workflow w {
  RuntimeAttr ok = object { cpu: 1 }
  RuntimeAttr bad = object { cpu: 1, disk_gb: 10 }
  call t { input: attr = object { mem_gb: 1.5, boot_gb: 2 } }
}
"#;
    let dir = project(&[("w.wdl", wdl)]);
    let c = check(dir.path(), "w.wdl");
    assert_eq!(c.code, 1, "{}", c.stderr);
    assert!(
        c.stderr
            .contains("w.wdl:9:38: error: struct RuntimeAttr has no member `disk_gb`"),
        "{}",
        c.stderr
    );
    let r = run(dir.path(), "w.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.run_dir.join("calls").exists());
}

/// Every bad input at once, in the order given; unprefixed names on the command line.
#[test]
fn bad_inputs_are_reported_together_and_unprefixed_names_work() {
    let wdl = r#"version 1.1
workflow w {
  input { Int n  String label  File f = "x" }
  output { Int out = n }
}
"#;
    let dir = project(&[
        ("w.wdl", wdl),
        (
            "in.json",
            r#"{"w.zeta": 1, "w.n": "three", "w.alpha": 2, "w.f": "hdfs://b/x"}"#,
        ),
    ]);
    let r = run(dir.path(), "w.wdl", &["-i", "in.json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let zeta = r.stderr.find("`w.zeta`").expect("zeta reported");
    let n = r.stderr.find("`w.n`").expect("n reported");
    let alpha = r.stderr.find("`w.alpha`").expect("alpha reported");
    assert!(zeta < n && n < alpha, "{}", r.stderr);
    assert!(r.stderr.contains("`w.label`"), "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("`w.n`").count(),
        1,
        "a bad value is reported once, not again as missing: {}",
        r.stderr
    );
    let ok = run(dir.path(), "w.wdl", &["n=3", "label=x", "w.f=w.wdl"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(ok.outputs()["w.out"], json!(3));
    let scheme = run(dir.path(), "w.wdl", &["n=3", "label=x", "f=hdfs://b/x"]);
    assert_eq!(scheme.code, 2, "{}", scheme.stderr);
    assert!(
        scheme.stderr.contains("not supported; supported:") && scheme.stderr.contains("s3://"),
        "{}",
        scheme.stderr
    );
}

/// An error in a runtime value points at the line of its key, not at the task.
#[test]
fn a_bad_runtime_value_points_at_its_key() {
    let wdl = r#"version 1.0
task t {
  input { Int n }
  command <<< echo hi >>>
  runtime {
    cpu: 1
    memory: n + " GX"
  }
}
task u {
  command <<< echo hi >>>
  runtime {
    docker: "local/busybox:1"
    cpu: 1 / 0
  }
}
"#;
    let dir = project(&[("r.wdl", wdl)]);
    let r = run(dir.path(), "r.wdl", &["--task", "t", "n=1"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("r.wdl:7:5: runtime memory: \"1 GX\": unknown unit"),
        "{}",
        r.stderr
    );
    let r = run(dir.path(), "r.wdl", &["--task", "u"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("r.wdl:14:5: runtime `cpu`"),
        "{}",
        r.stderr
    );
}

/// Huge or deep programs end with a clear error naming the limit, exit 1 and `state` written;
/// programs within the limits run.
#[test]
fn huge_and_deep_programs_hit_named_limits() {
    let wdl = r#"version 1.1
task t {
  input { Int n }
  command <<< echo ~{length(range(n))} >>>
}
workflow w {
  input { Int n = 9223372036854775807 }
  Array[Int] r = range(n)
  call t { input: n = 1000000000 }
  output { Int len = length(r) }
}
"#;
    let terms = |n: usize| vec!["1"; n].join(" + ");
    let deep = format!(
        "version 1.1\nworkflow w {{\n  Int x = {}\n  output {{ Int y = x }}\n}}\n",
        terms(3000)
    );
    let too_deep = format!(
        "version 1.1\nworkflow w {{\n  Int x = {}\n  output {{ Int y = x }}\n}}\n",
        terms(6000)
    );
    let dir = project(&[
        ("w.wdl", wdl),
        ("deep.wdl", &deep),
        ("too_deep.wdl", &too_deep),
    ]);
    let r = run(dir.path(), "w.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("Ferry's limit is 10000000"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(r.run_dir.join("state")).expect("state"),
        "failed\n"
    );
    let r = run(dir.path(), "deep.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.y"], json!(3000));
    let c = check(dir.path(), "too_deep.wdl");
    assert_eq!(c.code, 1, "{}", c.stderr);
    assert!(
        c.stderr.contains("levels deep, Ferry's limit"),
        "{}",
        c.stderr
    );
    let r = run(dir.path(), "too_deep.wdl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}

/// Logs carry no colour codes when stderr is not a terminal.
#[test]
fn no_colour_codes_off_a_terminal() {
    let dir = project(&[(
        "w.wdl",
        "version 1.1\nworkflow w { output { Int x = 1 } }\n",
    )]);
    let r = common::run_with(dir.path(), "w.wdl", &[], &[("FERRY_LOG", "info")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("INFO"), "{}", r.stderr);
    assert!(!r.stderr.contains('\x1b'), "{:?}", r.stderr);
}

/// WDL 1.3 enumerations: choices as inputs (by name), values, interpolation, equality, struct
/// members and outputs (by name); a name that is not a choice is a bad input.
#[test]
fn wdl_1_3_enumerations() {
    let wdl = r##"version 1.3
enum Color { Red = "#FF0000", Green = "#00FF00", Blue = "#0000FF" }
enum Priority { Low = 1, High = 10 }
enum Plain { A, B }
struct Paint { Color color  Int coats }
workflow w {
  input {
    Color color = Color.Red
    Priority priority = Priority.High
    Plain plain = Plain.B
  }
  Paint p = Paint { color: color, coats: 2 }
  output {
    String name = "~{color}"
    String hex = value(color)
    Int prio = value(priority)
    String plain_value = value(plain)
    Boolean is_red = Color.Red == color
    Color c = color
    Paint paint = p
  }
}
"##;
    let dir = project(&[("e.wdl", wdl)]);
    let c = check(dir.path(), "e.wdl");
    assert_eq!(c.code, 0, "{}", c.stderr);
    let r = run(dir.path(), "e.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["w.name"], json!("Red"));
    assert_eq!(o["w.hex"], json!("#FF0000"));
    assert_eq!(o["w.prio"], json!(10));
    assert_eq!(o["w.plain_value"], json!("B"));
    assert_eq!(o["w.is_red"], json!(true));
    assert_eq!(o["w.c"], json!("Red"));
    assert_eq!(o["w.paint"], json!({"color": "Red", "coats": 2}));
    let blue = run(dir.path(), "e.wdl", &["w.color=Blue"]);
    assert_eq!(blue.code, 0, "{}", blue.stderr);
    assert_eq!(blue.outputs()["w.hex"], json!("#0000FF"));
    assert_eq!(blue.outputs()["w.is_red"], json!(false));
    let bad = run(dir.path(), "e.wdl", &["w.color=Purple"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("\"Purple\" is not a choice of enumeration Color (Red, Green, Blue)"),
        "{}",
        bad.stderr
    );
}

/// WDL 1.3 enumerations whose values are structs, a type name in parentheses, and a
/// declaration that shadows an enumeration's name (then `Foo.x` is the declaration's member).
#[test]
fn wdl_1_3_enumerations_of_structs_in_parentheses_and_shadowed() {
    let wdl = r#"version 1.3
struct Rgb { Int r  Int g  Int b }
enum Color[Rgb] { Red = Rgb { r: 255, g: 0, b: 0 }, Blue = Rgb { r: 0, g: 0, b: 255 } }
enum Status { Active, Inactive }
enum Foo { x, y }
struct Bar { Int x }
workflow w {
  input { Color c = Color.Blue }
  Status s = (Status).Inactive
  Rgb v = value(c)
  Bar Foo = Bar { x: 3 }
  output {
    Int blue = v.b
    Array[Int] reds = [value(Color.Red).r, value((Color).Red).g]
    String st = "~{s}"
    Boolean inactive = s == Status.Inactive
    Int shadowed = Foo.x
  }
}
"#;
    let dir = project(&[("e.wdl", wdl)]);
    let c = check(dir.path(), "e.wdl");
    assert_eq!(c.code, 0, "{}", c.stderr);
    let r = run(dir.path(), "e.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(o["w.blue"], json!(255));
    assert_eq!(o["w.reds"], json!([255, 0]));
    assert_eq!(o["w.st"], json!("Inactive"));
    assert_eq!(o["w.inactive"], json!(true));
    assert_eq!(o["w.shadowed"], json!(3));
    let red = run(dir.path(), "e.wdl", &["w.c=Red"]);
    assert_eq!(red.code, 0, "{}", red.stderr);
    assert_eq!(red.outputs()["w.blue"], json!(0));
}

/// WDL 1.3 `else if` / `else`: exactly one clause runs; names of the others are None.
#[test]
fn wdl_1_3_else_if_and_else() {
    let wdl = r#"version 1.3
task size_label {
  input { String label }
  command <<< echo ~{label} >>>
  output { String out = read_string(stdout()) }
}
workflow w {
  input { Int x }
  if (x < 3) {
    call size_label as small { label = "small" }
  } else if (x < 10) {
    call size_label as medium { label = "medium" }
  } else {
    String large = "large"
  }
  output {
    String? s = small.out
    String? m = medium.out
    String? l = large
  }
}
"#;
    let dir = project(&[("c.wdl", wdl)]);
    for (x, expect) in [
        (1, json!({"w.s": "small", "w.m": null, "w.l": null})),
        (5, json!({"w.s": null, "w.m": "medium", "w.l": null})),
        (50, json!({"w.s": null, "w.m": null, "w.l": "large"})),
    ] {
        let r = run(dir.path(), "c.wdl", &[&format!("w.x={x}")]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.outputs(), expect, "x = {x}");
    }
}

/// WDL 1.3 `split`: the delimiter is a regular expression; no match gives the whole string.
#[test]
fn wdl_1_3_split() {
    let wdl = r#"version 1.3
workflow w {
  String text = "Here's an example\nthat takes up multiple lines"
  output {
    Array[String] by_word = split(text, " ")
    Array[String] by_newline = split(text, "\\n")
    Array[String] by_digits = split("a1b22c", "[0-9]+")
    Array[String] none = split("abc", ",")
  }
}
"#;
    let dir = project(&[("s.wdl", wdl)]);
    let r = run(dir.path(), "s.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs();
    assert_eq!(
        o["w.by_word"],
        json!([
            "Here's",
            "an",
            "example\nthat",
            "takes",
            "up",
            "multiple",
            "lines"
        ])
    );
    assert_eq!(
        o["w.by_newline"],
        json!(["Here's an example", "that takes up multiple lines"])
    );
    assert_eq!(o["w.by_digits"], json!(["a", "b", "c"]));
    assert_eq!(o["w.none"], json!(["abc"]));
}

/// WDL 1.3 `task` in requirements, `task.previous` (the previous attempt's resources) and
/// `task.max_retries`: a retry asks for twice the memory the failed attempt had.
#[test]
fn wdl_1_3_task_previous_and_max_retries() {
    let wdl = r#"version 1.3
task grow {
  command <<<
    echo "~{task.attempt} ~{task.max_retries} ~{select_first([task.previous.memory, -1])}"
    if [ ~{task.attempt} -lt 1 ]; then exit 3; fi
  >>>
  requirements {
    memory: if task.attempt == 0 then "100 MiB" else "~{select_first([task.previous.memory, 0]) * 2} B"
    max_retries: 2
    cpu: if task.name == "grow" then 1 else 2
  }
  output { String line = read_string(stdout())  Int memory = task.memory }
}
workflow w {
  call grow
  output { String line = grow.line  Int memory = grow.memory }
}
"#;
    let dir = project(&[("r.wdl", wdl)]);
    let r = run(dir.path(), "r.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["w.line"], json!(format!("1 2 {}", 100 << 20)));
    assert_eq!(r.outputs()["w.memory"], json!(200 << 20));
}

/// WDL 1.3 path existence: an optional File output whose path does not exist is None; a
/// required one fails its call, naming the output; a missing input file stops the run first.
#[test]
fn wdl_1_3_path_existence() {
    let wdl = r#"version 1.3
task t {
  input { Boolean make_required = true }
  command <<<
    echo made > made.txt
    if ~{make_required}; then echo r > required.txt; fi
  >>>
  output {
    File made = "made.txt"
    File? missing = "missing.txt"
    File required = "required.txt"
  }
}
"#;
    let dir = project(&[("p.wdl", wdl)]);
    let r = run(dir.path(), "p.wdl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["t.missing"], json!(null));
    let r = run(dir.path(), "p.wdl", &["t.make_required=false"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("required"), "{}", r.stderr);
}

/// `--compat cromwell`: what Cromwell runs though the spec (and `ferry check` without it)
/// refuses, as WARP's pipelines write it: a task named like its workflow and called from it, a
/// call input given twice (the last wins), an output named like an input, `sep=` on a single
/// File. Each is accepted with a warning naming it and runs as Cromwell runs it.
#[test]
fn compat_cromwell_accepts_what_cromwell_runs_with_a_warning_each() {
    let same = r#"version 1.0
workflow Same {
  input { Int x }
  call Same { input: x = x, x = x + 1 }
  output { Int y = Same.y }
}
task Same {
  input { Int x }
  command <<< echo $(( ~{x} * 2 )) >>>
  output { Int y = read_int(stdout()) }
}
"#;
    let metrics = r#"version 1.0
task metrics {
  input { String library_metrics = "in"  File f }
  command <<< echo "out ~{sep=',' f}" | cut -d' ' -f1 > m.txt >>>
  output { String library_metrics = read_string("m.txt") }
}
"#;
    let dir = project(&[
        ("same.wdl", same),
        ("metrics.wdl", metrics),
        ("in.txt", "x\n"),
    ]);
    for (file, warnings) in [
        (
            "same.wdl",
            &["cannot recursively call workflow", "duplicate call input"][..],
        ),
        (
            "metrics.wdl",
            &["conflicting output name", "placeholder option `sep`"][..],
        ),
    ] {
        let strict = check(dir.path(), file);
        assert_ne!(
            strict.code, 0,
            "{file} passes without --compat: {}",
            strict.stderr
        );
        let out = common::ferry()
            .current_dir(dir.path())
            .args(["check", "--compat", "cromwell", file])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{file}: {stderr}");
        for w in warnings {
            assert!(
                stderr.contains(w) && stderr.contains("accepted by --compat cromwell"),
                "{file}: no warning about {w}: {stderr}"
            );
        }
    }
    let r = run(
        dir.path(),
        "same.wdl",
        &["--compat", "cromwell", "Same.x=3"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.outputs()["Same.y"],
        8,
        "the last of the two inputs is used"
    );
    let r = run(
        dir.path(),
        "metrics.wdl",
        &["--compat", "cromwell", "metrics.f=in.txt"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["metrics.library_metrics"], "out");
    // Strings where numbers are expected: converted (Cromwell's toInt).
    std::fs::write(
        dir.path().join("nums.wdl"),
        "version 1.0\nworkflow nums {\n  Array[String] given = [\"1\", \"2\"]\n  Array[Int] ns = given\n  output { Array[Int] o = ns }\n}\n",
    )
    .unwrap();
    assert_ne!(check(dir.path(), "nums.wdl").code, 0);
    let r = run(dir.path(), "nums.wdl", &["--compat", "cromwell"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["nums.o"], json!([1, 2]));
    // A struct named like an imported one but with other members (WARP's `RuntimeAttr`): the
    // document's own definition types its own uses; the imported task keeps its struct.
    std::fs::write(
        dir.path().join("lib.wdl"),
        "version 1.0\nstruct RuntimeAttr { Int? cpu }\ntask t {\n  input { RuntimeAttr? a }\n  command <<< echo ~{select_first([select_first([a]).cpu, 1])} >>>\n  output { Int n = read_int(stdout()) }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("attr.wdl"),
        "version 1.0\nimport \"lib.wdl\"\nstruct RuntimeAttr { Int? cpu  Boolean? use_ssd }\nworkflow attr {\n  RuntimeAttr d = object { cpu: 2, use_ssd: true }\n  call lib.t { input: a = object { cpu: 3 } }\n  output { Boolean ssd = select_first([d.use_ssd]) && true  Int n = t.n }\n}\n",
    )
    .unwrap();
    let strict = check(dir.path(), "attr.wdl");
    assert_ne!(strict.code, 0, "{}", strict.stderr);
    assert!(
        strict.stderr.contains("conflicting struct name"),
        "{}",
        strict.stderr
    );
    let r = run(dir.path(), "attr.wdl", &["--compat", "cromwell"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("this document uses its own definition"),
        "{}",
        r.stderr
    );
    assert_eq!(r.outputs()["attr.ssd"], json!(true));
    assert_eq!(r.outputs()["attr.n"], json!(3));
    // `&&`, `||` and `!` on `Boolean?` operands, as Cromwell evaluates them: a defined value is
    // used; None is an error naming the operator.
    std::fs::write(
        dir.path().join("logic.wdl"),
        "version 1.0\nworkflow logic {\n  input { Boolean? b  Boolean? c = true }\n  output { Boolean both = c && true  Boolean either = b || c  Boolean not_c = !c }\n}\n",
    )
    .unwrap();
    assert_ne!(check(dir.path(), "logic.wdl").code, 0);
    let r = run(
        dir.path(),
        "logic.wdl",
        &["--compat", "cromwell", "logic.b=false"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        (
            r.outputs()["logic.both"].clone(),
            r.outputs()["logic.either"].clone(),
            r.outputs()["logic.not_c"].clone()
        ),
        (json!(true), json!(true), json!(false))
    );
    let r = run(dir.path(), "logic.wdl", &["--compat", "cromwell"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("`||` needs Booleans; an operand is an optional with no value"),
        "{}",
        r.stderr
    );
    // `" -L " + optional_file` outside a placeholder: a defined value is concatenated.
    std::fs::write(
        dir.path().join("concat.wdl"),
        "version 1.0\nworkflow concat {\n  input { File? f }\n  String args = if defined(f) then \" -L \" + f + \" \" else \"\"\n  output { String o = args }\n}\n",
    )
    .unwrap();
    assert_ne!(check(dir.path(), "concat.wdl").code, 0);
    let r = run(
        dir.path(),
        "concat.wdl",
        &["--compat", "cromwell", "concat.f=in.txt"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = r.outputs()["concat.o"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(o.starts_with(" -L /") && o.ends_with("in.txt "), "{o}");
    let r = run(dir.path(), "concat.wdl", &["--compat", "cromwell"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["concat.o"], json!(""));
    // The same from the profile, without the flag.
    std::fs::write(
        dir.path().join("ferry.toml"),
        "[defaults]\ncompat = \"cromwell\"\n",
    )
    .unwrap();
    let r = run(dir.path(), "same.wdl", &["Same.x=3"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.outputs()["Same.y"], 8);
}
