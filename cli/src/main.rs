//! `bullseye-webhooks`: sign, verify and send Bullseye webhooks, to test a
//! receiver on 127.0.0.1. Every rule comes from the core crate.

#![forbid(unsafe_code)]

mod args;
mod http;
mod send;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use bullseye_webhooks::{Webhook, sign};
use clap::Parser;

use args::{Cli, Command, ExampleKind, SecretArgs, SignArgs, VerifyArgs};

/// The command ran and succeeded.
const EXIT_OK: u8 = 0;
/// The check failed: `verify` refused the webhook (its error code is on
/// stdout), or `send --expect-status` got another status.
const EXIT_REFUSED: u8 = 1;
/// Bad arguments, or no usable secret (what clap also exits with).
const EXIT_USAGE: u8 = 2;
/// The input (FILE or stdin) could not be read.
const EXIT_INPUT: u8 = 3;
/// `send` got no HTTP answer: unreachable URL, timeout, not HTTP.
const EXIT_NETWORK: u8 = 4;

/// The variable a secret is read from when no `--secret`/`--secret-env` is given.
pub(crate) const DEFAULT_SECRET_ENV: &str = "BULLSEYE_WEBHOOK_SECRET";

const IDENTIFICATION_EXAMPLE: &str =
    include_str!("../../fixtures/payloads/bullseye-partner-api-identification.json");
const VISIT_EXAMPLE: &str = include_str!("../../fixtures/payloads/fingerprinting-api-visit.json");

/// Why a command stopped, and so its exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Already reported on stdout/stderr.
    Refused,
    Usage(String),
    Input(String),
    Network(String),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Refused => EXIT_REFUSED,
            Failure::Usage(_) => EXIT_USAGE,
            Failure::Input(_) => EXIT_INPUT,
            Failure::Network(_) => EXIT_NETWORK,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version exit 0; a usage error exits 2.
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Sign(args) => run_sign(&args),
        Command::Verify(args) => run_verify(&args),
        Command::Send(args) => send::run(&args),
        Command::Example(args) => print_out(example(args.kind).as_bytes()),
    };
    match result {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(failure) => {
            match &failure {
                Failure::Refused => {}
                Failure::Usage(why) | Failure::Input(why) | Failure::Network(why) => {
                    eprintln!("bullseye-webhooks: error: {why}");
                }
            }
            ExitCode::from(failure.exit_code())
        }
    }
}

/// The example payload of `kind`, exactly as in `fixtures/payloads/`.
pub(crate) fn example(kind: ExampleKind) -> &'static str {
    match kind {
        ExampleKind::Identification => IDENTIFICATION_EXAMPLE,
        ExampleKind::Visit => VISIT_EXAMPLE,
    }
}

fn print_out(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not worth an error message.
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
    Ok(())
}

/// The body from FILE, or from stdin for `-`.
pub(crate) fn read_input(input: &Path) -> Result<Vec<u8>, Failure> {
    if input.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut body)
            .map_err(|e| Failure::Input(format!("cannot read stdin: {e}")))?;
        Ok(body)
    } else {
        std::fs::read(input)
            .map_err(|e| Failure::Input(format!("cannot read {}: {e}", input.display())))
    }
}

impl SecretArgs {
    /// Every secret given, as bytes, in the order given; the default
    /// variable when none is.
    pub(crate) fn secrets(&self) -> Result<Vec<Vec<u8>>, Failure> {
        let mut secrets: Vec<Vec<u8>> = self
            .secret
            .iter()
            .map(|s| s.clone().into_encoded_bytes())
            .collect();
        for name in &self.secret_env {
            secrets.push(env_secret(name).ok_or_else(|| unset_variable(name))?);
        }
        if secrets.is_empty() {
            match env_secret(DEFAULT_SECRET_ENV) {
                Some(secret) => secrets.push(secret),
                None => {
                    return Err(Failure::Usage(format!(
                        "no secret: give --secret-env NAME (or --secret S), or set {DEFAULT_SECRET_ENV}"
                    )));
                }
            }
        }
        if secrets.iter().any(Vec::is_empty) {
            // The core's own message; it never contains a secret.
            return Err(Failure::Usage(
                bullseye_webhooks::Error::InvalidSecret.to_string(),
            ));
        }
        Ok(secrets)
    }

    /// The one secret a signing command uses.
    pub(crate) fn one(&self) -> Result<Vec<u8>, Failure> {
        let mut secrets = self.secrets()?;
        match secrets.pop() {
            Some(secret) if secrets.is_empty() => Ok(secret),
            _ => Err(Failure::Usage(
                "give one secret to sign with (several are for `verify`, to check a rotation)"
                    .to_owned(),
            )),
        }
    }
}

fn env_secret(name: &str) -> Option<Vec<u8>> {
    std::env::var_os(name).map(OsString::into_encoded_bytes)
}

/// The message for `--secret-env NAME` naming no set variable. A NAME that
/// looks like a secret (`--secret-env whsec_...` for `--secret whsec_...`)
/// is not echoed.
fn unset_variable(name: &str) -> Failure {
    let looks_like_a_name = name.bytes().next().is_some_and(|b| !b.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.to_ascii_lowercase().starts_with("whsec_");
    Failure::Usage(if looks_like_a_name {
        format!("--secret-env {name}: that environment variable is not set")
    } else {
        "--secret-env takes the NAME of an environment variable holding the secret, \
         not the secret itself; no such variable is set"
            .to_owned()
    })
}

fn run_sign(args: &SignArgs) -> Result<(), Failure> {
    let secret = args.secrets.one()?;
    let body = read_input(&args.input)?;
    print_out(format!("{}\n", sign(&secret, &body)).as_bytes())
}

/// A documented field sent with another JSON type: accepted (a receiver that
/// refused it would lose the delivery), and said on stderr, without the
/// value, which may be personal data.
fn report(mismatches: &[bullseye_webhooks::Mismatch]) {
    for m in mismatches {
        eprintln!(
            "bullseye-webhooks: mismatch: `{}` is documented as {} but was sent as {} \
             (read leniently; --strict refuses it)",
            m.path(),
            m.expected(),
            m.found()
        );
    }
}

fn run_verify(args: &VerifyArgs) -> Result<(), Failure> {
    let secrets = args.secrets.secrets()?;
    let body = read_input(&args.input)?;
    let mut webhook = Webhook::with_secrets(&secrets).map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(seconds) = args.tolerance {
        webhook = webhook.with_tolerance(Duration::from_secs(seconds));
    }
    if let Some(limit) = args.max_body_bytes {
        webhook = webhook.with_max_body_bytes(limit);
    }
    webhook = webhook.with_strict(args.strict);
    let signature = &args.signature;
    let verified = match (args.visit, args.signature_only) {
        (false, true) => webhook.verify(&body, signature).map(|()| None),
        (true, true) => webhook
            .verify_visit_signature(&body, signature)
            .map(|()| None),
        (false, false) => webhook.construct_event(&body, signature).map(|event| {
            report(event.mismatches());
            Some(serde_json::to_string_pretty(&event))
        }),
        (true, false) => webhook.construct_visit(&body, signature).map(|visit| {
            report(visit.mismatches());
            Some(serde_json::to_string_pretty(&visit))
        }),
    };
    match verified {
        Ok(None) => print_out(b"ok\n"),
        Ok(Some(json)) => {
            let json = json.map_err(|e| Failure::Usage(format!("cannot print the event: {e}")))?;
            print_out(format!("{json}\n").as_bytes())
        }
        Err(error) => {
            let _ = print_out(format!("{}\n", error.code()).as_bytes());
            eprintln!("bullseye-webhooks: refused: {error}");
            Err(Failure::Refused)
        }
    }
}
