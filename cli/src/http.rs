//! One HTTP/1.1 POST over a plain socket. A local receiver needs nothing
//! more (no TLS, no keep-alive, no redirects), and every byte sent is visible
//! here.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Bodies above this size are sent with `Expect: 100-continue`, so that a
/// receiver refusing them by `Content-Length` alone can answer before the
/// body is sent, instead of closing on an unread body and resetting the
/// connection (which would lose its answer).
const EXPECT_CONTINUE_ABOVE: usize = 64 * 1024;

/// How long to wait for `100 Continue` before sending the body anyway, as
/// RFC 9110 section 10.1.1 allows for a server that ignores `Expect`.
const CONTINUE_WAIT: Duration = Duration::from_secs(2);

/// An `http://` URL, split the way a request needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    /// `host:port` as given (the `Host` header), with `:80` when absent.
    authority: String,
    /// The path and query, `/` when absent.
    target: String,
}

impl Url {
    /// Parse `http://HOST[:PORT][/PATH]`. Anything else is refused with a
    /// message that says what is supported.
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("https://") {
            return Err(format!(
                "{url}: https is not supported; this tool sends to local receivers over plain \
                 http:// (Bullseye's own test webhook covers public HTTPS URLs)"
            ));
        }
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: not an http:// URL"))?;
        let (authority, target) = match rest.find(['/', '?']) {
            Some(at) => rest.split_at(at),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(format!("{url}: no host"));
        }
        let has_port = match authority.rfind(':') {
            Some(colon) => !authority.get(colon..).unwrap_or("").contains(']'),
            None => false,
        };
        let authority = if has_port {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let target = if target.starts_with('?') {
            format!("/{target}")
        } else {
            target.to_owned()
        };
        Ok(Self { authority, target })
    }
}

/// A request to make.
pub(crate) struct Request<'a> {
    pub(crate) url: &'a Url,
    /// Extra headers, e.g. the signature; `Host`, `Content-Type`,
    /// `Content-Length` and `Connection` are always sent.
    pub(crate) headers: &'a [(&'a str, &'a str)],
    pub(crate) body: &'a [u8],
    /// For the connection, and for each read and write.
    pub(crate) timeout: Duration,
}

/// What the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub(crate) status: u16,
    /// The reason phrase, possibly empty.
    pub(crate) reason: String,
    /// The body, de-chunked.
    pub(crate) body: Vec<u8>,
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HttpError {
    /// No connection could be made.
    Connect(String),
    /// Connected, but no (valid) HTTP answer came.
    Exchange(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Connect(why) | HttpError::Exchange(why) => f.write_str(why),
        }
    }
}

/// POST `request.body` and read the whole answer (`Connection: close`).
pub(crate) fn post(request: &Request<'_>) -> Result<Response, HttpError> {
    let url = request.url;
    let mut stream = connect(&url.authority, request.timeout)?;
    let exchange = |e: std::io::Error| HttpError::Exchange(describe(&e, request.timeout));
    stream
        .set_read_timeout(Some(request.timeout))
        .and_then(|()| stream.set_write_timeout(Some(request.timeout)))
        .map_err(exchange)?;

    let expect_continue = request.body.len() > EXPECT_CONTINUE_ABOVE;
    let mut head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        url.target,
        url.authority,
        request.body.len()
    );
    if expect_continue {
        head.push_str("Expect: 100-continue\r\n");
    }
    for (name, value) in request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(exchange)?;

    if expect_continue {
        let interim = read_interim(&mut stream, request.timeout)?;
        // A final answer before the body: that is the response.
        if !interim.is_empty() && !interim.starts_with(b"HTTP/1.1 100") {
            return read_rest(&mut stream, interim, request.timeout);
        }
    }
    if let Err(e) = stream.write_all(request.body) {
        // A receiver may answer and close before reading the whole body:
        // its answer, if it sent one, is still worth reading.
        return read_rest(&mut stream, Vec::new(), request.timeout)
            .map_err(|_| HttpError::Exchange(describe(&e, request.timeout)));
    }
    read_rest(&mut stream, Vec::new(), request.timeout)
}

fn connect(authority: &str, timeout: Duration) -> Result<TcpStream, HttpError> {
    let addresses: Vec<SocketAddr> = authority
        .to_socket_addrs()
        .map_err(|e| HttpError::Connect(format!("cannot resolve {authority}: {e}")))?
        .collect();
    let mut last = None;
    for address in &addresses {
        match TcpStream::connect_timeout(address, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(HttpError::Connect(match last {
        Some(e) => format!(
            "cannot connect to {authority}: {} (is the receiver running?)",
            describe(&e, timeout)
        ),
        None => format!("cannot resolve {authority}: no address"),
    }))
}

fn describe(error: &std::io::Error, timeout: Duration) -> String {
    match error.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            format!("no answer within {} s", timeout.as_secs_f64())
        }
        _ => error.to_string(),
    }
}

/// Read one response head (through the blank line), byte by byte so that
/// nothing after it is consumed; empty when nothing came within
/// [`CONTINUE_WAIT`].
fn read_interim(stream: &mut TcpStream, timeout: Duration) -> Result<Vec<u8>, HttpError> {
    let exchange = |e: std::io::Error| HttpError::Exchange(describe(&e, timeout));
    stream
        .set_read_timeout(Some(CONTINUE_WAIT.min(timeout)))
        .map_err(exchange)?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => head.extend_from_slice(&byte),
            Err(e)
                if head.is_empty()
                    && matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                break;
            }
            Err(e) => return Err(exchange(e)),
        }
    }
    stream.set_read_timeout(Some(timeout)).map_err(exchange)?;
    Ok(head)
}

/// Read the answer after `start`: up to the end of its body as its head
/// announces it (`Content-Length`, or the last chunk), or else to the end of
/// the connection; then parse. Some servers (workerd) keep the connection
/// open after a complete answer despite `Connection: close`.
fn read_rest(
    stream: &mut TcpStream,
    mut response: Vec<u8>,
    timeout: Duration,
) -> Result<Response, HttpError> {
    let mut buffer = [0u8; 8192];
    while !is_complete(&response) {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(buffer.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Nothing received: the error is the answer. Something received
            // and then a reset: those bytes are judged (a complete answer
            // is still the answer; anything else is not HTTP), whichever
            // way the peer happened to close.
            Err(e) if response.is_empty() => {
                return Err(HttpError::Exchange(describe(&e, timeout)));
            }
            Err(_) => break,
        }
    }
    parse_response(&response)
}

/// Whether `response` holds a whole answer whose head says where it ends.
fn is_complete(response: &[u8]) -> bool {
    let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(response.get(..split).unwrap_or_default());
    let body = response.get(split + 4..).unwrap_or_default();
    for line in head.split("\r\n").skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim(), value.trim());
            if name.eq_ignore_ascii_case("transfer-encoding")
                && value.to_ascii_lowercase().contains("chunked")
            {
                return body.ends_with(b"0\r\n\r\n");
            }
            if name.eq_ignore_ascii_case("content-length") {
                return value.parse::<usize>().is_ok_and(|n| body.len() >= n);
            }
        }
    }
    false
}

/// Parse a complete HTTP/1.x response.
fn parse_response(response: &[u8]) -> Result<Response, HttpError> {
    let invalid = || {
        HttpError::Exchange(if response.is_empty() {
            "the receiver closed the connection without answering".to_owned()
        } else {
            "the answer is not an HTTP response".to_owned()
        })
    };
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(invalid)?;
    let head = String::from_utf8_lossy(response.get(..split).unwrap_or_default());
    let body = response.get(split + 4..).unwrap_or_default();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(invalid());
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(invalid)?;
    let reason = parts.next().unwrap_or_default().to_owned();
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim(), value.trim());
            if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            }
        }
    }
    let body = if chunked {
        dechunk(body)
    } else {
        match length {
            Some(n) => body.get(..n).unwrap_or(body).to_vec(),
            None => body.to_vec(),
        }
    };
    Ok(Response {
        status,
        reason,
        body,
    })
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(body.get(..end).unwrap_or_default())
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok());
        let rest = body.get(end + 2..).unwrap_or_default();
        match size {
            Some(size) if size > 0 && rest.len() >= size => {
                out.extend_from_slice(rest.get(..size).unwrap_or_default());
                body = rest.get(size..).unwrap_or_default();
                body = body.strip_prefix(b"\r\n").unwrap_or(body);
            }
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = Url::parse("http://127.0.0.1:3000/bullseye?x=1").unwrap();
        assert_eq!(url.authority, "127.0.0.1:3000");
        assert_eq!(url.target, "/bullseye?x=1");
        let url = Url::parse("http://localhost").unwrap();
        assert_eq!(
            (url.authority.as_str(), url.target.as_str()),
            ("localhost:80", "/")
        );
        let url = Url::parse("http://[::1]/hook").unwrap();
        assert_eq!(url.authority, "[::1]:80");
        let url = Url::parse("http://[::1]:8080?a").unwrap();
        assert_eq!(
            (url.authority.as_str(), url.target.as_str()),
            ("[::1]:8080", "/?a")
        );
        assert!(
            Url::parse("https://example.com/")
                .unwrap_err()
                .contains("https is not supported")
        );
        assert!(Url::parse("127.0.0.1:3000").is_err());
        assert!(Url::parse("http:///path").is_err());
    }

    #[test]
    fn complete_answers() {
        assert!(is_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        ));
        assert!(!is_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok"
        ));
        assert!(!is_complete(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"));
        assert!(is_complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
        ));
        assert!(!is_complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n"
        ));
        // No length: only the end of the connection ends it.
        assert!(!is_complete(b"HTTP/1.1 200 OK\r\n\r\nok"));
    }

    #[test]
    fn responses() {
        let plain =
            parse_response(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 7\r\n\r\n{\"a\":1}extra")
                .unwrap();
        assert_eq!(
            plain,
            Response {
                status: 401,
                reason: "Unauthorized".to_owned(),
                body: b"{\"a\":1}".to_vec()
            }
        );
        let chunked = parse_response(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(chunked.body, b"{\"a\":1}");
        assert!(parse_response(b"").is_err());
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 abc\r\n\r\n").is_err());
    }
}
