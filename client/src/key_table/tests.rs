use super::*;

#[test]
fn every_default_parses() {
    for (key, command) in DEFAULT_BINDINGS {
        assert!(parse_key(key).is_ok(), "{key}");
        assert!(parse_binding(command).is_ok(), "{command}");
    }
    // Each default key once, plus C-b's send-prefix.
    assert_eq!(KeyTable::default().keys.len(), DEFAULT_BINDINGS.len() + 1);
}

#[test]
fn keys_and_prefixes_in_tmux_words() {
    assert_eq!(parse_prefix("C-a"), Ok(0x01));
    assert_eq!(parse_prefix("C-B"), Ok(0x02));
    assert_eq!(parse_prefix("C-@"), Ok(0x00));
    assert_eq!(parse_prefix("C-]"), Ok(0x1d));
    for refused in ["C-^", "C-[", "a", "C-", "C-ab", "M-a", ""] {
        assert!(parse_prefix(refused).is_err(), "{refused}");
    }
    assert_eq!(parse_key("|"), Ok(Key::Byte(b'|')));
    assert_eq!(parse_key("Space"), Ok(Key::Byte(b' ')));
    assert_eq!(parse_key("Left"), Ok(Key::Arrow(Direction::Left)));
    assert_eq!(parse_key("C-c"), Ok(Key::Byte(0x03)));
    assert_eq!(parse_key("C-Up"), Ok(Key::CtrlArrow(Direction::Up)));
    assert_eq!(parse_key("M-Left"), Ok(Key::AltArrow(Direction::Left)));
    assert_eq!(parse_key("M-1"), Ok(Key::AltByte(b'1')));
    for refused in ["C-[", "é", "ab", " ", "F1", "M-", "M-ab", "M-é", ""] {
        assert!(parse_key(refused).is_err(), "{refused}");
    }
}

#[test]
fn commands_in_tmux_words() {
    let parsed = |text: &str| parse_binding(text).ok().flatten();
    assert_eq!(
        parsed("split-window  -h"),
        Some(Binding::Command(MuxCommand::SplitHorizontal))
    );
    assert_eq!(
        parsed("split-window"),
        Some(Binding::Command(MuxCommand::SplitVertical))
    );
    for target in ["4", ":4", ":=4"] {
        assert_eq!(
            parsed(&format!("select-window -t {target}")),
            Some(Binding::Command(MuxCommand::SelectWindow(4)))
        );
    }
    assert_eq!(
        parsed("kill-pane"),
        Some(Binding::Command(MuxCommand::KillPane))
    );
    assert_eq!(
        parsed("resize-pane -L 5"),
        Some(Binding::Command(MuxCommand::ResizePane(Direction::Left, 5)))
    );
    assert_eq!(
        parsed("resize-pane -D"),
        Some(Binding::Command(MuxCommand::ResizePane(Direction::Down, 1)))
    );
    // With arguments, these go to the server as a command line.
    for line in [
        "respawn-pane -k",
        "respawn-window -k -t s:1",
        "new-window -a -n x",
    ] {
        assert_eq!(
            parsed(line),
            Some(Binding::Command(MuxCommand::CommandLine(Label::new(line))))
        );
    }
    assert_eq!(parse_binding("none"), Ok(None));
    for refused in [
        "split-window -x",
        "select-window -t x",
        "kill-server",
        "resize-pane -Q",
        "resize-pane -L 0",
        "",
    ] {
        assert!(parse_binding(refused).is_err(), "{refused}");
    }
}

#[test]
fn changes_rebind_and_unbind_and_the_prefix_key_sends_itself() {
    let table = KeyTable::new(
        0x01,
        &[
            (
                Key::Byte(b'|'),
                Some((
                    Binding::Command(MuxCommand::SplitHorizontal),
                    "split-window -h".into(),
                )),
            ),
            (Key::Byte(b'%'), None),
            (
                Key::Arrow(Direction::Up),
                Some((Binding::Detach, "detach-client".into())),
            ),
        ],
    );
    assert_eq!(table.prefix(), 0x01);
    assert_eq!(table.get(Key::Byte(0x01)), Some(&Binding::SendPrefix));
    assert_eq!(table.get(Key::Byte(DEFAULT_PREFIX)), None);
    assert_eq!(
        table.get(Key::Byte(b'|')),
        Some(&Binding::Command(MuxCommand::SplitHorizontal))
    );
    assert_eq!(table.get(Key::Byte(b'%')), None);
    assert_eq!(table.get(Key::Arrow(Direction::Up)), Some(&Binding::Detach));
    assert_eq!(
        table.get(Key::Byte(b'"')),
        Some(&Binding::Command(MuxCommand::SplitVertical))
    );
}

#[test]
fn list_keys_prints_tmuxs_lines_in_tmuxs_order() {
    let table = KeyTable::new(
        DEFAULT_PREFIX,
        &[
            (Key::Byte(b'%'), None),
            (
                Key::Byte(b'|'),
                Some((
                    Binding::Command(MuxCommand::SplitHorizontal),
                    "split-window -h".into(),
                )),
            ),
        ],
    );
    let lines = table.list(None).expect("the prefix table");
    assert_eq!(table.list(Some("prefix")), Ok(lines.clone()));
    assert_eq!(lines.len(), DEFAULT_BINDINGS.len() + 1);
    // As tmux 3.3 prints these keys (its `"` runs split-window, the same as -v; it
    // marks the arrows -r, repeatable, which has no meaning here).
    for (at, line) in [
        (0, "bind-key    -T prefix C-b     send-prefix"),
        (1, "bind-key    -T prefix C-o     rotate-window"),
        (2, "bind-key    -T prefix C-z     suspend-client"),
        (3, "bind-key    -T prefix Space   next-layout"),
        (5, "bind-key    -T prefix \\\"      split-window -v"),
        (6, "bind-key    -T prefix \\#      list-buffers"),
    ] {
        assert_eq!(lines[at], line);
    }
    let has = |line: &str| lines.iter().any(|l| l == line);
    assert!(has("bind-key    -T prefix \\;      last-pane"));
    assert!(has("bind-key    -T prefix ?       list-keys"));
    assert!(has("bind-key    -T prefix |       split-window -h"));
    assert!(!lines.iter().any(|l| l.contains(" \\%")));
    let tail: Vec<&str> = lines[lines.len() - 5..]
        .iter()
        .map(|line| line.split_whitespace().nth(3).unwrap_or_default())
        .collect();
    assert_eq!(tail, ["M-Right", "C-Up", "C-Down", "C-Left", "C-Right"]);
    assert_eq!(
        table.list(Some("root")),
        Err("table root doesn't exist".to_owned())
    );
}
