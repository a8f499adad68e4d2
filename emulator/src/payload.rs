//! The bodies of test webhooks.

use serde_json::json;

use crate::clock::{rfc3339_s, uuid_v4};

/// The identification example of the partner-API page, byte for byte (a
/// copy of the shared fixture inside the crate, so the published crate builds
/// on its own; a test keeps them identical).
const IDENTIFICATION_EXAMPLE: &str =
    include_str!("../payloads/bullseye-partner-api-identification.json");

/// The documented identification example with this organization's id, fresh
/// random ids for the session, visitor and company, and `timestamp` now. Every
/// other byte is the page's (field order, spacing, values), so a receiver
/// sees exactly the documented shape.
pub(crate) fn identification_test(organization_id: &str, now_ms: i64) -> std::io::Result<String> {
    let mut body = IDENTIFICATION_EXAMPLE.to_owned();
    let replacements = [
        (
            "\"timestamp\": \"2025-01-15T10:30:00Z\"",
            format!("\"timestamp\": \"{}\"", rfc3339_s(now_ms)),
        ),
        (
            "\"organization_id\": \"uuid\"",
            format!("\"organization_id\": {}", json!(organization_id)),
        ),
        (
            "\"session_id\": \"uuid\"",
            format!("\"session_id\": \"{}\"", uuid_v4()?),
        ),
        // The first `"id": "uuid"` is the visitor's, the second the company's.
        ("\"id\": \"uuid\"", format!("\"id\": \"{}\"", uuid_v4()?)),
        ("\"id\": \"uuid\"", format!("\"id\": \"{}\"", uuid_v4()?)),
    ];
    for (from, to) in replacements {
        body = body.replacen(from, &to, 1);
    }
    Ok(body)
}

/// The test billing event. The page documents no billing payload: this shape
/// is ours (see the README), a generic event every verifier accepts.
pub(crate) fn billing_test(organization_id: &str, now_ms: i64) -> std::io::Result<String> {
    let body = json!({
        "event_type": BILLING_TEST_EVENT,
        "timestamp": rfc3339_s(now_ms),
        "organization_id": organization_id,
        "workspace": "Org Name",
        "data": {
            "id": uuid_v4()?,
            "message": "Test billing webhook from the bullseye-webhooks emulator",
        },
    });
    serde_json::to_string_pretty(&body).map_err(std::io::Error::other)
}

/// The `event_type` of the test billing event.
pub(crate) const BILLING_TEST_EVENT: &str = "billing.test";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_embedded_example_is_the_shared_fixture_byte_for_byte() {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/payloads/bullseye-partner-api-identification.json");
        let shared = std::fs::read_to_string(fixture).unwrap();
        assert!(
            IDENTIFICATION_EXAMPLE == shared,
            "emulator/payloads differs from fixtures/payloads: copy it again"
        );
    }

    #[test]
    fn identification_test_is_the_example_with_fresh_ids() {
        let body = identification_test("org-7", 1_740_652_200_000).unwrap();
        let value: Value = serde_json::from_str(&body).unwrap();
        let example: Value = serde_json::from_str(IDENTIFICATION_EXAMPLE).unwrap();
        assert_eq!(value["timestamp"], "2025-02-27T10:30:00Z");
        assert_eq!(value["organization_id"], "org-7");
        for path in ["/session_id", "/visitor/id", "/company/id"] {
            let id = value.pointer(path).unwrap().as_str().unwrap();
            assert_eq!(id.len(), 36, "{path}: {id}");
        }
        assert_ne!(value["visitor"]["id"], value["company"]["id"]);
        // Everything else as documented.
        let mut value = value;
        for path in ["/session_id", "/visitor/id", "/company/id"] {
            *value.pointer_mut(path).unwrap() = "uuid".into();
        }
        value["timestamp"] = example["timestamp"].clone();
        value["organization_id"] = "uuid".into();
        assert_eq!(value, example);
        assert_eq!(body.len(), IDENTIFICATION_EXAMPLE.len() + 3 * 32 + 1);
    }
}
