use super::*;
use crate::input::tests::reads;
use crate::input::{Tokenizer, ESC, PASTE_START};
use crate::key_table::{parse_binding, parse_key, parse_prefix, DEFAULT_PREFIX as PREFIX};
use moshmux_proto::layouts::{LayoutChoice, Preset, Step};
use proptest::prelude::*;
use std::time::Instant;

/// An action with the pane's tokens joined into the bytes the pane gets.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    Keys(Vec<u8>),
    Command(MuxCommand),
    Detach,
    Quit,
    Suspend,
    ScrollView(Entry),
    CommandLine(String),
    DescribeKey(Key),
}
use Out::Keys;

/// Bindings reading bytes through a tokenizer, as the client does.
#[derive(Default)]
struct Typist {
    tokenizer: Tokenizer,
    bindings: Bindings,
}

impl Typist {
    fn new(bindings: Bindings) -> Typist {
        Typist {
            bindings,
            ..Typist::default()
        }
    }

    fn feed(&mut self, input: &[u8]) -> Vec<Out> {
        let mut actions = Vec::new();
        for token in self.tokenizer.feed(input, Instant::now()) {
            self.bindings.feed(token, &mut actions);
        }
        merge(actions)
    }

    fn prompt(&self) -> Option<String> {
        self.bindings.prompt()
    }
}

fn merge(actions: Vec<Action>) -> Vec<Out> {
    let mut out = Vec::new();
    for action in actions {
        let next = match action {
            Action::Pane(token) => {
                if let Some(Keys(last)) = out.last_mut() {
                    last.extend_from_slice(&token.bytes);
                    continue;
                }
                Keys(token.bytes)
            }
            Action::Command(command) => Out::Command(command),
            Action::Detach => Out::Detach,
            Action::Quit => Out::Quit,
            Action::Suspend => Out::Suspend,
            Action::ScrollView(entry) => Out::ScrollView(entry),
            Action::CommandLine(line) => Out::CommandLine(line),
            Action::DescribeKey(key) => Out::DescribeKey(key),
        };
        out.push(next);
    }
    out
}

fn feed(input: &[u8]) -> Vec<Out> {
    Typist::default().feed(input)
}

fn cmd(mux: MuxCommand) -> Vec<Out> {
    vec![Out::Command(mux)]
}

#[test]
fn plain_bytes_pass_through_as_one_keys_event() {
    assert_eq!(feed(b"ls -l\r"), vec![Keys(b"ls -l\r".to_vec())]);
    // Arrows, application-mode arrows and a bracketed paste reach the pane unchanged.
    let raw = b"\x1b[A\x1bOB\x1b[200~pasted\x1b[201~\x1b[<0;3;4M";
    assert_eq!(feed(raw), vec![Keys(raw.to_vec())]);
    assert_eq!(feed(b""), vec![]);
}

#[test]
fn prefix_bindings() {
    use MuxCommand::*;
    let table: [(&[u8], MuxCommand); 17] = [
        (b"}", SwapPane(Step::Down)),
        (b"\x0f", RotateWindow(Step::Up)),
        (b" ", SelectLayout(LayoutChoice::Next)),
        (
            b"\x1b1",
            SelectLayout(LayoutChoice::Preset(Preset::EvenHorizontal)),
        ),
        (b"\x1b5", SelectLayout(LayoutChoice::Preset(Preset::Tiled))),
        (b"%", SplitHorizontal),
        (b"\"", SplitVertical),
        (b"o", NextPane),
        (b"z", ToggleZoom),
        (b"c", NewWindow),
        (b"n", NextWindow),
        (b"p", PreviousWindow),
        (b"0", SelectWindow(0)),
        (b"7", SelectWindow(7)),
        (b"9", SelectWindow(9)),
        (b"\x1b[A", SelectPane(Direction::Up)),
        (b"\x1bOD", SelectPane(Direction::Left)),
    ];
    for (key, expected) in table {
        let input = [&[PREFIX][..], key].concat();
        assert_eq!(feed(&input), cmd(expected), "prefix then {key:?}");
    }
    assert_eq!(
        feed(b"\x02\x1b[B\x02\x1b[C"),
        [
            cmd(MuxCommand::SelectPane(Direction::Down)),
            cmd(MuxCommand::SelectPane(Direction::Right))
        ]
        .concat()
    );
    assert_eq!(feed(b"\x02d"), vec![Out::Detach]);
    assert_eq!(feed(b"\x02\x1a"), vec![Out::Suspend]);
    assert_eq!(feed(b"\x02["), vec![Out::ScrollView(Entry::Bottom)]);
    // Page Up after the prefix opens the view a page up, as tmux's copy-mode -u.
    assert_eq!(feed(b"\x02\x1b[5~"), vec![Out::ScrollView(Entry::PageUp)]);
}

#[test]
fn literal_prefix_and_literal_escape_key() {
    assert_eq!(feed(b"a\x02\x02b"), vec![Keys(b"a\x02b".to_vec())]);
    assert_eq!(feed(b"\x1e\x1e"), vec![Keys(vec![0x1e])]);
    // C-^ before any other key is the pane's, and so is the key.
    assert_eq!(feed(b"\x1ex"), vec![Keys(b"\x1ex".to_vec())]);
    // ... including the prefix, which then works as usual.
    assert_eq!(
        feed(b"\x1e\x02c"),
        vec![Keys(vec![0x1e]), Out::Command(MuxCommand::NewWindow)]
    );
}

#[test]
fn quit_is_immediate_and_stops_nothing_before_it() {
    assert_eq!(
        feed(b"abc\x1e.def"),
        vec![Keys(b"abc".to_vec()), Out::Quit, Keys(b"def".to_vec())]
    );
}

#[test]
fn unbound_prefix_keys_and_sequences_are_dropped() {
    assert_eq!(feed(b"\x02vx"), vec![Keys(b"x".to_vec())]);
    // F5 after the prefix is unbound: its whole sequence goes, not just the ESC.
    assert_eq!(feed(b"\x02\x1b[15~a"), vec![Keys(b"a".to_vec())]);
    // Shift-arrow is not bound either, nor Alt with a key; Ctrl- and Alt-arrows are.
    assert_eq!(feed(b"\x02\x1b[1;2Aa"), vec![Keys(b"a".to_vec())]);
    assert_eq!(
        feed(b"\x02\x1b[1;5A\x02\x1b[1;3D"),
        [
            cmd(MuxCommand::ResizePane(Direction::Up, 1)),
            cmd(MuxCommand::ResizePane(Direction::Left, 5))
        ]
        .concat()
    );
    assert_eq!(feed(b"\x02\x1bla"), vec![Keys(b"a".to_vec())]);
    // The Escape key alone after the prefix, then an ordinary key: the key is the pane's.
    let mut typist = Typist::default();
    assert_eq!(typist.feed(b"\x02\x1b"), vec![]);
    assert_eq!(typist.feed(b"l"), vec![Keys(b"l".to_vec())]);
    // A paste right after the prefix cancels it, and goes to the pane whole.
    let paste = b"\x1b[200~c\x1b[201~";
    assert_eq!(
        feed(&[&[PREFIX][..], paste].concat()),
        vec![Keys(paste.to_vec())]
    );
}

/// A paste that answers the kill-pane question is dropped whole, also when it comes
/// in several reads (found by `splitting_reads_changes_nothing`).
#[test]
fn a_paste_cancelling_a_prompt_is_dropped_whole_across_reads() {
    let mut typist = Typist::default();
    assert_eq!(typist.feed(&[PREFIX, b'x']), vec![]);
    assert_eq!(typist.feed(b"\x1b[200~pasted\x1b[2"), vec![]);
    assert_eq!(typist.feed(b"00~more\x1b[201~"), vec![]);
    assert_eq!(typist.prompt(), None);
    assert_eq!(typist.feed(b"z"), vec![Keys(b"z".to_vec())]);
}

#[test]
fn a_bracketed_paste_is_never_a_binding() {
    let paste = b"\x1b[200~a\x02c\x1e.b\x1b[201~";
    assert_eq!(
        feed(&[&paste[..], b"\x02c"].concat()),
        vec![Keys(paste.to_vec()), Out::Command(MuxCommand::NewWindow)]
    );
    // A near miss of the marker is not a paste, nor one cut by a binding.
    assert_eq!(
        feed(b"\x1b[20\x1b[200x\x02c"),
        vec![
            Keys(b"\x1b[20\x1b[200x".to_vec()),
            Out::Command(MuxCommand::NewWindow)
        ]
    );
    // A paste cut across reads holds bindings off until its end marker.
    let mut typist = Typist::default();
    assert_eq!(
        typist.feed(b"\x1b[200~a\x02"),
        vec![Keys(b"\x1b[200~a\x02".to_vec())]
    );
    assert_eq!(
        typist.feed(b"c\x1b[201~"),
        vec![Keys(b"c\x1b[201~".to_vec())]
    );
    assert_eq!(typist.feed(b"\x02c"), cmd(MuxCommand::NewWindow));
}

#[test]
fn kill_pane_asks_first() {
    let mut typist = Typist::default();
    assert_eq!(typist.feed(b"\x02x"), vec![]);
    assert_eq!(typist.prompt().as_deref(), Some("kill-pane? (y/n)"));
    assert_eq!(typist.feed(b"y"), cmd(MuxCommand::KillPane));
    assert_eq!(typist.prompt(), None);
    assert_eq!(feed(b"\x02xnq"), vec![Keys(b"q".to_vec())]);
    // An arrow answers no, and none of its bytes reach the pane.
    assert_eq!(feed(b"\x02x\x1b[Aq"), vec![Keys(b"q".to_vec())]);
}

fn configured(prefix: &str, binds: &[(&str, &str)]) -> Typist {
    let changes: Vec<_> = binds
        .iter()
        .map(|(key, command)| {
            let binding = parse_binding(command).expect("a command");
            let bound = binding.map(|binding| (binding, command.to_string()));
            (parse_key(key).expect("a key"), bound)
        })
        .collect();
    let prefix = parse_prefix(prefix).expect("a prefix");
    Typist::new(Bindings::new(KeyTable::new(prefix, &changes)))
}

#[test]
fn a_configured_prefix_and_bindings() {
    use MuxCommand::*;
    let binds = [
        ("|", "split-window -h"),
        ("%", "none"),
        ("k", "kill-pane"),
        ("Left", "next-window"),
    ];
    let mut typist = configured("C-a", &binds);
    // The new prefix twice sends it; the old one is the pane's.
    assert_eq!(typist.feed(b"\x01\x01"), vec![Keys(vec![0x01])]);
    assert_eq!(typist.feed(b"\x02x"), vec![Keys(b"\x02x".to_vec())]);
    assert_eq!(typist.feed(b"\x01|"), cmd(SplitHorizontal));
    assert_eq!(typist.feed(b"\x01%z"), vec![Keys(b"z".to_vec())]);
    assert_eq!(typist.feed(b"\x01k"), cmd(KillPane));
    assert_eq!(typist.feed(b"\x01\x1b[D"), cmd(NextWindow));
    // Defaults not changed stay, and so does mosh's escape.
    assert_eq!(typist.feed(b"\x01\""), cmd(SplitVertical));
    assert_eq!(typist.feed(b"\x01x"), vec![]);
    assert_eq!(typist.prompt().as_deref(), Some("kill-pane? (y/n)"));
    assert_eq!(typist.feed(b"n\x1e."), vec![Out::Quit]);
}

#[test]
fn command_prompt_collects_a_line_and_an_empty_one_does_nothing() {
    let mut typist = Typist::default();
    assert_eq!(typist.feed(b"\x02:"), vec![]);
    assert_eq!(typist.prompt().as_deref(), Some(":"));
    assert_eq!(typist.feed(b"split-window -h"), vec![]);
    assert_eq!(typist.prompt().as_deref(), Some(":split-window -h"));
    assert_eq!(
        typist.feed(b"\r"),
        vec![Out::CommandLine("split-window -h".into())]
    );
    assert_eq!(typist.prompt(), None);
    assert_eq!(typist.feed(b"\x02:  \r"), vec![]);
    assert_eq!(typist.prompt(), None);
}

#[test]
fn the_index_prompt_selects_the_window_typed() {
    let mut typist = Typist::default();
    assert_eq!(typist.feed(b"\x02'"), vec![]);
    assert_eq!(typist.prompt().as_deref(), Some("(index) "));
    assert_eq!(typist.feed(b"12\r"), cmd(MuxCommand::SelectWindow(12)));
    assert_eq!(typist.prompt(), None);
    // A name is looked up by the server, as tmux's `select-window -t ':%%'` does; the
    // command line quotes it whatever it holds.
    assert_eq!(
        typist.feed(b"\x02'logs\r"),
        vec![Out::CommandLine("select-window -t ':logs'".into())]
    );
    assert_eq!(
        typist.feed(b"\x02'it's on\r"),
        vec![Out::CommandLine("select-window -t ':it'\\''s on'".into())]
    );
    assert_eq!(typist.prompt(), None);
}

#[test]
fn the_move_prompt_moves_the_window_to_an_index_or_a_session() {
    let mut typist = Typist::default();
    assert_eq!(typist.feed(b"\x02."), vec![]);
    assert_eq!(typist.prompt().as_deref(), Some("(target) "));
    assert_eq!(
        typist.feed(b"5\r"),
        vec![Out::CommandLine("move-window -t ':5'".into())]
    );
    assert_eq!(
        typist.feed(b"\x02.other:2\r"),
        vec![Out::CommandLine("move-window -t 'other:2'".into())]
    );
    assert_eq!(typist.prompt(), None);
}

#[test]
fn the_find_prompt_runs_find_window_with_the_text_quoted() {
    let mut typist = Typist::default();
    assert_eq!(typist.feed(b"\x02f"), vec![]);
    assert_eq!(typist.prompt().as_deref(), Some("(find-window) "));
    assert_eq!(
        typist.feed(b"disk full\r"),
        vec![Out::CommandLine("find-window -Z 'disk full'".into())]
    );
}

#[test]
fn rename_prompt_edits_and_submits() {
    let mut typist = Typist::default();
    assert_eq!(typist.feed(b"\x02,"), vec![]);
    assert_eq!(typist.prompt().as_deref(), Some("(rename-window) "));
    assert_eq!(typist.feed("logs é".as_bytes()), vec![]);
    assert_eq!(typist.prompt().as_deref(), Some("(rename-window) logs é"));
    // Backspace removes the two-byte é whole.
    assert_eq!(typist.feed(b"\x7f\x7fx"), vec![]);
    assert_eq!(typist.prompt().as_deref(), Some("(rename-window) logsx"));
    assert_eq!(
        typist.feed(b"\r"),
        cmd(MuxCommand::RenameWindow(Label::new("logsx")))
    );
    assert_eq!(typist.prompt(), None);
}

#[test]
fn rename_prompts_start_with_the_current_name_as_tmux_s() {
    let mut typist = Typist::default();
    typist.feed(b"\x02,");
    typist.bindings.prefill("vim", "work");
    assert_eq!(typist.prompt().as_deref(), Some("(rename-window) vim"));
    // Only as it opens: what the user typed since stays.
    typist.feed(b"\x7f\x7f");
    typist.bindings.prefill("vim", "work");
    assert_eq!(typist.prompt().as_deref(), Some("(rename-window) v"));
    // C-u clears it for a new name.
    typist.feed(b"\x15");
    assert_eq!(typist.prompt().as_deref(), Some("(rename-window) "));
    typist.feed(b"\x1b");
    typist.feed(b"\x02$");
    typist.bindings.prefill("vim", "work");
    assert_eq!(typist.prompt().as_deref(), Some("(rename-session) work"));
    typist.feed(b"\x1b");
    // Other prompts start empty.
    typist.feed(b"\x02:");
    typist.bindings.prefill("vim", "work");
    assert_eq!(typist.prompt().as_deref(), Some(":"));
}

#[test]
fn rename_prompt_cancels() {
    // Escape, C-c, C-g, or an empty name: no command, and the next key is the pane's.
    for input in [
        &b"\x02,ab\x1b"[..],
        b"\x02,ab\x03",
        b"\x02,ab\x07",
        b"\x02,\r",
    ] {
        let mut typist = Typist::default();
        assert_eq!(typist.feed(input), vec![], "{input:?}");
        assert_eq!(typist.prompt(), None);
        assert_eq!(typist.feed(b"z"), vec![Keys(b"z".to_vec())]);
    }
    // An arrow that cancels the prompt does not leak its tail into the pane.
    assert_eq!(feed(b"\x02,ab\x1b[Az"), vec![Keys(b"z".to_vec())]);
    assert_eq!(
        feed(b"\x02,a\x15b\r"),
        cmd(MuxCommand::RenameWindow(Label::new("b")))
    );
}

proptest! {
    /// However reads split the input (except right after an ESC, where a read ends the
    /// Escape key), the actions are the same.
    #[test]
    fn splitting_reads_changes_nothing(
        input in prop::collection::vec(
            prop_oneof![
                Just(vec![PREFIX]), Just(vec![ESCAPE_KEY]), Just(vec![ESC]),
                Just(b"[A".to_vec()), Just(b"OC".to_vec()), Just(b",".to_vec()),
                Just(b"x".to_vec()), Just(b"y".to_vec()), Just(b"\r".to_vec()),
                Just(b".".to_vec()), Just(b"%".to_vec()), Just(b"3".to_vec()),
                Just("é".as_bytes().to_vec()), Just(vec![0x7f]),
                Just(PASTE_START.to_vec()), Just(PASTE_END.to_vec()),
                any::<u8>().prop_map(|b| vec![b]),
            ],
            0..40,
        ).prop_map(|parts| parts.concat()),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let expected = feed(&input);
        let mut typist = Typist::default();
        let mut actions = Vec::new();
        for piece in reads(&input, &cuts) {
            actions.extend(typist.feed(piece));
        }
        // Joined again: the pane's bytes differ only by where reads were split.
        let mut joined: Vec<Out> = Vec::new();
        for out in actions {
            match (joined.last_mut(), out) {
                (Some(Keys(last)), Keys(more)) => last.extend(more),
                (_, out) => joined.push(out),
            }
        }
        prop_assert_eq!(joined, expected);
    }
}

#[test]
fn prefix_slash_asks_for_a_key_and_describes_it_without_running_it() {
    let mut typist = Typist::default();
    assert_eq!(typist.feed(b"\x02/"), []);
    assert_eq!(typist.prompt().as_deref(), Some("(key) "));
    assert_eq!(typist.feed(b"c"), [Out::DescribeKey(Key::Byte(b'c'))]);
    assert_eq!(typist.prompt(), None);
    assert_eq!(
        typist.feed(b"c"),
        [Keys(b"c".to_vec())],
        "the prompt is gone"
    );
    let table = KeyTable::default();
    assert_eq!(
        table.describe(Key::Byte(b'c')),
        "bind-key -T prefix c new-window"
    );
    assert_eq!(
        table.describe(Key::Byte(b'~')),
        "bind-key -T prefix \\~ show-messages"
    );
    assert_eq!(
        table.describe(Key::Byte(b'Y')),
        "Y is not bound in table prefix"
    );
}

#[test]
fn up_and_down_bring_back_the_lines_run_at_the_prompt() {
    let mut typist = Typist::default();
    typist.feed(b"\x02:split-window\r\x02:list-windows\r\x02:list-windows\r");
    assert_eq!(
        typist.bindings.prompt_history(),
        [
            "History for command:",
            "",
            "1: split-window",
            "2: list-windows"
        ],
        "a line run twice in a row is kept once"
    );
    typist.feed(b"\x02:");
    typist.feed(b"\x1b[A");
    assert_eq!(typist.prompt().as_deref(), Some(":list-windows"));
    typist.feed(b"\x1b[A\x1b[A");
    assert_eq!(
        typist.prompt().as_deref(),
        Some(":split-window"),
        "stops at the oldest"
    );
    typist.feed(b"\x1b[B");
    assert_eq!(typist.prompt().as_deref(), Some(":list-windows"));
    typist.feed(b"\x1b[B");
    assert_eq!(
        typist.prompt().as_deref(),
        Some(":"),
        "past the newest: empty again"
    );
    typist.feed(b"\x1b[A -h");
    assert_eq!(
        typist.feed(b"\r"),
        [Out::CommandLine("list-windows -h".to_owned())]
    );
    typist.bindings.clear_prompt_history();
    typist.feed(b"\x02:\x1b[A");
    assert_eq!(typist.prompt().as_deref(), Some(":"));
}
