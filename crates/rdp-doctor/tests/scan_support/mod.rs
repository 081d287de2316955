//! Shared helpers of the scan tests: the real binary, the report schema check and the CSV reader (both by
//! Python, an independent implementation of JSON Schema and RFC 4180), scripted peers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rdp-doctor"))
}

/// `docs/report.schema.json`.
pub fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json")
}

/// Every line of `jsonl` validates against the report schema (python3-jsonschema, Draft 2020-12).
/// Returns the parsed lines.
pub fn validate_jsonl(jsonl: &Path) -> Vec<Value> {
    let python = rdp_doctor_lab::require("python3").unwrap();
    let script = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = 0
n = 0
for i, line in enumerate(open(sys.argv[2]), 1):
    n += 1
    for e in v.iter_errors(json.loads(line)):
        bad += 1
        print(f"line {i}: {e.json_path}: {e.message[:300]}")
print(f"checked {n} lines, {bad} errors")
sys.exit(1 if bad else 0)
"#;
    let out = Command::new(python).arg("-c").arg(script).arg(schema_path()).arg(jsonl).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schema errors:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The rows of a CSV file as read by Python's csv module (a list of dicts, header row as keys).
pub fn csv_rows(csv: &Path) -> Vec<Value> {
    let python = rdp_doctor_lab::require("python3").unwrap();
    let script = "import csv, json, sys\nprint(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='')))))";
    let out = Command::new(python).arg("-c").arg(script).arg(csv).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

/// The line whose `scan.key` is `key`.
pub fn by_key<'a>(lines: &'a [Value], key: &str) -> &'a Value {
    lines.iter().find(|l| l["scan"]["key"] == key).unwrap_or_else(|| {
        panic!("no line for {key}: {:?}", lines.iter().map(|l| &l["scan"]["key"]).collect::<Vec<_>>())
    })
}

pub fn finding_ids(line: &Value) -> Vec<String> {
    line["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}
