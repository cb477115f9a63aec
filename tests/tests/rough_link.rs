//! The remote screen under the conditions the protocol exists for: a slow and very lossy
//! link, a long outage, a client that changes address, and an attacker who sends the
//! server's port forged and replayed datagrams. The real daemon, the real `moshmux connect`
//! in tmux and the link emulator; the tests check what a user would see.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use moshmux_proto::{Connection, HostState, SessionKey, UserEvent, UserStream};
use moshmux_tests::harness::{
    connect_client, connect_client_reporting_exit, status_line, Daemon, Tmux,
};
use moshmux_tests::netem::{DirectionConfig, LinkConfig, Netem, Recording};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::net::UdpSocket;

const COLS: u16 = 80;
const ROWS: u16 = 24;
/// How long the screen may take to show what it should: generous for a loaded machine.
const WAIT: Duration = Duration::from_secs(20);

/// A daemon with session `e2e`, the link emulator in front of its UDP port, and the client
/// in tmux talking through the emulator, showing its shell's prompt.
struct Setup {
    daemon: Daemon,
    /// The daemon's UDP port for the client.
    port: u16,
    netem: Netem,
    tmux: Tmux,
}

impl Setup {
    async fn start(link: LinkConfig) -> Setup {
        let daemon = Daemon::new();
        let (port, key) = daemon.new_session("e2e");
        let server = format!("127.0.0.1:{port}").parse().unwrap();
        let netem = Netem::start("127.0.0.1:0".parse().unwrap(), server, link)
            .await
            .unwrap();
        let tmux = connect_client_reporting_exit(COLS, ROWS, netem.listen_addr().port(), &key);
        tmux.expect("the prompt", WAIT, |s| {
            pane_rows(s).first() == Some(&"$") && status_line(s, ROWS).starts_with("[e2e] 0:")
        });
        Setup {
            daemon,
            port,
            netem,
            tmux,
        }
    }

    /// Types `command` and Enter, and waits until a row of the screen reads `output` and
    /// a fresh prompt follows it on the last row written.
    fn run(&self, command: &str, output: &str) -> String {
        self.tmux.send_literal(command);
        self.tmux.send_keys(&["Enter"]);
        self.tmux
            .expect(&format!("{output:?} and a prompt"), WAIT, |s| {
                let rows = pane_rows(s);
                let last = rows.iter().rposition(|row| !row.is_empty());
                last.is_some_and(|last| last > 0 && rows[last] == "$" && rows[last - 1] == output)
            })
    }
}

/// Polls the daemon's log until a line holds every one of `words`; returns that line.
fn wait_for_log(daemon: &Daemon, words: &[&str]) -> String {
    wait_for_log_line(daemon, &format!("{words:?}"), |line| {
        words.iter().all(|word| line.contains(word))
    })
}

/// Polls the daemon's log until its newest line for which `wanted` holds exists.
fn wait_for_log_line(daemon: &Daemon, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let log = daemon.log();
        if let Some(line) = log.lines().rev().find(|line| wanted(line)) {
            return line.to_owned();
        }
        assert!(Instant::now() < deadline, "no {what} in the log:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The seconds in the status line's "Last contact N s ago", if it shows that.
fn last_contact(screen: &str) -> Option<u64> {
    let status = status_line(screen, ROWS);
    let (_, rest) = status.split_once("Last contact ")?;
    let (seconds, _) = rest.split_once(" s ago")?;
    seconds.parse().ok()
}

/// Both directions alike.
fn symmetric(direction: DirectionConfig, seed: u64) -> LinkConfig {
    LinkConfig {
        to_server: direction.clone(),
        to_client: direction,
        seed,
        blackouts: Vec::new(),
    }
}

/// The rows of the client's panes: every row but the status line.
fn pane_rows(screen: &str) -> Vec<&str> {
    let mut rows: Vec<&str> = screen.lines().collect();
    rows.resize(usize::from(ROWS), "");
    rows.truncate(usize::from(ROWS) - 1);
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_finishes_right_at_200_ms_rtt_and_30_percent_loss() {
    let link = symmetric(
        DirectionConfig {
            loss: 0.3,
            delay: Duration::from_millis(100),
            ..DirectionConfig::default()
        },
        200,
    );
    let setup = Setup::start(link).await;
    setup.tmux.send_literal("seq 1 200000");
    setup.tmux.send_keys(&["Enter"]);

    // The last numbers on the rows above a fresh prompt, as a user would check.
    let above_prompt = usize::from(ROWS) - 2;
    let last: Vec<String> = (200_001 - above_prompt..=200_000)
        .map(|n| n.to_string())
        .collect();
    let screen = setup.tmux.expect(
        "the end of seq and a prompt",
        Duration::from_secs(90),
        |s| {
            let rows = pane_rows(s);
            rows[..above_prompt] == last[..] && rows[above_prompt] == "$"
        },
    );
    assert!(
        status_line(&screen, ROWS).starts_with("[e2e] 0:"),
        "{screen}"
    );

    // Exactly what the pane shows on the server.
    let on_server = setup.daemon.ok(&["capture-pane", "-p", "-t", "e2e"]);
    let on_server: Vec<&str> = on_server.lines().map(str::trim_end).collect();
    assert_eq!(on_server, pane_rows(&screen), "{screen}");

    // The link really was that bad, both ways.
    let counters = setup.netem.counters();
    for direction in [counters.to_server, counters.to_client] {
        assert!(
            direction.lost.packets > 0 && direction.delivered.packets > 0,
            "{counters}"
        );
    }
    // And the session still answers.
    setup.run("echo after-$((40+2))", "after-42");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_s_blackout_shows_last_contact_and_then_recovers() {
    let link = symmetric(
        DirectionConfig {
            delay: Duration::from_millis(10),
            ..DirectionConfig::default()
        },
        20,
    );
    let setup = Setup::start(link).await;
    setup.run("echo before-$((1+1))", "before-2");
    let blackout = Duration::from_secs(20);
    setup.netem.blackout(blackout).unwrap();

    // The status line says how long the server has been silent, and the number grows.
    let screen = setup
        .tmux
        .expect("Last contact", blackout, |s| last_contact(s).is_some());
    let first = last_contact(&screen).unwrap_or_default();
    assert!(first >= 7, "shown after 7 s of silence:\n{screen}");
    setup.tmux.expect("a later Last contact", blackout, |s| {
        last_contact(s).is_some_and(|seconds| seconds > first)
    });
    // What the user types during the outage reaches the shell once the link is back.
    setup.tmux.send_literal("echo during-$((2+2))");
    setup.tmux.send_keys(&["Enter"]);

    // Then the status line is clear again, and typing works as before.
    setup.tmux.expect("the recovery", blackout + WAIT, |s| {
        last_contact(s).is_none() && pane_rows(s).contains(&"during-4")
    });
    assert!(setup.netem.counters().to_server.blacked_out.packets > 0);
    setup.run("echo after-$((3+3))", "after-6");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roam_mid_session_keeps_the_session_working() {
    let link = symmetric(
        DirectionConfig {
            delay: Duration::from_millis(20),
            loss: 0.05,
            ..DirectionConfig::default()
        },
        3,
    );
    let setup = Setup::start(link).await;
    setup.run("echo before-$((1+1))", "before-2");
    let first = wait_for_log(&setup.daemon, &["client connected"]);

    for round in 1..=2 {
        // The server now sees the client's datagrams come from another port, and the old
        // port is closed: replies reach the client only if the server follows.
        let before = setup.netem.counters();
        let roamed = setup.netem.roam().await.unwrap();
        assert!(!first.contains(&roamed.to_string()), "{first}");
        setup.run(
            &format!("echo roamed-$(({round}*11))"),
            &format!("roamed-{}", round * 11),
        );
        wait_for_log(
            &setup.daemon,
            &["client address changed", &format!("to={roamed}")],
        );
        let after = setup.netem.counters();
        assert!(
            after.to_client.delivered.packets > before.to_client.delivered.packets,
            "{after}"
        );
    }
}

/// The number after `name=` in a log line.
fn log_field(line: &str, name: &str) -> u64 {
    line.split_whitespace()
        .find_map(|field| field.strip_prefix(name)?.strip_prefix('='))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

/// What an attacker on the path can send without the key: noise, datagrams sealed with
/// another key (a client typing a command), real datagrams cut short or with a bit
/// flipped, exact replays, and the server's own datagrams sent back to it.
struct Attack {
    datagrams: Vec<Vec<u8>>,
    /// How many of them the server should count, at least: with the client's connection
    /// id, as forged, malformed and replayed; with no connection's id (docs/protocol.md,
    /// section 1), as unrouted.
    forged: u64,
    malformed: u64,
    replayed: u64,
    unrouted: u64,
}

/// Bytes of connection id, tail and tag a datagram to the server has around its
/// plaintext; anything shorter that starts with a real id is malformed.
const TO_SERVER_OVERHEAD: usize = moshmux_proto::crypto::TO_SERVER_OVERHEAD;

fn attack(recording: &Recording, server: SocketAddr) -> Attack {
    let mut attack = Attack {
        datagrams: Vec::new(),
        forged: 0,
        malformed: 0,
        replayed: 0,
        unrouted: 0,
    };
    // Noise of every size around the 32-byte minimum and up to over the datagram limit.
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for len in [
        0, 1, 7, 8, 23, 24, 31, 32, 33, 40, 100, 600, 1232, 1500, 9000,
    ] {
        let mut noise = vec![0u8; len];
        rng.fill(&mut noise[..]);
        attack.datagrams.push(noise);
        attack.unrouted += 1;
    }
    // A client with the wrong key types a command: its ids are no connection's.
    let now = std::time::Instant::now();
    let mut stranger = Connection::new_client(
        &SessionKey::from_bytes(rng.random()),
        server,
        UserStream::default(),
        HostState::default(),
        now,
    );
    let mut typed = UserStream::default();
    typed.push(UserEvent::Keys(b"echo forged-$((3*3))\r".to_vec()));
    stranger.set_local_state(typed, now);
    let later = now + Duration::from_millis(50);
    while let Some(transmit) = stranger.poll_transmit(later) {
        attack.datagrams.push(transmit.contents);
        attack.unrouted += 1;
    }
    assert!(attack.unrouted > 15, "the stranger sent nothing");
    for real in &recording.to_server {
        // Cut short (tag missing or wrong): the id is still in front.
        for len in [real.len() / 2, real.len() - 1] {
            attack.datagrams.push(real[..len].to_vec());
            if len >= TO_SERVER_OVERHEAD {
                attack.forged += 1;
            } else {
                attack.malformed += 1;
            }
        }
        // A bit flipped in the id (no connection has it), or in the masked sequence
        // number and in the ciphertext (the client's connection refuses it).
        for byte in [0, 8, real.len() / 2] {
            let mut flipped = real.clone();
            flipped[byte] ^= 0x01;
            attack.datagrams.push(flipped);
            if byte == 0 {
                attack.unrouted += 1;
            } else {
                attack.forged += 1;
            }
        }
        // Replayed exactly, twice.
        attack.datagrams.extend([real.clone(), real.clone()]);
        attack.replayed += 2;
    }
    // The server's own datagrams start with no id (they need none): no connection's.
    for own in &recording.to_client {
        attack.datagrams.push(own.clone());
        attack.unrouted += 1;
    }
    attack
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_replayed_datagrams_at_the_server_port_change_nothing() {
    let setup = Setup::start(LinkConfig::default()).await;
    setup.netem.record(100).unwrap();
    let screen = setup.run("echo one-$((1+1))", "one-2");
    let recording = setup.netem.recorded().await.unwrap();
    assert!(
        !recording.to_server.is_empty() && !recording.to_client.is_empty(),
        "nothing recorded"
    );
    // Every recorded datagram has reached the server's socket before any replay does.
    let settled = Instant::now() + WAIT;
    while setup.netem.counters().to_server.in_flight() > 0 {
        assert!(Instant::now() < settled, "{}", setup.netem.counters());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let server: SocketAddr = format!("127.0.0.1:{}", setup.port).parse().unwrap();
    let attack = attack(&recording, server);
    let attacker = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for datagram in &attack.datagrams {
        attacker.send_to(datagram, server).await.unwrap();
    }

    // The user types on: the keys cross the server's socket after the whole attack. The
    // screen becomes what it was plus that command, its output and a prompt.
    let mut expected = pane_rows(&screen);
    let prompt = expected.iter().rposition(|&row| row == "$").unwrap();
    expected.splice(prompt..prompt + 3, ["$ echo two-$((2+2))", "two-4", "$"]);
    setup.tmux.send_literal("echo two-$((2+2))");
    setup.tmux.send_keys(&["Enter"]);
    let after = setup.tmux.expect(
        &format!("two-4 added to the screen before the attack:\n{screen}\nand"),
        WAIT,
        |s| pane_rows(s) == expected,
    );
    assert_eq!(status_line(&after, ROWS), status_line(&screen, ROWS));
    let on_server = setup.daemon.ok(&["capture-pane", "-p", "-t", "e2e"]);
    assert!(!on_server.contains("forged"), "{on_server}");
    assert!(setup.daemon.ok(&["ls"]).starts_with("e2e:"));

    // The daemon counted what it refused.
    let refused = wait_for_log_line(&setup.daemon, "the refused datagrams", |line| {
        line.contains("datagrams refused so far")
            && log_field(line, "forged") >= attack.forged
            && log_field(line, "replayed") >= attack.replayed
            && log_field(line, "malformed") >= attack.malformed
    });
    wait_for_log_line(&setup.daemon, "the unrouted datagrams", |line| {
        line.contains("datagrams with no connection's id so far")
            && log_field(line, "unrouted") >= attack.unrouted
    });
    // Replays from the attacker's address did not move the server's replies there.
    let log = setup.daemon.log();
    assert!(!log.contains("client address changed"), "{refused}\n{log}");
    setup.run("echo three-$((3+3))", "three-6");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5_s_blackout_with_a_roam_during_it_recovers() {
    let link = symmetric(
        DirectionConfig {
            delay: Duration::from_millis(10),
            ..DirectionConfig::default()
        },
        5,
    );
    let setup = Setup::start(link).await;
    setup.run("echo before-$((1+1))", "before-2");
    setup.netem.blackout(Duration::from_secs(5)).unwrap();
    // Halfway through the outage the client's address changes, as when a laptop moves
    // to another network while the link is down; it types meanwhile.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let roamed = setup.netem.roam().await.unwrap();
    setup.tmux.send_literal("echo during-$((2+2))");
    setup.tmux.send_keys(&["Enter"]);
    setup.tmux.expect("the recovery", WAIT, |s| {
        last_contact(s).is_none() && pane_rows(s).contains(&"during-4")
    });
    wait_for_log(
        &setup.daemon,
        &["client address changed", &format!("to={roamed}")],
    );
    assert!(setup.netem.counters().to_server.blacked_out.packets > 0);
    setup.run("echo after-$((3+3))", "after-6");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_exiting_during_a_9_s_blackout_ends_the_client_once_the_link_returns() {
    let setup = Setup::start(LinkConfig::default()).await;
    setup.tmux.send_literal("sleep 1.5; exit");
    setup.tmux.send_keys(&["Enter"]);
    setup.tmux.expect("the command echoed", WAIT, |s| {
        pane_rows(s).contains(&"$ sleep 1.5; exit")
    });
    // The shell exits 1.5 s into a 9 s outage, longer than the 5 s the daemon used to
    // wait for the last state's acknowledgement: its endpoint now waits for the client.
    setup.netem.blackout(Duration::from_secs(9)).unwrap();
    setup.tmux.expect("the end message", WAIT, |s| {
        s.contains("[exited: session e2e ended]")
    });
    assert!(setup.netem.counters().to_client.blacked_out.packets > 0);
    setup.tmux.expect("the client exiting 0", WAIT, |s| {
        s.lines().any(|line| line == "client exited with 0")
    });
    // Told, the endpoint closes and the daemon, with nothing left, ends.
    wait_until("the daemon to remove its socket", || {
        !setup.daemon.has_socket()
    });
}

/// Polls until `done` holds, failing the test after [`WAIT`].
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether process `pid` has exited (gone, or a zombie nobody reaped yet).
fn process_exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// A client attached to a new session `e2e` running `sh` (`new` given `options` too),
/// shown its prompt, then killed for good. Returns the client's endpoint port.
fn attach_then_kill(daemon: &Daemon, options: &[&str]) -> u16 {
    let mut args = vec!["-s", "e2e"];
    args.extend_from_slice(options);
    args.extend_from_slice(&["--", "sh"]);
    let (port, key) = daemon.new_client(&args);
    let tmux = connect_client(COLS, ROWS, port, &key);
    tmux.expect("the prompt", WAIT, |s| {
        pane_rows(s).first() == Some(&"$") && status_line(s, ROWS).starts_with("[e2e] 0:")
    });
    kill_client(&tmux);
    port
}

#[test]
fn a_killed_client_of_an_ended_session_lets_the_daemon_exit_after_the_network_timeout() {
    let daemon = Daemon::new();
    // Longer than the 3 s heartbeat, so the endpoint is still open (its client heard
    // from lately) when the session ends just after the client died.
    let port = attach_then_kill(&daemon, &["--network-timeout", "5"]);
    let pid = daemon.pid();
    daemon.ok(&["send-keys", "-t", "e2e", "exit", "Enter"]);
    wait_until("the daemon to exit", || process_exited(pid));
    assert!(!daemon.has_socket(), "the daemon left its socket behind");
    assert!(port_is_free(port), "the endpoint's port is still taken");
    // It waited for the client to come back, not just let it go.
    let closed = wait_for_log(&daemon, &["client endpoint closed"]);
    assert!(closed.contains("SilentAfterEnd"), "{closed}");
}

#[test]
fn new_while_the_daemon_holds_only_a_lingering_endpoint_creates_a_working_session() {
    let daemon = Daemon::new();
    let lingering = attach_then_kill(&daemon, &[]);
    let pid = daemon.pid();
    daemon.ok(&["send-keys", "-t", "e2e", "exit", "Enter"]);
    // The ended session leaves `ls` at once; its endpoint stays, waiting for its client,
    // and with it the daemon and its one port.
    wait_until("the session to end", || daemon.ok(&["ls"]).is_empty());
    assert!(!port_is_free(lingering), "the daemon's port closed");
    assert!(!process_exited(pid), "the daemon exited");
    assert!(!daemon.log().contains("client endpoint closed"));

    let (port, key) = daemon.new_session("next");
    assert_eq!(daemon.pid(), pid, "`new` started another daemon");
    let tmux = connect_client(COLS, ROWS, port, &key);
    tmux.expect("the prompt", WAIT, |s| {
        pane_rows(s).first() == Some(&"$") && status_line(s, ROWS).starts_with("[next] 0:")
    });
    tmux.send_literal("echo next-$((4+4))");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the session answering", WAIT, |s| {
        pane_rows(s).contains(&"next-8")
    });
    let ls = daemon.ok(&["ls"]);
    assert!(
        ls.starts_with("next: 1 windows")
            && ls.ends_with("(1 attached)\n")
            && ls.lines().count() == 1,
        "{ls}"
    );

    // `kill-server` closes the waiting endpoint with the rest.
    daemon.ok(&["kill-server"]);
    wait_until("the endpoints to close", || {
        port_is_free(lingering) && port_is_free(port)
    });
    wait_until("the daemon to exit", || process_exited(pid));
}

/// SIGKILL to the client in a tmux pane (the pane's process and its children), as when a
/// laptop dies: it never says goodbye.
fn kill_client(tmux: &Tmux) {
    let pane = tmux.pane_pid();
    let mut victims = vec![pane];
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let parent = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|ppid| ppid.parse::<u32>().ok());
        if parent == Some(pane) {
            victims.push(pid);
        }
    }
    for pid in victims {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Whether nothing holds UDP `port` on loopback any more.
fn port_is_free(port: u16) -> bool {
    std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok()
}

#[test]
fn killed_clients_lose_their_endpoints_after_the_network_timeout_and_the_session_stays() {
    let daemon = Daemon::new();
    // Longer than the 3 s heartbeat, so only a client that is gone falls silent that long.
    let timeout = ["--network-timeout", "5"];
    let first = daemon.new_client(&["-s", "kept", timeout[0], timeout[1], "--", "sh"]);
    let second = daemon.new_client(&["-s", "kept", timeout[0], timeout[1]]);
    let clients: Vec<Tmux> = [&first, &second]
        .iter()
        .map(|(port, key)| connect_client(COLS, ROWS, *port, key))
        .collect();
    for tmux in &clients {
        tmux.expect("the prompt", WAIT, |s| {
            status_line(s, ROWS).starts_with("[kept] 0:")
        });
    }
    let deadline = Instant::now() + WAIT;
    while !daemon.ok(&["ls"]).contains("(2 attached)") {
        assert!(Instant::now() < deadline, "{}", daemon.ok(&["ls"]));
        std::thread::sleep(Duration::from_millis(100));
    }
    for tmux in &clients {
        kill_client(tmux);
    }
    // Both shared the daemon's one port, which stays open for the next client; their
    // endpoints go, and `ls` stops counting them.
    assert_eq!(first.0, second.0);
    let deadline = Instant::now() + WAIT;
    while daemon.ok(&["ls"]).contains("attached") {
        assert!(Instant::now() < deadline, "the endpoints stayed open");
        std::thread::sleep(Duration::from_millis(100));
    }
    let ls = daemon.ok(&["ls"]);
    assert!(
        ls.starts_with("kept: 1 windows") && ls.lines().count() == 1,
        "{ls}"
    );
    // The session is still there to attach to.
    let (port, key) = daemon.new_client(&["-s", "kept"]);
    let tmux = connect_client(COLS, ROWS, port, &key);
    tmux.send_literal("echo back-$((5+5))");
    tmux.send_keys(&["Enter"]);
    tmux.expect("the session answering", WAIT, |s| {
        s.lines().any(|line| line == "back-10")
    });
}
