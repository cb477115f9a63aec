use std::sync::Arc;

use moshmux_proto::screen::{ClipboardCopy, PaneScreen, PaneView, Rect, WindowInfo};
use moshmux_proto::{HostState, Label, PaneId};

use super::*;

/// Session `s` with windows 0 (`sh`, shown) and 1 (`top`), their newest bells, the
/// focused pane titled `title`, and `copy` as the newest copy.
fn state(bells: [u64; 2], title: &str, copy: Option<(u64, &[u8])>) -> HostState {
    let window = |index: u32, name: &str| WindowInfo {
        id: index,
        index,
        name: Label::new(name),
        active: index == 0,
        bell: bells[index as usize],
    };
    let mut screen = PaneScreen::new(2, 4).expect("a screen");
    screen.title = Label::new(title);
    HostState {
        session: Label::new("s"),
        windows: vec![window(0, "sh"), window(1, "top")],
        panes: vec![PaneView {
            pane: PaneId(5),
            rect: Rect {
                x: 0,
                y: 0,
                cols: 4,
                rows: 2,
            },
            active: true,
            zoomed: false,
        }],
        screens: [(PaneId(5), screen)].into(),
        clipboard: copy.and_then(|(number, data)| {
            ClipboardCopy::new(number, "c", data.to_vec()).map(Arc::new)
        }),
        ..HostState::default()
    }
}

/// What each state in turn asks of the terminal.
fn outputs(config: AlertConfig, states: &[HostState]) -> Vec<String> {
    let mut alerts = Alerts::new(config);
    states
        .iter()
        .map(|state| {
            let mut out = Vec::new();
            alerts.follow(state, &mut out);
            String::from_utf8(out).expect("UTF-8")
        })
        .collect()
}

#[test]
fn a_bell_rings_once_and_not_for_what_came_before_the_first_state() {
    let states = [
        state([3, 0], "", None),
        state([3, 0], "", None),
        state([4, 0], "", None),
        state([4, 0], "", None),
        // Two bells in a state the link skipped arrive as one, with the next.
        state([4, 6], "", None),
    ];
    assert_eq!(
        outputs(AlertConfig::default(), &states),
        ["", "", "\x07", "", "\x07"]
    );
}

#[test]
fn bell_action_picks_the_windows_whose_bells_ring() {
    let states = [
        state([0, 0], "", None),
        state([1, 0], "", None),
        state([1, 2], "", None),
    ];
    let with = |bell_action| AlertConfig {
        bell_action,
        ..AlertConfig::default()
    };
    assert_eq!(
        outputs(with(BellAction::Any), &states),
        ["", "\x07", "\x07"]
    );
    assert_eq!(outputs(with(BellAction::None), &states), ["", "", ""]);
    assert_eq!(
        outputs(with(BellAction::Current), &states),
        ["", "\x07", ""]
    );
    assert_eq!(outputs(with(BellAction::Other), &states), ["", "", "\x07"]);
}

#[test]
fn a_program_copy_reaches_the_terminal_once_with_set_clipboard_on_only() {
    let states = [
        state([0, 0], "", Some((2, b"old"))),
        state([0, 0], "", Some((2, b"old"))),
        state([0, 0], "", Some((3, b"hi"))),
        // A bell numbered above it does not bring the copy back.
        state([4, 0], "", Some((3, b"hi"))),
    ];
    let with = |set_clipboard| AlertConfig {
        set_clipboard,
        ..AlertConfig::default()
    };
    assert_eq!(
        outputs(with(SetClipboard::On), &states),
        ["", "", "\x1b]52;c;aGk=\x07", "\x07"]
    );
    for setting in [SetClipboard::External, SetClipboard::Off] {
        assert_eq!(outputs(with(setting), &states), ["", "", "", "\x07"]);
    }
    assert!(Alerts::new(with(SetClipboard::External)).copies_allowed());
    assert!(!Alerts::new(with(SetClipboard::Off)).copies_allowed());
}

#[test]
fn set_titles_writes_tmuxs_default_title_when_it_changes() {
    let titles = AlertConfig {
        set_titles: true,
        ..AlertConfig::default()
    };
    let states = [
        state([0, 0], "vim", None),
        state([0, 0], "vim", None),
        state([0, 0], "vim \x1b]x", None),
    ];
    assert_eq!(
        outputs(titles, &states),
        [
            "\x1b]2;s:0:sh - \"vim\"\x07",
            "",
            "\x1b]2;s:0:sh - \"vim \u{fffd}]x\"\x07"
        ]
    );
    assert_eq!(
        outputs(AlertConfig::default(), &states),
        ["", "", ""],
        "set-titles is off by default, as in tmux"
    );
    // A state of no session (before the first, or the last) changes nothing.
    assert_eq!(outputs(titles, &[HostState::default()]), [""]);
}
