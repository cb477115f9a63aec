use super::*;

/// Two panes side by side in an 80x23 area: the left one (1-based columns 1..=40) runs a
/// shell, the right one (42..=80) whatever a test gives it.
fn panes(right: Modes, right_focused: bool) -> [PaneSpot; 2] {
    [
        PaneSpot {
            pane: PaneId(1),
            rect: Rect {
                x: 0,
                y: 0,
                cols: 40,
                rows: 23,
            },
            modes: Modes::default(),
            focused: !right_focused,
        },
        PaneSpot {
            pane: PaneId(2),
            rect: Rect {
                x: 41,
                y: 0,
                cols: 39,
                rows: 23,
            },
            modes: right,
            focused: right_focused,
        },
    ]
}

fn sgr_mouse(mode: MouseMode) -> Modes {
    Modes {
        mouse: mode,
        mouse_encoding: MouseEncoding::Sgr,
        ..Modes::default()
    }
}

fn press(button: u32, x: u32, y: u32) -> Report {
    Report {
        button,
        x,
        y,
        release: false,
    }
}

fn release(button: u32, x: u32, y: u32) -> Report {
    Report {
        release: true,
        ..press(button, x, y)
    }
}

fn keys(bytes: &[u8]) -> MouseStep {
    MouseStep::Keys(bytes.to_vec())
}

#[test]
fn the_wheel_over_a_plain_pane_opens_its_scroll_view() {
    let panes = panes(Modes::default(), false);
    let mut router = MouseRouter::default();
    assert_eq!(
        router.route(press(64, 10, 5), &panes),
        [MouseStep::OpenScrollView(PaneId(1))]
    );
    // Down at the bottom of a shell does nothing; a horizontal wheel neither.
    assert_eq!(router.route(press(65, 10, 5), &panes), []);
    assert_eq!(router.route(press(66, 10, 5), &panes), []);
    // Over another pane it selects that pane, then scrolls it.
    let panes = self::panes(Modes::default(), true);
    assert_eq!(
        router.route(press(64, 10, 5), &panes),
        [
            MouseStep::Select(PaneId(1)),
            MouseStep::OpenScrollView(PaneId(1))
        ]
    );
}

#[test]
fn a_click_selects_the_pane_and_a_shell_gets_no_report() {
    let mut router = MouseRouter::default();
    let shells = panes(Modes::default(), false);
    assert_eq!(
        router.route(press(0, 50, 3), &shells),
        [MouseStep::Select(PaneId(2))]
    );
    assert_eq!(router.route(release(0, 50, 3), &shells), []);
    // Clicking the focused shell, dragging in it, clicking a border: nothing at all.
    assert_eq!(router.route(press(0, 5, 3), &shells), []);
    assert_eq!(router.route(press(32, 6, 3), &shells), []);
    assert_eq!(router.route(release(0, 6, 3), &shells), []);
    assert_eq!(router.route(press(0, 41, 3), &shells), []);
}

#[test]
fn a_program_that_asked_gets_its_reports_translated() {
    let mut router = MouseRouter::default();
    let mut panes = panes(sgr_mouse(MouseMode::PressRelease), false);
    // A click on it from the shell: select, then the press in its own coordinates.
    assert_eq!(
        router.route(press(0, 45, 3), &panes),
        [MouseStep::Select(PaneId(2)), keys(b"\x1b[<0;4;3M")]
    );
    panes[0].focused = false;
    panes[1].focused = true;
    // A drag it did not ask for (1000 has no motion) is dropped; the release that ends
    // outside it comes at its edge.
    assert_eq!(router.route(press(32, 47, 3), &panes), []);
    assert_eq!(
        router.route(release(0, 10, 30), &panes),
        [keys(b"\x1b[<0;1;23m")]
    );
    // The wheel goes to it too, never to the scroll view.
    assert_eq!(
        router.route(press(65, 45, 3), &panes),
        [keys(b"\x1b[<65;4;3M")]
    );
}

#[test]
fn reports_take_the_encoding_the_program_asked_for() {
    let mut router = MouseRouter::default();
    let legacy = Modes {
        mouse: MouseMode::ButtonMotion,
        ..Modes::default()
    };
    let panes = panes(legacy, true);
    // Button 0 at pane column 4, row 3: each value plus 32.
    assert_eq!(
        router.route(press(0, 45, 3), &panes),
        [keys(&[0x1b, b'[', b'M', 32, 36, 35])]
    );
    assert_eq!(
        router.route(press(32, 46, 3), &panes),
        [keys(&[0x1b, b'[', b'M', 64, 37, 35])]
    );
    // A legacy release says button 3.
    assert_eq!(
        router.route(release(0, 46, 3), &panes),
        [keys(&[0x1b, b'[', b'M', 35, 37, 35])]
    );
}

#[test]
fn the_wheel_in_a_pager_on_the_alternate_screen_is_arrows() {
    let mut router = MouseRouter::default();
    let pager = Modes {
        alternate_screen: true,
        ..Modes::default()
    };
    let panes = panes(pager, true);
    assert_eq!(
        router.route(press(64, 50, 3), &panes),
        [keys(b"\x1b[A\x1b[A\x1b[A")]
    );
    let panes = self::panes(
        Modes {
            application_cursor: true,
            ..pager
        },
        true,
    );
    assert_eq!(
        router.route(press(65, 50, 3), &panes),
        [keys(b"\x1bOB\x1bOB\x1bOB")]
    );
}

#[test]
fn the_terminal_reports_in_sgr_with_drags_while_mouse_is_on() {
    let modes = terminal_modes(Modes::default());
    assert_eq!(
        (modes.mouse, modes.mouse_encoding),
        (MouseMode::ButtonMotion, MouseEncoding::Sgr)
    );
    let hover = terminal_modes(Modes {
        mouse: MouseMode::AnyMotion,
        mouse_encoding: MouseEncoding::Utf8,
        bracketed_paste: true,
        ..Modes::default()
    });
    assert_eq!(
        (hover.mouse, hover.mouse_encoding, hover.bracketed_paste),
        (MouseMode::AnyMotion, MouseEncoding::Sgr, true)
    );
}
