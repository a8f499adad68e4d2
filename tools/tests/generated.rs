//! The generated files are what the field table gives, and the fields the
//! issue names are hand-written only in the schema: every other production
//! file naming one says in its first lines that it is generated.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn committed_generated_files_are_what_the_table_gives() {
    for (path, text) in bullseye_webhooks_tools::outputs() {
        let committed = std::fs::read_to_string(root().join(path)).unwrap_or_default();
        assert!(
            committed == text,
            "{path} differs from the field table: run `make generate`"
        );
        assert!(
            committed.lines().next().unwrap_or("").contains("GENERATED"),
            "{path} does not say it is generated"
        );
    }
}

/// Files where a field's name is data or prose, not a definition: tests,
/// fixtures and payloads, benches, docs, the fuzzers' corpus.
fn not_production(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".md")
        || lower.ends_with(".json")
        || lower.ends_with(".proptest-regressions")
        || [
            "test",
            "fixtures/",
            "bench",
            "payloads/",
            "docs/",
            "demo/",
            "fuzz/corpus/",
        ]
        .iter()
        .any(|part| lower.contains(part))
}

#[test]
fn fields_are_hand_written_only_in_the_schema() {
    const SCHEMA: &str = "core/src/schema/records.rs";
    let names = [
        "persona_match",
        "employee_count",
        "utm_source",
        "pages_visited",
        "firstSeen",
    ];
    // Each name is a field of the table (so this test follows the schema).
    let records = bullseye_webhooks_tools::records();
    for name in names {
        assert!(
            records
                .iter()
                .any(|r| r.fields.iter().any(|f| f.name == name || f.key == name)),
            "{name} is not in the field table"
        );
    }
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root())
        .output()
        .expect("git ls-files");
    let files = String::from_utf8(listed.stdout).unwrap();
    let mut checked = 0;
    for path in files.split('\0').filter(|p| !p.is_empty()) {
        if path == SCHEMA || not_production(path) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root().join(path)) else {
            continue;
        };
        let Some(name) = names.iter().find(|name| text.contains(**name)) else {
            continue;
        };
        let head: String = text.lines().take(3).collect::<Vec<_>>().join("\n");
        assert!(
            head.contains("GENERATED"),
            "{path} names `{name}` by hand: only the schema ({SCHEMA}) may, \
             other files are generated from its field table (`make generate`)"
        );
        checked += 1;
    }
    // The generated Python and TypeScript surfaces name them.
    assert!(
        checked >= 2,
        "only {checked} generated files name the fields"
    );
}
