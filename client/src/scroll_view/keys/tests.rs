use super::*;

/// The action of the one key the terminal sends as `bytes`.
fn of(bytes: &[u8], keys: ModeKeys) -> Option<Action> {
    let tokens = crate::input::tests::tokens(bytes);
    assert_eq!(tokens.len(), 1, "{bytes:?} is one key");
    action(&tokens[0], keys)
}

#[test]
fn emacs_keys_name_tmux_s_copy_mode_actions() {
    let table: [(&[u8], Action); 42] = [
        (b"\x02", Action::Left),
        (b"\x1b[D", Action::Left),
        (b"\x06", Action::Right),
        (b"\x1b[C", Action::Right),
        (b"\x10", Action::Up),
        (b"\x1b[A", Action::Up),
        (b"\x0e", Action::Down),
        (b"\x1b[B", Action::Down),
        (b"\x01", Action::LineStart),
        (b"\x1b[H", Action::LineStart),
        (b"\x05", Action::LineEnd),
        (b"\x1b[F", Action::LineEnd),
        (b"\x1bf", Action::PastWordEnd),
        (b"\x1bb", Action::PreviousWord(Words::Vi)),
        (b"\x1bm", Action::Indentation),
        (b"\x16", Action::PageDown),
        (b" ", Action::PageDown),
        (b"\x1b[6~", Action::PageDown),
        (b"\x1bv", Action::PageUp),
        (b"\x1b[5~", Action::PageUp),
        (b"\x1b[1;3A", Action::HalfPageUp),
        (b"\x1b[1;3B", Action::HalfPageDown),
        (b"\x1b[1;5A", Action::Scroll(-1)),
        (b"\x1b[1;5B", Action::Scroll(1)),
        (b"\x1b<", Action::Top),
        (b"\x1b>", Action::Bottom),
        (b"\x1bR", Action::TopRow),
        (b"\x1br", Action::MiddleRow),
        (b"\x00", Action::Select),
        (b"\x1bw", Action::CopyAndLeave),
        (b"\x17", Action::CopyAndLeave),
        (b"R", Action::ToggleRectangle),
        (b"\x07", Action::ClearSelection),
        (b"q", Action::Leave),
        (b"\x03", Action::Leave),
        (b"\x1b", Action::Leave),
        (b"\x13", Action::Search(SearchDirection::Newer)),
        (b"\x12", Action::Search(SearchDirection::Older)),
        (b"n", Action::SearchAgain),
        (b"N", Action::SearchReverse),
        (b"\x1b[5;2~", Action::PageUp),
        (b"\x1b[6;2~", Action::PageDown),
    ];
    for (bytes, expected) in table {
        assert_eq!(of(bytes, ModeKeys::Emacs), Some(expected), "{bytes:?}");
    }
    // vi's letters and unbound Alt keys do nothing with emacs keys.
    for bytes in [
        b"j".as_slice(),
        b"v",
        b"y",
        b"\r",
        b"/",
        b"\x1bx",
        b"\x1b[1;5C",
    ] {
        assert_eq!(of(bytes, ModeKeys::Emacs), None, "{bytes:?}");
    }
}

#[test]
fn vi_keys_are_the_view_s_first_ones() {
    let table: [(&[u8], Action); 14] = [
        (b"j", Action::Down),
        (b"w", Action::NextWord(Words::Vi)),
        (b"E", Action::WordEnd(Words::Spaces)),
        (b"^", Action::Indentation),
        (b"v", Action::Select),
        (b" ", Action::Select),
        (b"V", Action::SelectLines),
        (b"\x16", Action::ToggleRectangle),
        (b"y", Action::Copy),
        (b"/", Action::Search(SearchDirection::Older)),
        (b"\x1b[H", Action::Top),
        (b"\x02", Action::PageUp),
        (b"\x1b", Action::Escape),
        // An Esc typed just before a key.
        (b"\x1bf", Action::Escape),
    ];
    for (bytes, expected) in table {
        assert_eq!(of(bytes, ModeKeys::Vi), Some(expected), "{bytes:?}");
    }
    for bytes in [b"\x00".as_slice(), b"R", b"\x07", b"\x1b[1;5A"] {
        assert_eq!(of(bytes, ModeKeys::Vi), None, "{bytes:?}");
    }
}
