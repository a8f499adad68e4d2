//! `bullseye-webhooks partner ...`: the partner API's webhook endpoints from
//! the command line. The key comes from `BULLSEYE_PARTNER_API_KEY` and is
//! never printed; the client (retries, timeouts, errors) is the
//! `bullseye-webhooks-partner` crate's.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bullseye_webhooks_partner::{
    API_KEY_ENV, ErrorKind, LogEntry, LogsQuery, PartnerApiError, PartnerClient, WebhookEndpoint,
    WebhookKind, WebhookSecret, WebhookUpdate, generate_secret,
};
use clap::{Args, Subcommand, ValueEnum};

use crate::Failure;

/// The variable a base URL is read from when `--base-url` is not given.
pub(crate) const BASE_URL_ENV: &str = "BULLSEYE_PARTNER_API_URL";

/// How long after its first attempt a delivery may still be retried: the
/// waits of 1, 5 and 30 minutes, plus four 30-second timeouts.
const LAST_RETRY_WITHIN: Duration = Duration::from_secs((1 + 5 + 30) * 60 + 4 * 30);

const PARTNER_HELP: &str = "\
The API key is read from BULLSEYE_PARTNER_API_KEY and never printed. The base
URL is the documented https://api.app.bullseye.so/api/v1 unless --base-url (or
BULLSEYE_PARTNER_API_URL) says otherwise, for example the emulator's
http://127.0.0.1:8025/api/v1 (`bullseye-webhooks emulate`).

Exit codes:
  0  success
  1  the API refused the call (its status and message are on stderr), or
     `partner test` reached the receiver but it did not answer 2xx
  2  bad arguments, no API key, or an unreadable/unset secret
  3  the secret file could not be read or written
  4  no answer from the API (unreachable, timeout)";

/// Manage the webhooks through Bullseye's partner API.
#[derive(Debug, Args)]
#[command(after_help = PARTNER_HELP)]
pub(crate) struct PartnerArgs {
    /// The partner API's base URL [default: BULLSEYE_PARTNER_API_URL, else
    /// the documented https://api.app.bullseye.so/api/v1]
    #[arg(long, global = true, value_name = "URL")]
    base_url: Option<String>,
    #[command(subcommand)]
    command: PartnerCommand,
}

#[derive(Debug, Subcommand)]
enum PartnerCommand {
    /// Print both webhooks' configuration (URL, enabled, whether a secret is set)
    Get {
        /// Print the API's JSON answer
        #[arg(long)]
        json: bool,
    },
    /// Change a webhook's URL, secret or enabled flag (what is not given stays)
    Set(SetArgs),
    /// Have Bullseye send a test webhook to the configured URL; exit 1 unless
    /// the receiver answered 2xx
    Test {
        /// Which webhook
        #[arg(value_enum)]
        kind: Kind,
        /// Print the API's JSON answer
        #[arg(long)]
        json: bool,
    },
    /// Print delivery logs, newest first
    Logs(LogsArgs),
    /// Rotate a webhook's secret without refusing a delivery: generate the new
    /// secret, then (after the receiver accepts both) switch Bullseye to it
    Rotate(RotateArgs),
}

/// Which webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// Visitor identification (visitor.identified)
    Identification,
    /// Billing events
    Billing,
}

impl From<Kind> for WebhookKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Identification => WebhookKind::Identification,
            Kind::Billing => WebhookKind::Billing,
        }
    }
}

#[derive(Debug, Args)]
struct SetArgs {
    /// Which webhook
    #[arg(value_enum)]
    kind: Kind,
    /// The endpoint URL
    #[arg(long)]
    url: Option<String>,
    /// Read the new secret from the environment variable NAME (never from the
    /// command line, which lands in shell history)
    #[arg(long, value_name = "NAME")]
    secret_env: Option<String>,
    /// Turn deliveries on
    #[arg(long, conflicts_with = "disable")]
    enable: bool,
    /// Turn deliveries off
    #[arg(long)]
    disable: bool,
    /// Print the API's JSON answer
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct LogsArgs {
    /// Only this webhook
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    kind: Option<Kind>,
    /// Only this status (the emulator's: delivered, failed)
    #[arg(long)]
    status: Option<String>,
    /// Only this organization
    #[arg(long, value_name = "ID")]
    organization: Option<String>,
    /// The page (from 1)
    #[arg(long, conflicts_with = "all")]
    page: Option<u32>,
    /// Entries per page
    #[arg(long)]
    page_size: Option<u32>,
    /// Every page, not just one
    #[arg(long)]
    all: bool,
    /// JSON: the page as the API answered it, or with --all an array of
    /// every entry
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
#[command(after_long_help = "\
A rotation in two runs, with no delivery refused:

  1. bullseye-webhooks partner rotate identification --secret-file new.secret
     writes a new secret (whsec_ + 32 random bytes) to new.secret (mode 600,
     never printed) and says what to deploy.
  2. Deploy the receiver with both secrets, the new one and the current one
     (Rust Webhook::with_secrets, Python Webhook([new, old]), Node
     new Webhook([newSecret, oldSecret])).
  3. bullseye-webhooks partner rotate identification --secret-file new.secret --activate
     sets the new secret at Bullseye, sends a test webhook signed with it,
     and says when the old secret can go: deliveries already under way are
     retried for about 38 minutes.")]
struct RotateArgs {
    /// Which webhook
    #[arg(value_enum)]
    kind: Kind,
    /// Where the new secret is written (step 1) and read from (step 3)
    #[arg(long, value_name = "PATH")]
    secret_file: PathBuf,
    /// Step 3: set the new secret at Bullseye and check the receiver accepts it
    #[arg(long)]
    activate: bool,
}

pub(crate) fn run(args: &PartnerArgs) -> Result<(), Failure> {
    let client = client(args.base_url.as_deref())?;
    match &args.command {
        PartnerCommand::Get { json } => get(&client, *json),
        PartnerCommand::Set(set_args) => set(&client, set_args),
        PartnerCommand::Test { kind, json } => test(&client, (*kind).into(), *json),
        PartnerCommand::Logs(logs_args) => logs(&client, logs_args),
        PartnerCommand::Rotate(rotate_args) if rotate_args.activate => {
            activate(&client, rotate_args)
        }
        PartnerCommand::Rotate(rotate_args) => rotate(&client, rotate_args),
    }
}

fn client(base_url: Option<&str>) -> Result<PartnerClient, Failure> {
    let key = std::env::var(API_KEY_ENV)
        .ok()
        .filter(|key| !key.is_empty())
        .ok_or_else(|| Failure::Usage(format!("set {API_KEY_ENV} to your partner API key")))?;
    let mut builder = PartnerClient::builder(key);
    let from_env = std::env::var(BASE_URL_ENV).ok().filter(|u| !u.is_empty());
    if let Some(base_url) = base_url.map(str::to_owned).or(from_env) {
        builder = builder.base_url(base_url);
    }
    builder.build().map_err(api_failure)
}

/// An API error as a failure: its message goes to stderr (it never holds the
/// key: the client scrubs it).
fn api_failure(error: PartnerApiError) -> Failure {
    match error.kind() {
        ErrorKind::Transport => Failure::Network(error.to_string()),
        ErrorKind::Config => Failure::Usage(error.to_string()),
        _ => {
            eprintln!("bullseye-webhooks: error: {error}");
            Failure::Refused
        }
    }
}

fn out(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    Ok(())
}

fn json_line(value: Result<serde_json::Value, serde_json::Error>) -> Result<(), Failure> {
    let text = value
        .and_then(|value| serde_json::to_string_pretty(&value))
        .map_err(|e| Failure::Input(format!("cannot print the answer: {e}")))?;
    out(&format!("{text}\n"))
}

fn endpoint_line(kind: WebhookKind, endpoint: Option<&WebhookEndpoint>) -> String {
    let default = WebhookEndpoint::default();
    let endpoint = endpoint.unwrap_or(&default);
    format!(
        "{:<15} {:<9} {:<11} {}\n",
        kind.as_str(),
        if endpoint.enabled {
            "enabled"
        } else {
            "disabled"
        },
        if endpoint.has_secret {
            "secret set"
        } else {
            "no secret"
        },
        endpoint.url.as_deref().unwrap_or("(no URL)")
    )
}

fn get(client: &PartnerClient, json: bool) -> Result<(), Failure> {
    let config = client.get_config().map_err(api_failure)?;
    if json {
        return json_line(serde_json::to_value(&config));
    }
    let text: String = WebhookKind::ALL
        .iter()
        .map(|kind| endpoint_line(*kind, config.get(*kind)))
        .collect();
    out(&text)
}

/// A secret from the environment variable `name`, never echoed.
fn secret_from_env(name: &str) -> Result<WebhookSecret, Failure> {
    match std::env::var(name) {
        Ok(secret) if !secret.is_empty() => Ok(WebhookSecret::new(secret)),
        _ => Err(Failure::Usage(
            "--secret-env takes the NAME of a set, non-empty environment variable holding the \
             secret (not the secret itself)"
                .to_owned(),
        )),
    }
}

fn set(client: &PartnerClient, args: &SetArgs) -> Result<(), Failure> {
    let mut update = WebhookUpdate::new();
    if let Some(url) = &args.url {
        update = update.url(url.clone());
    }
    if let Some(name) = &args.secret_env {
        update = update.secret(secret_from_env(name)?);
    }
    if args.enable || args.disable {
        update = update.enabled(args.enable);
    }
    if update == WebhookUpdate::new() {
        return Err(Failure::Usage(
            "nothing to change: give --url, --secret-env, --enable or --disable".to_owned(),
        ));
    }
    let kind = args.kind.into();
    let endpoint = client.update_webhook(kind, &update).map_err(api_failure)?;
    if args.json {
        return json_line(serde_json::to_value(&endpoint));
    }
    out(&endpoint_line(kind, Some(&endpoint)))
}

fn test(client: &PartnerClient, kind: WebhookKind, json: bool) -> Result<(), Failure> {
    let result = client.send_test(kind).map_err(api_failure)?;
    if json {
        json_line(serde_json::to_value(&result))?;
    } else {
        let outcome = match result
            .extra
            .get("status")
            .and_then(serde_json::Value::as_str)
        {
            _ if result.success => "ok",
            Some("pending") => "pending",
            _ => "failed",
        };
        out(&format!("{outcome}: {}\n", result.message))?;
    }
    if result.success {
        Ok(())
    } else {
        Err(Failure::Refused)
    }
}

fn log_line(entry: &LogEntry) -> String {
    let status_code = entry
        .status_code
        .map_or_else(|| "-".to_owned(), |code| code.to_string());
    let time = entry
        .response_time_ms
        .map_or_else(|| "-".to_owned(), |ms| format!("{ms} ms"));
    let attempt = entry
        .extra
        .get("attempt")
        .map_or_else(String::new, |a| format!("  attempt {a}"));
    let error = entry
        .extra
        .get("error")
        .and_then(serde_json::Value::as_str)
        .map_or_else(String::new, |e| format!("  ({e})"));
    format!(
        "{}  {:<9}  {:>3}  {:<14}  {:>8}  {}{attempt}{error}\n",
        entry.attempted_at, entry.status, status_code, entry.kind, time, entry.id
    )
}

fn logs(client: &PartnerClient, args: &LogsArgs) -> Result<(), Failure> {
    let mut query = LogsQuery::new();
    query.kind = args.kind.map(Into::into);
    query.status.clone_from(&args.status);
    query.organization_id.clone_from(&args.organization);
    query.page = args.page;
    query.page_size = args.page_size;
    if args.all {
        let entries = client.all_logs(query).map_err(api_failure)?;
        if args.json {
            return json_line(serde_json::to_value(&entries));
        }
        let text: String = entries.iter().map(log_line).collect();
        out(&text)?;
        eprintln!("{} entries", entries.len());
        return Ok(());
    }
    let page = client.logs(&query).map_err(api_failure)?;
    if args.json {
        return json_line(serde_json::to_value(&page));
    }
    let text: String = page.logs.iter().map(log_line).collect();
    out(&text)?;
    let pages = match page.page_size {
        0 => 1,
        size => page.total.div_ceil(u64::from(size)).max(1),
    };
    eprintln!(
        "page {} of {pages}, {} entries in all",
        page.page, page.total
    );
    Ok(())
}

/// Step 1: the new secret, in a new file only the user can read.
fn rotate(client: &PartnerClient, args: &RotateArgs) -> Result<(), Failure> {
    let kind: WebhookKind = args.kind.into();
    let config = client.get_config().map_err(api_failure)?;
    let endpoint = config.get(kind).cloned().unwrap_or_default();
    if endpoint.url.is_none() {
        return Err(Failure::Usage(format!(
            "the {kind} webhook has no URL yet: set one first (partner set {kind} --url URL \
             --secret-env NAME --enable); there is nothing to rotate"
        )));
    }
    let secret = generate_secret()
        .map_err(|e| Failure::Input(format!("no random bytes from the system: {e}")))?;
    write_new_secret(&args.secret_file, &secret)?;
    let path = args.secret_file.display();
    let current = if endpoint.has_secret {
        "the current one"
    } else {
        "(the webhook has no secret yet, so only the new one matters)"
    };
    out(&format!(
        "Step 1 of 3: a new secret for the {kind} webhook is in {path} (readable by you only; \
         it is not printed).\n\n\
         Step 2: deploy your receiver so that it accepts both secrets, the new one and {current}:\n  \
           Rust    Webhook::with_secrets([new_secret, old_secret])\n  \
           Python  Webhook([new_secret, old_secret])\n  \
           Node    new Webhook([newSecret, oldSecret])\n\
         Bullseye still signs with the old secret, so nothing is refused meanwhile.\n\n\
         Step 3, once it is deployed:\n  \
           bullseye-webhooks partner rotate {kind} --secret-file {path} --activate\n"
    ))
}

fn write_new_secret(path: &Path, secret: &WebhookSecret) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Failure::Usage(format!(
                "{} exists: a rotation is under way (finish it with --activate), or remove \
                 the file to start over",
                path.display()
            ))
        } else {
            Failure::Input(format!("cannot create {}: {e}", path.display()))
        }
    })?;
    file.write_all(secret.expose().as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display())))
}

/// Step 3: switch Bullseye to the new secret, check the receiver takes it,
/// and say when the old secret can go.
fn activate(client: &PartnerClient, args: &RotateArgs) -> Result<(), Failure> {
    let kind: WebhookKind = args.kind.into();
    let text = std::fs::read_to_string(&args.secret_file)
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", args.secret_file.display())))?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(Failure::Input(format!(
            "{} holds no secret",
            args.secret_file.display()
        )));
    }
    let endpoint = client
        .update_webhook(kind, &WebhookUpdate::new().secret(secret))
        .map_err(api_failure)?;
    let switched_at = unix_seconds();
    out(&format!(
        "Bullseye now signs {kind} webhooks with the new secret.\n{}",
        endpoint_line(kind, Some(&endpoint))
    ))?;
    let result = client.send_test(kind).map_err(api_failure)?;
    if !result.success {
        out(&format!(
            "The test webhook, signed with the new secret, was not accepted: {}\n\
             Check that the receiver is deployed with both secrets. To go back, set the old \
             one again: partner set {kind} --secret-env OLD_SECRET_VARIABLE\n",
            result.message
        ))?;
        return Err(Failure::Refused);
    }
    let until = switched_at + LAST_RETRY_WITHIN.as_secs();
    out(&format!(
        "The receiver accepted a test webhook signed with the new secret.\n\n\
         Keep the old secret in the receiver until {} UTC: deliveries made before the switch \
         are signed with it and may be retried for about {} minutes (after 1, 5 and 30 \
         minutes, each waiting up to 30 s). Then deploy the receiver with the new secret \
         alone, and delete {}.\n",
        clock(until),
        LAST_RETRY_WITHIN.as_secs().div_ceil(60),
        args.secret_file.display()
    ))
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `HH:MM` of a Unix time, UTC.
fn clock(unix: u64) -> String {
    let seconds = unix % 86_400;
    format!("{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}
