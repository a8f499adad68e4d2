//! `completions SHELL` and `man`: each names every command and option that
//! `--help` lists, and the bash script is valid bash.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::{Command, Stdio};

use common::*;

/// Every command, as a path of names; the first is the tool itself.
const COMMANDS: &[&[&str]] = &[
    &[],
    &["sign"],
    &["verify"],
    &["send"],
    &["example"],
    &["partner"],
    &["partner", "get"],
    &["partner", "set"],
    &["partner", "test"],
    &["partner", "logs"],
    &["partner", "rotate"],
    &["emulate"],
    &["completions"],
    &["man"],
];

/// The long options `COMMAND --help` lists (`--help` itself aside).
fn options_in_help(command: &[&str]) -> Vec<String> {
    let help = run(cli().args(command).arg("--help"), None);
    assert_eq!(help.code, 0, "{command:?}: {help:?}");
    let options: Vec<String> = help
        .stdout
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line
                .strip_prefix("-V, ")
                .or(line.strip_prefix("-h, "))
                .unwrap_or(line);
            let option = line
                .strip_prefix("--")?
                .split([' ', '=', '<', ','])
                .next()?;
            (option != "help" && !option.is_empty()).then(|| format!("--{option}"))
        })
        .collect();
    options
}

/// A page as text: roff writes a hyphen `\-`.
fn man_page(command: &[&str]) -> String {
    let page = run(cli().arg("man").args(command), None);
    assert_eq!(page.code, 0, "{command:?}: {page:?}");
    assert!(
        page.stdout.starts_with(".ie \\n(.g"),
        "roff: {}",
        page.stdout
    );
    page.stdout.replace("\\-", "-")
}

#[test]
fn every_command_has_a_man_page_naming_its_options() {
    let send = options_in_help(&["send"]);
    assert!(send.contains(&"--ca-cert".to_owned()), "{send:?}");
    for command in COMMANDS {
        let page = man_page(command);
        let name = ["bullseye-webhooks"]
            .iter()
            .chain(command.iter())
            .copied()
            .collect::<Vec<_>>()
            .join("-");
        assert!(
            page.contains(&format!(".TH {name} 1 ")),
            "{command:?}: {page}"
        );
        assert!(
            page.contains("\"bullseye-webhooks 0.1.0\""),
            "{command:?}: {page}"
        );
        for option in options_in_help(command) {
            assert!(page.contains(&option), "man {command:?} lacks {option}");
        }
    }
    let tool = man_page(&[]);
    for command in COMMANDS.iter().filter(|c| c.len() == 1) {
        let page = format!("bullseye-webhooks-{}(1)", command[0]);
        assert!(tool.contains(&page), "the tool's page lacks {page}");
    }
    let unknown = run(cli().args(["man", "no-such-command"]), None);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("one of: sign, verify, send"),
        "{unknown:?}"
    );
}

#[test]
fn man_out_dir_writes_every_page() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("man-pages");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let written = run(cli().args(["man", "--out-dir"]).arg(&dir), None);
    assert_eq!(written.code, 0, "{written:?}");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut expected: Vec<String> = COMMANDS
        .iter()
        .map(|command| {
            let mut name = vec!["bullseye-webhooks"];
            name.extend_from_slice(command);
            format!("{}.1", name.join("-"))
        })
        .collect();
    expected.sort();
    assert_eq!(files, expected);
    let send = std::fs::read_to_string(dir.join("bullseye-webhooks-send.1")).unwrap();
    assert_eq!(send.replace("\\-", "-"), man_page(&["send"]));
}

#[test]
fn bash_completion_is_valid_bash_naming_every_command_and_option() {
    let script = run(cli().args(["completions", "bash"]), None);
    assert_eq!(script.code, 0, "{script:?}");
    let mut bash = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .spawn()
        .expect("bash is installed");
    std::io::Write::write_all(&mut bash.stdin.take().unwrap(), script.stdout.as_bytes()).unwrap();
    assert!(bash.wait().unwrap().success(), "bash -n refused the script");
    assert!(
        script.stdout.contains("complete -F _bullseye__webhooks"),
        "{}",
        script.stdout
    );
    for command in COMMANDS {
        // The script names each command by its path: bullseye__webhooks__subcmd__partner__subcmd__set.
        if !command.is_empty() {
            let path = format!("bullseye__webhooks__subcmd__{}", command.join("__subcmd__"));
            assert!(
                script.stdout.contains(&format!("cmd=\"{path}\"")),
                "bash completion lacks {command:?}"
            );
        }
        for option in options_in_help(command) {
            assert!(
                script.stdout.contains(&option),
                "bash completion of {command:?} lacks {option}"
            );
        }
    }
}

#[test]
fn every_shell_gets_its_own_script() {
    for (shell, marker) in [
        ("zsh", "#compdef bullseye-webhooks"),
        ("fish", "complete -c bullseye-webhooks"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[bullseye-webhooks]"),
    ] {
        let script = run(cli().args(["completions", shell]), None);
        assert_eq!(script.code, 0, "{shell}: {script:?}");
        assert!(script.stdout.contains(marker), "{shell}: {}", script.stdout);
        assert!(
            script.stdout.contains("ca-cert"),
            "{shell}: lacks send's --ca-cert"
        );
    }
    let unknown = run(cli().args(["completions", "tcsh"]), None);
    assert_eq!(unknown.code, 2, "{unknown:?}");
}
