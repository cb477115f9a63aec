//! What a user or a program can ask for beyond the ordinary: output read by `head`,
//! captures of any length, hostile names and sizes. Each answer is the output or one
//! clear line, never a panic, a Rust debug string or escape sequences from user data.

mod common;

use common::{wait_until, Daemon};
use moshmux_proto::screen::Row;
use moshmux_store::{HistoryStore, StoreOptions};
use moshmux_tests::harness::output_into_closed_pipe;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};

/// Reads the first line of `child`'s stdout, then closes the pipe as `head -1` does; the
/// exit status and stderr that follow.
fn first_line_then_close(mut child: Child) -> (String, std::process::Output) {
    let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("the first line");
    drop(reader);
    let out = child.wait_with_output().expect("waiting for the command");
    (line, out)
}

fn assert_quiet_success(what: &str, out: &std::process::Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn commands_read_by_head_end_quietly() {
    let server = Daemon::new();
    // 30,000 lines, about 170 KB: more than a pipe holds, so the reader's going away is
    // met mid-write.
    server.ok(&[
        "new",
        "-s",
        "s",
        "--",
        "sh",
        "-c",
        "seq 1 30000; exec sleep 600",
    ]);
    server.wait_for_screen("s", |screen| screen.contains("30000"));
    for args in [
        &["capture-pane", "-p", "-S", "-", "-t", "s"][..],
        &["search-history", "-t", "s", "1"],
    ] {
        let child = server
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting moshmux-server");
        let (line, out) = first_line_then_close(child);
        assert!(!line.is_empty(), "{args:?} printed nothing");
        assert_quiet_success(&format!("{args:?} | head -1"), &out);
    }
    let ls = output_into_closed_pipe(&mut server.command(&["ls"]));
    assert_quiet_success("ls into a closed pipe", &ls);
}

#[test]
fn a_capture_larger_than_any_control_frame_arrives_whole() {
    let server = Daemon::new();
    // 12,000 lines of 2,000 characters, 24 MB: more than a control frame or a decoded
    // value may hold, written straight into the store the daemon will open.
    let lines = 12_000u64;
    let line = |n: u64| format!("{n:08}{}", "x".repeat(1992));
    {
        let store = HistoryStore::open(&server.dir().join("history"), StoreOptions::default())
            .expect("opening the store");
        let pane = store.allocate_pane_id().expect("a pane id");
        for n in 0..lines {
            store.append(pane, Row::plain(&line(n))).expect("appending");
        }
        store.mark_ended(pane);
        store.flush().expect("flushing");
    }
    server.ok(&["new", "-s", "s", "--", "sh"]);
    let mut child = server
        .command(&["capture-pane", "-p", "-S", "-", "-t", "%0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting capture-pane");
    let mut text = String::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_string(&mut text)
        .expect("reading the capture");
    let out = child.wait_with_output().expect("waiting for capture-pane");
    assert_quiet_success("a 24 MB capture", &out);
    assert_eq!(text.len() as u64, lines * 2001);
    assert!(text.lines().enumerate().all(|(n, l)| l == line(n as u64)));
}

#[test]
fn names_with_control_characters_or_too_long_are_refused_in_one_line() {
    let server = Daemon::new();
    server.ok(&["new", "-s", "s", "--", "sh"]);
    let long = "n".repeat(100_000);
    for name in [
        "red\x1b[31m",
        "bell\x07",
        "cr\r",
        "bs\x08",
        "csi\u{9b}2J",
        &long,
    ] {
        let error = server.fails(&["new", "-s", name, "--", "sh"]);
        assert!(error.starts_with("bad session name"), "{error}");
        assert!(!error.chars().any(char::is_control), "{error:?}");
        assert!(error.len() < 400, "{} bytes: {error}", error.len());
        let error = server.fails(&["rename-window", "-t", "s", name]);
        assert!(error.starts_with("bad window name"), "{error}");
        assert!(!error.chars().any(char::is_control), "{error:?}");
        assert!(error.len() < 400, "{} bytes: {error}", error.len());
    }
    assert_eq!(server.sessions(), "s: 1 windows [80x24]\n");
}

#[test]
fn user_text_in_listings_and_errors_is_printed_escaped() {
    let server = Daemon::new();
    // A program may name itself anything (its comm), escape sequences included.
    let script = r"printf '\033[31mevil\007' > /proc/$$/comm; while :; do sleep 1; done";
    server.ok(&["new", "-s", "s", "--", "sh", "-c", script]);
    wait_until("the program's new name", || {
        server.ok(&["list-panes", "-t", "s"]).contains("evil")
    });
    let panes = server.ok(&["list-panes", "-t", "s"]);
    assert!(panes.contains(r"\033[31mevil\007"), "{panes:?}");
    assert!(!panes.trim_end().chars().any(char::is_control), "{panes:?}");
    // Targets the user typed come back escaped in the error.
    for target in ["no\x1bpe", "s:w\x1bx", "%x\x07", "s:0.p\x1b"] {
        let error = server.fails(&["list-panes", "-t", target]);
        assert!(!error.chars().any(char::is_control), "{error:?}");
        assert!(
            error.contains(r"\033") || error.contains(r"\007"),
            "{error}"
        );
    }
    let error = server.fails(&["select-pane", "-t", "s:w\x1bx"]);
    assert!(error.contains(r"0 (\033[31mevil\007)"), "{error}");
}

#[test]
fn at_the_descriptor_limit_panes_and_connections_are_refused_in_words_without_spinning() {
    use moshmux_server::control::{read_reply, Reply};
    use std::os::unix::net::UnixStream;
    use std::os::unix::process::CommandExt;
    let server = Daemon::new();
    let mut new = server.command(&["new", "-s", "s", "--", "sh"]);
    // The daemon `new` starts inherits a hard limit of 64 descriptors, which it cannot
    // raise: about six panes' worth.
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        new.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    assert!(new.output().expect("running new").status.success());
    let refusal = (0..20)
        .map(|_| server.run(&["new-window", "-t", "s", "--", "sh"]))
        .find(|out| !out.status.success())
        .expect("a new window refused before 20");
    let line = String::from_utf8_lossy(&refusal.stderr);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.contains("no room for another pane") && line.contains("of its 64 file descriptors"),
        "{line}"
    );

    // Connections that hold descriptors and say nothing, more than the daemon has left:
    // those it cannot take are told why, one at a time, instead of waiting or spinning.
    let idle: Vec<UnixStream> = (0..40)
        .map(|_| UnixStream::connect(server.socket()).expect("connecting"))
        .collect();
    // The last ones came when nothing was left.
    let told = idle.iter().rev().any(|stream| {
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(3)));
        matches!(read_reply(&mut &*stream),
            Ok(Reply::Error(e)) if e.contains("run out of file descriptors"))
    });
    assert!(told, "no connection was told why it was refused");
    let log = server.log();
    let failures = log
        .lines()
        .filter(|line| line.contains("accepting a control connection"))
        .count();
    assert!(failures <= 2, "{failures} log lines:\n{log}");
    drop(idle);
    // Once the connections are gone the daemon serves again.
    wait_until("ls to answer", || server.run(&["ls"]).status.success());
}

/// Sends `request` over the control socket as any program could (no CLI limits in the
/// way); the reply.
fn ask(
    server: &Daemon,
    request: &moshmux_server::control::Request,
) -> moshmux_server::control::Reply {
    let mut stream = std::os::unix::net::UnixStream::connect(server.socket()).expect("connecting");
    moshmux_server::control::write_request(&mut stream, request).expect("sending");
    moshmux_server::control::read_reply(&mut stream).expect("a reply")
}

#[test]
fn windows_larger_than_a_client_can_show_are_refused_in_one_line() {
    use moshmux_server::control::{Reply, Request, ResizeWindow, Target};
    let server = Daemon::new();
    server.ok(&["new", "-s", "s", "--", "sh"]);
    for _ in 1..10 {
        server.ok(&["new-window", "-t", "s", "--", "sh"]);
    }
    for window in 0..10 {
        let target = format!("s:{window}");
        let error = server.fails(&["resize-window", "-t", &target, "-x", "10000", "-y", "10000"]);
        assert!(error.contains("1..=1000"), "{error}");
        // The daemon refuses it too, whoever asks.
        let reply = ask(
            &server,
            &Request::ResizeWindow(ResizeWindow {
                target: Some(Target::parse(&target).expect("a well-formed target")),
                cols: 10_000,
                rows: 10_000,
            }),
        );
        assert_eq!(
            reply,
            Reply::Error(
                "a window is at most 1000x1000 (the most a client can show), not 10000x10000"
                    .into()
            )
        );
        assert_eq!(server.pane_sizes(&target), [(80, 24)]);
    }
    // The largest a client shows is taken.
    server.ok(&["resize-window", "-t", "s:0", "-x", "1000", "-y", "1000"]);
    assert_eq!(server.pane_sizes("s:0"), [(1000, 1000)]);
}

#[test]
fn keys_a_pane_cannot_take_are_refused_not_dropped() {
    use moshmux_server::control::{Reply, Request, SendKeys, Target};
    let server = Daemon::new();
    // A program that never reads its input, on a raw terminal (a cooked one throws away
    // what does not fit a line, so the input queue would drain).
    let script = "stty raw -echo; echo ready; exec sleep 600";
    server.ok(&["new", "-s", "s", "--", "sh", "-c", script]);
    server.wait_for_screen("s", |screen| screen.contains("ready"));
    let send = |bytes: usize| {
        ask(
            &server,
            &Request::SendKeys(SendKeys {
                target: Some(Target::parse("s").expect("a well-formed target")),
                literal: true,
                keys: vec!["x".repeat(bytes)],
            }),
        )
    };
    assert_eq!(send(3 << 20), Reply::Ok(String::new()));
    // 3 MiB wait unread; 3 MiB more would not fit, and none of them is sent.
    for bytes in [3 << 20, 5 << 20] {
        match send(bytes) {
            Reply::Error(error) => assert!(
                error.contains(&format!("{bytes} bytes of keys is more than %0 takes now"))
                    && error.ends_with("nothing was sent"),
                "{error}"
            ),
            reply => panic!("{bytes} bytes: {reply:?}"),
        }
    }
}
