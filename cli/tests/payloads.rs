//! The CLI's example payloads (cli/payloads/, inside the crate so the
//! published crate builds on its own) are the shared fixtures, byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

#[test]
fn the_examples_are_the_fixtures_byte_for_byte() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = crate_dir.join("../fixtures/payloads");
    let copies: Vec<_> = std::fs::read_dir(crate_dir.join("payloads"))
        .expect("cli/payloads")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    assert_eq!(copies.len(), 3, "cli/payloads holds the three examples");
    for copy in copies {
        let name = copy.file_name().expect("a file name");
        let original = std::fs::read(fixtures.join(name))
            .unwrap_or_else(|e| panic!("fixtures/payloads/{name:?}: {e}"));
        assert!(
            std::fs::read(&copy).expect("the copy") == original,
            "cli/payloads/{name:?} differs from fixtures/payloads: copy it again"
        );
    }
}
