//! The user stream's wire format, diffs under reordering and loss, and its limits.

use super::*;
use crate::layouts::Preset;
use proptest::prelude::*;

fn event() -> impl Strategy<Value = UserEvent> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..3 * MAX_KEYS_LEN).prop_map(UserEvent::Keys),
        (any::<u16>(), any::<u16>()).prop_map(|(rows, cols)| UserEvent::Resize { rows, cols }),
        Just(UserEvent::Command(MuxCommand::SplitVertical)),
        any::<u32>().prop_map(|i| UserEvent::Command(MuxCommand::SelectWindow(i))),
        ".*".prop_map(|name| UserEvent::Command(MuxCommand::RenameWindow(Label::new(&name)))),
        (
            prop::collection::vec(any::<u8>(), 0..2 * MAX_KEYS_LEN),
            any::<bool>()
        )
            .prop_map(|(piece, last)| UserEvent::Copied { piece, last }),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Push(UserEvent),
    /// Send the newest state, diffed from the sent state this picks.
    Send(prop::sample::Index),
    /// The receiver acknowledges the sent state this picks.
    Ack(prop::sample::Index),
    Take,
    /// The scroll view moves (or closes), and a search is asked for.
    Requests(Option<ScrollRequest>, Option<SearchRequest>),
}

fn requests() -> impl Strategy<Value = (Option<ScrollRequest>, Option<SearchRequest>)> {
    let scroll = (any::<u32>(), any::<u64>(), 0..=crate::screen::MAX_ROWS).prop_map(
        |(pane, first, rows)| ScrollRequest {
            pane: PaneId(pane),
            first: LineNumber(first),
            rows,
        },
    );
    let search =
        (any::<(u32, u32, bool, u64)>(), ".{0,8}").prop_map(|((id, pane, older, from), needle)| {
            SearchRequest {
                id,
                pane: PaneId(pane),
                needle: Label::new(&needle),
                direction: if older {
                    SearchDirection::Older
                } else {
                    SearchDirection::Newer
                },
                from: LineNumber(from),
            }
        });
    (prop::option::of(scroll), prop::option::of(search))
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        event().prop_map(Step::Push),
        any::<prop::sample::Index>().prop_map(Step::Send),
        any::<prop::sample::Index>().prop_map(Step::Ack),
        Just(Step::Take),
        requests().prop_map(|(scroll, search)| Step::Requests(scroll, search)),
    ]
}

/// Sender and receiver as SSP runs them: the sender keeps the states it sent (the first
/// is the acknowledged one) and diffs from any of them; both subtract on
/// acknowledgement; the receiver hands the application the newest state minus what it
/// took before.
struct Link {
    current: UserStream,
    sent: Vec<UserStream>,
    received: Vec<UserStream>,
    taken: UserStream,
    delivered: Vec<UserEvent>,
}

impl Link {
    fn new() -> Self {
        Link {
            current: UserStream::default(),
            sent: vec![UserStream::default()],
            received: vec![UserStream::default()],
            taken: UserStream::default(),
            delivered: Vec::new(),
        }
    }

    fn send(&mut self, base: usize) -> Result<(), DiffError> {
        let diff = self.current.diff_from(&self.sent[base]);
        let mut state = self.received[base].clone();
        state.apply(&diff)?;
        self.sent.push(self.current.clone());
        self.received.push(state);
        Ok(())
    }

    /// The sender forgets what the receiver holds; the receiver only forgets states
    /// older than the acknowledged one (its throwaway number).
    fn ack(&mut self, upto: usize) {
        self.sent.drain(..upto);
        self.received.drain(..upto);
        let acked = self.sent[0].clone();
        self.current.subtract(&acked);
        self.sent.iter_mut().for_each(|s| s.subtract(&acked));
    }

    fn take(&mut self) {
        let newest = self.received[self.received.len() - 1].clone();
        let mut update = newest.clone();
        update.subtract(&self.taken);
        self.taken = newest;
        self.delivered.extend_from_slice(update.events());
        let oldest = self.received[0].clone();
        self.received.iter_mut().for_each(|s| s.subtract(&oldest));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the order of pushes, sends from any base, acknowledgements and takes,
    /// the receiver's application gets every event once, in order, and after a send
    /// holds the sender's newest requests, never an older one.
    #[test]
    fn events_arrive_exactly_once_in_order(steps in prop::collection::vec(step(), 0..60)) {
        let mut link = Link::new();
        let mut expected = UserStream::default();
        for step in steps {
            match step {
                Step::Push(event) => {
                    expected.push(event.clone());
                    link.current.push(event);
                }
                Step::Send(base) => {
                    link.send(base.index(link.sent.len())).unwrap();
                    let received = &link.received[link.received.len() - 1];
                    prop_assert_eq!(received.scroll, link.current.scroll);
                    prop_assert_eq!(&received.search, &link.current.search);
                }
                Step::Ack(upto) => link.ack(upto.index(link.sent.len())),
                Step::Take => link.take(),
                Step::Requests(scroll, search) => {
                    link.current.scroll = scroll;
                    link.current.search = search;
                }
            }
            prop_assert!(link.current.events().len() as u64
                <= link.current.pushed() - link.sent[0].pushed());
        }
        link.send(0).unwrap();
        link.take();
        prop_assert_eq!(link.delivered, expected.events());
    }

    #[test]
    fn random_bytes_never_panic(bytes: Vec<u8>) {
        let mut stream = UserStream::default();
        stream.push(UserEvent::Keys(b"ls".to_vec()));
        let _ = stream.apply(&bytes);
    }
}

#[test]
fn big_pastes_are_split_and_empty_keys_dropped() {
    let paste: Vec<u8> = (0..2 * MAX_KEYS_LEN + 10).map(|i| i as u8).collect();
    let mut stream = UserStream::default();
    stream.push(UserEvent::Keys(paste.clone()));
    stream.push(UserEvent::Keys(Vec::new()));
    let mut joined = Vec::new();
    for event in stream.events() {
        let UserEvent::Keys(keys) = event else {
            panic!("only keys were pushed")
        };
        assert!(keys.len() <= MAX_KEYS_LEN);
        joined.extend_from_slice(keys);
    }
    assert_eq!(stream.events().len(), 3);
    assert_eq!(joined, paste);
}

#[test]
fn a_diff_for_another_state_is_refused() {
    let mut typed = UserStream::default();
    typed.push(UserEvent::Keys(b"a".to_vec()));
    let mut other = UserStream::default();
    other.push(UserEvent::Keys(b"b".to_vec()));
    let mut newer = typed.clone();
    newer.push(UserEvent::Keys(b"c".to_vec()));
    let diff = newer.diff_from(&typed);
    assert!(other.clone().apply(&diff).is_err());
    assert!(UserStream::default().apply(&diff).is_err());
    let mut applied = typed.clone();
    applied.apply(&diff).unwrap();
    assert_eq!(applied, newer);
}

#[test]
fn oversized_keys_and_views_from_a_peer_are_refused() {
    let diff = codec::encode(&StreamDiff {
        base_len: 0,
        base_fingerprint: 0,
        first: 0,
        events: vec![UserEvent::Keys(vec![b'x'; MAX_KEYS_LEN + 1])],
        scroll: None,
        search: None,
        tree: None,
    });
    assert!(UserStream::default().apply(&diff).is_err());
    let tall = ScrollRequest {
        pane: PaneId(1),
        first: LineNumber(0),
        rows: crate::screen::MAX_ROWS + 1,
    };
    let stream = UserStream {
        scroll: Some(tall),
        ..UserStream::default()
    };
    let diff = stream.diff_from(&UserStream::default());
    assert!(UserStream::default().apply(&diff).is_err());
}

/// A request changed alone is a change; the diff from an old base carries only the
/// newest request, so the ones in between are never sent.
#[test]
fn only_the_newest_request_travels() {
    let old = UserStream::default();
    let mut new = old.clone();
    for first in 0..50 {
        new.scroll = Some(ScrollRequest {
            pane: PaneId(3),
            first: LineNumber(first),
            rows: 23,
        });
    }
    let diff = new.diff_from(&old);
    assert!(diff.len() < 16, "{} bytes", diff.len());
    let mut applied = old.clone();
    applied.apply(&diff).unwrap();
    assert_eq!(applied, new);
    assert_eq!(applied.scroll.map(|s| s.first), Some(LineNumber(49)));
    new.scroll = None;
    assert!(!new.diff_from(&applied).is_empty());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Pins the encoding of every variant of the user-stream wire enums: reordering or
/// inserting a variant fails here. New variants go last, with a line here (the
/// `match`es fail to compile until then).
#[test]
fn golden_bytes() {
    let commands = [
        MuxCommand::SplitHorizontal,
        MuxCommand::SplitVertical,
        MuxCommand::SelectPane(Direction::Up),
        MuxCommand::NextPane,
        MuxCommand::ToggleZoom,
        MuxCommand::KillPane,
        MuxCommand::NewWindow,
        MuxCommand::NextWindow,
        MuxCommand::PreviousWindow,
        MuxCommand::SelectWindow(5),
        MuxCommand::RenameWindow(Label::new("w")),
        MuxCommand::Detach,
        MuxCommand::SelectPaneById(PaneId(7)),
        MuxCommand::ResizePane(Direction::Left, 5),
        MuxCommand::LastWindow,
        MuxCommand::LastPane,
        MuxCommand::KillWindow,
        MuxCommand::RenameSession(Label::new("s")),
        MuxCommand::SelectLayout(LayoutChoice::Preset(Preset::Tiled)),
        MuxCommand::SelectLayout(LayoutChoice::Next),
        MuxCommand::SwapPane(crate::layouts::Step::Down),
        MuxCommand::RotateWindow(crate::layouts::Step::Up),
        MuxCommand::CommandLine(Label::new("ls")),
    ];
    let expected = [
        "00", "01", "0202", "03", "04", "05", "06", "07", "08", "0905", "0a0177", "0b", "0c07",
        "0d0005", "0e", "0f", "10", "110173", "120004", "1201", "1301", "1400", "15026c73",
    ];
    for (command, expected) in commands.into_iter().zip(expected) {
        match command {
            MuxCommand::SplitHorizontal
            | MuxCommand::SplitVertical
            | MuxCommand::SelectPane(_)
            | MuxCommand::NextPane
            | MuxCommand::ToggleZoom
            | MuxCommand::KillPane
            | MuxCommand::NewWindow
            | MuxCommand::NextWindow
            | MuxCommand::PreviousWindow
            | MuxCommand::SelectWindow(_)
            | MuxCommand::RenameWindow(_)
            | MuxCommand::Detach
            | MuxCommand::SelectPaneById(_)
            | MuxCommand::ResizePane(..)
            | MuxCommand::LastWindow
            | MuxCommand::LastPane
            | MuxCommand::KillWindow
            | MuxCommand::RenameSession(_)
            | MuxCommand::SelectLayout(_)
            | MuxCommand::SwapPane(_)
            | MuxCommand::RotateWindow(_)
            | MuxCommand::CommandLine(_) => {}
        }
        assert_eq!(hex(&codec::encode(&command)), expected, "{command:?}");
    }
    let events = [
        (UserEvent::Keys(b"a".to_vec()), "000161"),
        (UserEvent::Resize { rows: 24, cols: 80 }, "011850"),
        (UserEvent::Command(MuxCommand::Detach), "020b"),
        (
            UserEvent::Copied {
                piece: b"a".to_vec(),
                last: true,
            },
            "03016101",
        ),
    ];
    for (event, expected) in events {
        match event {
            UserEvent::Keys(_)
            | UserEvent::Resize { .. }
            | UserEvent::Command(_)
            | UserEvent::Copied { .. } => {}
        }
        assert_eq!(hex(&codec::encode(&event)), expected, "{event:?}");
    }
    let directions = [
        Direction::Left,
        Direction::Right,
        Direction::Up,
        Direction::Down,
    ];
    for (index, direction) in directions.into_iter().enumerate() {
        match direction {
            Direction::Left | Direction::Right | Direction::Up | Direction::Down => {}
        }
        assert_eq!(codec::encode(&direction), [index as u8]);
    }
    for (index, direction) in [SearchDirection::Older, SearchDirection::Newer]
        .into_iter()
        .enumerate()
    {
        match direction {
            SearchDirection::Older | SearchDirection::Newer => {}
        }
        assert_eq!(codec::encode(&direction), [index as u8]);
    }
    let stream = UserStream {
        scroll: Some(ScrollRequest {
            pane: PaneId(2),
            first: LineNumber(300),
            rows: 23,
        }),
        search: Some(SearchRequest {
            id: 1,
            pane: PaneId(2),
            needle: Label::new("x"),
            direction: SearchDirection::Newer,
            from: LineNumber(5),
        }),
        tree: Some(TreeRequest {
            preview: Some(PaneId(3)),
            filter: Some(Label::new("f")),
        }),
        ..UserStream::default()
    };
    assert_eq!(
        hex(&stream.diff_from(&UserStream::default())),
        "00 00 00 00 01 02fb2c0117 01 01 02 0178 01 05 01 01 03 01 0166".replace(' ', "")
    );
}
