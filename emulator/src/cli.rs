//! The command line, shared by this crate's binary and the SDK's CLI
//! (`bullseye-webhooks emulate`): one set of options, one way to run.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::{Database, Emulator, EmulatorConfig};

/// Serve Bullseye's partner API (webhooks) on 127.0.0.1 and deliver signed
/// webhooks to your receiver, with Bullseye's retries, logging every attempt.
#[derive(Debug, Clone, clap::Args)]
pub struct EmulateArgs {
    /// The port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 8025)]
    pub port: u16,
    /// The SQLite file for configuration, deliveries and logs (created if
    /// needed; a restart keeps them)
    #[arg(
        long,
        default_value = "bullseye-emulator.sqlite3",
        conflicts_with = "in_memory"
    )]
    pub db: PathBuf,
    /// Keep everything in memory instead of a file
    #[arg(long)]
    pub in_memory: bool,
    /// Multiply the retry schedule (1, 5, 30 minutes) by this: 0.001 retries
    /// after 60 ms, 300 ms and 1.8 s
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Seconds a receiver has to answer
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// The environment variable holding the API key clients must send in
    /// X-Partner-API-Key (never printed)
    #[arg(long, value_name = "NAME", default_value = "BULLSEYE_PARTNER_API_KEY")]
    pub api_key_env: String,
    /// The emulated organization's id [default: the stored one, or a new UUID]
    #[arg(long, value_name = "ID")]
    pub organization_id: Option<String>,
}

/// Why `run` stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// Unusable options (exit 2).
    Usage(String),
    /// The emulator could not start, or stopped on an error (exit 1).
    Failed(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Usage(why) | RunError::Failed(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for RunError {}

/// Start the emulator as `args` say, print its base URL on stdout (the line
/// `partner API: http://127.0.0.1:PORT/api/v1`) and the rest on stderr, and
/// serve until killed.
pub fn run(args: &EmulateArgs) -> Result<(), RunError> {
    let emulator = start(args)?;
    let store = if args.in_memory {
        "in memory".to_owned()
    } else {
        args.db.display().to_string()
    };
    println!("partner API: {}", emulator.base_url());
    let _ = std::io::stdout().flush();
    eprintln!(
        "organization {}, store {store}, time scale {}, {} pending deliveries resumed",
        emulator.organization_id(),
        args.time_scale,
        emulator.resumed_deliveries()
    );
    emulator
        .wait()
        .map_err(|error| RunError::Failed(error.to_string()))
}

/// Start the emulator as `args` say, and return it.
pub fn start(args: &EmulateArgs) -> Result<Emulator, RunError> {
    let key = std::env::var(&args.api_key_env)
        .ok()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            RunError::Usage(format!(
                "set {} to the API key clients must send in X-Partner-API-Key",
                args.api_key_env
            ))
        })?;
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| RunError::Usage("--timeout must be a number of seconds above 0".into()))?;
    let database = if args.in_memory {
        Database::Memory
    } else {
        Database::File(args.db.clone())
    };
    let mut config = EmulatorConfig::new(key)
        .database(database)
        .port(args.port)
        .time_scale(args.time_scale)
        .delivery_timeout(timeout)
        .log_attempts(true);
    if let Some(id) = &args.organization_id {
        config = config.organization_id(id.clone());
    }
    Emulator::start(config).map_err(|error| RunError::Failed(error.to_string()))
}
