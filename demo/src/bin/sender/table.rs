//! The table of deliveries (`demo/deliveries.json`): what each delivery
//! sends and the answer every receiver must give. Each field is documented
//! here, where it is read; `demo/README.md` shows a row.

use std::fmt;
use std::path::{Path, PathBuf};

use bullseye_webhooks::{VISIT_SIGNATURE_HEADER, sign};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Table {
    /// One row each, sent to every receiver by `bullseye-webhooks send`.
    pub(crate) deliveries: Vec<Delivery>,
    /// The de-duplication rows: several requests to one receiver, checked
    /// together.
    pub(crate) once: Vec<OnceCheck>,
}

impl Table {
    pub(crate) fn read(path: &Path) -> Result<Table, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The environment variables the table names (`run.sh` sets them):
    /// each must be set, so that a missing one is reported once, up front.
    pub(crate) fn check_secrets(&self) -> Result<(), String> {
        let named = self
            .deliveries
            .iter()
            .filter_map(|d| d.secret.as_deref())
            .chain(self.once.iter().map(|check| check.secret.as_str()));
        for name in named {
            if std::env::var_os(name).is_none() {
                return Err(format!("{name} is not set"));
            }
        }
        Ok(())
    }
}

/// One request the sender makes with `send`, and the answer every receiver
/// must give.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Delivery {
    pub(crate) name: String,
    /// The receiver's path, e.g. `/bullseye`.
    pub(crate) route: String,
    pub(crate) scheme: Scheme,
    pub(crate) body: Body,
    /// The environment variable holding the secret to sign with (`send
    /// --secret-env`), or the one a computed `signature` is made with.
    #[serde(default)]
    pub(crate) secret: Option<String>,
    #[serde(default)]
    pub(crate) signing: Signing,
    pub(crate) expect: Expect,
}

/// Whose webhook the delivery is.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Scheme {
    /// Bullseye's identification and generic events (`X-Bullseye-Signature`).
    Bullseye,
    /// A fingerprinting-api visit: the same HMAC in `X-Webhook-Signature`,
    /// or the secret itself (static token).
    Visit,
    /// Bitnob's (`send --scheme bitnob`): timestamp, signature and event headers.
    Bitnob,
}

/// How the body is made.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Body {
    /// A fixture, byte for byte (a path under `--fixtures`).
    File(PathBuf),
    /// The CLI's own sample (`send --example NAME`).
    Example(String),
    /// These bytes.
    Text(String),
    /// A fixture with the first `from` replaced by `to`: a field as Bullseye
    /// might change it. `from` must occur.
    Replaced {
        file: PathBuf,
        from: String,
        to: String,
    },
    /// A fixture parsed and written again (compact): the same JSON value in
    /// other bytes.
    Reserialized(PathBuf),
    /// `{"event":EVENT,"pad":"xx…"}`, padded to `bytes` bytes in all.
    Padded { event: String, bytes: usize },
}

/// How the signature header is made. All but `signature` are `send`'s own
/// flags, signing with `secret`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Signing {
    /// Signed with `secret`.
    #[default]
    Signed,
    /// Signed, then one digit of the body changed (`--tamper`).
    Tampered,
    /// No signature header (`--unsigned`).
    Unsigned,
    /// Signed with a secret the receiver does not know (`--wrong-secret`).
    WrongSecret,
    /// The secret itself as the header value, fingerprinting-api's static
    /// token (`--static-token`).
    StaticToken,
    /// Bitnob's old scheme: HMAC-SHA512 of the body alone (`--legacy`).
    Legacy,
    /// Bitnob: signed with a timestamp this many seconds old (`--age`).
    AgeSeconds(u64),
    /// Bitnob: signed, with this `X-Bitnob-Event` whatever the body says
    /// (`--event`).
    EventHeader(String),
    /// This header value, sent as it is (`--signature`): odd signatures the
    /// CLI does not make itself.
    Signature(Signature),
}

/// A signature header value given to `send --signature`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Signature {
    /// This text.
    Text(String),
    /// The signature, with `secret`, of the fixture the body is made from
    /// (before any change the body makes).
    OfFile,
    /// That signature upper-cased, with spaces before it and a tab after it.
    UpperCasePadded,
    /// The first N hex digits of that signature.
    FirstDigits(usize),
}

/// The answer every receiver must give.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expect {
    pub(crate) status: u16,
    /// The `error` code of the answer; none for a 200.
    pub(crate) error: Option<String>,
    /// The `event_type` a 200 must name, where the row checks it.
    pub(crate) event_type: Option<String>,
    /// For identifications whose typed view is checked.
    pub(crate) typed: Option<Typed>,
    /// Texts that one line of each receiver's stderr must all contain: the
    /// log of a mismatch (path and types, never the value).
    #[serde(default)]
    pub(crate) logged: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Typed {
    /// `company.size` as the receiver typed it (`null`: absent or not a
    /// number).
    pub(crate) company_size: Option<i64>,
    /// The paths the receiver reports as sent with another JSON type.
    pub(crate) mismatches: Vec<String>,
}

/// The table's "expected" column.
impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status)?;
        match (&self.error, &self.typed, &self.event_type) {
            (Some(code), _, _) => write!(f, " {code}"),
            (None, Some(typed), _) => write!(
                f,
                " size={} mismatches=[{}]",
                typed
                    .company_size
                    .map_or("null".to_owned(), |s| s.to_string()),
                typed.mismatches.join(",")
            ),
            (None, None, Some(event_type)) => write!(f, " {event_type}"),
            (None, None, None) => Ok(()),
        }
    }
}

/// A de-duplication row, on a route of its own (`/bullseye-once`) so the
/// rows above can send the same fixture again and again.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OnceCheck {
    pub(crate) name: String,
    pub(crate) check: OnceKind,
    pub(crate) route: String,
    /// The environment variable holding the secret to sign with.
    pub(crate) secret: String,
    /// A delivery of the row's own (its own `session_id`), so its key is new
    /// to every receiver.
    pub(crate) body: String,
    /// Its delivery key as the core's README defines it, written here rather
    /// than computed by the code under test.
    pub(crate) key: String,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OnceKind {
    /// The same signed delivery sent twice, one after the other.
    Duplicate,
    /// A copy sent while the first is still being handled.
    InFlight,
}

/// `send`'s arguments for one delivery (besides `--json` and `--url`), and
/// the body to write to its stdin when the body is `-`.
pub(crate) struct Request {
    pub(crate) args: Vec<String>,
    pub(crate) stdin: Option<Vec<u8>>,
}

impl Delivery {
    pub(crate) fn request(&self, fixtures: &Path) -> Result<Request, String> {
        let mut args: Vec<String> = Vec::new();
        let mut push = |items: &[&str]| args.extend(items.iter().map(|a| (*a).to_owned()));
        match self.scheme {
            Scheme::Bullseye => {}
            Scheme::Visit => push(&["--header", VISIT_SIGNATURE_HEADER]),
            Scheme::Bitnob => push(&["--scheme", "bitnob"]),
        }
        if let Signing::Signature(signature) = &self.signing {
            // A header value given as it is: the CLI needs no secret.
            let value = self.signature(signature, fixtures)?;
            push(&["--signature", &value]);
        } else if let Some(secret) = &self.secret {
            push(&["--secret-env", secret]);
        }
        match &self.signing {
            Signing::Signed | Signing::Signature(_) => {}
            Signing::Tampered => push(&["--tamper"]),
            Signing::Unsigned => push(&["--unsigned"]),
            Signing::WrongSecret => push(&["--wrong-secret"]),
            Signing::StaticToken => push(&["--static-token"]),
            Signing::Legacy => push(&["--legacy"]),
            Signing::AgeSeconds(age) => push(&["--age", &age.to_string()]),
            Signing::EventHeader(event) => push(&["--event", event]),
        }
        let stdin = match &self.body {
            Body::File(file) => {
                push(&[&fixtures.join(file).display().to_string()]);
                None
            }
            Body::Example(kind) => {
                push(&["--example", kind]);
                None
            }
            made => {
                push(&["-"]);
                Some(made.bytes(fixtures)?)
            }
        };
        Ok(Request { args, stdin })
    }

    /// The header value of a `signature` row.
    fn signature(&self, signature: &Signature, fixtures: &Path) -> Result<String, String> {
        let signed = || -> Result<String, String> {
            let name = self
                .secret
                .as_deref()
                .ok_or_else(|| format!("{}: a computed signature needs a `secret`", self.name))?;
            let secret = std::env::var(name).map_err(|_| format!("{name} is not set"))?;
            let file = self.body.file().ok_or_else(|| {
                format!(
                    "{}: a computed signature needs a body from a file",
                    self.name
                )
            })?;
            Ok(sign(&secret, &read(&fixtures.join(file))?))
        };
        Ok(match signature {
            Signature::Text(text) => text.clone(),
            Signature::OfFile => signed()?,
            Signature::UpperCasePadded => format!("  {}\t", signed()?.to_uppercase()),
            Signature::FirstDigits(digits) => signed()?
                .get(..*digits)
                .ok_or_else(|| format!("{}: a signature has fewer digits", self.name))?
                .to_owned(),
        })
    }
}

impl Body {
    /// The fixture the body is made from, if any.
    fn file(&self) -> Option<&Path> {
        match self {
            Body::File(file) | Body::Reserialized(file) | Body::Replaced { file, .. } => Some(file),
            Body::Example(_) | Body::Text(_) | Body::Padded { .. } => None,
        }
    }

    /// The bytes of a body the sender makes itself.
    fn bytes(&self, fixtures: &Path) -> Result<Vec<u8>, String> {
        match self {
            Body::File(file) => read(&fixtures.join(file)),
            Body::Example(kind) => Err(format!("the CLI makes the {kind} example itself")),
            Body::Text(text) => Ok(text.clone().into_bytes()),
            Body::Replaced { file, from, to } => {
                let path = fixtures.join(file);
                let text = String::from_utf8(read(&path)?)
                    .map_err(|e| format!("{} is not UTF-8: {e}", path.display()))?;
                if !text.contains(from.as_str()) {
                    return Err(format!("{} has no {from} to replace", path.display()));
                }
                Ok(text.replacen(from.as_str(), to, 1).into_bytes())
            }
            Body::Reserialized(file) => {
                let path = fixtures.join(file);
                serde_json::from_slice::<serde_json::Value>(&read(&path)?)
                    .map(|value| value.to_string().into_bytes())
                    .map_err(|e| format!("{} is not JSON: {e}", path.display()))
            }
            Body::Padded { event, bytes } => {
                let event = serde_json::Value::from(event.as_str());
                let mut body = format!("{{\"event\":{event},\"pad\":\"").into_bytes();
                let closing = b"\"}";
                body.resize(bytes.saturating_sub(closing.len()).max(body.len()), b'x');
                body.extend_from_slice(closing);
                Ok(body)
            }
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bullseye_webhooks::DEFAULT_MAX_BODY_BYTES;

    fn table() -> Table {
        Table::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("deliveries.json")).unwrap()
    }

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
    }

    /// A renamed fixture, or a `from` no longer in it, fails here rather
    /// than in the middle of `make demo`.
    #[test]
    fn every_body_of_the_table_can_be_made() {
        for delivery in table().deliveries {
            match &delivery.body {
                Body::File(file) => assert!(fixtures().join(file).is_file(), "{}", delivery.name),
                Body::Example(_) => {}
                made => {
                    made.bytes(&fixtures())
                        .unwrap_or_else(|e| panic!("{}: {e}", delivery.name));
                }
            }
        }
    }

    /// Otherwise the rows would not test what their names say.
    #[test]
    fn made_bodies_differ_from_their_fixture_and_the_large_one_is_over_the_limit() {
        for delivery in table().deliveries {
            let body = &delivery.body;
            if let (Some(file), Body::Replaced { .. } | Body::Reserialized(_)) = (body.file(), body)
            {
                let original = read(&fixtures().join(file)).unwrap();
                assert_ne!(
                    body.bytes(&fixtures()).unwrap(),
                    original,
                    "{}",
                    delivery.name
                );
            }
            if delivery.expect.error.as_deref() == Some("body_too_large") {
                let made = body.bytes(&fixtures()).unwrap();
                assert!(made.len() > DEFAULT_MAX_BODY_BYTES, "{}", delivery.name);
                assert!(serde_json::from_slice::<serde_json::Value>(&made).is_ok());
            }
        }
    }
}
