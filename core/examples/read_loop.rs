//! The reader's work in a loop, for instruction counts (issue 21's per-phase
//! profile in `bench/PROFILE.md`): on a shared machine, `valgrind
//! --tool=callgrind` counts what each phase costs where timings cannot.
//!
//!     cargo build --release -p bullseye-webhooks --example read_loop
//!     valgrind --tool=callgrind target/release/examples/read_loop check 1000 BODY
//!
//! KIND is `raw` (the `hmac` crate's MAC and compare, criterion's
//! baseline), `verify`, `scan` (the scanner alone), `check` (`check_event_at`),
//! `check-now` (`check_event`, the system clock, as criterion's bench calls
//! it) or `construct` (`construct_event_at`); the read's cost is a kind's
//! count minus `verify`'s on the same body. It also prints the time per
//! call: the mean, the minimum over batches of 200 calls, which a busy
//! machine disturbs least, and the median over batches, the statistic
//! criterion's medians are compared with.

use std::hint::black_box;
use std::time::{Duration, Instant, UNIX_EPOCH};

use bullseye_webhooks::{Webhook, is_json, sign};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const SECRET: &str = "whsec_bench_5d0c7e2a9b";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, kind, calls, path] = args.as_slice() else {
        return Err("usage: read_loop raw|verify|scan|check|check-now|construct CALLS BODY".into());
    };
    let calls: usize = calls.parse()?;
    let body = std::fs::read(path)?;
    let text = std::str::from_utf8(&body)?;
    let webhook = Webhook::new(SECRET)?;
    let signature = sign(SECRET, &body);
    let mut tag = [0u8; 32];
    for (byte, pair) in tag.iter_mut().zip(signature.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair)?, 16)?;
    }
    // No tolerance is set, so the instant is only what the API asks for.
    let now = UNIX_EPOCH + Duration::from_secs(1_736_937_000);
    const BATCH: usize = 200;
    let mut accepted = 0usize;
    let mut batches = Vec::with_capacity(calls / BATCH + 1);
    let started = Instant::now();
    for batch in (0..calls).step_by(BATCH) {
        let batch_started = Instant::now();
        for _ in batch..(batch + BATCH).min(calls) {
            let body = black_box(body.as_slice());
            let ok = match kind.as_str() {
                "raw" => {
                    let mut mac = Hmac::<Sha256>::new_from_slice(black_box(SECRET.as_bytes()))?;
                    mac.update(body);
                    mac.verify_slice(black_box(&tag)).is_ok()
                }
                "verify" => webhook.verify(body, &signature).is_ok(),
                "scan" => is_json(black_box(text)),
                "check" => webhook.check_event_at(body, &signature, now).is_ok(),
                "check-now" => webhook.check_event(body, &signature).is_ok(),
                "construct" => webhook.construct_event_at(body, &signature, now).is_ok(),
                _ => return Err(format!("unknown kind {kind}").into()),
            };
            accepted += usize::from(ok);
        }
        if batch + BATCH <= calls {
            batches.push(batch_started.elapsed().as_secs_f64() * 1e9 / BATCH as f64);
        }
    }
    batches.sort_by(f64::total_cmp);
    let fastest = batches.first().copied().unwrap_or(f64::NAN);
    let median = batches.get(batches.len() / 2).copied().unwrap_or(f64::NAN);
    let per_call = started.elapsed().as_secs_f64() * 1e9 / calls.max(1) as f64;
    println!(
        "{kind}: {accepted}/{calls} accepted, {per_call:.0} ns a call, {fastest:.0} ns a call in the fastest batch of {BATCH}, {median:.0} ns in the median batch, {:.2} GB/s",
        body.len() as f64 / per_call
    );
    Ok(())
}
