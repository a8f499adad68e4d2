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
neither, BULLSEYE_WEBHOOK_SECRET is read (BITNOB_WEBHOOK_SECRET with
--scheme bitnob). A secret is never printed.

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

/// Sign, verify and send Bullseye (and Bitnob) webhooks, to test a receiver
/// on 127.0.0.1 before the sender can reach it.
#[derive(Debug, Parser)]
#[command(name = "bullseye-webhooks", version, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the X-Bullseye-Signature of a body (lowercase hex HMAC-SHA256),
    /// or with --scheme bitnob the X-Bitnob-Timestamp and X-Bitnob-Signature
    /// headers
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
    /// Manage the webhooks through Bullseye's partner API: get, set, test,
    /// logs, and a secret rotation
    Partner(crate::partner::PartnerArgs),
    /// Run a local Bullseye on 127.0.0.1: the partner API, signed deliveries
    /// with Bullseye's retries, and their logs
    Emulate(bullseye_webhooks_emulator::cli::EmulateArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish
    #[command(after_long_help = "Examples:\n  \
bullseye-webhooks completions bash > ~/.local/share/bash-completion/completions/bullseye-webhooks\n  \
bullseye-webhooks completions zsh > \"${fpath[1]}/_bullseye-webhooks\"\n  \
bullseye-webhooks completions fish > ~/.config/fish/completions/bullseye-webhooks.fish")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) of the tool or of one command, or write
    /// every page to a directory
    #[command(after_long_help = "Examples:\n  \
bullseye-webhooks man | man -l -\n  \
bullseye-webhooks man partner set | man -l -\n  \
bullseye-webhooks man --out-dir ~/.local/share/man/man1")]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The command whose page to print (e.g. `send`, `partner set`)
    /// [default: the tool's own page]
    #[arg(value_name = "COMMAND", conflicts_with = "out_dir")]
    pub(crate) command: Vec<String>,
    /// Write every page (bullseye-webhooks.1, bullseye-webhooks-send.1, ...)
    /// into DIR instead
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,
}

/// Whose webhooks: the signature scheme and headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum Scheme {
    /// X-Bullseye-Signature: hex HMAC-SHA256 of the body
    #[default]
    Bullseye,
    /// X-Bitnob-Signature: hex HMAC-SHA256 of `{X-Bitnob-Timestamp}.{body}`
    /// (or, with --legacy, the old hex HMAC-SHA512 of the body)
    Bitnob,
}

/// Where a signing command gets its one secret.
#[derive(Debug, Args)]
pub(crate) struct SecretArgs {
    /// The webhook secret, exactly as configured (whsec_... included).
    /// Prefer --secret-env: a command line lands in shell history
    #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
    pub(crate) secret: Vec<OsString>,
    /// Read the secret from the environment variable NAME
    /// [default: BULLSEYE_WEBHOOK_SECRET; BITNOB_WEBHOOK_SECRET with --scheme bitnob]
    #[arg(long, value_name = "NAME")]
    pub(crate) secret_env: Vec<String>,
}

#[derive(Debug, Args)]
#[command(after_long_help = concat!("With --scheme bitnob, two lines, ready for curl -H:\n  \
X-Bitnob-Timestamp: 1764590400\n  \
X-Bitnob-Signature: 7b06cd...\n\
(with --legacy, the one X-Bitnob-Signature line: 128 hex digits, no timestamp).\n\n", exit_codes!()))]
pub(crate) struct SignArgs {
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    /// Whose signature to compute
    #[arg(long, value_enum, default_value_t = Scheme::Bullseye)]
    pub(crate) scheme: Scheme,
    /// (bitnob) The X-Bitnob-Timestamp to sign, as sent [default: now, in Unix seconds]
    #[arg(long, value_name = "UNIX_SECONDS", allow_hyphen_values = true)]
    pub(crate) timestamp: Option<String>,
    /// (bitnob) The legacy scheme: hex HMAC-SHA512 of the body alone
    #[arg(long, conflicts_with = "timestamp")]
    pub(crate) legacy: bool,
    /// The body, read as raw bytes; `-` reads stdin
    #[arg(value_name = "FILE|-")]
    pub(crate) input: PathBuf,
}

#[derive(Debug, Args)]
#[command(after_long_help = concat!("Give --secret or --secret-env twice (new, then old) \
to accept a body signed by either, as during a rotation.\n\n\
With --scheme bitnob, give the delivery's X-Bitnob-Signature as --signature, its \
X-Bitnob-Timestamp as --timestamp and its X-Bitnob-Event as --event; the window is \
300 seconds unless --tolerance or --no-tolerance says otherwise:\n  \
bullseye-webhooks verify --scheme bitnob --signature \"$SIG\" --timestamp \"$TS\" body.json\n\n", exit_codes!()))]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    /// Whose webhook this is
    #[arg(long, value_enum, default_value_t = Scheme::Bullseye)]
    pub(crate) scheme: Scheme,
    /// The X-Bullseye-Signature value (X-Webhook-Signature with --visit,
    /// X-Bitnob-Signature with --scheme bitnob)
    #[arg(long, value_name = "SIG", allow_hyphen_values = true)]
    pub(crate) signature: String,
    /// (bitnob) The X-Bitnob-Timestamp value, as received [default: none sent]
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    pub(crate) timestamp: Option<String>,
    /// (bitnob) The X-Bitnob-Event value [default: none sent; the body's `event`]
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub(crate) event: Option<String>,
    /// Refuse an event whose timestamp is further than SECONDS from now
    /// [default: no time check; 300 with --scheme bitnob]
    #[arg(long, value_name = "SECONDS", conflicts_with = "visit")]
    pub(crate) tolerance: Option<u64>,
    /// (bitnob) No time check
    #[arg(long, conflicts_with = "tolerance")]
    pub(crate) no_tolerance: bool,
    /// (bitnob) Refuse the legacy HMAC-SHA512 scheme (a 128-digit signature
    /// is then malformed_signature)
    #[arg(long)]
    pub(crate) no_legacy_sha512: bool,
    /// Measure the time check from this Unix time instead of the clock
    /// (to check a delivery captured earlier)
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub(crate) now: Option<u64>,
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
    /// A Bitnob `virtualcard.transaction.debit` (X-Bitnob-Signature): the
    /// project's own sample, since Bitnob documents no payload
    Bitnob,
}

#[derive(Debug, Args)]
pub(crate) struct ExampleArgs {
    /// Which payload
    #[arg(value_enum)]
    pub(crate) kind: ExampleKind,
}

#[derive(Debug, Args)]
#[command(after_long_help = concat!("http:// or https://; an https receiver with a \
self-signed or local certificate is trusted with --ca-cert FILE. Proxies come from \
the environment (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY). Bodies over 64 KiB \
go with `Expect: 100-continue`, so a receiver that refuses them by Content-Length \
can answer before the body is sent.\n\n\
Examples:\n  \
export BULLSEYE_WEBHOOK_SECRET=whsec_...\n  \
bullseye-webhooks send --url http://127.0.0.1:3000/webhooks/bullseye --example identification\n  \
bullseye-webhooks send --url http://127.0.0.1:3000/webhooks/bullseye --example identification --tamper\n  \
bullseye-webhooks send --url http://127.0.0.1:3000/webhooks/bullseye payload.json --repeat 5\n  \
bullseye-webhooks send --url http://127.0.0.1:3000/webhooks/bitnob --example bitnob --age 600\n\n\
With --scheme bitnob (implied by --example bitnob), the delivery carries \
X-Bitnob-Timestamp (now, or --timestamp, or --age seconds ago), X-Bitnob-Signature \
over it and the body, and X-Bitnob-Event (--event, else the body's `event`); --legacy \
signs the old way (HMAC-SHA512 of the body, no timestamp).\n\n", exit_codes!()))]
#[command(group = clap::ArgGroup::new("body").required(true).args(["input", "example"]))]
#[command(group = clap::ArgGroup::new("signing").args(["tamper", "unsigned", "wrong_secret", "signature", "static_token"]))]
#[command(group = clap::ArgGroup::new("signed_at").args(["timestamp", "age", "legacy"]))]
pub(crate) struct SendArgs {
    #[command(flatten)]
    pub(crate) secrets: SecretArgs,
    /// Whose webhook to send [default: bullseye; bitnob with --example bitnob]
    #[arg(long, value_enum)]
    pub(crate) scheme: Option<Scheme>,
    /// (bitnob) The X-Bitnob-Timestamp to sign and send, as is [default: now]
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    pub(crate) timestamp: Option<String>,
    /// (bitnob) Sign with a timestamp SECONDS in the past: past the
    /// receiver's window (300 s), it must answer timestamp_out_of_tolerance
    #[arg(long, value_name = "SECONDS")]
    pub(crate) age: Option<u64>,
    /// (bitnob) The X-Bitnob-Event to send [default: the body's `event`, if
    /// it is a string]
    #[arg(long, value_name = "NAME")]
    pub(crate) event: Option<String>,
    /// (bitnob) Sign the legacy way: hex HMAC-SHA512 of the body, and no
    /// X-Bitnob-Timestamp
    #[arg(long)]
    pub(crate) legacy: bool,
    /// The receiver's endpoint, http(s)://HOST[:PORT]/PATH
    #[arg(long, value_name = "URL")]
    pub(crate) url: String,
    /// Trust an https receiver by the certificates in this PEM file (its own
    /// certificate, or the CA that issued it) instead of the built-in roots
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// The body to send, as raw bytes; `-` reads stdin
    #[arg(value_name = "FILE|-")]
    pub(crate) input: Option<PathBuf>,
    /// Send an example payload instead of FILE (see `example`)
    #[arg(long, value_enum, value_name = "KIND")]
    pub(crate) example: Option<ExampleKind>,
    /// The signature header's name [default: X-Bullseye-Signature;
    /// X-Webhook-Signature with --example visit; X-Bitnob-Signature with
    /// --scheme bitnob]
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
