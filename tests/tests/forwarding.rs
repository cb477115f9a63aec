//! `-L` forwarding end to end: the real daemon, the real `moshmux connect -L` in tmux, a
//! real TCP echo server behind the daemon, and the link emulator between client and
//! daemon. The forwarded connection is a stream inside the session, so it must live
//! through a roam and a long blackout as the shell does.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use moshmux_tests::harness::{connect_client_with, status_line, Daemon, Tmux};
use moshmux_tests::netem::{LinkConfig, Netem};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const COLS: u16 = 100;
const ROWS: u16 = 30;
/// How long the screen may take to show what it should: generous for a loaded machine.
const WAIT: Duration = Duration::from_secs(30);

/// A TCP server on loopback that sends back what it reads, on every connection.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut connection, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut reader, mut writer) = connection.split();
                let _ = tokio::io::copy(&mut reader, &mut writer).await;
                let _ = writer.shutdown().await;
            });
        }
    });
    addr
}

/// A port on loopback that nothing listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// Pattern bytes, so a misplaced byte shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// 200 ms round trip and 10 % loss each way, the link.
fn lossy_link(seed: u64) -> LinkConfig {
    LinkConfig::symmetric(Duration::from_millis(100), 0.10, seed)
}

/// The client, through the emulator, with `-L forward`, showing its shell's prompt.
async fn client(link: LinkConfig, forward: &str) -> (Daemon, Netem, Tmux) {
    client_with(link, &format!("-L {forward}")).await
}

/// The client, through the emulator, with `options`, showing its shell's prompt.
async fn client_with(link: LinkConfig, options: &str) -> (Daemon, Netem, Tmux) {
    let daemon = Daemon::new();
    let (port, key) = daemon.new_session("fwd");
    let server = format!("127.0.0.1:{port}").parse().unwrap();
    let netem = Netem::start("127.0.0.1:0".parse().unwrap(), server, link)
        .await
        .unwrap();
    let tmux = connect_client_with(COLS, ROWS, netem.listen_addr().port(), &key, options);
    tmux.expect("the prompt", WAIT, |s| {
        status_line(s, ROWS).starts_with("[fwd] 0:")
    });
    (daemon, netem, tmux)
}

/// Types a command and returns how long its output took to show.
fn echo_time(tmux: &Tmux, word: &str) -> Duration {
    let typed = Instant::now();
    tmux.send_literal(&format!("echo {word}-$((6*7))"));
    tmux.send_keys(&["Enter"]);
    let shown = format!("{word}-42");
    tmux.expect(&shown, WAIT, |s| s.lines().any(|line| line == shown));
    typed.elapsed()
}

/// 50 MB through a `-L` forward to an echo server and back, at 200 ms RTT and 10 %
/// loss each way, with a roam and a 30 s blackout in the middle: every byte comes back
/// in order, and the shell answers as usual while the bytes flow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_carries_50_mb_intact_across_a_roam_and_a_30_s_blackout() {
    let echo = echo_server().await;
    let link = lossy_link(21);
    let local = free_port();
    let (_daemon, netem, tmux) = client(link, &format!("{local}:127.0.0.1:{}", echo.port())).await;
    let idle_echo = echo_time(&tmux, "idle");

    const SIZE: usize = 50 << 20;
    let connection = TcpStream::connect((Ipv4Addr::LOCALHOST, local))
        .await
        .unwrap();
    let transfer = Transfer::start(connection, SIZE);

    // While the bytes flow: the shell still answers about as fast as before.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let busy_echo = echo_time(&tmux, "busy");
    assert!(
        busy_echo <= idle_echo * 3 + Duration::from_secs(1),
        "echo took {busy_echo:?} during the transfer, {idle_echo:?} before it"
    );
    netem.roam().await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    netem.blackout(Duration::from_secs(30)).unwrap();
    tokio::time::sleep(Duration::from_secs(31)).await;
    netem.roam().await.unwrap();

    transfer.check().await;
    echo_time(&tmux, "after");
}

/// A forward to a port where nothing listens: the local connection is closed, and the
/// client's status line says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_forward_closes_the_connection_and_says_so_on_the_status_line() {
    let local = free_port();
    let nowhere = free_port();
    let link = LinkConfig::symmetric(Duration::ZERO, 0.0, 1);
    let (_daemon, _netem, tmux) = client(link, &format!("{local}:127.0.0.1:{nowhere}")).await;
    let mut connection = TcpStream::connect((Ipv4Addr::LOCALHOST, local))
        .await
        .unwrap();
    let mut buffer = [0u8; 16];
    let read = tokio::time::timeout(WAIT, connection.read(&mut buffer)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the connection stayed open: {read:?}"
    );
    let wanted = format!("forward to 127.0.0.1:{nowhere}: cannot connect");
    tmux.expect("the refusal on the status line", WAIT, |s| {
        status_line(s, ROWS).contains(&wanted)
    });
}

/// Pattern bytes written to a connection to an echo server (then its end), and read
/// back to its end.
struct Transfer {
    data: Vec<u8>,
    sending: tokio::task::JoinHandle<()>,
    receiving: tokio::task::JoinHandle<Vec<u8>>,
}

impl Transfer {
    fn start(connection: TcpStream, size: usize) -> Transfer {
        let data = pattern(size);
        let (mut reader, mut writer) = connection.into_split();
        let sent = data.clone();
        let sending = tokio::spawn(async move {
            writer.write_all(&sent).await.unwrap();
            writer.shutdown().await.unwrap();
        });
        let receiving = tokio::spawn(async move {
            let mut back = Vec::with_capacity(size);
            reader.read_to_end(&mut back).await.unwrap();
            back
        });
        Transfer {
            data,
            sending,
            receiving,
        }
    }

    /// Every byte came back, in order, within 5 minutes.
    async fn check(self) {
        let back = tokio::time::timeout(Duration::from_secs(300), self.receiving)
            .await
            .expect("the echo came back within 5 minutes")
            .unwrap();
        self.sending.await.unwrap();
        assert_eq!(back.len(), self.data.len(), "bytes echoed");
        assert!(back == self.data, "the echoed bytes differ from those sent");
    }
}

/// A `-R` forward: the daemon listens, and each connection to it reaches the echo
/// server on the client's side; 50 MB come back intact across a roam and a 30 s
/// blackout at 200 ms RTT and 10 % loss.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_forward_carries_50_mb_intact_across_a_roam_and_a_30_s_blackout() {
    let echo = echo_server().await;
    let link = lossy_link(22);
    let remote = free_port();
    let options = format!("-R {remote}:127.0.0.1:{}", echo.port());
    let (_daemon, netem, tmux) = client_with(link, &options).await;
    // The daemon listens once the forward's stream has crossed the link.
    let started = Instant::now();
    let connection = loop {
        match TcpStream::connect((Ipv4Addr::LOCALHOST, remote)).await {
            Ok(connection) => break connection,
            Err(error) => {
                assert!(
                    started.elapsed() < WAIT,
                    "the daemon never listened: {error}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let transfer = Transfer::start(connection, 50 << 20);
    tokio::time::sleep(Duration::from_secs(2)).await;
    netem.roam().await.unwrap();
    netem.blackout(Duration::from_secs(30)).unwrap();
    tokio::time::sleep(Duration::from_secs(31)).await;
    transfer.check().await;
    echo_time(&tmux, "after");
}

/// `-A`: a real `ssh-agent` on the client's side holds a key; `ssh-add -l` typed in a
/// pane lists it, and lists it again after a roam and a 30 s blackout, with no
/// reattach, at 200 ms RTT and 10 % loss.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_agent_answers_in_a_pane_across_a_roam_and_a_30_s_blackout() {
    let dir = moshmux_tests::harness::private_dir("agent");
    let key = dir.join("key");
    let keygen = std::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "moshmux-agent-test",
            "-f",
        ])
        .arg(&key)
        .status()
        .unwrap();
    assert!(keygen.success());
    let agent_socket = dir.join("agent.sock");
    let mut agent = std::process::Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&agent_socket)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !agent_socket.exists() {
        assert!(started.elapsed() < WAIT, "ssh-agent never made its socket");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let added = std::process::Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &agent_socket)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(added.success());
    // What `ssh-add -l` prints for the key: its fingerprint, as ssh-keygen reads it.
    let listed = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(key.with_extension("pub"))
        .output()
        .unwrap();
    let fingerprint = String::from_utf8(listed.stdout).unwrap();
    let fingerprint = fingerprint.split_whitespace().nth(1).unwrap().to_owned();

    let daemon = Daemon::new();
    let (port, session_key) = daemon.new_client(&["-s", "fwd", "--forward-agent", "--", "sh"]);
    let server = format!("127.0.0.1:{port}").parse().unwrap();
    let netem = Netem::start("127.0.0.1:0".parse().unwrap(), server, lossy_link(23))
        .await
        .unwrap();
    let binary = moshmux_tests::harness::workspace_binary("moshmux");
    let command = format!(
        "'{}' connect 127.0.0.1 {} -A",
        binary.display(),
        netem.listen_addr().port()
    );
    let socket = agent_socket.to_string_lossy().into_owned();
    let tmux = Tmux::start(
        COLS,
        ROWS,
        &command,
        &[
            ("MOSHMUX_KEY", session_key.as_str()),
            ("SSH_AUTH_SOCK", socket.as_str()),
            ("LANG", "C.UTF-8"),
            ("LC_ALL", "C.UTF-8"),
        ],
    );
    tmux.expect("the prompt", WAIT, |s| {
        status_line(s, ROWS).starts_with("[fwd] 0:")
    });
    let lists_the_key = |tmux: &Tmux, round: &str| {
        tmux.send_literal(&format!("clear; ssh-add -l; echo {round}-done"));
        tmux.send_keys(&["Enter"]);
        let done = format!("{round}-done");
        let screen = tmux.expect(&done, WAIT, |s| s.lines().any(|line| line == done));
        assert!(
            screen.lines().any(|line| line.contains(&fingerprint)),
            "ssh-add -l did not list {fingerprint} ({round}):\n{screen}"
        );
    };
    // The pane's agent is the daemon's socket, not the client's own.
    let served = format!("sock={}", daemon.dir().join("agent.sock").display());
    tmux.send_literal("echo sock=$SSH_AUTH_SOCK");
    tmux.send_keys(&["Enter"]);
    tmux.expect(&served, WAIT, |s| s.lines().any(|line| line == served));
    lists_the_key(&tmux, "before");
    netem.roam().await.unwrap();
    netem.blackout(Duration::from_secs(30)).unwrap();
    tokio::time::sleep(Duration::from_secs(31)).await;
    lists_the_key(&tmux, "after");
    let _ = agent.kill();
    let _ = agent.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
