//! The LiveKit harness the real-stack tests rely on, exercised against the real binary:
//! start on free ports, hang (pause) and recover (resume), restart on the same ports, stop.
//!
//! Uses `ONAIR_TEST_LIVEKIT_BIN` (set by `cargo xtask test`), else the pinned binary if it is
//! installed; skipped with a note when there is neither.

use std::path::PathBuf;
use std::time::Instant;

use xtask::net::http_get_ok;
use xtask::stack::{LiveKitOptions, LiveKitServer};

fn livekit_binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("ONAIR_TEST_LIVEKIT_BIN") {
        return Some(bin.into());
    }
    xtask::tools::livekit_server_path()
        .ok()
        .filter(|path| path.is_file())
}

#[test]
fn livekit_server_starts_hangs_recovers_restarts_and_stops() {
    let Some(binary) = livekit_binary() else {
        eprintln!("skipped: no livekit-server (run `cargo xtask test`)");
        return;
    };

    // Started from a thread that then ends: the server must outlive that thread.
    let mut server =
        std::thread::spawn(move || LiveKitServer::start(LiveKitOptions::free_ports(binary)))
            .join()
            .unwrap()
            .unwrap();
    let ports = server.ports();
    assert!(server.url().starts_with("ws://127.0.0.1:"));
    assert!(http_get_ok(ports.http, "/"), "ready after start");

    server.pause().unwrap();
    let probe = Instant::now();
    assert!(
        !http_get_ok(ports.http, "/"),
        "a paused server does not answer"
    );
    assert!(probe.elapsed().as_secs() < 3, "the probe gives up quickly");
    server.resume().unwrap();
    assert!(http_get_ok(ports.http, "/"), "answers again after resume");

    let old_pid = server.pid();
    server.restart().unwrap();
    assert_ne!(server.pid(), old_pid);
    assert_eq!(server.ports(), ports, "restart keeps the ports");
    assert!(http_get_ok(ports.http, "/"), "ready after restart");

    let stopping = Instant::now();
    server.stop().unwrap();
    assert!(
        stopping.elapsed().as_secs() < 4,
        "stops without waiting for SIGKILL"
    );
    assert_eq!(server.pid(), None);
    assert!(!http_get_ok(ports.http, "/"), "nothing answers after stop");
}
