//! Loopback networking helpers: free ports and a tiny blocking HTTP probe.
//!
//! The probe writes a raw `GET … HTTP/1.0` over a `TcpStream` instead of pulling in a blocking
//! HTTP client: readiness checks only need the status line, and this stays usable from inside
//! tokio tests (it never touches a runtime).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
pub fn free_tcp_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// Whether `GET http://127.0.0.1:{port}{path}` answers with status 200 within about a second.
pub fn http_get_ok(port: u16, path: &str) -> bool {
    http_get_status(port, path).is_some_and(|status| status == 200)
}

/// The status code of `GET http://127.0.0.1:{port}{path}`, or `None` if nothing answered within
/// about a second.
pub fn http_get_status(port: u16, path: &str) -> Option<u16> {
    http_get_status_within(port, path, Duration::from_secs(1))
}

/// The status code of `GET http://127.0.0.1:{port}{path}`, or `None` if nothing answered within
/// `timeout` (for requests that do work before answering).
pub fn http_get_status_within(port: u16, path: &str, timeout: Duration) -> Option<u16> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    // The status line fits in the first read; "HTTP/1.1 200 OK" → "200".
    let mut head = [0u8; 64];
    let mut len = 0;
    while len < head.len() {
        match stream.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(_) => break,
        }
        if head[..len].contains(&b'\n') {
            break;
        }
    }
    let line = std::str::from_utf8(&head[..len]).ok()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}
