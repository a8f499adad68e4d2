//! `make generate`: write every file generated from the core's field table
//! (see the library), from the repository's root. With `--check`, write
//! nothing and fail when a committed copy differs.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|arg| arg == "--check");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut stale = 0;
    for (path, text) in bullseye_webhooks_tools::outputs() {
        let file = root.join(path);
        let current = std::fs::read_to_string(&file).unwrap_or_default();
        if current == text {
            continue;
        }
        if check {
            eprintln!("{path} differs from the field table: run `make generate`");
            stale += 1;
        } else if let Err(error) = std::fs::write(&file, text) {
            eprintln!("{path}: {error}");
            return ExitCode::FAILURE;
        } else {
            println!("wrote {path}");
        }
    }
    if stale > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
