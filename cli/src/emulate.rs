//! `bullseye-webhooks emulate`: the emulator crate's command line, as is.

use bullseye_webhooks_emulator::cli::{EmulateArgs, RunError, run as run_emulator};

use crate::Failure;

pub(crate) fn run(args: &EmulateArgs) -> Result<(), Failure> {
    run_emulator(args).map_err(|error| match error {
        RunError::Usage(why) => Failure::Usage(why),
        RunError::Failed(why) => {
            eprintln!("bullseye-webhooks: error: {why}");
            Failure::Refused
        }
    })
}
