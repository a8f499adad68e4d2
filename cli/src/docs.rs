//! `completions SHELL` and `man`: generated from the clap definition, so
//! they never drift from `--help`.

use std::path::Path;

use clap::CommandFactory;

use crate::Failure;
use crate::args::{Cli, CompletionsArgs, ManArgs};

const BIN_NAME: &str = "bullseye-webhooks";

pub(crate) fn completions(args: &CompletionsArgs) -> Result<(), Failure> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), BIN_NAME, &mut out);
    crate::print_out(&out)
}

pub(crate) fn man(args: &ManArgs) -> Result<(), Failure> {
    // Built, so that every command knows its full name (bullseye-webhooks-send).
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    if let Some(dir) = &args.out_dir {
        return write_pages(&command, dir)
            .map_err(|e| Failure::Input(format!("cannot write to {}: {e}", dir.display())));
    }
    for name in &args.command {
        let known: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
        command = command.find_subcommand(name).cloned().ok_or_else(|| {
            Failure::Usage(format!("no command {name:?}; one of: {}", known.join(", ")))
        })?;
    }
    let mut out = Vec::new();
    page(command)
        .render(&mut out)
        .map_err(|e| Failure::Input(format!("cannot render the manual page: {e}")))?;
    crate::print_out(&out)
}

/// A command's page, its footer naming the tool and its version (clap_mangen
/// would name a subcommand alone).
fn page(command: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(command).source(format!("{BIN_NAME} {}", env!("CARGO_PKG_VERSION")))
}

/// `command`'s page and every subcommand's, as NAME.1 files in `dir`.
fn write_pages(command: &clap::Command, dir: &Path) -> std::io::Result<()> {
    for subcommand in command.get_subcommands().filter(|c| !c.is_hide_set()) {
        write_pages(subcommand, dir)?;
    }
    page(command.clone()).generate_to(dir).map(drop)
}
