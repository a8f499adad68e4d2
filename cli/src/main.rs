//! `bullseye-webhooks`: sign, verify and send Bullseye (and Bitnob)
//! webhooks, to test a receiver on 127.0.0.1. Every rule comes from the
//! core crate.

#![forbid(unsafe_code)]

mod args;
mod client;
mod docs;
mod emulate;
mod partner;
mod send;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bullseye_webhooks::{
    BITNOB_EVENT_HEADER, BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BitnobWebhook, Webhook,
    sign, sign_bitnob, sign_bitnob_legacy,
};
use clap::Parser;

use args::{Cli, Command, ExampleKind, Scheme, SecretArgs, SignArgs, VerifyArgs};

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
/// The same, with `--scheme bitnob`.
pub(crate) const BITNOB_SECRET_ENV: &str = "BITNOB_WEBHOOK_SECRET";

// Copies of fixtures/payloads/ inside the crate, so the published crate
// builds on its own; a test (tests/payloads.rs) keeps them byte-identical.
const IDENTIFICATION_EXAMPLE: &str =
    include_str!("../payloads/bullseye-partner-api-identification.json");
const VISIT_EXAMPLE: &str = include_str!("../payloads/fingerprinting-api-visit.json");
const BITNOB_EXAMPLE: &str = include_str!("../payloads/bitnob-virtualcard-debit.json");

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
        Command::Partner(args) => partner::run(&args),
        Command::Emulate(args) => emulate::run(&args),
        Command::Completions(args) => docs::completions(&args),
        Command::Man(args) => docs::man(&args),
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
        ExampleKind::Bitnob => BITNOB_EXAMPLE,
    }
}

impl Scheme {
    /// The variable a secret is read from when no flag names one.
    pub(crate) fn secret_env(self) -> &'static str {
        match self {
            Scheme::Bullseye => DEFAULT_SECRET_ENV,
            Scheme::Bitnob => BITNOB_SECRET_ENV,
        }
    }
}

/// The current Unix time in seconds, as `X-Bitnob-Timestamp` carries it.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

pub(crate) fn print_out(bytes: &[u8]) -> Result<(), Failure> {
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
    /// Every secret given, as bytes, in the order given; the scheme's
    /// default variable when none is.
    pub(crate) fn secrets(&self, scheme: Scheme) -> Result<Vec<Vec<u8>>, Failure> {
        let default_env = scheme.secret_env();
        let mut secrets: Vec<Vec<u8>> = self
            .secret
            .iter()
            .map(|s| s.clone().into_encoded_bytes())
            .collect();
        for name in &self.secret_env {
            secrets.push(env_secret(name).ok_or_else(|| unset_variable(name))?);
        }
        if secrets.is_empty() {
            match env_secret(default_env) {
                Some(secret) => secrets.push(secret),
                None => {
                    return Err(Failure::Usage(format!(
                        "no secret: give --secret-env NAME (or --secret S), or set {default_env}"
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
    pub(crate) fn one(&self, scheme: Scheme) -> Result<Vec<u8>, Failure> {
        let mut secrets = self.secrets(scheme)?;
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
    if args.scheme == Scheme::Bullseye && (args.timestamp.is_some() || args.legacy) {
        return Err(Failure::Usage(
            "--timestamp and --legacy are for --scheme bitnob".to_owned(),
        ));
    }
    let secret = args.secrets.one(args.scheme)?;
    let body = read_input(&args.input)?;
    let lines = match args.scheme {
        Scheme::Bullseye => format!("{}\n", sign(&secret, &body)),
        Scheme::Bitnob if args.legacy => format!(
            "{BITNOB_SIGNATURE_HEADER}: {}\n",
            sign_bitnob_legacy(&secret, &body)
        ),
        Scheme::Bitnob => {
            let timestamp = args
                .timestamp
                .clone()
                .unwrap_or_else(|| unix_now().to_string());
            header_value_ok(&timestamp)?;
            format!(
                "{BITNOB_TIMESTAMP_HEADER}: {timestamp}\n{BITNOB_SIGNATURE_HEADER}: {}\n",
                sign_bitnob(&secret, &timestamp, &body)
            )
        }
    };
    print_out(lines.as_bytes())
}

/// A header value must not break the header block.
pub(crate) fn header_value_ok(value: &str) -> Result<(), Failure> {
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(Failure::Usage(
            "a header value contains a line break or NUL".to_owned(),
        ));
    }
    Ok(())
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
    if args.scheme == Scheme::Bitnob {
        return run_verify_bitnob(args);
    }
    if args.timestamp.is_some() || args.event.is_some() || args.no_legacy_sha512 {
        return Err(Failure::Usage(
            "--timestamp, --event and --no-legacy-sha512 are for --scheme bitnob".to_owned(),
        ));
    }
    let secrets = args.secrets.secrets(Scheme::Bullseye)?;
    let body = read_input(&args.input)?;
    let mut webhook = Webhook::with_secrets(&secrets).map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(seconds) = args.tolerance {
        webhook = webhook.with_tolerance(Duration::from_secs(seconds));
    }
    if let Some(limit) = args.max_body_bytes {
        webhook = webhook.with_max_body_bytes(limit);
    }
    webhook = webhook.with_strict(args.strict);
    let now = args
        .now
        .map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds));
    let signature = &args.signature;
    let verified = match (args.visit, args.signature_only) {
        (false, true) => webhook.verify(&body, signature).map(|()| None),
        (true, true) => webhook
            .verify_visit_signature(&body, signature)
            .map(|()| None),
        (false, false) => match now {
            Some(now) => webhook.construct_event_at(&body, signature, now),
            None => webhook.construct_event(&body, signature),
        }
        .map(|event| {
            report(event.mismatches());
            Some(serde_json::to_string_pretty(&event))
        }),
        (true, false) => webhook.construct_visit(&body, signature).map(|visit| {
            report(visit.mismatches());
            Some(serde_json::to_string_pretty(&visit))
        }),
    };
    print_verified(verified)
}

/// `verify --scheme bitnob`: the three headers from their flags.
fn run_verify_bitnob(args: &VerifyArgs) -> Result<(), Failure> {
    if args.visit || args.strict {
        return Err(Failure::Usage(
            "--visit and --strict are not for --scheme bitnob (its events have no typed fields)"
                .to_owned(),
        ));
    }
    let secrets = args.secrets.secrets(Scheme::Bitnob)?;
    let body = read_input(&args.input)?;
    let mut bitnob =
        BitnobWebhook::with_secrets(&secrets).map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(seconds) = args.tolerance {
        bitnob = bitnob.with_tolerance(Duration::from_secs(seconds));
    }
    if args.no_tolerance {
        bitnob = bitnob.without_tolerance();
    }
    if let Some(limit) = args.max_body_bytes {
        bitnob = bitnob.with_max_body_bytes(limit);
    }
    bitnob = bitnob.with_legacy_sha512(!args.no_legacy_sha512);
    let mut headers = vec![(BITNOB_SIGNATURE_HEADER, args.signature.as_str())];
    if let Some(timestamp) = &args.timestamp {
        headers.push((BITNOB_TIMESTAMP_HEADER, timestamp));
    }
    if let Some(event) = &args.event {
        headers.push((BITNOB_EVENT_HEADER, event));
    }
    let now = args.now.map_or_else(SystemTime::now, |seconds| {
        UNIX_EPOCH + Duration::from_secs(seconds)
    });
    let headers = headers.iter().copied();
    let verified = if args.signature_only {
        bitnob.verify_at(&body, headers, now).map(|()| None)
    } else {
        bitnob
            .construct_event_at(&body, headers, now)
            .map(|event| Some(serde_json::to_string_pretty(&event)))
    };
    print_verified(verified)
}

/// `ok`, the event as JSON, or the error code (stdout) and message (stderr).
fn print_verified(
    verified: Result<Option<serde_json::Result<String>>, bullseye_webhooks::Error>,
) -> Result<(), Failure> {
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
