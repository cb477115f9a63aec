//! What a program in a pane sends beyond its screen reaches the user's own terminal as
//! tmux passes it on: a bell (the outer tmux flags its window), a title with `set-titles`
//! (the outer pane's title) and an OSC 52 copy with `set-clipboard = "on"` (the outer
//! tmux, itself `set-clipboard on`, keeps it as a paste buffer). The outer tmux plays
//! the user's terminal. A client that attaches later gets neither the bell nor the copy
//! again.

use std::time::{Duration, Instant};

use moshmux_tests::harness::{workspace_binary, Attached, Tmux, CONFIG_HOME};

const WAIT: Duration = Duration::from_secs(20);

/// Polls a tmux format of the outer pane until `done` holds.
fn expect_format(tmux: &Tmux, format: &str, what: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let value = tmux.pane_format(format);
        if done(&value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: {format} is {value:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn bell_title_and_a_programs_copy_reach_the_outer_terminal() {
    let attached = Attached::new(
        "[client]\nset-titles = true\nset-clipboard = \"on\"\n",
        80,
        24,
    );
    let tmux = &attached.tmux;
    tmux.set_option("set-clipboard", "on");
    assert_eq!(tmux.pane_format("#{window_bell_flag}"), "0");
    assert_eq!(tmux.buffer(), None);
    // The title as tmux's default set-titles-string has it, the pane's own still empty.
    expect_format(tmux, "#{pane_title}", "the first title", |title| {
        title.starts_with("s:0:") && title.ends_with(" - \"\"")
    });

    tmux.send_literal(r"printf '\033]2;building\007\a'; printf '\033]52;c;Y29waWVkIHRleHQ=\007'");
    tmux.send_keys(&["Enter"]);
    expect_format(tmux, "#{window_bell_flag}", "the bell", |flag| flag == "1");
    let title = expect_format(tmux, "#{pane_title}", "the program's title", |title| {
        title.ends_with(" - \"building\"")
    });
    assert!(title.starts_with("s:0:"), "{title:?}");
    let deadline = Instant::now() + WAIT;
    let copied = loop {
        if let Some(buffer) = tmux.buffer() {
            break buffer;
        }
        assert!(
            Instant::now() < deadline,
            "the copy never reached the clipboard"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(copied, "copied text");

    // A second terminal, set-clipboard on before the client in it starts, attaches to
    // the same session: the bell and the copy happened before it, so neither reaches it.
    // The pane's next title bounds the wait: once it shows, every earlier state has.
    let dir = attached.daemon.dir().to_str().expect("a UTF-8 temp dir");
    let home = attached.home.to_str().expect("a UTF-8 temp dir");
    let env = [
        ("LANG", "C.UTF-8"),
        (CONFIG_HOME, home),
        ("MOSHMUX_DIR", dir),
    ];
    let later = Tmux::start(80, 24, "sh", &env);
    later.set_option("set-clipboard", "on");
    let moshmux = workspace_binary("moshmux");
    later.send_literal(&format!("exec '{}' attach --session s", moshmux.display()));
    later.send_keys(&["Enter"]);
    expect_format(
        &later,
        "#{pane_title}",
        "the second client's title",
        |title| title.ends_with(" - \"building\""),
    );
    tmux.send_literal(r"printf '\033]2;after\007'");
    tmux.send_keys(&["Enter"]);
    expect_format(&later, "#{pane_title}", "the next title", |title| {
        title.ends_with(" - \"after\"")
    });
    assert_eq!(later.pane_format("#{window_bell_flag}"), "0");
    assert_eq!(later.buffer(), None);
}
