//! `bullseye-webhooks-emulator`: a local Bullseye on 127.0.0.1.

#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bullseye_webhooks_emulator::{Database, Emulator, EmulatorConfig};
use clap::Parser;

/// Serve Bullseye's partner API (webhooks) on 127.0.0.1 and deliver signed
/// webhooks to your receiver, with Bullseye's retries, logging every attempt.
#[derive(Debug, Parser)]
#[command(name = "bullseye-webhooks-emulator", version)]
struct Args {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8025)]
    port: u16,
    /// The SQLite file for configuration and logs (created if needed).
    #[arg(
        long,
        default_value = "bullseye-emulator.sqlite3",
        conflicts_with = "in_memory"
    )]
    db: PathBuf,
    /// Keep everything in memory instead of a file.
    #[arg(long)]
    in_memory: bool,
    /// Multiply the retry schedule (1, 5, 30 minutes) by this: 0.001 retries
    /// after 60 ms, 300 ms and 1.8 s.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Seconds a receiver has to answer.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// The environment variable holding the API key clients must send in
    /// X-Partner-API-Key (never printed).
    #[arg(long, default_value = "BULLSEYE_PARTNER_API_KEY")]
    api_key_env: String,
    /// The emulated organization's id (default: the stored one, or a new UUID).
    #[arg(long)]
    organization_id: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let Some(key) = std::env::var(&args.api_key_env)
        .ok()
        .filter(|k| !k.is_empty())
    else {
        eprintln!(
            "bullseye-webhooks-emulator: error: set {} to the API key clients must send",
            args.api_key_env
        );
        return ExitCode::from(2);
    };
    let Ok(timeout) = Duration::try_from_secs_f64(args.timeout) else {
        eprintln!("bullseye-webhooks-emulator: error: --timeout must be a number of seconds");
        return ExitCode::from(2);
    };
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
    if let Some(id) = args.organization_id {
        config = config.organization_id(id);
    }
    let emulator = match Emulator::start(config) {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("bullseye-webhooks-emulator: error: {error}");
            return ExitCode::from(1);
        }
    };
    let store = if args.in_memory {
        "in memory".to_owned()
    } else {
        args.db.display().to_string()
    };
    println!("partner API: {}", emulator.base_url());
    eprintln!(
        "organization {}, store {store}, time scale {}, {} pending deliveries resumed",
        emulator.organization_id(),
        args.time_scale,
        emulator.resumed_deliveries()
    );
    let _ = std::io::stdout().flush();
    match emulator.wait() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bullseye-webhooks-emulator: error: {error}");
            ExitCode::from(1)
        }
    }
}
