//! Broken or hostile control connections: a frame header may claim any size up to the
//! limit, but the daemon spends memory only on bytes that actually arrive.

mod common;

use common::Daemon;
use std::io::Write;
use std::os::unix::net::UnixStream;

/// What each connection claims its request is: the largest frame the daemon accepts.
const CLAIMED: u32 = 64 << 20;
/// Connections that claim it, send ten bytes, and stall.
const STALLED: usize = 8;
/// Growth of the daemon that still counts as "nothing": a few buffers and task stacks.
const SLACK_KIB: u64 = 4 << 10;

/// A field of /proc/PID/status in KiB (`VmRSS`: memory in use; `VmData`: memory
/// allocated, touched or not, which is where a claimed-size buffer would show).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("daemon status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in the status of {pid}:\n{status}"))
}

#[test]
fn a_frame_claiming_64_mib_costs_only_the_bytes_sent() {
    let server = Daemon::new();
    server.ok(&["new", "-s", "s", "--", "sh"]);
    let daemon = server.pid();
    // Settle the daemon's own allocations (a first `ls`) before measuring.
    server.ok(&["ls"]);
    let rss = status_kib(daemon, "VmRSS");
    let data = status_kib(daemon, "VmData");

    let connect = || {
        let mut stream = UnixStream::connect(server.socket()).expect("connecting");
        stream.write_all(&CLAIMED.to_be_bytes()).unwrap();
        // The daemon may have refused the frame by its header already (it is over the
        // request limit) and hung up: then these bytes have nowhere to go, which is fine.
        let _ = stream.write_all(b"ten bytes!");
        stream
    };
    let stalled: Vec<UnixStream> = (0..STALLED).map(|_| connect()).collect();
    // Closed after ten bytes: the daemon reads to the end and refuses the frame.
    for _ in 0..STALLED {
        drop(connect());
    }
    // The daemon runs one thread for its tasks and serves connections in the order they
    // came: once a later `ls` is answered, every connection above has been read from.
    assert_eq!(server.sessions(), "s: 1 windows [80x24]\n");
    assert_eq!(server.sessions(), "s: 1 windows [80x24]\n");

    let rss_growth = status_kib(daemon, "VmRSS").saturating_sub(rss);
    let data_growth = status_kib(daemon, "VmData").saturating_sub(data);
    assert!(
        rss_growth < SLACK_KIB && data_growth < SLACK_KIB,
        "{STALLED} stalled connections claiming {CLAIMED} bytes grew the daemon by \
         {rss_growth} KiB resident, {data_growth} KiB allocated"
    );
    drop(stalled);
    assert_eq!(server.sessions(), "s: 1 windows [80x24]\n");
}
