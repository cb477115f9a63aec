//! Programs that write hostile or broken terminal output: whatever a pane's program
//! prints, the daemon stays up with bounded memory and time, another session keeps
//! working, and the pane shows what comes after the bad part. Real daemon, real PTYs.

mod common;

use common::{has_prompt, process_alive, Daemon};

/// Printed by every victim after its hostile part, on a line of its own.
const MARKER: &str = "after-the-storm";

/// A daemon with a bystander session `by` at its prompt, and session `victim` running
/// `script`, then printing [`MARKER`] and sleeping.
fn daemon_with_victim(script: &str) -> Daemon {
    let server = Daemon::new();
    server.ok(&["new", "-s", "by", "--", "sh"]);
    server.wait_for_screen("by", has_prompt);
    start_victim(&server, script);
    server
}

fn start_victim(server: &Daemon, script: &str) {
    let script = format!("{script}\nprintf '\\n{MARKER}\\n'; exec sleep 600");
    server.ok(&["new", "-s", "victim", "--", "sh", "-c", &script]);
}

fn wait_for_marker(server: &Daemon) -> String {
    server.wait_for_screen("victim", |screen| screen.lines().any(|line| line == MARKER))
}

/// The daemon is alive and the bystander's shell still runs what is typed into it.
fn assert_bystander_unharmed(server: &Daemon) {
    assert!(process_alive(server.pid()), "the daemon died");
    server.ok(&["send-keys", "-t", "by", "echo by-$((6*7))", "Enter"]);
    server.wait_for_screen("by", |screen| screen.lines().any(|line| line == "by-42"));
}

/// The daemon's resident memory in KiB.
fn rss_kib(server: &Daemon) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .expect("the daemon's /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc status")
}

/// Types Enter into the victim, whose script waits with `read` between its steps.
fn step(server: &Daemon) {
    server.ok(&["send-keys", "-t", "victim", "Enter"]);
}

fn resize(server: &Daemon, cols: u16, rows: u16) {
    server.ok(&[
        "resize-window",
        "-t",
        "victim",
        "-x",
        &cols.to_string(),
        "-y",
        &rows.to_string(),
    ]);
}

#[test]
fn a_flood_of_huge_repeat_counts_costs_one_row_each() {
    // 30 000 REPs of 65535: two billion characters if obeyed, minutes of the daemon's
    // only thread. Capped at the width, a few seconds at most.
    let server = daemon_with_victim(
        r#"printf x; yes "$(printf '\033[65535b')" | head -n 30000 | tr -d '\n'
printf '\033[2J\033[Hy\033[999999999b|'"#,
    );
    let screen = wait_for_marker(&server);
    let rows: Vec<&str> = screen.lines().collect();
    assert_eq!(rows[0], "y".repeat(80), "{screen}");
    assert_eq!(rows[1], "y|", "{screen}");
    assert_bystander_unharmed(&server);
}

#[test]
fn huge_cursor_and_edit_parameters_stay_on_the_screen() {
    let server = daemon_with_victim(
        r#"printf '\033[2J\033[65535;65535Hz\033[H0123456789\033[4D\033[999999999@\033[2;1Hsecond\033[2;3H\033[999999999P'
printf '\033[3;1Hthird\033[3;2H\033[999999999X\033[5;1H\033[999999999L\033[999999999M\033[10;1H\033[4294967295C\033[99999999999999999999D!'
printf '\033[999999999S\033[999999999T\033[65535d\033[65535G\033[65535A\033[65535B\033[1;999999999r\033[r\033[H\033[65535E\033[65535F'"#,
    );
    // Nothing was scrolled away: the huge SU and SD cleared the screen as they should.
    let screen = wait_for_marker(&server);
    assert!(!screen.contains("0123"), "{screen}");
    assert_bystander_unharmed(&server);

    // Each one on a fresh screen, with the result it must have.
    start_second_victim(
        &server,
        r#"printf '\033[65535;65535Hz\033[H0123456789\033[4D\033[999999999@\033[2;1Hsecond\033[2;3H\033[999999999P\033[3;1Hthird\033[3;2H\033[999999999X\033[10;1H\033[4294967295C\033[99999999999999999999D!'"#,
    );
    let screen = server.wait_for_screen("v2", |s| s.contains("!"));
    let rows: Vec<&str> = screen.lines().collect();
    assert_eq!(rows[0], "012345", "{screen}");
    assert_eq!(rows[1], "se", "{screen}");
    assert_eq!(rows[2], "t", "{screen}");
    assert_eq!(rows[9], "!", "{screen}");
    assert_eq!(rows[23], format!("{}z", " ".repeat(79)), "{screen}");
}

/// A second victim session `v2` whose script ends in a long sleep, with no marker.
fn start_second_victim(server: &Daemon, script: &str) {
    let script = format!("{script}; exec sleep 600");
    server.ok(&["new", "-s", "v2", "--", "sh", "-c", &script]);
}

#[test]
fn colon_sgr_with_empty_arguments_is_ignored_or_applied_without_harm() {
    let server = daemon_with_victim(
        r#"printf '\033[38:2::1:2:3mrgb\033[4::mund\033[38:5:mx\033[48:2:::m\033[:::::m\033[;;;;m\033[38;2;;;mz\033[58:2::9:9:9m\033[0mplain\n'"#,
    );
    let screen = wait_for_marker(&server);
    assert!(
        screen.lines().any(|line| line == "rgbundxzplain"),
        "{screen}"
    );
    let coloured = server.ok(&["capture-pane", "-p", "-e", "-t", "victim"]);
    assert!(coloured.contains("rgb"), "{coloured}");
    assert_bystander_unharmed(&server);
}

#[test]
fn unterminated_control_strings_of_megabytes_keep_memory_bounded() {
    let server = Daemon::new();
    server.ok(&["new", "-s", "by", "--", "sh"]);
    server.wait_for_screen("by", has_prompt);
    let before = rss_kib(&server);
    // 16 MiB of title with no BEL or ST, ended only by the ST after it; a DCS and an APC
    // of 4 MiB each, the APC cancelled by CAN; then text, which must show.
    start_victim(
        &server,
        r#"printf '\033]2;'; head -c 16777216 /dev/zero | tr '\0' y; printf '\033\\visible-1\n'
printf '\033P1;2|'; head -c 4194304 /dev/zero | tr '\0' z; printf '\033\\visible-2\n'
printf '\033_'; head -c 4194304 /dev/zero | tr '\0' w; printf '\030visible-3\n'"#,
    );
    let screen = wait_for_marker(&server);
    for text in ["visible-1", "visible-2", "visible-3"] {
        assert!(screen.lines().any(|line| line == text), "{screen}");
    }
    assert!(
        !screen.contains("yyy") && !screen.contains("zzz"),
        "{screen}"
    );
    let grown = rss_kib(&server).saturating_sub(before);
    assert!(grown < 64 * 1024, "the daemon grew by {grown} KiB");
    assert_bystander_unharmed(&server);
}

#[test]
fn combining_characters_after_erase_and_alone_at_the_start_of_a_line() {
    // U+0301 (combining acute) on a fresh screen's first cell, after erasing the cell it
    // would join, at the start of a line and after ECH.
    let server = daemon_with_victim(
        r#"printf '\033[2J\033[H\314\201a\033[1K\314\201b\n\314\201c\033[2K\r\314\201d\033[X\314\201\n\033[?1049h\033[H\314\201\033[?1049l'"#,
    );
    let screen = wait_for_marker(&server);
    let rows: Vec<&str> = screen.lines().collect();
    assert!(rows[0].trim_start().contains('b'), "{screen}");
    assert!(rows[1].contains('d'), "{screen}");
    assert!(!screen.contains('c'), "{screen}");
    assert_bystander_unharmed(&server);
}

#[test]
fn alternate_screen_switches_mid_flood_leave_the_main_screen_right() {
    let server = daemon_with_victim(
        r#"printf 'main-before\n'
seq 1 200000 | awk '{ if (NR % 97 == 0) printf "\033[?1049h"; if (NR % 89 == 0) printf "\033[?1049l\033[?47h"; if (NR % 83 == 0) printf "\033[?47l"; print }'
printf '\033[?1049l\033[?47l\033[2J\033[Hmain-after'"#,
    );
    let screen = wait_for_marker(&server);
    assert!(screen.starts_with("main-after"), "{screen}");
    assert_bystander_unharmed(&server);
}

#[test]
fn wide_characters_in_one_by_one_and_one_column_panes() {
    // A wide character cannot fit one column: it is not shown, and what follows is.
    let server = daemon_with_victim(
        r#"stty -echo; read x
printf '日本語\314\201x\033[5b語\r\n語\r\n\314\201n'; read x
printf '日本\n語\314\201a語\r\nb'; read x"#,
    );
    resize(&server, 1, 1);
    assert_eq!(server.panes("victim")[0].rect(), (1, 1, 0, 0));
    step(&server);
    let screen = server.wait_for_screen("victim", |screen| screen == "n\n");
    assert_eq!(screen, "n\n");
    resize(&server, 1, 24);
    step(&server);
    let screen = server.wait_for_screen("victim", |screen| screen.contains('b'));
    assert!(
        screen.lines().all(|line| line.chars().count() <= 1),
        "{screen}"
    );
    resize(&server, 80, 24);
    step(&server);
    wait_for_marker(&server);
    assert_bystander_unharmed(&server);
}

#[test]
fn rapid_resizes_while_output_flows() {
    // `yes` floods as fast as the daemon reads; at 1x1 every byte scrolls a row into
    // history. Each resize is a command the daemon must still get to between chunks.
    let server = daemon_with_victim(
        r#"stty -echo; yes "$(printf 'flow 日本語 e\314\201\tend')" & read x; kill $!; wait"#,
    );
    server.wait_for_screen("victim", |screen| screen.contains("flow"));
    let sizes = [
        (1, 1),
        (2, 1),
        (1, 2),
        (3, 7),
        (200, 60),
        (80, 24),
        (1, 50),
        (50, 1),
    ];
    for round in 0..5 {
        for &(cols, rows) in &sizes {
            resize(&server, cols, rows + round);
        }
    }
    resize(&server, 80, 24);
    step(&server);
    let screen = wait_for_marker(&server);
    assert_eq!(screen.lines().count(), 24, "{screen}");
    assert_bystander_unharmed(&server);
}

#[test]
fn restoring_a_cursor_saved_before_a_shrink_stays_on_the_screen() {
    let server = daemon_with_victim(
        r#"stty -echo; printf '\033[24;80H\0337\033[?1049h\033[24;80H\0337\033[?1049l'; read x
printf '\0338X\033[?1049h\0338Y\033[?1049l'; read x
printf '\0338\314\201Z'; read x"#,
    );
    resize(&server, 10, 5);
    step(&server);
    let screen = server.wait_for_screen("victim", |screen| screen.contains('X'));
    assert_eq!(screen.lines().count(), 5, "{screen}");
    resize(&server, 3, 2);
    step(&server);
    server.wait_for_screen("victim", |screen| screen.contains('Z'));
    resize(&server, 80, 24);
    step(&server);
    wait_for_marker(&server);
    assert_bystander_unharmed(&server);
}
