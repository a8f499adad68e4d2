//! `bullseye-webhooks-emulator`: a local Bullseye on 127.0.0.1 (the same as
//! `bullseye-webhooks emulate`).

#![forbid(unsafe_code)]

use std::process::ExitCode;

use bullseye_webhooks_emulator::cli::{EmulateArgs, RunError, run};
use clap::Parser;

/// Serve Bullseye's partner API (webhooks) on 127.0.0.1 and deliver signed
/// webhooks to your receiver, with Bullseye's retries, logging every attempt.
#[derive(Debug, Parser)]
#[command(name = "bullseye-webhooks-emulator", version)]
struct Cli {
    #[command(flatten)]
    args: EmulateArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli.args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bullseye-webhooks-emulator: error: {error}");
            ExitCode::from(match error {
                RunError::Usage(_) => 2,
                RunError::Failed(_) => 1,
            })
        }
    }
}
