//! `verify` allocates nothing: a receiver under a flood of forged deliveries
//! does no heap work before refusing them. Counted with an instrumented
//! global allocator, on this single thread.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::System;

use bullseye_webhooks::{Webhook, sign};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    let body = vec![b'{'; 3 * 1024];
    let webhook = Webhook::with_secrets(["whsec_new", "whsec_old"]).unwrap();
    let good = sign("whsec_old", &body);
    let upper = good.to_uppercase();
    let wrong = "0".repeat(64);
    let inputs = [
        good.as_str(),
        upper.as_str(),
        wrong.as_str(),
        "",
        "short",
        "  \t",
    ];

    let region = Region::new(GLOBAL);
    let mut accepted = 0;
    for _ in 0..1000 {
        for signature in inputs {
            accepted += usize::from(webhook.verify(&body, signature).is_ok());
        }
    }
    let stats = region.change();

    assert_eq!(
        accepted, 2000,
        "the two good signatures are accepted every time"
    );
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "verify allocated: {stats:?}"
    );
    println!("verify: 6000 calls, 0 allocations");
    println!("1 passed, 0 failed");
}
