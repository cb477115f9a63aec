//! The `moshmux-netem` binary as a user runs it: the address on stdout first, traffic
//! through it both ways, counters on SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

fn bind() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    socket
}

#[test]
fn forwards_both_ways_and_reports_counters_on_sigterm() {
    let server = bind();
    let mut child = Command::new(env!("CARGO_BIN_EXE_moshmux-netem"))
        .args(["--server", &server.local_addr().unwrap().to_string()])
        .args(["--delay", "10ms", "--up-duplicate", "1", "--seed", "5"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first_line = String::new();
    stdout.read_line(&mut first_line).unwrap();
    let listen: SocketAddr = first_line.trim().parse().unwrap();

    let client = bind();
    client.send_to(b"hello", listen).unwrap();
    let mut buf = [0u8; 16];
    let mut from = None;
    for _ in 0..2 {
        let (len, source) = server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"hello", "--up-duplicate 1 delivers it twice");
        from = Some(source);
    }
    server.send_to(b"back", from.unwrap()).unwrap();
    let (len, source) = client.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..len], source), (&b"back"[..], listen));

    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let mut report = String::new();
    stdout.read_to_string(&mut report).unwrap();
    assert!(child.wait().unwrap().success());
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines,
        [
            "to_server sent=1/5B lost=0/0B blacked_out=0/0B overflowed=0/0B \
             duplicated=1/5B delivered=2/10B failed=0/0B",
            "to_client sent=1/4B lost=0/0B blacked_out=0/0B overflowed=0/0B \
             duplicated=0/0B delivered=1/4B failed=0/0B",
        ]
    );
}

#[test]
fn roam_every_moves_the_servers_view_of_the_client() {
    let server = bind();
    let mut child = Command::new(env!("CARGO_BIN_EXE_moshmux-netem"))
        .args(["--server", &server.local_addr().unwrap().to_string()])
        .args(["--roam-every", "100ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first_line = String::new();
    stdout.read_line(&mut first_line).unwrap();
    let listen: SocketAddr = first_line.trim().parse().unwrap();

    let client = bind();
    let mut buf = [0u8; 16];
    let mut ports = std::collections::BTreeSet::new();
    while ports.len() < 2 {
        client.send_to(b"ping", listen).unwrap();
        let (_, from) = server.recv_from(&mut buf).unwrap();
        ports.insert(from.port());
        std::thread::sleep(Duration::from_millis(20));
    }
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    assert!(child.wait().unwrap().success());
}
