//! Core verify and construct_event against the raw `hmac` crate computing the
//! same MAC, in the same run. `scripts/bench-rust.sh` turns the medians into
//! ratios.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use bullseye_webhooks::{Webhook, sign};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const SECRET: &str = "whsec_bench_5d0c7e2a9b";

/// A realistic ~3 KB identification payload of the documented shape (the
/// partner-API page's types), built here so the bench needs no files.
fn identification_payload() -> Vec<u8> {
    let page_views: Vec<String> = (0..12)
        .map(|i| {
            format!(
                r#"{{"url":"https://www.example.com/pricing/plan-{i}?utm_source=linkedin","visited_at":"2025-01-15T10:{i:02}:00Z"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"event":"visitor.identified","timestamp":"2025-01-15T10:30:00Z","organization_id":"org_8f2c1a","session_id":"sess_4b7e9d2f1c","workspace":"ws_main","visitor":{{"id":"vis_12345","email":"jane.doe@acme-industries.com","personal_email":"jane.doe@example.net","first_name":"Jane","last_name":"Doe","job_title":"VP of Marketing","phone":"+1-555-0100","location":"Austin, TX, US","photo_url":"https://cdn.example.com/p/jane.jpg","linkedin_url":"https://www.linkedin.com/in/janedoe","facebook_url":null,"twitter_url":"https://twitter.com/janedoe","address":"100 Congress Ave","city":"Austin","state":"TX","postal_code":"78701","gender":"female","age_range":"35-44","income_range":"$150k-$200k","net_worth":"$1M-$2M","created_at":"2025-01-10T08:00:00Z","last_seen_at":"2025-01-15T10:29:00Z"}},"company":{{"id":"comp_987","name":"Acme Industries","domain":"acme-industries.com","industry":"Manufacturing","size":350,"employee_size_range":"201-500","revenue_range":"$50M-$100M","location":"Austin, TX, US","linkedin_url":"https://www.linkedin.com/company/acme","website_url":"https://acme-industries.com","description":"Industrial automation equipment and services for mid-market manufacturers.","logo_url":"https://cdn.example.com/l/acme.png","address":"200 Industrial Blvd","city":"Austin","region":"TX","postal_code":"78702"}},"session":{{"created_at":"2025-01-15T10:00:00Z","landing_page":"https://www.example.com/","entry_page":"https://www.example.com/","exit_page":"https://www.example.com/pricing","referrer":"https://www.google.com/","device_type":"desktop","utm_source":"linkedin","utm_campaign":"q1-launch","utm_medium":"social","utm_term":"automation","utm_content":"carousel","country":"US","region":"TX","city":"Austin"}},"page_views":[{}]}}"#,
        page_views.join(",")
    )
    .into_bytes()
}

fn body_of(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

fn raw_hmac(secret: &[u8], body: &[u8], signature: &[u8; 32]) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    mac.verify_slice(signature).is_ok()
}

fn bench(c: &mut Criterion) {
    let webhook = Webhook::new(SECRET).unwrap_or_else(|_| unreachable!());
    let payload = identification_payload();
    let sizes = [
        ("3KB", payload.clone()),
        ("64KB", body_of(64 * 1024)),
        ("1MiB", body_of(1024 * 1024)),
    ];
    for (label, body) in &sizes {
        let signature = sign(SECRET, body);
        let mut tag = [0u8; 32];
        for (byte, pair) in tag.iter_mut().zip(signature.as_bytes().chunks(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0);
        }
        let mut group = c.benchmark_group(format!("verify/{label}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("raw_hmac", |b| {
            b.iter(|| {
                raw_hmac(
                    black_box(SECRET.as_bytes()),
                    black_box(body),
                    black_box(&tag),
                )
            });
        });
        group.bench_function("core_verify", |b| {
            b.iter(|| webhook.verify(black_box(body), black_box(&signature)));
        });
        group.finish();
    }
    let signature = sign(SECRET, &payload);
    // The documented types: the bench reads what Bullseye sends, with no drift.
    let event = webhook.construct_event(&payload, &signature).unwrap();
    assert!(event.mismatches().is_empty(), "{:?}", event.mismatches());
    let mut group = c.benchmark_group("construct_event/3KB");
    group.bench_function("raw_hmac", |b| {
        let mut tag = [0u8; 32];
        for (byte, pair) in tag.iter_mut().zip(signature.as_bytes().chunks(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0);
        }
        b.iter(|| {
            raw_hmac(
                black_box(SECRET.as_bytes()),
                black_box(&payload),
                black_box(&tag),
            )
        });
    });
    group.bench_function("core_construct_event", |b| {
        b.iter(|| webhook.construct_event(black_box(&payload), black_box(&signature)));
    });
    group.bench_function("core_check_event", |b| {
        b.iter(|| webhook.check_event(black_box(&payload), black_box(&signature)));
    });
    group.finish();
    // The scanner alone (no MAC, no typed read) over the same payload: its
    // throughput is the reader's ceiling.
    let text = std::str::from_utf8(&payload).unwrap();
    assert!(bullseye_webhooks::is_json(text));
    let mut group = c.benchmark_group("scan/3KB");
    group.throughput(Throughput::Bytes(payload.len() as u64));
    group.bench_function("scanner_alone", |b| {
        b.iter(|| bullseye_webhooks::is_json(black_box(text)));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
