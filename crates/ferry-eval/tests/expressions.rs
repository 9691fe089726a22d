//! Evaluator and standard-library tests: each expression is written in WDL, type-checked and
//! lowered by ferry-wdl, then evaluated.

use std::collections::HashMap;
use std::sync::Arc;

use ferry_eval::{Evaluator, Io, Value, coerce};
use ferry_wdl::ir::{Stmt, Version};

/// Evaluates `expr` as the declared type `ty` in a WDL 1.2 workflow. `Err` carries the message.
fn eval_in(dir: &std::path::Path, ty: &str, expr: &str) -> Result<serde_json::Value, String> {
    let path = dir.join("t.wdl");
    std::fs::write(
        &path,
        format!("version 1.2\nworkflow t {{\n  output {{\n    {ty} x = {expr}\n  }}\n}}\n"),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let checked = rt
        .block_on(ferry_wdl::check(&path, Default::default()))
        .unwrap();
    let Some(doc) = checked.document else {
        return Err(format!("type error: {:?}", checked.problems));
    };
    let wf = doc.workflow.as_ref().unwrap();
    let decl = wf
        .body
        .stmts
        .iter()
        .find_map(|s| match s {
            Stmt::Output(d) => Some(d),
            _ => None,
        })
        .unwrap();
    let scope: HashMap<Arc<str>, Value> = HashMap::new();
    let mut io = Io::new(dir.join("writes"), Version::V1_2);
    io.base_dir = Some(dir.to_path_buf());
    let v = Evaluator::new(&scope, &io).eval(decl.expr.as_ref().unwrap())?;
    Ok(coerce(&v, &decl.ty)?.to_json())
}

fn eval(ty: &str, expr: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    eval_in(dir.path(), ty, expr).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

fn fails(ty: &str, expr: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    match eval_in(dir.path(), ty, expr) {
        Ok(v) => panic!("{expr} should fail, gave {v}"),
        Err(e) => e,
    }
}

use serde_json::json;

#[test]
fn arithmetic_and_comparison() {
    assert_eq!(eval("Int", "1 + 2 * 3 - 4 / 2"), json!(5));
    assert_eq!(eval("Float", "1 + 0.5"), json!(1.5));
    assert_eq!(eval("Int", "2 ** 10"), json!(1024));
    assert_eq!(eval("Int", "-7 % 3"), json!(-1));
    assert_eq!(
        eval("Boolean", "1 < 2 && \"a\" < \"b\" && !(2.0 > 3)"),
        json!(true)
    );
    assert_eq!(eval("Boolean", "1 == 1.0"), json!(true));
    assert_eq!(
        eval("Boolean", "[1, 2] == [1, 2] && {\"a\": 1} != {\"a\": 2}"),
        json!(true)
    );
    assert_eq!(eval("Int", "if 3 > 2 then 10 else 20"), json!(10));
    assert!(fails("Int", "1 / 0").contains("division by zero"));
    assert!(fails("Int", "9223372036854775807 + 1").contains("overflow"));
}

#[test]
fn strings_and_placeholders() {
    assert_eq!(eval("String", "\"a\" + \"b\" + 1"), json!("ab1"));
    assert_eq!(
        eval("String", "\"~{1.25} ~{true} ~{3}\""),
        json!("1.250000 true 3")
    );
    assert_eq!(
        eval("String", "\"~{sep=', ' [1, 2, 3]}\""),
        json!("1, 2, 3")
    );
    assert_eq!(
        eval("String", "\"~{true='on' false='off' false}\""),
        json!("off")
    );
    assert_eq!(eval("String", "\"[~{default='d' None}]\""), json!("[d]"));
    // WDL 1.2: an error inside a placeholder renders as empty.
    assert_eq!(eval("String", "\"x~{select_first([None])}y\""), json!("xy"));
    assert_eq!(
        eval("String", "sub(\"a1b22c\", \"[0-9]+\", \"-\")"),
        json!("a-b-c")
    );
    assert_eq!(
        eval("String", "sub(\"chr1\", \"chr([0-9])\", \"\\\\1\")"),
        json!("1")
    );
    assert_eq!(eval("String", "basename(\"/a/b/c.txt\")"), json!("c.txt"));
    assert_eq!(
        eval("String?", "find(\"abc123\", \"[0-9]+\")"),
        json!("123")
    );
    assert_eq!(eval("Boolean", "matches(\"abc\", \"^a\")"), json!(true));
    assert_eq!(eval("Array[String]", "quote([\"a\"])"), json!(["\"a\""]));
    assert_eq!(eval("Array[String]", "squote([\"a\"])"), json!(["'a'"]));
    assert_eq!(
        eval("Array[String]", "suffix(\".txt\", [\"a\", \"b\"])"),
        json!(["a.txt", "b.txt"])
    );
    assert_eq!(eval("String", "sep(\"-\", [\"a\", \"b\"])"), json!("a-b"));
}

#[test]
fn numbers() {
    assert_eq!(eval("Int", "round(2.5)"), json!(3));
    assert_eq!(eval("Int", "round(-2.5)"), json!(-3));
    assert_eq!(eval("Int", "floor(-1.5)"), json!(-2));
    assert_eq!(eval("Int", "ceil(1.1)"), json!(2));
    assert_eq!(eval("Int", "min(3, 4)"), json!(3));
    assert_eq!(eval("Float", "max(3, 4.5)"), json!(4.5));
}

#[test]
fn arrays_maps_pairs() {
    assert_eq!(eval("Array[Int]", "range(4)"), json!([0, 1, 2, 3]));
    assert_eq!(eval("Int", "length([1, 2, 3])"), json!(3));
    assert_eq!(
        eval("Array[Array[Int]]", "transpose([[1, 2, 3], [4, 5, 6]])"),
        json!([[1, 4], [2, 5], [3, 6]])
    );
    assert_eq!(
        eval("Array[Pair[Int, String]]", "cross([1, 2], [\"a\"])"),
        json!([{"left": 1, "right": "a"}, {"left": 2, "right": "a"}])
    );
    assert_eq!(
        eval(
            "Pair[Array[Int], Array[String]]",
            "unzip([(1, \"a\"), (2, \"b\")])"
        ),
        json!({"left": [1, 2], "right": ["a", "b"]})
    );
    assert_eq!(
        eval("Array[Int]", "flatten([[1], [], [2, 3]])"),
        json!([1, 2, 3])
    );
    assert_eq!(
        eval("Array[Int]", "select_all([1, None, 3])"),
        json!([1, 3])
    );
    assert_eq!(eval("Int", "select_first([None, 5, 6])"), json!(5));
    assert_eq!(eval("Boolean", "defined(None)"), json!(false));
    assert_eq!(
        eval("Map[String, Int]", "as_map([(\"b\", 1), (\"a\", 2)])"),
        json!({"b": 1, "a": 2})
    );
    assert!(fails("Map[String, Int]", "as_map([(\"a\", 1), (\"a\", 2)])").contains("duplicate"));
    assert_eq!(
        eval(
            "Map[String, Array[Int]]",
            "collect_by_key([(\"a\", 1), (\"b\", 2), (\"a\", 3)])"
        ),
        json!({"a": [1, 3], "b": [2]})
    );
    assert_eq!(
        eval("Array[String]", "keys({\"z\": 1, \"a\": 2})"),
        json!(["z", "a"])
    );
    assert_eq!(
        eval("Array[Int]", "values({\"z\": 1, \"a\": 2})"),
        json!([1, 2])
    );
    assert_eq!(
        eval(
            "Boolean",
            "contains([1, 2], 2) && contains_key({\"a\": 1}, \"a\")"
        ),
        json!(true)
    );
    assert_eq!(
        eval("Array[Array[Int]]", "chunk([1, 2, 3], 2)"),
        json!([[1, 2], [3]])
    );
    assert_eq!(eval("Int", "[10, 20, 30][1]"), json!(20));
    assert_eq!(eval("Int", "{\"a\": 1, \"b\": 2}[\"b\"]"), json!(2));
    assert!(fails("Int", "[1][5]").contains("out of bounds"));
    assert_eq!(
        eval("Array[Pair[String, Int]]", "as_pairs({\"x\": 1})"),
        json!([{"left": "x", "right": 1}])
    );
}

#[test]
fn coercions() {
    assert_eq!(eval("Array[Float]", "[1, 2]"), json!([1.0, 2.0]));
    assert_eq!(eval("Int?", "None"), json!(null));
    assert!(fails("Array[Int]+", "[]").contains("non-empty"));
    assert_eq!(
        eval("Object", "object { a: 1, b: \"x\" }"),
        json!({"a": 1, "b": "x"})
    );
}

#[test]
fn file_functions_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("n.txt"), "42\n").unwrap();
    std::fs::write(d.join("t.tsv"), "a\tb\nc\td\n").unwrap();
    std::fs::write(d.join("j.json"), r#"{"k": [1, 2]}"#).unwrap();
    let e = |ty: &str, ex: &str| eval_in(d, ty, ex).unwrap_or_else(|e| panic!("{ex}: {e}"));
    assert_eq!(e("Int", "read_int(\"n.txt\")"), json!(42));
    assert_eq!(e("String", "read_string(\"n.txt\")"), json!("42"));
    assert_eq!(
        e("Array[Array[String]]", "read_tsv(\"t.tsv\")"),
        json!([["a", "b"], ["c", "d"]])
    );
    assert_eq!(
        e("Map[String, String]", "read_map(\"t.tsv\")"),
        json!({"a": "b", "c": "d"})
    );
    assert_eq!(
        e("Array[String]", "read_lines(write_lines([\"x\", \"y\"]))"),
        json!(["x", "y"])
    );
    assert_eq!(
        e(
            "Array[Array[String]]",
            "read_tsv(write_tsv([[\"1\", \"2\"]]))"
        ),
        json!([["1", "2"]])
    );
    assert_eq!(
        e("Map[String, String]", "read_map(write_map({\"k\": \"v\"}))"),
        json!({"k": "v"})
    );
    assert_eq!(
        e("Map[String, Array[Int]]", "read_json(\"j.json\")"),
        json!({"k": [1, 2]})
    );
    assert_eq!(e("Float", "size(\"n.txt\")"), json!(3.0));
    assert_eq!(e("Float", "size(\"n.txt\", \"KB\")"), json!(0.003));
    assert_eq!(e("Float", "size(None)"), json!(0.0));
    assert!(
        eval_in(d, "Int", "read_int(\"missing.txt\")")
            .unwrap_err()
            .contains("cannot read")
    );
}
