//! Runs construct_event in a loop for a profiler (`perf record`).
fn main() {
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/payloads/identification-event.json"
    ))
    .unwrap_or_default();
    let webhook = bullseye_webhooks::Webhook::new("s").unwrap_or_else(|_| std::process::exit(1));
    let sig = bullseye_webhooks::sign("s", &body);
    let mut n = 0usize;
    for _ in 0..300_000 {
        n += usize::from(webhook.construct_event(&body, &sig).is_ok());
    }
    println!("{n}");
}
