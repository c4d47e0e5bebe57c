//! `onair healthcheck`: the container's `HEALTHCHECK` probe. It asks this process's own
//! `/healthz` over loopback and exits 0 on a 200. The image has no curl or wget (every tool in a
//! runtime image is attack surface), so the binary probes itself with a plain HTTP/1.0 request.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// How long the probe may take before it counts as unhealthy.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the server bound by `bind` answers from the same host: an unspecified address
/// (`0.0.0.0`, `::`) is reached through loopback.
pub fn probe_address(bind: SocketAddr) -> SocketAddr {
    let ip = match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bind.port())
}

/// `GET /healthz` on `address`; `Ok(())` on a 200, otherwise what went wrong.
pub fn probe(address: SocketAddr) -> Result<(), String> {
    let mut stream = TcpStream::connect_timeout(&address, PROBE_TIMEOUT)
        .map_err(|err| format!("cannot connect to {address}: {err}"))?;
    stream
        .set_read_timeout(Some(PROBE_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(PROBE_TIMEOUT)))
        .map_err(|err| format!("cannot set timeouts: {err}"))?;
    stream
        .write_all(format!("GET /healthz HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes())
        .map_err(|err| format!("cannot send the probe to {address}: {err}"))?;
    let mut status_line = [0u8; 12];
    stream
        .read_exact(&mut status_line)
        .map_err(|err| format!("no answer from {address}: {err}"))?;
    let status = String::from_utf8_lossy(&status_line[9..12]).into_owned();
    if status_line.starts_with(b"HTTP/1.") && status == "200" {
        Ok(())
    } else {
        Err(format!("/healthz on {address} answered {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_bound_to_every_interface_is_probed_through_loopback() {
        let bind: SocketAddr = "0.0.0.0:3000".parse().unwrap();
        assert_eq!(probe_address(bind), "127.0.0.1:3000".parse().unwrap());
        let bind: SocketAddr = "[::]:3000".parse().unwrap();
        assert_eq!(probe_address(bind), "[::1]:3000".parse().unwrap());
    }

    #[test]
    fn a_server_bound_to_one_address_is_probed_there() {
        let bind: SocketAddr = "127.0.0.2:8080".parse().unwrap();
        assert_eq!(probe_address(bind), bind);
    }

    #[test]
    fn nothing_listening_is_unhealthy() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        assert!(probe(address).is_err());
    }
}
