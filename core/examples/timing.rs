//! `make timing`: a dudect-style constant-time check (Welch's t-test over
//! many interleaved timings). A measurement, not a test: |t| above 4.5 is the
//! usual sign of a leak. A naive `==` on hex strings is measured alongside as
//! a control, to show the method can see a leak of this size.

use std::hint::black_box;
use std::time::Instant;

use std::time::{Duration, UNIX_EPOCH};

use bullseye_webhooks::{
    BITNOB_SIGNATURE_HEADER, BITNOB_TIMESTAMP_HEADER, BitnobWebhook, Webhook, sign, sign_bitnob,
    sign_bitnob_legacy,
};

const SAMPLES: usize = 200_000;

/// A small xorshift, so the class order is unpredictable without a dependency.
struct Rng(u64);

impl Rng {
    fn bit(&mut self) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 & 1 == 1
    }
}

/// Welch's t statistic of two samples, after dropping each class's slowest 5%
/// (interrupts and migrations, as dudect crops).
fn welch_t(a: &mut [f64], b: &mut [f64]) -> f64 {
    let crop = |xs: &mut [f64]| -> Vec<f64> {
        xs.sort_by(f64::total_cmp);
        xs.iter().take(xs.len() * 95 / 100).copied().collect()
    };
    let (a, b) = (crop(a), crop(b));
    let stats = |xs: &[f64]| {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (n, mean, var)
    };
    let ((na, ma, va), (nb, mb, vb)) = (stats(&a), stats(&b));
    (ma - mb) / (va / na + vb / nb).sqrt()
}

/// Time `f(class)` for interleaved random classes; returns the t statistic
/// and both classes' median in ns.
fn measure(mut f: impl FnMut(bool)) -> (f64, f64, f64) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut a, mut b) = (Vec::with_capacity(SAMPLES), Vec::with_capacity(SAMPLES));
    for _ in 0..2000 {
        f(false);
        f(true);
    }
    while a.len() < SAMPLES || b.len() < SAMPLES {
        let class = rng.bit();
        let start = Instant::now();
        f(class);
        let ns = start.elapsed().as_nanos() as f64;
        if class { b.push(ns) } else { a.push(ns) }
    }
    let median = |xs: &mut Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let t = welch_t(&mut a, &mut b);
    (t, median(&mut a), median(&mut b))
}

fn flip_hex_digit(signature: &str, index: usize) -> String {
    signature
        .char_indices()
        .map(|(i, c)| {
            if i == index {
                if c == '0' { '1' } else { '0' }
            } else {
                c
            }
        })
        .collect()
}

fn main() {
    let body: Vec<u8> = (0..3072).map(|i| b'a' + (i % 26) as u8).collect();
    let secret = "whsec_timing_probe";
    let good = sign(secret, &body);
    let first = flip_hex_digit(&good, 0);
    let last = flip_hex_digit(&good, 63);
    let webhook = Webhook::new(secret).unwrap_or_else(|_| std::process::exit(2));

    let rotation = Webhook::with_secrets(["whsec_first", "whsec_second"])
        .unwrap_or_else(|_| std::process::exit(2));
    let by_first = sign("whsec_first", &body);
    let by_second = sign("whsec_second", &body);
    let by_first_copy = by_first.clone();

    // Bitnob: the timestamped SHA-256 scheme and the legacy SHA-512 one,
    // each wrong in its first vs last byte, and a rotation of two secrets.
    let ts = "1764590400";
    let now = UNIX_EPOCH + Duration::from_secs(1_764_590_400);
    let bitnob = BitnobWebhook::with_secrets(["bn_first", "bn_second"])
        .unwrap_or_else(|_| std::process::exit(2));
    let bn_good = sign_bitnob("bn_first", ts, &body);
    let bn_first = flip_hex_digit(&bn_good, 0);
    let bn_last = flip_hex_digit(&bn_good, 63);
    let bn_by_second = sign_bitnob("bn_second", ts, &body);
    let legacy_good = sign_bitnob_legacy("bn_first", &body);
    let legacy_first = flip_hex_digit(&legacy_good, 0);
    let legacy_last = flip_hex_digit(&legacy_good, 127);
    let legacy_by_second = sign_bitnob_legacy("bn_second", &body);
    let headers = |signature: &str| {
        [
            (BITNOB_SIGNATURE_HEADER, signature.to_owned()),
            (BITNOB_TIMESTAMP_HEADER, ts.to_owned()),
        ]
    };
    let bn_verify = |headers: &[(&str, String); 2]| {
        let pairs = headers.iter().map(|(k, v)| (*k, v.as_str()));
        black_box(bitnob.verify_at(black_box(&body), pairs, now))
    };
    let (bn_first, bn_last) = (headers(&bn_first), headers(&bn_last));
    let (bn_good, bn_by_second) = (headers(&bn_good), headers(&bn_by_second));
    let (legacy_first, legacy_last) = (headers(&legacy_first), headers(&legacy_last));
    let (legacy_good, legacy_by_second) = (headers(&legacy_good), headers(&legacy_by_second));

    let rows = [
        (
            "verify: signature wrong in its first vs last byte",
            measure(|c| {
                let _ = black_box(webhook.verify(black_box(&body), if c { &last } else { &first }));
            }),
        ),
        (
            "rotation: body signed by the first vs the second secret",
            measure(|c| {
                let _ = black_box(
                    rotation.verify(black_box(&body), if c { &by_second } else { &by_first }),
                );
            }),
        ),
        (
            "bitnob: SHA-256 signature wrong in its first vs last byte",
            measure(|c| {
                let _ = bn_verify(if c { &bn_last } else { &bn_first });
            }),
        ),
        (
            "bitnob rotation: signed by the first vs the second secret",
            measure(|c| {
                let _ = bn_verify(if c { &bn_by_second } else { &bn_good });
            }),
        ),
        (
            "bitnob legacy: SHA-512 signature wrong in its first vs last byte",
            measure(|c| {
                let _ = bn_verify(if c { &legacy_last } else { &legacy_first });
            }),
        ),
        (
            "bitnob legacy rotation: signed by the first vs the second secret",
            measure(|c| {
                let _ = bn_verify(if c { &legacy_by_second } else { &legacy_good });
            }),
        ),
        (
            "control: the same signature in both classes (A/A: no leak possible)",
            measure(|_| {
                let _ = black_box(rotation.verify(black_box(&body), black_box(&by_first)));
            }),
        ),
        (
            "control: equal signatures in two allocations (A/A')",
            measure(|c| {
                let _ = black_box(
                    rotation.verify(black_box(&body), if c { &by_first_copy } else { &by_first }),
                );
            }),
        ),
        (
            "control: naive `==` on hex, first vs last byte (expected to leak)",
            measure(|c| {
                let candidate = if c { &last } else { &first };
                black_box(black_box(good.as_bytes()) == black_box(candidate.as_bytes()));
            }),
        ),
    ];
    println!("| measurement | |t| | median A (ns) | median B (ns) | verdict (|t| < 4.5) |");
    println!("|---|---|---|---|---|");
    for (name, (t, a, b)) in rows {
        let verdict = if t.abs() < 4.5 {
            "no leak detected"
        } else {
            "LEAK SIGNAL"
        };
        println!("| {name} | {:.2} | {a:.0} | {b:.0} | {verdict} |", t.abs());
    }
    println!("\n{SAMPLES} samples per class, interleaved at random, slowest 5% cropped.");
}
