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

#[test]
fn a_supervised_livekit_server_comes_back_on_the_same_ports_after_a_kill() {
    use xtask::stack::SupervisedLiveKit;

    let Some(binary) = livekit_binary() else {
        eprintln!("skipped: no livekit-server (run `cargo xtask test`)");
        return;
    };
    let pid_file =
        std::env::temp_dir().join(format!("onair-supervised-{}.pid", std::process::id()));
    let mut server =
        SupervisedLiveKit::start(LiveKitOptions::free_ports(binary), &pid_file).unwrap();
    let port: u16 = server.url().rsplit(':').next().unwrap().parse().unwrap();
    let read_pid = || {
        std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.parse::<i32>().ok())
    };
    let first = read_pid().expect("the pid file holds the pid");
    assert_eq!(Some(first as u32), server.pid());

    // What a test (or a crash) does: kill it outright.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(first),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let start = Instant::now();
    let second = loop {
        if let Some(pid) = read_pid().filter(|pid| *pid != first) {
            break pid;
        }
        assert!(start.elapsed().as_secs() < 20, "restarted within 20 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_ne!(second, first);
    assert_eq!(server.restarts(), 1);
    assert!(
        http_get_ok(port, "/"),
        "answers on the same port after the restart"
    );

    server.stop().unwrap();
    assert!(!pid_file.exists(), "stop removes the pid file");
    assert!(!http_get_ok(port, "/"), "nothing answers after stop");
}
