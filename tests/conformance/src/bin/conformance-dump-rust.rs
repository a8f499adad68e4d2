//! Prints `{case name: outcome}` for every vector, then every Bitnob vector
//! as `NAME [verify]` and `NAME [construct_event]`, as JSON (the Rust column
//! of `tests/conformance/compare.py`).

// Indexing a serde_json `Value` never panics (a missing key reads as Null).
#![allow(clippy::indexing_slicing)]

use std::process::ExitCode;

use serde_json::{Map, Value};

fn main() -> ExitCode {
    let dump = || -> Result<Value, String> {
        let mut out = Map::new();
        for case in bullseye_webhooks_conformance::load_cases()? {
            let name = case["name"].as_str().unwrap_or_default().to_owned();
            out.insert(name, bullseye_webhooks_conformance::run(&case)?);
        }
        for case in bullseye_webhooks_conformance::load_bitnob_cases()? {
            let outcomes = bullseye_webhooks_conformance::run_bitnob(&case)?;
            for (operation, outcome) in bullseye_webhooks_conformance::BITNOB_OPERATIONS
                .iter()
                .zip(outcomes)
            {
                let key = bullseye_webhooks_conformance::bitnob_key(&case, operation);
                if out.insert(key.clone(), outcome).is_some() {
                    return Err(format!("two outcomes named {key}"));
                }
            }
        }
        Ok(Value::Object(out))
    };
    match dump() {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("conformance-dump-rust: {e}");
            ExitCode::FAILURE
        }
    }
}
