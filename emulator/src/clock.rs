//! The clock and the two timestamp formats the emulator writes, on `time`.

use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// `2025-02-27T10:30:00.123Z` (UTC, milliseconds: retries a few milliseconds
/// apart under `--time-scale` still read in order). `time`'s own `Rfc3339`
/// trims trailing zeros of the fraction, so the format is spelled out.
const RFC3339_MS: &[FormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// `2025-01-15T10:30:00Z` (UTC, seconds), the documented payload format.
const RFC3339_S: &[FormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    let ms = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn format(ms: i64, description: &[FormatItem<'_>]) -> String {
    // Out of `time`'s range (beyond year 9999) only for a corrupt store row.
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|at| at.format(description).ok())
        .unwrap_or_default()
}

pub(crate) fn rfc3339_ms(ms: i64) -> String {
    format(ms, RFC3339_MS)
}

pub(crate) fn rfc3339_s(ms: i64) -> String {
    format(ms, RFC3339_S)
}

/// A random (version 4) UUID. The bytes come from `getrandom` rather than
/// `Uuid::new_v4`, which panics when the operating system has no randomness.
pub(crate) fn uuid_v4() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_known_dates() {
        // Known instants, from `date -u -d @SECONDS`.
        assert_eq!(rfc3339_s(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_s(1_740_652_200_000), "2025-02-27T10:30:00Z");
        assert_eq!(rfc3339_ms(1_736_937_000_042), "2025-01-15T10:30:00.042Z");
        assert_eq!(rfc3339_ms(1_736_937_000_000), "2025-01-15T10:30:00.000Z");
        assert_eq!(rfc3339_ms(1_736_937_000_120), "2025-01-15T10:30:00.120Z");
        assert_eq!(rfc3339_s(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_s(4_102_444_799_000), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn uuids_are_version_4() {
        let id = uuid_v4().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert!(matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_eq!(id, id.to_lowercase());
        assert_ne!(id, uuid_v4().unwrap());
    }
}
