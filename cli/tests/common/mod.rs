//! Shared by the CLI's end-to-end tests: running the built binary, and a
//! small receiver on 127.0.0.1 that records every request.

#![allow(dead_code, unreachable_pub)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use bullseye_webhooks::{BitnobWebhook, VISIT_SIGNATURE_HEADER, Webhook, find_header};

/// The secrets the tests use: none may ever appear in the CLI's output.
pub const CURRENT: &str = "whsec_cli_test_current_5f2a";
pub const PREVIOUS: &str = "whsec_cli_test_previous_91c4";

/// Signatures of the senders' documented examples (`bullseye-partner-api-identification.json`,
/// `fingerprinting-api-visit.json`), computed in advance with Python's `hmac`
/// (never by the code under test):
/// `hmac.new(KEY.encode(), open(FILE, 'rb').read(), hashlib.sha256).hexdigest()`.
pub const IDENTIFICATION_SIGNED_CURRENT: &str =
    "599592dc8ba2c7654f42c13d2c8a47e40d2b44368f0115349288c579b2f65947";
pub const IDENTIFICATION_SIGNED_PREVIOUS: &str =
    "d8185e25629b156e372ec3ab3333a35046cf73f67f28bdd7e5f90b9ddabc63b6";
pub const VISIT_SIGNED_CURRENT: &str =
    "28920618dbfaf6aadd583a3e6b79cac6d2ae67a41cc4989dce90448f7259e572";
/// `bitnob-virtualcard-debit.json` under Bitnob's schemes, computed in
/// advance with Python's `hmac`: `hmac.new(KEY.encode(), b"1764590400." +
/// BODY, hashlib.sha256).hexdigest()`, and the legacy `hmac.new(KEY.encode(),
/// BODY, hashlib.sha512).hexdigest()`.
pub const BITNOB_TIMESTAMP: &str = "1764590400";
pub const BITNOB_SIGNED_CURRENT: &str =
    "7b06cdade1188c55a9f7a16eafea40e63ac7ce167f202758ecfc17b835542478";
pub const BITNOB_SIGNED_PREVIOUS: &str =
    "a8b3f925842f7a5dea9fcff7683d743abe002b6dadf173a9b7e059f6967094b7";
pub const BITNOB_LEGACY_CURRENT: &str = "1c70d2f68d1997a51e74f08d69bd029496cd4437b14edf47d7ff6d140affbde46b0f866c21553d9d3564b10e5d6fc6a4580bec9f0a4551bd9faf032398ea3e58";
pub const BITNOB_LEGACY_PREVIOUS: &str = "619f79e080108fe9e0be4b5fcfdebf346561b5f5208ab8a2a9a166523125998432f96553235d2161a65b5947111c3a06038a0d171a25dc444f3804661e6f0d61";

/// The empty body under [`CURRENT`].
pub const EMPTY_SIGNED_CURRENT: &str =
    "10c531ba88e54b0e9a89eb9518edc0c9725f34e02aa7b40cdfcff5cd6bf0ac6f";

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name)
}

pub fn payload(name: &str) -> Vec<u8> {
    std::fs::read(fixture("payloads").join(name)).unwrap()
}

/// The bytes of a vector file's hex string (`body_hex`, `secrets_hex`).
pub fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// A vector case's body, in whichever of the vector files' forms it is
/// stored: `body`, `body_hex`, `body_file` or `body_repeat`.
pub fn case_body(case: &serde_json::Value) -> Vec<u8> {
    if let Some(text) = case["body"].as_str() {
        text.as_bytes().to_vec()
    } else if let Some(hex) = case["body_hex"].as_str() {
        hex_bytes(hex)
    } else if let Some(file) = case["body_file"].as_str() {
        payload(file)
    } else {
        let repeat = &case["body_repeat"];
        repeat["text"]
            .as_str()
            .unwrap()
            .repeat(repeat["count"].as_u64().unwrap() as usize)
            .into_bytes()
    }
}

/// The built binary, with the default secret variable cleared.
pub fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bullseye-webhooks"));
    command.env_remove("BULLSEYE_WEBHOOK_SECRET");
    command.env_remove("BITNOB_WEBHOOK_SECRET");
    command
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run, feeding `stdin`, and check that no test secret was printed.
pub fn run(command: &mut Command, stdin: Option<&[u8]>) -> Run {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    if let (Some(body), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(body);
    }
    let output = child.wait_with_output().unwrap();
    let run = Run {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    for secret in [CURRENT, PREVIOUS] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a secret was printed: {run:?}"
        );
    }
    run
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<String> {
        find_header(
            self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            name,
        )
        .map(|v| v.into_owned())
    }
}

/// A receiver on 127.0.0.1 written like a user's: `POST /bullseye` runs
/// `construct_event` with [`CURRENT`] and [`PREVIOUS`], answering 200 with
/// `{"event_type"}` the first time a delivery is seen and
/// `{"duplicate":true}` after (de-duplication), or the error's status with
/// `{"error": code}`; `POST /visit` runs `construct_visit`; `POST /bitnob`
/// runs a `BitnobWebhook`'s `construct_event` (the same secrets, its
/// defaults: a 300 s window, the legacy scheme on) over every header. A body over
/// 1 MiB is refused by its Content-Length before it is read. Every request
/// is recorded.
pub struct Receiver {
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Receiver {
    pub fn start() -> Self {
        Self::spawn("http", Some)
    }

    /// The same receiver over https, with a certificate for 127.0.0.1 and
    /// localhost issued by a CA made for this test alone; the CA's PEM file
    /// (for `--ca-cert`) is the second value.
    pub fn start_https() -> (Self, PathBuf) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let certificate =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .unwrap()
                .signed_by(&key, &ca)
                .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![certificate.der().clone()],
                    rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
                )
                .unwrap(),
        );
        let receiver = Self::spawn("https", move |stream| {
            let connection = rustls::ServerConnection::new(Arc::clone(&config)).ok()?;
            Some(rustls::StreamOwned::new(connection, stream))
        });
        let port = receiver.url.rsplit(':').next().unwrap();
        let ca_file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("ca-{port}.pem"));
        std::fs::write(&ca_file, ca.pem()).unwrap();
        (receiver, ca_file)
    }

    /// Serve on a fresh port, each connection wrapped by `wrap` (TLS or not).
    fn spawn<S: Read + Write>(
        scheme: &str,
        wrap: impl Fn(TcpStream) -> Option<S> + Send + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("{scheme}://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        // Serves until the test process ends.
        std::thread::spawn(move || {
            let webhook = Webhook::with_secrets([CURRENT, PREVIOUS]).unwrap();
            let bitnob = BitnobWebhook::with_secrets([CURRENT, PREVIOUS]).unwrap();
            for stream in listener.incoming().flatten() {
                if let Some(stream) = wrap(stream) {
                    let _ = serve(stream, &webhook, &bitnob, &recorded);
                }
            }
        });
        Self { url, requests }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(
    stream: impl Read + Write,
    webhook: &Webhook,
    bitnob: &BitnobWebhook,
    recorded: &Mutex<Vec<Recorded>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut request = Recorded {
        path,
        headers,
        body: Vec::new(),
    };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let expects_continue = request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if length > webhook.max_body_bytes() {
        recorded.lock().unwrap().push(request);
        return answer(reader.get_mut(), 413, r#"{"error":"body_too_large"}"#);
    }
    if expects_continue {
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        reader.get_mut().flush()?;
    }
    request.body = vec![0; length];
    reader.read_exact(&mut request.body)?;
    let seen_before = recorded
        .lock()
        .unwrap()
        .iter()
        .any(|r| r.body == request.body && r.headers == request.headers);
    let verified = match request.path.as_str() {
        "/visit" => webhook
            .construct_visit(
                &request.body,
                &request.header(VISIT_SIGNATURE_HEADER).unwrap_or_default(),
            )
            .map(|v| v.event_type.unwrap_or_default()),
        "/bitnob" => bitnob
            .construct_event(
                &request.body,
                request
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .map(|e| e.event_type().to_owned()),
        _ => webhook
            .construct_event(
                &request.body,
                &request.header("x-bullseye-signature").unwrap_or_default(),
            )
            .map(|e| e.event_type().to_owned()),
    };
    recorded.lock().unwrap().push(request);
    match verified {
        Ok(_) if seen_before => answer(reader.get_mut(), 200, r#"{"duplicate":true}"#),
        Ok(event_type) => answer(
            reader.get_mut(),
            200,
            &serde_json::json!({ "event_type": event_type }).to_string(),
        ),
        Err(e) => answer(
            reader.get_mut(),
            e.http_status(),
            &serde_json::json!({ "error": e.code() }).to_string(),
        ),
    }
}

fn answer(stream: &mut impl Write, status: u16, body: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        413 => "Payload Too Large",
        _ => "Other",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
