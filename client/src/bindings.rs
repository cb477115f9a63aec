//! The client's key bindings: raw bytes from the terminal in, actions out.
//!
//! A pure state machine, so that every binding, and every way a read can split a key
//! sequence, is tested without a terminal. Bytes that are not bindings pass through
//! unchanged: the focused pane gets exactly what the terminal produced, whatever mode
//! (application cursor, bracketed paste, mouse) made it.

use moshmux_proto::user::Direction;
use moshmux_proto::{Label, MuxCommand};

use crate::key_table::{Binding, Key, KeyTable, ESCAPE_KEY};

const ESC: u8 = 0x1b;
/// Longest escape sequence we parse after the prefix; longer ones are dropped unparsed.
const MAX_SEQUENCE: usize = 32;
/// Longest window name the rename prompt collects.
const MAX_PROMPT_BYTES: usize = 256;
/// Bracketed paste markers (when the pane asked for them, the renderer turned them on in
/// the terminal): a paste goes to the pane whole, even the bytes that are bindings.
const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Bytes for the focused pane.
    Keys(Vec<u8>),
    Command(MuxCommand),
    /// Tell the server we leave, then exit (prefix `d`).
    Detach,
    /// Exit at once (`C-^ .`).
    Quit,
    /// Open the scroll view of the focused pane (prefix `[`).
    ScrollView,
}

/// What an escape sequence is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SequencePurpose {
    /// The key pressed after the prefix: an arrow selects a pane.
    PrefixKey,
    /// A key that cancelled the prompt: the rest of its sequence must not reach the pane.
    Discard,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum State {
    #[default]
    Normal,
    /// Inside a bracketed paste.
    Paste,
    Prefix,
    /// Inside an escape sequence; the bytes so far, ESC included.
    Sequence(SequencePurpose, Vec<u8>),
    /// After C-^.
    EscapeKey,
    /// Collecting a new window name.
    Rename(Vec<u8>),
    /// Waiting for `y` to kill the focused pane.
    ConfirmKill,
}

#[derive(Debug, Clone, Default)]
pub struct Bindings {
    state: State,
    /// How much of the next paste marker the pane bytes so far end with.
    marker: usize,
    table: KeyTable,
}

impl Bindings {
    pub fn new(table: KeyTable) -> Bindings {
        Bindings {
            table,
            ..Bindings::default()
        }
    }

    /// Takes the bytes of one read and returns what they mean, in order. Consecutive pane
    /// bytes come out as one `Keys`.
    pub fn feed(&mut self, input: &[u8]) -> Vec<Action> {
        let mut actions = Vec::new();
        for &byte in input {
            self.step(byte, &mut actions);
        }
        actions
    }

    /// The prompt to show on the status line, if one is open.
    pub fn prompt(&self) -> Option<String> {
        match &self.state {
            State::Rename(name) => {
                Some(format!("(rename-window) {}", String::from_utf8_lossy(name)))
            }
            State::ConfirmKill => Some("kill-pane? (y/n)".to_owned()),
            _ => None,
        }
    }

    fn step(&mut self, byte: u8, actions: &mut Vec<Action>) {
        let state = std::mem::replace(&mut self.state, State::Normal);
        self.state = match state {
            State::Normal => match byte {
                // The pane bytes around a binding are not one marker. The escape key is
                // never a prefix, so it is looked at first.
                ESCAPE_KEY => {
                    self.marker = 0;
                    State::EscapeKey
                }
                _ if byte == self.table.prefix() => {
                    self.marker = 0;
                    State::Prefix
                }
                _ => {
                    keys(actions, &[byte]);
                    if advance(&mut self.marker, PASTE_START, byte) {
                        State::Paste
                    } else {
                        State::Normal
                    }
                }
            },
            State::Paste => {
                keys(actions, &[byte]);
                if advance(&mut self.marker, PASTE_END, byte) {
                    State::Normal
                } else {
                    State::Paste
                }
            }
            State::Prefix => self.prefix_key(byte, actions),
            State::EscapeKey => match byte {
                b'.' => {
                    actions.push(Action::Quit);
                    State::Normal
                }
                ESCAPE_KEY => {
                    keys(actions, &[ESCAPE_KEY]);
                    State::Normal
                }
                _ => {
                    // Not an escape: the C-^ was meant for the pane, and so is this key.
                    keys(actions, &[ESCAPE_KEY]);
                    self.step(byte, actions);
                    return;
                }
            },
            State::Sequence(purpose, mut bytes) => {
                bytes.push(byte);
                match sequence_status(&bytes) {
                    Sequence::Incomplete => State::Sequence(purpose, bytes),
                    Sequence::Complete => match (purpose, arrow(&bytes)) {
                        (SequencePurpose::PrefixKey, Some(direction)) => {
                            self.run(Key::Arrow(direction), actions)
                        }
                        _ => State::Normal,
                    },
                    Sequence::LoneEscape => {
                        // A lone ESC: it was the whole key, and this byte is the next one.
                        self.step(byte, actions);
                        return;
                    }
                }
            }
            State::Rename(name) => return self.rename_key(name, byte, actions),
            State::ConfirmKill => {
                if byte == b'y' || byte == b'Y' {
                    command(actions, MuxCommand::KillPane);
                }
                State::Normal
            }
        };
    }

    fn prefix_key(&mut self, byte: u8, actions: &mut Vec<Action>) -> State {
        if byte == ESC {
            return State::Sequence(SequencePurpose::PrefixKey, vec![ESC]);
        }
        self.run(Key::Byte(byte), actions)
    }

    /// Runs what `key` after the prefix is bound to; unbound keys are dropped, as in tmux.
    fn run(&self, key: Key, actions: &mut Vec<Action>) -> State {
        match self.table.get(key) {
            None => {}
            Some(Binding::Command(mux)) => command(actions, mux.clone()),
            Some(Binding::ConfirmKillPane) => return State::ConfirmKill,
            Some(Binding::RenameWindow) => return State::Rename(Vec::new()),
            Some(Binding::Detach) => actions.push(Action::Detach),
            Some(Binding::CopyMode) => actions.push(Action::ScrollView),
            Some(Binding::SendPrefix) => keys(actions, &[self.table.prefix()]),
        }
        State::Normal
    }

    fn rename_key(&mut self, mut name: Vec<u8>, byte: u8, actions: &mut Vec<Action>) {
        self.state = match byte {
            b'\r' | b'\n' => {
                let name = String::from_utf8_lossy(&name);
                if !name.is_empty() {
                    command(actions, MuxCommand::RenameWindow(Label::new(&name)));
                }
                State::Normal
            }
            ESC => State::Sequence(SequencePurpose::Discard, vec![ESC]),
            // C-c and C-g cancel, as in tmux's prompt.
            0x03 | 0x07 => State::Normal,
            // Backspace removes a whole character: continuation bytes, then the lead.
            0x7f | 0x08 => {
                while name.pop().is_some_and(|b| b & 0xc0 == 0x80) {}
                State::Rename(name)
            }
            // C-u clears.
            0x15 => State::Rename(Vec::new()),
            byte if byte < 0x20 => State::Rename(name),
            byte => {
                if name.len() < MAX_PROMPT_BYTES {
                    name.push(byte);
                }
                State::Rename(name)
            }
        };
    }
}

/// Moves `progress` along `pattern` by one byte; true when the pattern is complete. The
/// markers start with ESC and hold no other, so a mismatch restarts at ESC or at zero.
fn advance(progress: &mut usize, pattern: &[u8], byte: u8) -> bool {
    *progress = if pattern.get(*progress) == Some(&byte) {
        *progress + 1
    } else {
        usize::from(pattern.first() == Some(&byte))
    };
    if *progress == pattern.len() {
        *progress = 0;
        return true;
    }
    false
}

enum Sequence {
    Incomplete,
    Complete,
    LoneEscape,
}

/// Where an escape sequence stands: CSI (`ESC [` parameters, intermediates, a final byte)
/// or SS3 (`ESC O` and one byte), the two forms arrow keys take.
fn sequence_status(bytes: &[u8]) -> Sequence {
    match bytes {
        [ESC] => Sequence::Incomplete,
        [ESC, b'[' | b'O'] => Sequence::Incomplete,
        [ESC, b'O', _] => Sequence::Complete,
        [ESC, b'[', .., last] if (0x40..=0x7e).contains(last) => Sequence::Complete,
        [ESC, b'[', ..] if bytes.len() >= MAX_SEQUENCE => Sequence::Complete,
        [ESC, b'[', .., last] if (0x20..=0x3f).contains(last) => Sequence::Incomplete,
        // A byte that cannot continue a CSI ends it, malformed; it is dropped with it.
        [ESC, b'[', ..] => Sequence::Complete,
        _ => Sequence::LoneEscape,
    }
}

fn arrow(sequence: &[u8]) -> Option<Direction> {
    let last = match sequence {
        [ESC, b'[' | b'O', last] => *last,
        _ => return None,
    };
    match last {
        b'A' => Some(Direction::Up),
        b'B' => Some(Direction::Down),
        b'C' => Some(Direction::Right),
        b'D' => Some(Direction::Left),
        _ => None,
    }
}

/// Appends pane bytes, joining them to a `Keys` just before.
fn keys(actions: &mut Vec<Action>, bytes: &[u8]) {
    if let Some(Action::Keys(last)) = actions.last_mut() {
        last.extend_from_slice(bytes);
    } else {
        actions.push(Action::Keys(bytes.to_vec()));
    }
}

fn command(actions: &mut Vec<Action>, mux: MuxCommand) {
    actions.push(Action::Command(mux));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_table::{parse_binding, parse_key, parse_prefix, DEFAULT_PREFIX as PREFIX};
    use proptest::prelude::*;

    fn feed(input: &[u8]) -> Vec<Action> {
        Bindings::default().feed(input)
    }

    fn cmd(mux: MuxCommand) -> Vec<Action> {
        vec![Action::Command(mux)]
    }

    #[test]
    fn plain_bytes_pass_through_as_one_keys_event() {
        assert_eq!(feed(b"ls -l\r"), vec![Action::Keys(b"ls -l\r".to_vec())]);
        // Arrows, application-mode arrows and a bracketed paste reach the pane unchanged.
        let raw = b"\x1b[A\x1bOB\x1b[200~pasted\x1b[201~\x1b[<0;3;4M";
        assert_eq!(feed(raw), vec![Action::Keys(raw.to_vec())]);
        assert_eq!(feed(b""), vec![]);
    }

    #[test]
    fn prefix_bindings() {
        use MuxCommand::*;
        let table: [(&[u8], MuxCommand); 12] = [
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
        assert_eq!(feed(b"\x02d"), vec![Action::Detach]);
        assert_eq!(feed(b"\x02["), vec![Action::ScrollView]);
    }

    #[test]
    fn literal_prefix_and_literal_escape_key() {
        assert_eq!(feed(b"a\x02\x02b"), vec![Action::Keys(b"a\x02b".to_vec())]);
        assert_eq!(feed(b"\x1e\x1e"), vec![Action::Keys(vec![0x1e])]);
        // C-^ before any other key is the pane's, and so is the key.
        assert_eq!(feed(b"\x1ex"), vec![Action::Keys(b"\x1ex".to_vec())]);
        // ... including the prefix, which then works as usual.
        assert_eq!(
            feed(b"\x1e\x02c"),
            vec![
                Action::Keys(vec![0x1e]),
                Action::Command(MuxCommand::NewWindow)
            ]
        );
    }

    #[test]
    fn quit_is_immediate_and_stops_nothing_before_it() {
        assert_eq!(
            feed(b"abc\x1e.def"),
            vec![
                Action::Keys(b"abc".to_vec()),
                Action::Quit,
                Action::Keys(b"def".to_vec())
            ]
        );
    }

    #[test]
    fn unbound_prefix_keys_and_sequences_are_dropped() {
        assert_eq!(feed(b"\x02qx"), vec![Action::Keys(b"x".to_vec())]);
        // F5 after the prefix is unbound: its whole sequence goes, not just the ESC.
        assert_eq!(feed(b"\x02\x1b[15~a"), vec![Action::Keys(b"a".to_vec())]);
        // Ctrl-arrow (with modifiers) is not bound either.
        assert_eq!(feed(b"\x02\x1b[1;5Aa"), vec![Action::Keys(b"a".to_vec())]);
        // ESC alone after the prefix, then an ordinary key: the key reaches the pane.
        assert_eq!(feed(b"\x02\x1bl"), vec![Action::Keys(b"l".to_vec())]);
    }

    #[test]
    fn a_bracketed_paste_is_never_a_binding() {
        let paste = b"\x1b[200~a\x02c\x1e.b\x1b[201~";
        assert_eq!(
            feed(&[&paste[..], b"\x02c"].concat()),
            vec![
                Action::Keys(paste.to_vec()),
                Action::Command(MuxCommand::NewWindow)
            ]
        );
        // A near miss of the marker is not a paste, nor one cut by a binding.
        assert_eq!(
            feed(b"\x1b[20\x1b[200x\x02c"),
            vec![
                Action::Keys(b"\x1b[20\x1b[200x".to_vec()),
                Action::Command(MuxCommand::NewWindow)
            ]
        );
        assert_eq!(
            feed(b"\x1b[20\x02c0~\x02c"),
            vec![
                Action::Keys(b"\x1b[20".to_vec()),
                Action::Command(MuxCommand::NewWindow),
                Action::Keys(b"0~".to_vec()),
                Action::Command(MuxCommand::NewWindow)
            ]
        );
    }

    #[test]
    fn kill_pane_asks_first() {
        let mut bindings = Bindings::default();
        assert_eq!(bindings.feed(b"\x02x"), vec![]);
        assert_eq!(bindings.prompt().as_deref(), Some("kill-pane? (y/n)"));
        assert_eq!(bindings.feed(b"y"), cmd(MuxCommand::KillPane));
        assert_eq!(bindings.prompt(), None);
        assert_eq!(feed(b"\x02xnq"), vec![Action::Keys(b"q".to_vec())]);
    }

    fn configured(prefix: &str, binds: &[(&str, &str)]) -> Bindings {
        let changes: Vec<_> = binds
            .iter()
            .map(|(key, command)| {
                (
                    parse_key(key).expect("a key"),
                    parse_binding(command).expect("a command"),
                )
            })
            .collect();
        let prefix = parse_prefix(prefix).expect("a prefix");
        Bindings::new(KeyTable::new(prefix, &changes))
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
        let mut bindings = configured("C-a", &binds);
        // The new prefix twice sends it; the old one is the pane's.
        assert_eq!(bindings.feed(b"\x01\x01"), vec![Action::Keys(vec![0x01])]);
        assert_eq!(
            bindings.feed(b"\x02x"),
            vec![Action::Keys(b"\x02x".to_vec())]
        );
        assert_eq!(bindings.feed(b"\x01|"), cmd(SplitHorizontal));
        assert_eq!(bindings.feed(b"\x01%z"), vec![Action::Keys(b"z".to_vec())]);
        assert_eq!(bindings.feed(b"\x01k"), cmd(KillPane));
        assert_eq!(bindings.feed(b"\x01\x1b[D"), cmd(NextWindow));
        // Defaults not changed stay, and so does mosh's escape.
        assert_eq!(bindings.feed(b"\x01\""), cmd(SplitVertical));
        assert_eq!(bindings.feed(b"\x01x"), vec![]);
        assert_eq!(bindings.prompt().as_deref(), Some("kill-pane? (y/n)"));
        assert_eq!(bindings.feed(b"n\x1e."), vec![Action::Quit]);
    }

    #[test]
    fn rename_prompt_edits_and_submits() {
        let mut bindings = Bindings::default();
        assert_eq!(bindings.feed(b"\x02,"), vec![]);
        assert_eq!(bindings.prompt().as_deref(), Some("(rename-window) "));
        assert_eq!(bindings.feed("logs é".as_bytes()), vec![]);
        assert_eq!(bindings.prompt().as_deref(), Some("(rename-window) logs é"));
        // Backspace removes the two-byte é whole.
        assert_eq!(bindings.feed(b"\x7f\x7fx"), vec![]);
        assert_eq!(bindings.prompt().as_deref(), Some("(rename-window) logsx"));
        assert_eq!(
            bindings.feed(b"\r"),
            cmd(MuxCommand::RenameWindow(Label::new("logsx")))
        );
        assert_eq!(bindings.prompt(), None);
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
            let mut bindings = Bindings::default();
            assert_eq!(bindings.feed(input), vec![], "{input:?}");
            assert_eq!(bindings.prompt(), None);
            assert_eq!(bindings.feed(b"z"), vec![Action::Keys(b"z".to_vec())]);
        }
        // An arrow that cancels the prompt does not leak its tail into the pane.
        assert_eq!(feed(b"\x02,ab\x1b[Az"), vec![Action::Keys(b"z".to_vec())]);
        assert_eq!(
            feed(b"\x02,a\x15b\r"),
            cmd(MuxCommand::RenameWindow(Label::new("b")))
        );
    }

    fn all_at_once(input: &[u8]) -> Vec<Action> {
        merge_keys(feed(input))
    }

    /// Joins adjacent `Keys`, which differ only by where reads were split.
    fn merge_keys(actions: Vec<Action>) -> Vec<Action> {
        let mut merged = Vec::new();
        for action in actions {
            match action {
                Action::Keys(bytes) => keys(&mut merged, &bytes),
                other => merged.push(other),
            }
        }
        merged
    }

    proptest! {
        /// However reads split the input, the actions are the same.
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
            let expected = all_at_once(&input);
            let mut points: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
            points.sort_unstable();
            let mut bindings = Bindings::default();
            let mut actions = Vec::new();
            let mut start = 0;
            for point in points.into_iter().chain([input.len()]) {
                actions.extend(bindings.feed(&input[start..point]));
                start = point;
            }
            prop_assert_eq!(merge_keys(actions), expected);
        }
    }
}
