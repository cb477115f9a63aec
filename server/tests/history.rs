//! Pane history through the real daemon: rows that leave the screen are kept on disk,
//! read back with tmux's capture-pane numbering, searched, listed after the pane (or the
//! daemon) is gone, and survive `kill -9` of the daemon mid-flood.

mod common;

use common::{wait_until, Daemon};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

/// `capture-pane -p -t TARGET` plus `extra`, as lines.
fn capture(server: &Daemon, target: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["capture-pane", "-p", "-t", target];
    args.extend_from_slice(extra);
    server.ok(&args).lines().map(str::to_owned).collect()
}

fn numbers(from: u64, to: u64) -> Vec<String> {
    (from..=to).map(|n| n.to_string()).collect()
}

/// Trailing empty lines are the blank rows below the cursor.
fn trimmed(mut lines: Vec<String>) -> Vec<String> {
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

#[test]
fn capture_pane_numbers_lines_as_tmux_does() {
    let server = Daemon::new();
    server.ok(&[
        "new",
        "-s",
        "h",
        "--",
        "sh",
        "-c",
        "seq 1 200; exec sleep 100",
    ]);
    server.wait_for_screen("h", |s| s.contains("200"));
    // 201 rows were used (the cursor sits below 200) on a 24-row screen: 177 rows left
    // the top, so history is 1..177 and the screen starts at 178.
    assert_eq!(capture(&server, "h", &[])[0], "178");
    assert_eq!(
        capture(&server, "h", &["-S", "-3", "-E", "-1"]),
        numbers(175, 177)
    );
    assert_eq!(
        capture(&server, "h", &["-S", "-1", "-E", "1"]),
        numbers(177, 179)
    );
    assert_eq!(
        capture(&server, "h", &["-S", "-", "-E", "2"]),
        numbers(1, 180)
    );
    assert_eq!(
        capture(&server, "h", &["-S", "-9999", "-E", "-176"]),
        numbers(1, 2)
    );
    // Backwards ranges are turned round, as tmux does.
    assert_eq!(
        capture(&server, "h", &["-S", "-1", "-E", "-2"]),
        numbers(176, 177)
    );
    let whole = capture(&server, "h", &["-S", "-", "-E", "-"]);
    assert_eq!(whole.len(), 177 + 24);
    assert_eq!(trimmed(whole), numbers(1, 200));
}

#[test]
fn colours_are_kept_for_dash_e() {
    let server = Daemon::new();
    let script = r"printf '\033[1;31mred\033[m plain\n'; seq 1 30; exec sleep 100";
    server.ok(&["new", "-s", "c", "--", "sh", "-c", script]);
    server.wait_for_screen("c", |s| s.contains("30"));
    let plain = capture(&server, "c", &["-S", "-", "-E", "-"]);
    assert_eq!(plain[0], "red plain");
    let coloured = capture(&server, "c", &["-e", "-S", "-", "-E", "-"]);
    assert_eq!(coloured[0], "\x1b[0;1;31mred\x1b[0m plain");
    assert_eq!(coloured[1], "1");
}

/// A daemon whose session `s` has printed `seq 1 LAST`, and the numbers
/// `search-history` must print for `needle` there: the screen keeps the last 23
/// values, so history holds 1..=LAST-23 and value v is line v - (LAST - 22).
fn searched_seq(last: i64, needle: &str) -> (Daemon, Vec<String>) {
    let server = Daemon::new();
    let script = format!("seq 1 {last}; exec sleep 100");
    server.ok(&["new", "-s", "s", "--", "sh", "-c", &script]);
    server.wait_for_screen("s", |s| s.contains(&last.to_string()));
    let expected = (1..=last - 23)
        .filter(|v| v.to_string().contains(needle))
        .map(|v| (v - (last - 22)).to_string())
        .collect();
    (server, expected)
}

#[test]
fn search_history_returns_matching_line_numbers() {
    let (server, expected) = searched_seq(200, "17");
    let found = server.ok(&["search-history", "-t", "s", "17"]);
    assert_eq!(found.lines().collect::<Vec<_>>(), expected);
    for number in &expected {
        let line = capture(&server, "s", &["-S", number, "-E", number]);
        assert!(line[0].contains("17"), "{number}: {line:?}");
    }
    assert_eq!(server.ok(&["search-history", "-t", "s", "nowhere"]), "");
}

/// A search of a long history is scanned in steps by several threads; what it prints
/// is still every match, oldest first.
#[test]
fn a_search_across_many_steps_finds_every_match_in_order() {
    let (server, expected) = searched_seq(70000, "99");
    let found = server.ok(&["search-history", "-t", "s", "99"]);
    assert_eq!(found.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn alternate_screen_rows_never_enter_history() {
    let server = Daemon::new();
    let script = r"seq 1 30; printf '\033[?1049h'; seq 1001 1100; printf '\033[?1049l'; seq 31 40; exec sleep 100";
    server.ok(&["new", "-s", "a", "--", "sh", "-c", script]);
    server.wait_for_screen("a", |s| s.contains("40"));
    let whole = trimmed(capture(&server, "a", &["-S", "-", "-E", "-"]));
    assert_eq!(whole, numbers(1, 40));
}

#[test]
fn a_hundred_thousand_lines_come_back_exactly() {
    let server = Daemon::new();
    server.ok(&[
        "new",
        "-s",
        "f",
        "--",
        "sh",
        "-c",
        "seq 1 100000; exec sleep 100",
    ]);
    server.wait_for_screen("f", |s| s.contains("100000"));
    let whole = server.ok(&["capture-pane", "-p", "-t", "f", "-S", "-", "-E", "-"]);
    let expected = String::from_utf8(
        Command::new("seq")
            .args(["1", "100000"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(
        whole.trim_end_matches('\n'),
        expected.trim_end_matches('\n')
    );
}

#[test]
fn ended_panes_stay_listable_and_readable() {
    let server = Daemon::new();
    // The program exits, its session (the only one) ends, and so does the daemon.
    server.ok(&["new", "-s", "gone", "--", "sh", "-c", "seq 1 500"]);
    wait_until("the daemon to stop", || !common::exists(&server.socket()));
    server.ok(&["new", "-s", "next", "--", "sleep", "100"]);
    assert_eq!(
        server.sessions_and_ended_panes(),
        "next: 1 windows [80x24]\n%0: ended, 500 lines, sh\n"
    );
    // Pane ids are never reused.
    assert!(server.ok(&["list-panes", "-t", "next"]).contains(" %1 "));
    // An ended pane prints its whole history by default, screen rows included.
    assert_eq!(capture(&server, "%0", &[]), numbers(1, 500));
    assert_eq!(capture(&server, "%0", &["-S", "-2"]), numbers(499, 500));
    assert_eq!(server.ok(&["search-history", "-t", "%0", "499"]), "-2\n");
    // A pane killed in a running daemon is listed too.
    server.ok(&[
        "new-window",
        "-t",
        "next",
        "--",
        "sh",
        "-c",
        "seq 1 50; exec sleep 100",
    ]);
    server.wait_for_screen("%2", |s| s.contains("50"));
    server.ok(&["kill-pane", "-t", "%2"]);
    wait_until("the killed pane to be listed", || {
        server
            .sessions_and_ended_panes()
            .contains("%2: ended, 50 lines, sh")
    });
    assert_eq!(capture(&server, "%2", &[]), numbers(1, 50));
    let error = server.fails(&["capture-pane", "-p", "-t", "%9"]);
    assert!(error.contains("can't find pane %9"), "{error}");
}

#[test]
fn retention_flags_on_new_limit_each_pane() {
    let server = Daemon::new();
    server.ok(&[
        "new",
        "-s",
        "r",
        "--history-lines",
        "300",
        "--",
        "sh",
        "-c",
        "seq 1 3000; exec sleep 100",
    ]);
    server.wait_for_screen("r", |s| s.contains("3000"));
    // The writer applies limits in whole 256-line blocks on its rounds (every 200 ms).
    wait_until("old lines to be dropped", || {
        let kept = capture(&server, "r", &["-S", "-", "-E", "-1"]);
        kept.len() < 300 + 256 && kept.len() >= 300
    });
    let kept = capture(&server, "r", &["-S", "-", "-E", "-1"]);
    let first: u64 = kept[0].parse().unwrap();
    assert_eq!(kept, numbers(first, 2977));
}

/// Writes the config file `server`'s commands read (under its own directory).
fn write_config(server: &Daemon, text: &str) {
    let dir = server.dir().join("config/moshmux");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

/// Waits until `server`'s pane `target`, which printed 1 to 3000, keeps about `limit`
/// history lines: at least that many, fewer than one 256-line block more.
fn wait_for_retention(server: &Daemon, target: &str, limit: usize) {
    server.wait_for_screen(target, |s| s.contains("3000"));
    wait_until("old lines to be dropped", || {
        let kept = capture(server, target, &["-S", "-", "-E", "-1"]);
        kept.len() < limit + 256 && kept.len() >= limit
    });
}

#[test]
fn retention_comes_from_the_config_file_and_a_flag_wins_over_it() {
    let server = Daemon::new();
    write_config(
        &server,
        "[client]\nprefix = \"C-a\"\n[server]\nwindow-size = \"widest\"\n\
         [history]\nmax-lines-per-pane = 300\nmax-total-bytes = 0\n",
    );
    let flood = ["--", "sh", "-c", "seq 1 3000; exec sleep 100"];
    let out = server.run(&[&["new", "-s", "r"][..], &flood].concat());
    assert!(out.status.success());
    // Each bad key is one warning naming its line; the good ones still apply.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(warnings[0].starts_with("moshmux-server: "), "{stderr}");
    assert!(
        warnings[0].ends_with(
            "config.toml line 4: server.window-size: expected latest, smallest or largest; using the default"
        ),
        "{stderr}"
    );
    assert!(
        warnings[1].contains("line 7: history.max-total-bytes: expected a number, 1 or more"),
        "{stderr}"
    );
    wait_for_retention(&server, "r", 300);

    // A flag given to the `new` that starts the daemon wins over the file.
    let flagged = Daemon::new();
    write_config(&flagged, "[history]\nmax-lines-per-pane = 5\n");
    flagged.ok(&[&["new", "-s", "f", "--history-lines", "600"][..], &flood].concat());
    wait_for_retention(&flagged, "f", 600);
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_history_directory_is_private() {
    let server = Daemon::new();
    server.ok(&[
        "new",
        "-s",
        "p",
        "--",
        "sh",
        "-c",
        "seq 1 100; exec sleep 100",
    ]);
    server.wait_for_screen("p", |s| s.contains("100"));
    let history = server.dir().join("history");
    assert_eq!(mode(&history), 0o700);
    assert_eq!(mode(&history.join("db")), 0o700);
    wait_until("the database to be written", || {
        history.join("watermark").exists()
    });
    for entry in walk(&history) {
        let expected = if entry.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&entry), expected, "{}", entry.display());
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}

/// The number on the newest history line of a pane flooded by `seq`, if any yet.
fn newest_history_number(server: &Daemon, target: &str) -> Option<u64> {
    capture(server, target, &["-S", "-1", "-E", "-1"])
        .first()
        .and_then(|line| line.parse().ok())
}

fn pane_id(server: &Daemon, session: &str) -> String {
    server.panes(session).remove(0).id
}

/// Small xorshift; the kill points need to vary, not to be unpredictable.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn kill_9_mid_flood_loses_nothing_older_than_a_second() {
    let server = Daemon::new();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    eprintln!("kill points from seed {seed}");
    for round in 0..4 {
        let session = format!("flood{round}");
        server.ok(&["new", "-s", &session, "--", "seq", "1", "1000000000"]);
        let pane = pane_id(&server, &session);
        let pid = server.pid();
        std::thread::sleep(std::time::Duration::from_millis(
            200 + next_random(&mut seed) % 1500,
        ));
        let seen = newest_history_number(&server, &pane).unwrap_or(0);
        // Everything up to `seen` is now older than the store's one-second promise.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(common::process_alive(pid), "the daemon died early");
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        wait_until("the daemon to die", || !common::process_alive(pid));

        server.ok(&["new", "-s", &format!("check{round}"), "--", "sleep", "100"]);
        let kept = server.ok(&["capture-pane", "-p", "-t", &pane, "-S", "-", "-E", "-"]);
        let mut count = 0u64;
        let lines: Vec<&str> = kept.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let expected = (index + 1).to_string();
            // The last screen saved before the kill may end in a line seq was still
            // writing.
            let last = index + 1 == lines.len();
            assert!(
                *line == expected || (last && expected.starts_with(line)),
                "round {round}: line {index} of {pane} is {line:?}, not {expected}"
            );
            count += 1;
        }
        assert!(
            count >= seen && seen > 0,
            "round {round}: {pane} kept {count} lines, but line {seen} was seen over a second before the kill"
        );
        eprintln!("round {round}: {pane} kept {count} lines; {seen} were over a second old");
        assert!(server
            .sessions_and_ended_panes()
            .contains(&format!("{pane}: ended, {count} lines, seq")));
        server.ok(&["kill-session", "-t", &format!("check{round}")]);
        wait_until("the daemon to stop", || !common::exists(&server.socket()));
    }
}

/// A pane whose output never scrolled still leaves what it showed when the daemon is
/// killed, and the next `new` says in one line what happened and how to read it.
#[test]
fn kill_9_keeps_each_panes_last_screen_and_the_next_new_says_so() {
    let server = Daemon::new();
    let script = "for i in 1 2 3 4 5 6 7; do echo shown-$i; done; sleep 100";
    server.ok(&["new", "-s", "quiet", "--", "sh", "-c", script]);
    let pane = pane_id(&server, "quiet");
    server.wait_for_screen(&pane, |screen| screen.contains("shown-7"));
    // Past the screen's save interval and the store's commit.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let pid = server.pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    wait_until("the daemon to die", || !common::process_alive(pid));

    let output = server.run(&["new", "-s", "next", "--", "sleep", "100"]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("ended without closing") && stderr.contains(&format!("pane {pane}")),
        "{stderr}"
    );
    let kept = server.ok(&["capture-pane", "-p", "-t", &pane, "-S", "-", "-E", "-"]);
    let expected: Vec<String> = (1..=7).map(|i| format!("shown-{i}")).collect();
    assert_eq!(kept.lines().collect::<Vec<_>>(), expected);
    // Told once: the next attach starts quietly.
    let again = server.run(&["new", "-s", "later", "--", "sleep", "100"]);
    assert_eq!(String::from_utf8_lossy(&again.stderr), "");
}

#[test]
fn a_corrupt_database_is_moved_aside_and_new_and_capture_pane_say_where() {
    let server = Daemon::new();
    let db = server.dir().join("history").join("db");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&db)
        .unwrap();
    std::fs::write(
        db.join("history.redb"),
        b"this is not a database".repeat(1000),
    )
    .unwrap();
    let new = server.run(&[
        "new",
        "-s",
        "x",
        "--",
        "sh",
        "-c",
        "seq 1 100; exec sleep 100",
    ]);
    assert!(new.status.success());
    // One line on stderr, naming where the old database went.
    let stderr = String::from_utf8_lossy(&new.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let moved_to = server.dir().join("history").join("db.corrupt-");
    assert!(
        stderr.contains("the history database could not be read")
            && stderr.contains(&format!("moved to {}", moved_to.display())),
        "{stderr}"
    );
    // A pane of the old database is not found, and the error says where it may be.
    let error = server.fails(&["capture-pane", "-p", "-t", "%7"]);
    assert!(
        error.starts_with("can't find pane %7")
            && error.contains(&format!("now {}", moved_to.display())),
        "{error}"
    );
    server.wait_for_screen("x", |s| s.contains("100"));
    assert_eq!(
        trimmed(capture(&server, "x", &["-S", "-", "-E", "-"])),
        numbers(1, 100)
    );
    let errors: Vec<String> = server
        .log()
        .lines()
        .filter(|l| l.contains("ERROR"))
        .map(str::to_owned)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("moved to"), "{errors:?}");
    let aside = std::fs::read_dir(server.dir().join("history"))
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().starts_with("db.corrupt-"));
    assert!(aside, "the damaged database was not kept");
}

#[test]
fn a_second_daemon_on_the_same_history_is_refused() {
    let base = Daemon::new();
    let state = base.dir().join("state");
    let command = |runtime: &str, args: &[&str]| {
        let mut command = Command::new(common::bin());
        command
            .args(args)
            .env_remove("MOSHMUX_DIR")
            .env("XDG_CONFIG_HOME", base.dir().join("config"))
            .env("XDG_RUNTIME_DIR", base.dir().join(runtime))
            .env("XDG_STATE_HOME", &state);
        command.output().unwrap()
    };
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(base.dir().join("one"))
        .unwrap();
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(base.dir().join("two"))
        .unwrap();
    let first = command(
        "one",
        &[
            "new",
            "--bind",
            "127.0.0.1",
            "-s",
            "a",
            "--",
            "sleep",
            "100",
        ],
    );
    assert!(first.status.success(), "{first:?}");
    let second = command(
        "two",
        &[
            "new",
            "--bind",
            "127.0.0.1",
            "-s",
            "b",
            "--",
            "sleep",
            "100",
        ],
    );
    let error = String::from_utf8_lossy(&second.stderr);
    let stopped = command("one", &["kill-server"]);
    assert_eq!(second.status.code(), Some(1));
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(
        error.contains("another moshmux daemon is using the history in"),
        "{error}"
    );
    assert!(stopped.status.success());
    assert_eq!(mode(&state.join("moshmux")), 0o700);
}

#[test]
fn a_write_error_is_logged_and_the_pane_keeps_running() {
    use std::os::unix::process::CommandExt;
    let server = Daemon::new();
    // A first daemon creates the database, so the next one can open it under the limit.
    server.ok(&["new", "-s", "init", "--", "true"]);
    wait_until("the first daemon to stop", || {
        !common::exists(&server.socket())
    });
    let db = server.dir().join("history/db/history.redb");
    let limit = std::fs::metadata(&db).unwrap().len() + 1_000_000;
    let mut command = server.command(&[
        "new",
        "-s",
        "x",
        "--",
        "sh",
        "-c",
        "od -An -tx1 -N 1500000 /dev/urandom; echo flood-done; exec cat",
    ]);
    // SAFETY: setrlimit and signal are async-signal-safe and touch no memory of ours.
    // Both survive exec, so the daemon `new` starts runs under them: writes past the limit
    // fail with EFBIG instead of killing it with SIGXFSZ.
    unsafe {
        command.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let rlimit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    assert!(command.output().unwrap().status.success());
    server.wait_for_screen("x", |s| s.contains("flood-done"));
    wait_until("the write error to be logged", || {
        server.log().contains("history not written")
    });
    server.ok(&["send-keys", "-t", "x", "still here", "Enter"]);
    server.wait_for_screen("x", |s| s.matches("still here").count() == 2);
}

/// With no daemon running, the history of ended panes is still listed, printed and
/// searched, straight from the store; session targets still need a server.
#[test]
fn history_is_readable_without_a_daemon() {
    let server = Daemon::new();
    let script = "for i in 1 2 3; do echo kept-$i; done; stty -echo; read x";
    server.ok(&["new", "-s", "gone", "--", "sh", "-c", script]);
    let pane = pane_id(&server, "gone");
    server.wait_for_screen(&pane, |screen| screen.contains("kept-3"));
    server.ok(&["send-keys", "-t", &pane, "Enter"]);
    wait_until("the daemon to stop", || !common::exists(&server.socket()));

    let listed = server.ok(&["ls", "-a"]);
    assert!(
        listed.starts_with(&format!("{pane}: ended, 3 lines, sh")),
        "{listed}"
    );
    let printed = server.ok(&["capture-pane", "-p", "-t", &pane]);
    assert_eq!(printed, "kept-1\nkept-2\nkept-3\n");
    let found = server.ok(&["search-history", "-t", &pane, "kept-2"]);
    assert_eq!(found, "-2\n");
    let refused = server.fails(&["capture-pane", "-p", "-t", "gone"]);
    assert!(refused.contains("no server running"), "{refused}");
    // Reading took nothing from the next daemon: it starts, and the pane is still there.
    server.ok(&["new", "-s", "next", "--", "sleep", "100"]);
    let again = server.ok(&["capture-pane", "-p", "-t", &pane]);
    assert_eq!(again, printed);
}
