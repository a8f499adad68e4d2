//! `send`'s HTTP: one POST through ureq (http and https, proxies from the
//! environment), with its failures put in words a receiver's author can act on.

use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;

use ureq::http::Uri;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::{Agent, Timeout};

use crate::Failure;

/// Bodies above this size are sent with `Expect: 100-continue`, so that a
/// receiver refusing them by `Content-Length` alone can answer before the
/// body is sent, instead of closing on an unread body and resetting the
/// connection (which would lose its answer).
const EXPECT_CONTINUE_ABOVE: usize = 64 * 1024;

/// How long to wait for `100 Continue` before sending the body anyway, as
/// RFC 9110 section 10.1.1 allows for a server that ignores `Expect`.
const CONTINUE_WAIT: Duration = Duration::from_secs(2);

/// The most of an answer's body kept: far more than a receiver's answer needs.
const MAX_ANSWER_BYTES: u64 = 10 * 1024 * 1024;

/// What the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub(crate) status: u16,
    /// The status's standard reason phrase, empty for an unknown status.
    pub(crate) reason: String,
    pub(crate) body: Vec<u8>,
}

/// Posts to one receiver.
pub(crate) struct Client {
    agent: Agent,
    url: Uri,
    timeout: Duration,
}

impl Client {
    /// `url` must be `http://` or `https://` with a host. `ca_cert`, a PEM
    /// file, replaces the built-in roots (Mozilla's) as the certificates an
    /// https receiver is trusted by. `timeout` bounds the connection and each
    /// read and write.
    pub(crate) fn new(
        url: &str,
        ca_cert: Option<&Path>,
        timeout: Duration,
    ) -> Result<Self, Failure> {
        let parsed: Uri = url
            .parse()
            .map_err(|_| Failure::Usage(format!("{url}: not an http:// or https:// URL")))?;
        if !matches!(parsed.scheme_str(), Some("http" | "https")) {
            return Err(Failure::Usage(format!(
                "{url}: not an http:// or https:// URL"
            )));
        }
        if parsed.host().is_none_or(str::is_empty) {
            return Err(Failure::Usage(format!("{url}: no host")));
        }
        let mut tls = TlsConfig::builder();
        if let Some(path) = ca_cert {
            tls = tls.root_certs(RootCerts::new_with_certs(&read_certificates(path)?));
        }
        let agent = Agent::config_builder()
            .tls_config(tls.build())
            // A 4xx or 5xx is the receiver's answer, to report.
            .http_status_as_error(false)
            // A receiver that redirects is reported, not followed.
            .max_redirects(0)
            .timeout_connect(Some(timeout))
            .timeout_per_read(Some(timeout))
            .timeout_per_write(Some(timeout))
            .timeout_await_100(Some(CONTINUE_WAIT.min(timeout)))
            .build()
            .new_agent();
        Ok(Self {
            agent,
            url: parsed,
            timeout,
        })
    }

    /// POST `body` as JSON with `headers`, and read the whole answer.
    pub(crate) fn post(&self, headers: &[(&str, &str)], body: &[u8]) -> Result<Response, String> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        if body.len() > EXPECT_CONTINUE_ABOVE {
            request = request.header("Expect", "100-continue");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request.send(body).map_err(|e| self.describe(&e))?;
        let status = response.status();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(|e| self.describe(&e))?;
        Ok(Response {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or_default().to_owned(),
            body,
        })
    }

    fn authority(&self) -> String {
        let host = self.url.host().unwrap_or_default();
        let port = self.url.port_u16().unwrap_or(match self.url.scheme_str() {
            Some("https") => 443,
            _ => 80,
        });
        format!("{host}:{port}")
    }

    fn describe(&self, error: &ureq::Error) -> String {
        let authority = self.authority();
        let within = format!("no answer within {} s", self.timeout.as_secs_f64());
        match error {
            ureq::Error::Timeout(Timeout::Connect | Timeout::Resolve) => {
                format!("cannot connect to {authority}: {within} (is the receiver running?)")
            }
            ureq::Error::Timeout(_) => format!("{}: {within}", self.url),
            ureq::Error::HostNotFound => format!("cannot resolve {authority}"),
            ureq::Error::ConnectionFailed => {
                format!("cannot connect to {authority} (is the receiver running?)")
            }
            ureq::Error::Io(e) => match e.kind() {
                ErrorKind::ConnectionRefused
                | ErrorKind::HostUnreachable
                | ErrorKind::NetworkUnreachable
                | ErrorKind::AddrNotAvailable => {
                    format!("cannot connect to {authority}: {e} (is the receiver running?)")
                }
                ErrorKind::TimedOut | ErrorKind::WouldBlock => format!("{}: {within}", self.url),
                ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::BrokenPipe => {
                    format!(
                        "{}: the receiver closed the connection without answering ({e})",
                        self.url
                    )
                }
                // rustls's refusals (an unknown issuer, a wrong name) come as InvalidData.
                ErrorKind::InvalidData if self.url.scheme_str() == Some("https") => format!(
                    "{}: TLS: {e} (trust a local receiver's certificate with --ca-cert FILE)",
                    self.url
                ),
                _ => format!("{}: {e}", self.url),
            },
            ureq::Error::Protocol(e) => {
                format!("{}: the answer is not an HTTP response ({e})", self.url)
            }
            ureq::Error::Tls(e) => format!("{}: TLS: {e}", self.url),
            ureq::Error::BodyExceedsLimit(limit) => {
                format!("{}: the answer is over {limit} bytes", self.url)
            }
            other => format!("{}: {other}", self.url),
        }
    }
}

/// The certificates of a PEM file (other PEM items are skipped).
fn read_certificates(path: &Path) -> Result<Vec<Certificate<'static>>, Failure> {
    let pem = std::fs::read(path)
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(certificate)) => certificates.push(certificate),
            Ok(_) => {}
            Err(e) => {
                return Err(Failure::Input(format!("{}: {e}", path.display())));
            }
        }
    }
    if certificates.is_empty() {
        return Err(Failure::Input(format!(
            "{}: no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(certificates)
}
