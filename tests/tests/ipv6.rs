//! IPv6 end to end through the link emulator: a session over `::1`, and a client that
//! roams from IPv4 to IPv6 while the daemon listens on both (`new --bind` twice, one
//! port). The real daemon, the real `moshmux connect` in tmux.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use moshmux_tests::harness::{status_line, workspace_binary, Daemon, Tmux};
use moshmux_tests::netem::{LinkConfig, Netem};

const COLS: u16 = 80;
const ROWS: u16 = 24;
const WAIT: Duration = Duration::from_secs(20);

/// 40 ms round trip and 5 % loss each way.
fn link() -> LinkConfig {
    LinkConfig::symmetric(Duration::from_millis(20), 0.05, 6)
}

/// `moshmux connect HOST PORT` in tmux with `key`, showing session `name`'s status line.
fn client(host: &str, port: u16, key: &str, name: &str) -> Tmux {
    let command = format!(
        "'{}' connect {host} {port}",
        workspace_binary("moshmux").display()
    );
    let env = [
        ("MOSHMUX_KEY", key),
        ("LANG", "C.UTF-8"),
        ("LC_ALL", "C.UTF-8"),
    ];
    let tmux = Tmux::start(COLS, ROWS, &command, &env);
    let status = format!("[{name}] 0:");
    tmux.expect("the status line", WAIT, |s| {
        status_line(s, ROWS).starts_with(&status)
    });
    tmux
}

/// Types a command and waits for a line that reads `output`.
fn run(tmux: &Tmux, command: &str, output: &str) {
    tmux.send_literal(command);
    tmux.send_keys(&["Enter"]);
    tmux.expect(output, WAIT, |s| s.lines().any(|line| line == output));
}

/// Polls the daemon's log until a line holds every one of `words`.
fn wait_for_log(daemon: &Daemon, words: &[&str]) {
    let deadline = Instant::now() + WAIT;
    loop {
        let log = daemon.log();
        if log
            .lines()
            .any(|line| words.iter().all(|word| line.contains(word)))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no line with {words:?} in the log:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_runs_over_ipv6_through_the_emulator() {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_client(&["-s", "six", "--bind", "::1", "--", "sh"]);
    let server: SocketAddr = format!("[::1]:{port}").parse().unwrap();
    let netem = Netem::start("[::1]:0".parse().unwrap(), server, link())
        .await
        .unwrap();
    let tmux = client("::1", netem.listen_addr().port(), &key, "six");
    run(&tmux, "echo six-$((6*7))", "six-42");
    wait_for_log(&daemon, &["client connected", "[::1]"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_roams_from_ipv4_to_ipv6_and_keeps_its_session() {
    let daemon = Daemon::new();
    // A port free in both families (other tests' daemons hold the default one on one
    // family or the other).
    let free = std::net::UdpSocket::bind("[::]:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let free = free.to_string();
    let args = [
        "-s",
        "dual",
        "-p",
        &free,
        "--bind",
        "127.0.0.1",
        "--bind",
        "::1",
        "--",
        "sh",
    ];
    let (port, key) = daemon.new_client(&args);
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let netem = Netem::start("127.0.0.1:0".parse().unwrap(), v4, link())
        .await
        .unwrap();
    let tmux = client("127.0.0.1", netem.listen_addr().port(), &key, "dual");
    run(&tmux, "echo four-$((2*2))", "four-4");
    let v6: SocketAddr = format!("[::1]:{port}").parse().unwrap();
    let roamed = netem.roam_to(v6).await.unwrap();
    assert!(roamed.is_ipv6());
    // Only answers that follow the client to its IPv6 address reach it now.
    run(&tmux, "echo six-$((3*2))", "six-6");
    wait_for_log(
        &daemon,
        &["client address changed", &format!("to={roamed}")],
    );
}
