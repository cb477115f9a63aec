//! `moshmux attach` with no host: the client starts the local server itself, with no SSH
//! and nothing set up. Sessions outlive their clients: a detached or killed client's
//! session is joined again from another terminal, several clients share one session, and
//! a session that ends takes every client with it, each saying so.

use std::process::{Command, Output};
use std::time::Duration;

use moshmux_tests::harness::{workspace_binary, Daemon, Tmux, CONFIG_HOME};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const WAIT: Duration = Duration::from_secs(20);

/// The environment of every outer terminal: a plain `sh` with a known prompt (a login
/// shell's profile may hang; see COMMON facts) and a UTF-8 locale.
fn outer_env(daemon: &Daemon) -> [(&str, &str); 4] {
    let dir = daemon.dir().to_str().expect("a UTF-8 temp dir");
    [
        ("MOSHMUX_DIR", dir),
        ("SHELL", "/bin/sh"),
        ("LANG", "C.UTF-8"),
        ("PS1", "$ "),
    ]
}

/// `moshmux attach ARGS` in a terminal of its own, serving `daemon`'s directory; once the
/// client exits, the terminal shows `client-exit-CODE`.
fn attach_sized(daemon: &Daemon, cols: u16, rows: u16, args: &str) -> Tmux {
    let command = format!(
        "'{}' attach {args}; echo client-exit-$?",
        workspace_binary("moshmux").display()
    );
    Tmux::start(cols, rows, &command, &outer_env(daemon))
}

fn attach(daemon: &Daemon, args: &str) -> Tmux {
    attach_sized(daemon, 90, 24, args)
}

/// Whether the session's shell shows its prompt. The pane runs the user's shell as a
/// login shell, whose profile may set its own prompt (`# ` for root on Debian).
fn has_prompt(screen: &str) -> bool {
    screen.lines().any(|l| l.starts_with(['$', '#']))
}

/// Types a command line into the session shown in `tmux`.
fn type_line(tmux: &Tmux, line: &str) {
    tmux.send_literal(line);
    tmux.send_keys(&["Enter"]);
}

/// The `moshmux` client in `tmux`'s pane: the pane's process itself when its shell ran
/// the command with exec, else that shell's child.
fn client_pid(tmux: &Tmux) -> Pid {
    let pane = tmux.pane_pid();
    let is_client = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "moshmux")
    };
    if is_client(pane) {
        return Pid::from_raw(pane as i32);
    }
    let parent_of = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // "pid (comm) state ppid ...": comm may hold spaces, so read after its ')'.
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let child = std::fs::read_dir("/proc")
        .expect("/proc is readable")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|&pid| parent_of(pid) == Some(pane) && is_client(pid));
    let pid = child.unwrap_or_else(|| panic!("no moshmux client under pane process {pane}"));
    Pid::from_raw(pid as i32)
}

/// Runs `moshmux ARGS` outside any terminal with `env`; for setup errors.
fn run_client(daemon: &Daemon, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(workspace_binary("moshmux"))
        .env("MOSHMUX_DIR", daemon.dir())
        .env(CONFIG_HOME, daemon.dir().join("config"))
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("run moshmux")
}

/// Asserts a failed run said one line on stderr containing each of `needles`.
fn assert_one_line_error(output: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} missing: {stderr}");
    }
}

#[test]
fn attach_with_no_host_serves_this_machine_and_reattaches_after_detach() {
    let daemon = Daemon::new();
    let first = attach(&daemon, "--session work");
    first.expect("the session", WAIT, |s| s.contains("[work]"));
    type_line(&first, "echo attached-$((6*7))");
    first.expect("the command's output", WAIT, |s| s.contains("attached-42"));
    first.send_keys(&["C-b", "d"]);
    first.expect("the detach message and the exit", WAIT, |s| {
        s.contains("[detached from session work]") && s.contains("client-exit-0")
    });
    assert!(daemon.ok(&["ls"]).starts_with("work: 1 windows"));

    // Another terminal joins the same session and sees the shell as it was left.
    let second = attach(&daemon, "--session work");
    second.expect("the session as it was left", WAIT, |s| {
        s.contains("attached-42")
    });
}

/// tmux's spellings: `moshmux new -s NAME` starts a session, `moshmux a -t NAME` joins
/// it, and `moshmux` alone joins the session used last.
#[test]
fn tmux_s_spellings_start_and_join_sessions() {
    let daemon = Daemon::new();
    let moshmux = |args: &str| {
        let command = format!(
            "'{}' {args}; echo client-exit-$?",
            workspace_binary("moshmux").display()
        );
        Tmux::start(90, 24, &command, &outer_env(&daemon))
    };
    let detach = |tmux: &Tmux| {
        tmux.send_keys(&["C-b", "d"]);
        tmux.expect("the exit", WAIT, |s| s.contains("client-exit-0"));
    };
    let first = moshmux("new -s work");
    first.expect("the session", WAIT, |s| s.contains("[work]"));
    type_line(&first, "echo spelled-$((6*7))");
    first.expect("the output", WAIT, |s| s.contains("spelled-42"));
    detach(&first);
    let second = moshmux("a -t work");
    second.expect("the same shell", WAIT, |s| s.contains("spelled-42"));
    detach(&second);
    let third = moshmux("");
    third.expect("the session used last", WAIT, |s| {
        s.contains("[work]") && s.contains("spelled-42")
    });
    assert!(daemon.ok(&["ls"]).starts_with("work: 1 windows"));
}

#[test]
fn a_killed_client_leaves_the_session_running_for_the_next_one() {
    let daemon = Daemon::new();
    let first = attach(&daemon, "--session keep");
    first.expect("the prompt", WAIT, has_prompt);
    // Lines that scroll the screen, then a program that keeps running: a counter that
    // rewrites its own line, so the earlier lines stay on the screen.
    type_line(&first, "seq 1 40 | sed 's/^/early-/'");
    type_line(
        &first,
        "i=0; while :; do i=$((i+1)); printf '\\rtick-%d ' $i; sleep 0.2; done",
    );
    first.expect("the counter", WAIT, |s| newest_tick(s) >= 3);
    kill(client_pid(&first), Signal::SIGKILL).expect("kill -9 the client");

    // A second terminal: the same shell at once, the earlier lines, the counter going on.
    let second = attach(&daemon, "--session keep");
    let screen = second.expect("the session", WAIT, |s| {
        s.lines().any(|l| l == "early-40") && newest_tick(s) > 0
    });
    let seen = newest_tick(&screen);
    second.expect("the counter still counting", WAIT, |s| {
        newest_tick(s) > seen + 2
    });
    // Typing reaches the shell: stop the loop, run a command.
    second.send_keys(&["C-c"]);
    // Typed before the new prompt, the line would be echoed ahead of it. A bare prompt
    // may already be on the screen from before the loop, so only the last line above the
    // status line counts.
    second.expect("the prompt after the loop", WAIT, |s| {
        let mut lines = s.lines().rev().filter(|l| !l.trim().is_empty());
        lines.next(); // the status line
        matches!(lines.next(), Some("$" | "#"))
    });
    type_line(&second, "echo typed-$((3*4))");
    second.expect("typed output", WAIT, |s| s.lines().any(|l| l == "typed-12"));
    // The lines that scrolled off are in the session's history.
    let history = daemon.ok(&["capture-pane", "-p", "-S", "-", "-t", "keep"]);
    assert!(history.contains("early-1\n"), "{history}");
}

/// The highest `tick-N` on the screen (0 if none).
fn newest_tick(screen: &str) -> u32 {
    screen
        .split("tick-")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// Two terminals attached to session `name` at once, the first showing the prompt.
fn two_clients(daemon: &Daemon, name: &str) -> [Tmux; 2] {
    two_clients_sized(daemon, name, [(90, 24), (90, 24)])
}

/// Two terminals of the given (cols, rows) attached to session `name`, one after the
/// other, the first showing the prompt.
fn two_clients_sized(daemon: &Daemon, name: &str, sizes: [(u16, u16); 2]) -> [Tmux; 2] {
    let args = format!("--session {name}");
    let first = attach_sized(daemon, sizes[0].0, sizes[0].1, &args);
    first.expect("the prompt", WAIT, has_prompt);
    let second = attach_sized(daemon, sizes[1].0, sizes[1].1, &args);
    second.expect("the session", WAIT, |s| s.contains(&format!("[{name}]")));
    [first, second]
}

/// Waits until every client's screen satisfies `done`.
fn wait_all(clients: &[Tmux], what: &str, done: impl Fn(&str) -> bool) {
    for (index, tmux) in clients.iter().enumerate() {
        tmux.expect(&format!("{what} in client {index}"), WAIT, &done);
    }
}

#[test]
fn two_clients_at_once_both_see_what_either_types() {
    let daemon = Daemon::new();
    let clients = two_clients(&daemon, "both");
    type_line(&clients[0], "echo from-first-$((1+1))");
    wait_all(&clients, "the first's typing", |s| {
        s.lines().any(|l| l == "from-first-2")
    });
    type_line(&clients[1], "echo from-second-$((2+2))");
    wait_all(&clients, "the second's typing", |s| {
        s.lines().any(|l| l == "from-second-4")
    });
}

#[test]
fn a_session_whose_shell_exits_ends_every_client_with_a_message() {
    let daemon = Daemon::new();
    let clients = two_clients(&daemon, "gone");
    type_line(&clients[1], "exit");
    wait_all(&clients, "the end message and the client's exit", |s| {
        s.contains("[exited: session gone ended]") && s.contains("client-exit-0")
    });
}

#[test]
fn attach_d_detaches_the_sessions_other_clients_as_tmux_does() {
    let daemon = Daemon::new();
    let [first, second] = two_clients(&daemon, "steal");
    type_line(&second, "echo kept-$((3*5))");
    let third = attach(&daemon, "-d --session steal");
    for (index, other) in [first, second].iter().enumerate() {
        other.expect(&format!("client {index} detached"), WAIT, |s| {
            s.contains("[detached from session steal]") && s.contains("client-exit-0")
        });
    }
    // The session stays, with the one client that asked, which sees it as it was.
    third.expect("the session as it was", WAIT, |s| s.contains("kept-15"));
    let deadline = std::time::Instant::now() + WAIT;
    while !daemon.ok(&["ls"]).contains("(1 attached)") {
        assert!(
            std::time::Instant::now() < deadline,
            "ls still counts the detached clients: {}",
            daemon.ok(&["ls"])
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn prefix_c_z_suspends_the_client_to_its_shell_and_fg_brings_it_back() {
    let daemon = Daemon::new();
    // A shell with job control around the client, as a user's terminal has.
    let shell = Tmux::start(90, 24, "bash --norc --noprofile -i", &outer_env(&daemon));
    shell.expect("bash's prompt", WAIT, has_prompt);
    let client = workspace_binary("moshmux");
    type_line(
        &shell,
        &format!("'{}' attach --session z", client.display()),
    );
    shell.expect("the session", WAIT, |s| s.contains("[z]"));
    type_line(&shell, "echo inside-$((2*21))");
    shell.expect("the command's output", WAIT, |s| s.contains("inside-42"));
    shell.send_keys(&["C-b", "C-z"]);
    // The last frame stays above the shell's lines, as after a detach.
    shell.expect("the shell's job control", WAIT, |s| {
        s.contains("Stopped") && s.lines().last().is_some_and(|l| l.starts_with('$'))
    });
    type_line(&shell, "fg");
    shell.expect("the session drawn again", WAIT, |s| {
        s.contains("[z]") && s.contains("inside-42") && !s.contains("Stopped")
    });
    type_line(&shell, "echo after-$((5*5))");
    shell.expect("the session working again", WAIT, |s| {
        s.contains("after-25")
    });
    shell.send_keys(&["C-b", "d"]);
    shell.expect("the detach", WAIT, |s| {
        s.contains("[detached from session z]")
    });
}

#[test]
fn list_clients_shows_each_attached_client_with_its_terminals_size() {
    let daemon = Daemon::new();
    let [big, _small] = two_clients_sized(&daemon, "lc", [(90, 24), (70, 16)]);
    let sizes = || {
        let mut lines: Vec<String> = daemon
            .ok(&[
                "list-clients",
                "-F",
                "#{client_session} #{client_width}x#{client_height}",
            ])
            .lines()
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    let deadline = std::time::Instant::now() + WAIT;
    while sizes() != ["lc 70x16", "lc 90x24"] {
        assert!(std::time::Instant::now() < deadline, "{:?}", sizes());
        std::thread::sleep(Duration::from_millis(50));
    }
    // tmux's default line: the client's name (here its address), session, size, flags.
    let listed = daemon.ok(&["list-clients", "-t", "lc"]);
    for line in listed.lines() {
        let (name, rest) = line.split_once(": ").expect("NAME: ...");
        assert!(name.parse::<std::net::SocketAddr>().is_ok(), "{line}");
        assert!(
            rest == "lc [90x24] (attached,UTF-8)" || rest == "lc [70x16] (attached,UTF-8)",
            "{line}"
        );
    }
    big.send_keys(&["C-b", "d"]);
    big.expect("the detach", WAIT, |s| {
        s.contains("[detached from session lc]")
    });
    assert_eq!(sizes(), ["lc 70x16"]);
    let missing = daemon.fails(&["list-clients", "-t", "nope"]);
    assert!(missing.contains("can't find session: nope"), "{missing}");
}

/// Polls `list-panes` until session `target`'s one pane is `cols` x `rows`.
fn wait_pane_size(daemon: &Daemon, target: &str, cols: u16, rows: u16, why: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let sizes = daemon.pane_sizes(target);
        if sizes == [(cols, rows)] {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{why}: panes are {sizes:?}, not {cols}x{rows}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn by_default_the_window_takes_the_size_of_the_client_active_last() {
    let daemon = Daemon::new();
    // The client's status line takes one row of its terminal.
    let [big, small] = two_clients_sized(&daemon, "sized", [(90, 24), (70, 16)]);
    wait_pane_size(&daemon, "sized", 70, 15, "the client that attached last");
    big.send_literal("x");
    wait_pane_size(&daemon, "sized", 90, 23, "the client that typed last");
    small.send_literal("y");
    wait_pane_size(&daemon, "sized", 70, 15, "the other client typed");
}

#[test]
fn window_size_smallest_fits_every_client_until_one_leaves() {
    let daemon = Daemon::new();
    daemon.ok(&[
        "new",
        "-s",
        "fit",
        "--window-size",
        "smallest",
        "--bind",
        "127.0.0.1",
        "--",
        "sh",
    ]);
    let [wide, tall] = two_clients_sized(&daemon, "fit", [(90, 16), (70, 24)]);
    wait_pane_size(&daemon, "fit", 70, 15, "the narrowest and the shortest");
    // Typing changes nothing here: once its output shows, the size is still the same.
    type_line(&wide, "echo typed-$((5*5))");
    tall.expect("the typed output", WAIT, |s| {
        s.lines().any(|l| l == "typed-25")
    });
    assert_eq!(daemon.pane_sizes("fit"), [(70, 15)]);
    tall.send_keys(&["C-b", "d"]);
    wait_pane_size(&daemon, "fit", 90, 15, "the client left alone");
}

#[test]
fn attach_with_no_session_joins_the_session_used_last() {
    let daemon = Daemon::new();
    let older = attach(&daemon, "--session older");
    older.expect("the prompt", WAIT, has_prompt);
    let newer = attach(&daemon, "--session newer");
    newer.expect("the prompt", WAIT, has_prompt);
    // Typing makes the older session the one used last.
    type_line(&older, "echo used-$((1+2))");
    older.expect("the typed output", WAIT, |s| {
        s.lines().any(|l| l == "used-3")
    });
    let again = attach(&daemon, "");
    again.expect("the session typed in last", WAIT, |s| {
        s.contains("[older]") && s.lines().any(|l| l == "used-3")
    });
    // `moshmux-server new` with no name still makes a fresh session.
    daemon.ok(&["new", "--bind", "127.0.0.1"]);
    assert_eq!(daemon.ok(&["ls"]).lines().count(), 3);

    // With no session at all, attach creates one.
    let empty = Daemon::new();
    let first = attach(&empty, "");
    first.expect("a new session", WAIT, |s| {
        s.contains("[0]") && has_prompt(s)
    });
}

#[test]
fn attach_without_a_server_binary_says_what_to_do() {
    let daemon = Daemon::new();
    let client = attach_sized(&daemon, 150, 8, "--server /nonexistent/moshmux-server");
    let screen = client.expect("the error and the exit", WAIT, |s| {
        s.contains("client-exit-1")
    });
    // The terminal's own history too: tmux's resize at start may move the first line there.
    let all = format!("{}\n{screen}", client.capture_history());
    // (Once, though the line can show in both while tmux moves it.)
    let errors: std::collections::BTreeSet<&str> =
        all.lines().filter(|l| l.starts_with("moshmux:")).collect();
    assert_eq!(errors.len(), 1, "{all}");
    assert!(errors.iter().all(|e| e.contains("--server PATH")), "{all}");
}

/// Issue 15: `attach -s NAME </dev/null` used to create the session, then fail for want
/// of a terminal, leaving a stray session behind.
#[test]
fn attach_without_a_terminal_says_so_before_the_server_makes_a_session() {
    let daemon = Daemon::new();
    let output = run_client(
        &daemon,
        &["attach", "--session", "stray"],
        &[("LANG", "C.UTF-8")],
    );
    assert_one_line_error(&output, &["needs a terminal"]);
    assert!(
        !daemon.dir().join("server.sock").exists(),
        "a server started"
    );
}

#[test]
fn a_bad_session_name_is_one_line_that_says_what_names_may_be() {
    let daemon = Daemon::new();
    for name in ["a:b", "a.b", "", "%1"] {
        let output = run_client(
            &daemon,
            &["attach", "--session", name],
            &[("LANG", "C.UTF-8")],
        );
        assert_one_line_error(&output, &["no ':' or '.'", "--help"]);
    }
    assert!(
        !daemon.dir().join("server.sock").exists(),
        "no server started"
    );
}

#[test]
fn a_non_utf8_locale_is_one_line_that_says_what_to_set() {
    let daemon = Daemon::new();
    let output = run_client(
        &daemon,
        &["attach", "--session", "s"],
        &[("LANG", "C"), ("LC_ALL", "C")],
    );
    assert_one_line_error(&output, &["UTF-8 locale", "LANG=C.UTF-8"]);
    assert!(
        !daemon.dir().join("server.sock").exists(),
        "no server started"
    );
}
