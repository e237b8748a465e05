//! A minimal HTTP/1.1 server and client on `std::net`, shared by the examples (and
//! the harness test): one request per connection, `Content-Length` bodies, bounded
//! reads and timeouts. It answers malformed requests with a 4xx status and never
//! panics on what it reads; it is a test fixture, not a web server.

#![allow(dead_code)] // each example uses part of it

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// The largest request or response head (start line and headers) read.
pub const MAX_HEAD: usize = 64 * 1024;
/// The largest body read.
pub const MAX_BODY: usize = 1024 * 1024;
/// How long a read or write may block.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Header fields as received: names in their original case, values as bytes
/// (surrounding whitespace removed). A `Vec` of pairs is a carrier already.
pub type Fields = Vec<(String, Vec<u8>)>;

/// A request, as the server hands it to a handler.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Fields,
    pub body: Vec<u8>,
}

/// A response, built by a handler or received by the client.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Fields,
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a plain-text body.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), b"text/plain".to_vec())],
            body: body.into().into_bytes(),
        }
    }
}

/// Binds `addr`, serves each connection on its own thread, and returns the bound
/// address at once (port 0 picks a free port).
pub fn spawn<F>(addr: impl ToSocketAddrs, handler: F) -> io::Result<SocketAddr>
where
    F: Fn(Request) -> Response + Send + Sync + 'static,
{
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    thread::spawn(move || serve(listener, handler));
    Ok(local)
}

/// Serves `listener` forever, one thread per connection.
pub fn serve<F>(listener: TcpListener, handler: F)
where
    F: Fn(Request) -> Response + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            // Out of file descriptors, most likely: give the system a moment rather
            // than spin.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let handler = Arc::clone(&handler);
        // `thread::spawn` panics when the system cannot make a thread; dropping the
        // connection is the better answer to that.
        let _ = thread::Builder::new().spawn(move || {
            // A peer that goes away mid-request is not our problem to report.
            let _ = handle(stream, &*handler);
        });
    }
}

fn handle(mut stream: TcpStream, handler: &dyn Fn(Request) -> Response) -> io::Result<()> {
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let response = match read_message(&mut stream) {
        Ok((start, headers, body)) => match parse_request_line(&start) {
            Some((method, path)) => handler(Request {
                method,
                path,
                headers,
                body,
            }),
            None => Response::text(400, "bad request line"),
        },
        Err(status) => {
            // The rest of the request is still unread: closing a socket with unread
            // input makes the system reset the connection, and the client may lose
            // the answer. Send it, then read and discard what is left for a moment.
            write_response(&mut stream, &Response::text(status, "malformed request"))?;
            return linger(stream);
        }
    };
    write_response(&mut stream, &response)
}

/// Closes the sending side, then discards input until the peer closes, for at most
/// `LINGER` and `MAX_BODY` bytes, so that the response is not lost to a reset.
fn linger(mut stream: TcpStream) -> io::Result<()> {
    const LINGER: Duration = Duration::from_secs(1);
    stream.shutdown(std::net::Shutdown::Write)?;
    stream.set_read_timeout(Some(LINGER))?;
    let start = std::time::Instant::now();
    let mut chunk = [0u8; 4096];
    let mut discarded = 0;
    while discarded < MAX_BODY && start.elapsed() < LINGER {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => discarded += n,
        }
    }
    Ok(())
}

fn parse_request_line(line: &str) -> Option<(String, String)> {
    let mut parts = line.split(' ');
    let method = parts.next().filter(|m| !m.is_empty())?;
    let path = parts.next().filter(|p| p.starts_with('/'))?;
    let version = parts.next()?;
    if parts.next().is_some() || !version.starts_with("HTTP/1.") {
        return None;
    }
    Some((method.to_string(), path.to_string()))
}

fn write_response(stream: &mut TcpStream, response: &Response) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    )
    .into_bytes();
    for (name, value) in &response.headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            response.body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&response.body);
    stream.write_all(&out)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Reads a start line, header fields and a `Content-Length` body. On bad input,
/// the error is the status to answer with.
fn read_message(stream: &mut impl Read) -> Result<(String, Fields, Vec<u8>), u16> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    // Where the search for the end of the head resumes: each byte is looked at a
    // bounded number of times, however the head is split into reads.
    let mut scanned = 0;
    let head_end = loop {
        if let Some(at) = find(&buf[scanned..], b"\r\n\r\n") {
            break scanned + at;
        }
        scanned = buf.len().saturating_sub(3);
        if buf.len() > MAX_HEAD {
            return Err(431);
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Err(400),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    if head_end > MAX_HEAD {
        return Err(431);
    }
    let (start, headers) = parse_head(&buf[..head_end]).ok_or(400u16)?;
    let length = content_length(&headers)?;
    if length > MAX_BODY {
        return Err(413);
    }
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Err(400),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    body.truncate(length);
    Ok((start, headers, body))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(head: &[u8]) -> Option<(String, Fields)> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let start = String::from_utf8(lines.next()?.to_vec()).ok()?;
    let mut fields = Fields::new();
    for line in lines {
        let colon = line.iter().position(|&b| b == b':')?;
        let name = &line[..colon];
        let token = !name.is_empty()
            && name
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c));
        if !token {
            return None; // also refuses obsolete line folding
        }
        let value = line[colon + 1..].trim_ascii();
        fields.push((String::from_utf8(name.to_vec()).ok()?, value.to_vec()));
    }
    Some((start, fields))
}

fn content_length(fields: &Fields) -> Result<usize, u16> {
    let mut length = None;
    for (name, value) in fields {
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(411);
        }
        if name.eq_ignore_ascii_case("content-length") {
            // Digits only: `usize::from_str` would also take a leading `+`.
            let parsed: usize = Some(value)
                .filter(|v| !v.is_empty() && v.iter().all(u8::is_ascii_digit))
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(|v| v.parse().ok())
                .ok_or(400u16)?;
            if length.is_some_and(|l| l != parsed) {
                return Err(400);
            }
            length = Some(parsed);
        }
    }
    Ok(length.unwrap_or(0))
}

/// POSTs `body` to `url` (`http://host:port/path`) with `headers`, and reads the
/// response. Entries with an empty name (the free slots of a fixed carrier) are
/// skipped.
pub fn post(url: &str, headers: &[(&str, &str)], body: &[u8]) -> io::Result<Response> {
    let invalid =
        |what: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {url}"));
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("only http:// URLs"))?;
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    // `host` alone (or `[v6]`) means port 80.
    let default_port;
    let with_port = if authority.ends_with(']') || !authority.contains(':') {
        default_port = format!("{authority}:80");
        default_port.as_str()
    } else {
        authority
    };
    let addr = with_port
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| invalid("no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let mut out = format!("POST {path} HTTP/1.1\r\nhost: {authority}\r\n").into_bytes();
    for (name, value) in headers.iter().filter(|(name, _)| !name.is_empty()) {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
    stream.write_all(&out)?;
    stream.flush()?;
    let (start, headers, body) = read_message(&mut stream).map_err(|status| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad response ({status})"),
        )
    })?;
    let status = start
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad status line"))?;
    Ok(Response {
        status,
        headers,
        body,
    })
}
