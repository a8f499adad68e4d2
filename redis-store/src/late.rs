//! Claims whose call timed out, released by their token on one background
//! thread per [`crate::RedisStore`] (see [`crate::late_release_done`]): a
//! stalled Redis with many requests waiting costs one thread, not one each.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::{LATE_FIRST_DELAY, LATE_GRACE, LATE_MAX_DELAY, late_release_done};

/// At most this many claims wait for their late release; past it, a claim
/// ends with its lease, as it would without one.
const MAX_PENDING: usize = 10_000;
/// The thread ends after this long without a claim to release.
const IDLE: Duration = Duration::from_secs(5);

pub(crate) struct LateReleases {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    client: redis::Client,
    script: redis::Script,
    connect_timeout: Duration,
    response_timeout: Duration,
}

#[derive(Default)]
struct State {
    items: Vec<Item>,
    running: bool,
}

struct Item {
    full: String,
    token: String,
    due: Instant,
    delay: Duration,
    deadline: Instant,
    answered: u32,
}

impl Shared {
    // Each change under the lock is one push, remove or flag: whole after a panic.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl LateReleases {
    pub(crate) fn new(
        client: redis::Client,
        script: redis::Script,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                wake: Condvar::new(),
                client,
                script,
                connect_timeout: connect_timeout.max(Duration::from_millis(1)),
                response_timeout: response_timeout.max(Duration::from_millis(1)),
            }),
        }
    }

    /// Release `token`'s claim of `full` once Redis answers, for at most
    /// the lease plus 30 s.
    pub(crate) fn add(&self, full: String, token: String, lease: Duration) {
        let now = Instant::now();
        let mut state = self.shared.lock();
        if state.items.len() >= MAX_PENDING {
            return;
        }
        state.items.push(Item {
            full,
            token,
            due: now + LATE_FIRST_DELAY,
            delay: LATE_FIRST_DELAY,
            deadline: now + lease.saturating_add(LATE_GRACE),
            answered: 0,
        });
        if !state.running {
            let shared = Arc::clone(&self.shared);
            state.running = std::thread::Builder::new()
                .name("bullseye-webhooks-late-release".into())
                .spawn(move || work(&shared))
                .is_ok();
        }
        self.shared.wake.notify_one();
    }
}

/// The next item due, waiting for it; `None` once idle (the thread ends).
fn next(shared: &Shared) -> Option<Item> {
    let mut state = shared.lock();
    loop {
        let now = Instant::now();
        let soonest = state
            .items
            .iter()
            .enumerate()
            .min_by_key(|(_, item)| item.due)
            .map(|(index, item)| (index, item.due));
        match soonest {
            Some((index, due)) if due <= now => return Some(state.items.swap_remove(index)),
            Some((_, due)) => {
                state = shared
                    .wake
                    .wait_timeout(state, due - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            None => {
                let (woken, timeout) = shared
                    .wake
                    .wait_timeout(state, IDLE)
                    .unwrap_or_else(PoisonError::into_inner);
                state = woken;
                if timeout.timed_out() && state.items.is_empty() {
                    state.running = false;
                    return None;
                }
            }
        }
    }
}

fn work(shared: &Shared) {
    let mut connection: Option<redis::Connection> = None;
    while let Some(mut item) = next(shared) {
        let reply = match connection.take() {
            Some(c) => Ok(c),
            None => shared
                .client
                .get_connection_with_timeout(shared.connect_timeout)
                .and_then(|c| {
                    c.set_read_timeout(Some(shared.response_timeout))?;
                    c.set_write_timeout(Some(shared.response_timeout))?;
                    Ok(c)
                }),
        }
        .and_then(|mut c| {
            let reply: i64 = shared
                .script
                .key(&item.full)
                .arg(&item.token)
                .invoke(&mut c)?;
            connection = Some(c);
            Ok(reply)
        });
        if let Ok(reply) = reply
            && late_release_done(reply == 1, &mut item.answered)
        {
            continue;
        }
        item.due = Instant::now() + item.delay;
        item.delay = item.delay.saturating_mul(2).min(LATE_MAX_DELAY);
        if item.due <= item.deadline {
            shared.lock().items.push(item);
        }
    }
}
