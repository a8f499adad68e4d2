//! Verifies and parses N deliveries of the fixture identification payload
//! (default 100,000): the Rust process of the memory benchmark, and a loop
//! to profile (`perf record`).

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/payloads/identification-event.json"
    ))
    .unwrap_or_default();
    let webhook =
        bullseye_webhooks::Webhook::new("whsec_bench").unwrap_or_else(|_| std::process::exit(1));
    let signature = bullseye_webhooks::sign("whsec_bench", &body);
    let accepted = (0..count)
        .filter(|_| webhook.construct_event(&body, &signature).is_ok())
        .count();
    println!("{accepted}");
}
