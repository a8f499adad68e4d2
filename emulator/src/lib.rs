#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod api;
pub mod cli;
mod clock;
mod delivery;
mod payload;
mod store;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;
use zeroize::Zeroizing;

pub use delivery::RETRY_DELAYS;

use store::{Store, StoreResult};

/// The path prefix the partner API is served under, as on Bullseye's host:
/// the base URL is `http://127.0.0.1:PORT/api/v1`.
pub const API_PREFIX: &str = "/api/v1";

/// How long a receiver has to answer a delivery, as Bullseye's guide says.
pub const DEFAULT_DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest the test and deliver endpoints wait for the first attempt
/// before answering `pending`.
const MAX_ANSWER_WAIT: Duration = Duration::from_secs(25);

/// Where the emulator keeps its configuration and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file, created if needed: a restart keeps everything, and
    /// deliveries with retries still due resume.
    File(PathBuf),
    /// In memory: gone when the emulator stops.
    Memory,
}

/// How to run the emulator. `Debug` never shows the API key.
#[derive(Clone)]
pub struct EmulatorConfig {
    api_key: Zeroizing<String>,
    database: Database,
    port: u16,
    time_scale: f64,
    timeout: Duration,
    organization_id: Option<String>,
    log_attempts: bool,
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("api_key", &"[REDACTED]")
            .field("database", &self.database)
            .field("port", &self.port)
            .field("time_scale", &self.time_scale)
            .field("timeout", &self.timeout)
            .field("organization_id", &self.organization_id)
            .field("log_attempts", &self.log_attempts)
            .finish()
    }
}

impl EmulatorConfig {
    /// An emulator that accepts `api_key` in `X-Partner-API-Key`, in memory,
    /// on a free port, at real time (scale 1), with the 30 s delivery timeout.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: Zeroizing::new(api_key.into()),
            database: Database::Memory,
            port: 0,
            time_scale: 1.0,
            timeout: DEFAULT_DELIVERY_TIMEOUT,
            organization_id: None,
            log_attempts: false,
        }
    }

    /// Keep the configuration and logs in this database.
    #[must_use]
    pub fn database(mut self, database: Database) -> Self {
        self.database = database;
        self
    }

    /// Listen on this port of 127.0.0.1 (0, the default, picks a free one).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Multiply the retry schedule by `scale`: 0.001 makes the 1, 5 and 30
    /// minute waits 60 ms, 300 ms and 1.8 s. It must be finite and above 0.
    /// The delivery timeout is not scaled.
    #[must_use]
    pub fn time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    /// How long a receiver has to answer (default 30 s).
    #[must_use]
    pub fn delivery_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The emulated organization's id (default: the stored one, else a new
    /// random UUID, stored).
    #[must_use]
    pub fn organization_id(mut self, id: impl Into<String>) -> Self {
        self.organization_id = Some(id.into());
        self
    }

    /// Print one line per delivery attempt on stderr (the binary does).
    #[must_use]
    pub fn log_attempts(mut self, on: bool) -> Self {
        self.log_attempts = on;
        self
    }
}

/// Why the emulator could not start or stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorError(String);

impl fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EmulatorError {}

/// What the handlers and the deliveries share.
pub(crate) struct State {
    store: Mutex<Store>,
    api_key: Zeroizing<String>,
    organization_id: String,
    time_scale: f64,
    agent: ureq::Agent,
    log_attempts: bool,
    /// How long the test and deliver endpoints wait for the first attempt.
    answer_within: Duration,
}

impl State {
    pub(crate) fn with_store<T>(
        &self,
        f: impl FnOnce(&mut Store) -> StoreResult<T>,
    ) -> Result<T, String> {
        let mut store = self
            .store
            .lock()
            .map_err(|_| "the store's lock is poisoned".to_owned())?;
        f(&mut store)
    }

    pub(crate) fn scaled(&self, delay: Duration) -> Duration {
        delay.mul_f64(self.time_scale)
    }

    pub(crate) fn log(&self, line: &str) {
        if self.log_attempts {
            eprintln!("{line}");
        }
    }
}

/// A running emulator: the partner API on 127.0.0.1 and its deliveries, on a
/// thread of its own. Dropping it stops it (retries still due resume at the
/// next start when the database is a file).
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    organization_id: String,
    resumed: usize,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), String>>>,
}

impl Emulator {
    /// Open the database, bind 127.0.0.1, resume pending deliveries and serve.
    pub fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let fail = |message: String| EmulatorError(message);
        if config.api_key.is_empty() {
            return Err(fail("the emulator's API key is empty".into()));
        }
        if !(config.time_scale.is_finite() && config.time_scale > 0.0) {
            return Err(fail(format!(
                "time scale {} is not a finite number above 0",
                config.time_scale
            )));
        }
        let path = match &config.database {
            Database::File(path) => Some(path.as_path()),
            Database::Memory => None,
        };
        let store = Store::open(path).map_err(fail)?;
        let organization_id = store
            .organization_id(config.organization_id.as_deref())
            .map_err(fail)?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
            .map_err(|e| fail(format!("cannot listen on 127.0.0.1:{}: {e}", config.port)))?;
        let addr = listener.local_addr().map_err(|e| fail(e.to_string()))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| fail(e.to_string()))?;
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!(
                "bullseye-webhooks-emulator/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .into();
        let state = Arc::new(State {
            store: Mutex::new(store),
            api_key: config.api_key,
            organization_id: organization_id.clone(),
            time_scale: config.time_scale,
            agent,
            log_attempts: config.log_attempts,
            // Under a client's usual 30 s timeout, and before the attempt's
            // own timeout, so a slow receiver still gets an answer in time.
            answer_within: (config.timeout.mul_f64(5.0 / 6.0)).min(MAX_ANSWER_WAIT),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start the runtime: {e}")))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready, is_ready) = std::sync::mpsc::channel::<Result<usize, String>>();
        let thread = std::thread::Builder::new()
            .name("bullseye-webhooks-emulator".into())
            .spawn(move || {
                let served = runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
                    let resumed = delivery::resume(&state);
                    let failed = resumed.is_err();
                    let _ = ready.send(resumed);
                    if failed {
                        return Ok(());
                    }
                    let app = api::router(state);
                    tokio::select! {
                        served = axum::serve(listener, app).into_future() => {
                            served.map_err(|e| e.to_string())
                        }
                        _ = stopped => Ok(()),
                    }
                });
                // Deliveries in flight are abandoned (a file database resumes
                // them at the next start).
                runtime.shutdown_timeout(Duration::from_millis(200));
                served
            })
            .map_err(|e| fail(format!("cannot start the emulator's thread: {e}")))?;
        let resumed = is_ready
            .recv()
            .map_err(|_| fail("the emulator stopped while starting".into()))?
            .map_err(fail)?;
        Ok(Self {
            addr,
            organization_id,
            resumed,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on (127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The partner API's base URL, `http://127.0.0.1:PORT/api/v1`: give it to
    /// a client in place of the documented one.
    pub fn base_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.addr)
    }

    /// The emulated organization's id (in test payloads and the logs).
    pub fn organization_id(&self) -> &str {
        &self.organization_id
    }

    /// How many deliveries with attempts still due were resumed at start.
    pub fn resumed_deliveries(&self) -> usize {
        self.resumed
    }

    /// Block until the server stops (it only stops on an error).
    pub fn wait(mut self) -> Result<(), EmulatorError> {
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result.map_err(EmulatorError),
            Some(Err(_)) => Err(EmulatorError("the emulator's thread panicked".into())),
            None => Ok(()),
        }
    }

    /// Stop serving and delivering.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}
