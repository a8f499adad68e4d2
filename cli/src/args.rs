//! The command line, as clap reads it. Every `--help` comes from here.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Secrets and exit codes, at the end of every `--help`.
macro_rules! exit_codes {
    () => {
        "\
Secrets: --secret-env NAME reads one from an environment variable, which keeps
it out of shell history; --secret S takes it from the command line. With
neither, BULLSEYE_WEBHOOK_SECRET is read. A secret is never printed.

Exit codes:
  0  success
  1  the check failed: `verify` refused the webhook (its error code is on
     stdout), or `send --expect-status` got another status
  2  bad arguments, or no usable secret
  3  the input (FILE or stdin) could not be read
  4  `send` got no HTTP answer (unreachable URL, timeout, not HTTP)"
    };
}
const EXIT_CODES: &str = exit_codes!();

/// Sign, verify and send Bullseye webhooks, to test a receiver on
/// 127.0.0.1 before Bullseye can reach it.
#[derive(Debug, Parser)]
#[command(name = "bullseye-webhooks", version, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the X-Bullseye-Signature of a body (lowercase hex HMAC-SHA256)
    #[command(after_help = EXIT_CODES)]
    Sign(SignArgs),
    /// Check a body's signature, then print the typed event as JSON, or
    /// print the error code and exit 1
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
    /// POST a signed (or deliberately broken) delivery to a receiver and
    /// report its status, body and time
    #[command(after_help = EXIT_CODES)]
    Send(SendArgs),
    /// Print a realistic example payload
    #[command(after_help = EXIT_CODES)]
    Example(ExampleArgs),
}

/// Where a signing command gets its one secret.
#[derive(Debug, Args)]
pub(crate) struct SecretArgs {
    /// The webhook secret, as configured in Bullseye (whsec_... included).
    /// Prefer --secret-env: a command line lands in shell history
    #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
    pub(crate) secret: Vec<OsString>,
    /// Read the secret from the environment variable NAME
    /// [default: BULLSEYE_WEBHOOK_SECRET]
    #[arg(long, value_name = "NAME")]
    pub(crate) secret_env: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    /// The body, read as raw bytes; `-` reads stdin
    #[arg(value_name = "FILE|-")]
    pub(crate) input: PathBuf,
}

#[derive(Debug, Args)]
#[command(after_long_help = concat!("Give --secret or --secret-env twice (new, then old) \
to accept a body signed by either, as during a rotation.\n\n", exit_codes!()))]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    /// The X-Bullseye-Signature value (X-Webhook-Signature with --visit)
    #[arg(long, value_name = "SIG", allow_hyphen_values = true)]
    pub(crate) signature: String,
    /// Refuse an event whose `timestamp` is further than SECONDS from now
    /// [default: no time check]
    #[arg(long, value_name = "SECONDS", conflicts_with = "visit")]
    pub(crate) tolerance: Option<u64>,
    /// Refuse a body longer than BYTES, before hashing [default: 1048576]
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_body_bytes: Option<usize>,
    /// A fingerprinting-api visit: the signature may be the static token
    /// (the secret itself) or the HMAC; prints the typed visit
    #[arg(long)]
    pub(crate) visit: bool,
    /// Check the signature only and print `ok`, without parsing the body
    #[arg(long)]
    pub(crate) signature_only: bool,
    /// Refuse a documented field sent with another JSON type
    /// (invalid_payload) instead of accepting it and reporting it on stderr
    #[arg(long, conflicts_with = "signature_only")]
    pub(crate) strict: bool,
    /// The body exactly as received; `-` reads stdin
    #[arg(value_name = "FILE|-")]
    pub(crate) input: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExampleKind {
    /// A `visitor.identified` event (X-Bullseye-Signature)
    Identification,
    /// A fingerprinting-api NEW_VISIT (X-Webhook-Signature)
    Visit,
}

#[derive(Debug, Args)]
pub(crate) struct ExampleArgs {
    /// Which payload
    #[arg(value_enum)]
    pub(crate) kind: ExampleKind,
}

#[derive(Debug, Args)]
#[command(after_long_help = concat!("Plain http:// only: no TLS, since the receiver is on \
this machine (127.0.0.1, localhost, [::1]). Bodies over 64 KiB go with \
`Expect: 100-continue`, so a receiver that refuses them by Content-Length \
can answer before the body is sent.\n\n\
Examples:\n  \
export BULLSEYE_WEBHOOK_SECRET=whsec_...\n  \
bullseye-webhooks send --url http://127.0.0.1:3000/webhooks/bullseye --example identification\n  \
bullseye-webhooks send --url http://127.0.0.1:3000/webhooks/bullseye --example identification --tamper\n  \
bullseye-webhooks send --url http://127.0.0.1:3000/webhooks/bullseye payload.json --repeat 5\n\n", exit_codes!()))]
#[command(group = clap::ArgGroup::new("body").required(true).args(["input", "example"]))]
#[command(group = clap::ArgGroup::new("signing").args(["tamper", "unsigned", "wrong_secret", "signature", "static_token"]))]
pub(crate) struct SendArgs {
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    /// The receiver's endpoint, http://HOST[:PORT]/PATH
    #[arg(long, value_name = "URL")]
    pub(crate) url: String,
    /// The body to send, as raw bytes; `-` reads stdin
    #[arg(value_name = "FILE|-")]
    pub(crate) input: Option<PathBuf>,
    /// Send an example payload instead of FILE (see `example`)
    #[arg(long, value_enum, value_name = "KIND")]
    pub(crate) example: Option<ExampleKind>,
    /// The signature header's name [default: X-Bullseye-Signature;
    /// X-Webhook-Signature with --example visit]
    #[arg(long, value_name = "NAME")]
    pub(crate) header: Option<String>,
    /// Sign the body, then change one character of it (the last digit,
    /// else the last letter): the receiver must answer signature_mismatch
    #[arg(long)]
    pub(crate) tamper: bool,
    /// Send no signature header: the receiver must answer missing_signature
    #[arg(long)]
    pub(crate) unsigned: bool,
    /// Sign with a secret that is not the configured one: the receiver must
    /// answer signature_mismatch
    #[arg(long)]
    pub(crate) wrong_secret: bool,
    /// Send this header value as it is, instead of signing (no secret needed)
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    pub(crate) signature: Option<String>,
    /// Send the secret itself as the header value: fingerprinting-api's
    /// static-token mode
    #[arg(long)]
    pub(crate) static_token: bool,
    /// Send the same delivery N times in all, as Bullseye's retries do, to
    /// exercise de-duplication; above 20, answers are summed up and a
    /// progress line goes to stderr
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) repeat: u32,
    /// Exit 1 unless every answer has this HTTP status
    #[arg(long, value_name = "STATUS")]
    pub(crate) expect_status: Option<u16>,
    /// Print one JSON object per delivery (status, reason, body, time_ms)
    #[arg(long)]
    pub(crate) json: bool,
    /// Seconds to wait for the connection and for each read and write
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) timeout: u64,
}
