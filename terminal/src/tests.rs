//! One test per sequence xterm implements and the pane once got wrong (issue 16), and the
//! pane's own duties: query answers, titles, rows scrolled into history.

use super::*;
use alacritty_terminal::index::Column;
use alacritty_terminal::term::cell::Flags;
use alacritty_terminal::vte::ansi::{Color as ModelColor, Rgb};
use moshmux_proto::screen::{CellStyle, Color, UnderlineStyle};

pub(crate) fn terminal(rows: u16, cols: u16, bytes: &[u8]) -> Terminal {
    let mut terminal = Terminal::new(Size { rows, cols });
    terminal.process(bytes);
    terminal
}

/// The screen's rows, trailing blanks trimmed.
fn lines(terminal: &Terminal) -> Vec<String> {
    terminal.capture(false).lines().map(str::to_owned).collect()
}

pub(crate) fn style(terminal: &Terminal, row: u16, col: usize) -> CellStyle {
    let row = terminal.row(row);
    let cell = row.cells().nth(col).map(|cell| cell.style);
    cell.unwrap_or_default()
}

fn model_cell(terminal: &Terminal, row: i32, col: usize) -> &alacritty_terminal::term::cell::Cell {
    &terminal.term.grid()[Line(row)][Column(col)]
}

pub(crate) fn replies(bytes: &[&[u8]]) -> Vec<u8> {
    let mut terminal = Terminal::new(Size { rows: 24, cols: 80 });
    for chunk in bytes {
        terminal.process(chunk);
    }
    terminal.take_replies()
}

const BLUE: Color = Color::Indexed(4);

#[test]
fn decaln_fills_the_screen_with_e() {
    let terminal = terminal(3, 4, b"ab\x1b#8");
    assert_eq!(lines(&terminal), ["EEEE", "EEEE", "EEEE"]);
    assert_eq!(terminal.cursor(), Point { row: 0, col: 0 });
}

#[test]
fn ind_moves_down_in_the_column_and_nel_to_the_next_line_start() {
    let terminal = terminal(3, 10, b"ab\x1bDc\x1bEd");
    assert_eq!(lines(&terminal), ["ab", "  c", "d"]);
    // IND at the bottom scrolls.
    let mut terminal = terminal_at_bottom();
    terminal.process(b"\x1bD");
    assert_eq!(lines(&terminal), ["2", "3", ""]);
}

fn terminal_at_bottom() -> Terminal {
    terminal(3, 10, b"1\r\n2\r\n3")
}

#[test]
fn tab_stops_set_cleared_and_moved_over() {
    // HTS at column 3, then a tab from column 0 stops there (and at 8 after it).
    let t = terminal(2, 20, b"\x1b[4G\x1bH\rx\ty\tz");
    assert_eq!(lines(&t)[0], "x  y    z");
    // TBC 3 clears every stop: a tab goes to the last column.
    let t = terminal(2, 20, b"\x1b[3gx\ty");
    assert_eq!(lines(&t)[0], format!("x{}y", " ".repeat(18)));
    // TBC 0 clears the stop under the cursor only.
    let t = terminal(2, 20, b"\x1b[9G\x1b[g\rx\ty");
    assert_eq!(lines(&t)[0], format!("x{}y", " ".repeat(15)));
    // CHT 2 moves forward two stops, CBT 2 back two.
    let t = terminal(2, 30, b"\x1b[2Ia\x1b[2Zb");
    assert_eq!(lines(&t)[0], "        b       a");
}

#[test]
fn a_tab_while_a_wrap_is_pending_leaves_the_wrap_pending() {
    let t = terminal(2, 10, b"0123456789\ty");
    assert_eq!(lines(&t), ["0123456789", "y"]);
}

#[test]
fn cbt_reaches_the_first_column() {
    let t = terminal(1, 30, b"\x1b[1;30H\x1b[9Za");
    assert_eq!(lines(&t)[0], "a");
}

#[test]
fn cursor_up_and_down_stop_at_the_margins_from_inside_the_region() {
    // Inside the region 2..4 (rows 1..=3): CUU stops at its top, CUD at its bottom.
    let t = terminal(6, 10, b"\x1b[2;4r\x1b[3;1H\x1b[9Aa\x1b[9Bb");
    assert_eq!(lines(&t), ["", "a", "", " b", "", ""]);
    // In origin mode too, counted from the region (the model added its top twice).
    let t = terminal(6, 10, b"\x1b[2;4r\x1b[?6h\x1b[2;1H\x1b[1Ax\x1b[1Ey");
    assert_eq!(lines(&t), ["", "x", "y", "", "", ""]);
    // Below the region: down to the screen's bottom.
    let t = terminal(6, 10, b"\x1b[2;3r\x1b[5;1H\x1b[9Bz");
    assert_eq!(lines(&t)[5], "z");
}

#[test]
fn cub_from_the_wrap_pending_state_counts_from_the_last_column() {
    let t = terminal(2, 10, b"0123456789\x1b[DX");
    assert_eq!(lines(&t)[0], "01234567X9");
}

#[test]
fn insert_mode_pushes_the_line_right() {
    let t = terminal(2, 10, b"abc\r\x1b[4hXY\x1b[4lZ");
    assert_eq!(lines(&t)[0], "XYZbc");
}

#[test]
fn ich_dch_and_ech_blank_in_the_current_background() {
    let t = terminal(1, 8, b"abcdef\r\x1b[44m\x1b[2@");
    assert_eq!(lines(&t)[0], "  abcdef".trim_end());
    assert_eq!(style(&t, 0, 0).bg, BLUE);
    assert_eq!(style(&t, 0, 2).bg, Color::Default);
    let t = terminal(1, 8, b"abcdef\r\x1b[44m\x1b[2P");
    assert_eq!(lines(&t)[0], "cdef");
    assert_eq!(style(&t, 0, 6).bg, BLUE);
    assert_eq!(style(&t, 0, 7).bg, BLUE);
    let t = terminal(1, 8, b"abcdef\r\x1b[44m\x1b[2X");
    assert_eq!(lines(&t)[0], "  cdef");
    assert_eq!(style(&t, 0, 1).bg, BLUE);
}

#[test]
fn autowrap_off_overwrites_the_last_column() {
    let t = terminal(2, 10, b"\x1b[?7l0123456789AB");
    assert_eq!(lines(&t), ["012345678B", ""]);
    let t = terminal(2, 10, b"\x1b[?7l\x1b[?7h0123456789AB");
    assert_eq!(lines(&t), ["0123456789", "AB"]);
}

#[test]
fn deccolm_clears_homes_and_resets_the_margins() {
    let t = terminal(4, 10, b"text\x1b[2;3r\x1b[3;4H\x1b[?3hX\x1b[4;1HY");
    assert_eq!(lines(&t), ["X", "", "", "Y"]);
}

#[test]
fn modes_1047_and_47_switch_screens_sharing_the_cursor() {
    for mode in ["1047", "47"] {
        let mut t = terminal(3, 10, b"main\r\nrow");
        t.process(format!("\x1b[?{mode}h").as_bytes());
        assert!(t.alternate_screen());
        assert_eq!(lines(&t), ["", "", ""], "mode {mode}");
        assert_eq!(t.cursor(), Point { row: 1, col: 3 });
        t.process(b"alt\x1b[3;2H");
        t.process(format!("\x1b[?{mode}l").as_bytes());
        assert!(!t.alternate_screen());
        assert_eq!(lines(&t), ["main", "row", ""], "mode {mode}");
        assert_eq!(t.cursor(), Point { row: 2, col: 1 }, "mode {mode}");
    }
}

#[test]
fn csi_s_and_u_save_and_restore_the_cursor() {
    let t = terminal(3, 10, b"ab\x1b[s\x1b[3;5Hx\x1b[uY");
    assert_eq!(lines(&t), ["abY", "", "    x"]);
}

#[test]
fn rep_repeats_the_last_character_once_per_sequence() {
    assert_eq!(lines(&terminal(1, 10, b"x\x1b[3b"))[0], "xxxx");
    // A REP right after a REP does nothing.
    assert_eq!(lines(&terminal(1, 10, b"x\x1b[2b\x1b[2b"))[0], "xxx");
    assert_eq!(lines(&terminal(1, 10, b"x\x1b[1by\x1b[1b"))[0], "xxyy");
}

#[test]
fn hpr_and_vpr_move_relative_to_the_cursor() {
    let t = terminal(6, 20, b"\x1b[2;3H\x1b[4a\x1b[2eZ");
    assert_eq!(lines(&t)[3], "      Z");
}

#[test]
fn the_cursor_report_in_origin_mode_counts_from_the_margin() {
    assert_eq!(
        replies(&[b"\x1b[5;10r\x1b[?6h\x1b[2;3H\x1b[6n"]),
        b"\x1b[2;3R"
    );
    assert_eq!(replies(&[b"\x1b[5;10r\x1b[2;3H\x1b[6n"]), b"\x1b[2;3R");
    assert_eq!(
        replies(&[b"\x1b[5;10r\x1b[?6h\x1b[?6l\x1b[7;3H\x1b[6n"]),
        b"\x1b[7;3R"
    );
}

#[test]
fn colon_forms_of_sgr_colours() {
    let t = terminal(
        1,
        10,
        b"\x1b[38:2::1:2:3mA\x1b[48:2::4:5:6mB\x1b[0;38:5:200mC",
    );
    assert_eq!(style(&t, 0, 0).fg, Color::Rgb(1, 2, 3));
    assert_eq!(style(&t, 0, 1).bg, Color::Rgb(4, 5, 6));
    assert_eq!(style(&t, 0, 2).fg, Color::Indexed(200));
}

#[test]
fn underline_styles_and_colour() {
    let t = terminal(
        1,
        10,
        b"\x1b[4:3ma\x1b[21mb\x1b[4:4mc\x1b[4:0md\x1b[4;58:2::1:2:3me",
    );
    let flags = |col| model_cell(&t, 0, col).flags;
    assert!(flags(0).contains(Flags::UNDERCURL));
    assert!(flags(1).contains(Flags::DOUBLE_UNDERLINE));
    assert!(flags(2).contains(Flags::DOTTED_UNDERLINE));
    assert!(!flags(3).intersects(Flags::ALL_UNDERLINES));
    assert_eq!(
        model_cell(&t, 0, 4).underline_color(),
        Some(ModelColor::Spec(Rgb { r: 1, g: 2, b: 3 }))
    );
    assert!(style(&t, 0, 0).underline && !style(&t, 0, 3).underline);
}

#[test]
fn bold_and_dim_together_keep_both() {
    let t = terminal(1, 10, b"\x1b[1;2mX\x1b[22mY");
    let x = style(&t, 0, 0);
    assert!(x.bold && x.dim);
    let y = style(&t, 0, 1);
    assert!(!y.bold && !y.dim);
}

#[test]
fn strikethrough_is_kept() {
    let t = terminal(1, 10, b"\x1b[9mX\x1b[29mY");
    assert!(model_cell(&t, 0, 0).flags.contains(Flags::STRIKEOUT));
    assert!(!model_cell(&t, 0, 1).flags.contains(Flags::STRIKEOUT));
}

#[test]
fn strikethrough_and_underline_shapes_reach_rows_history_and_capture() {
    let mut t = terminal(2, 20, b"\x1b[9mS\x1b[0;4:3;58:5:1mC\x1b[0;21mD\x1b[0m");
    assert!(style(&t, 0, 0).strikethrough);
    let curly = style(&t, 0, 1);
    assert!(curly.underline && curly.underline_style == UnderlineStyle::Curly);
    assert_eq!(curly.underline_color, Color::Indexed(1));
    assert_eq!(style(&t, 0, 2).underline_style, UnderlineStyle::Double);
    assert_eq!(
        t.capture(true).lines().next(),
        Some("\x1b[0;9mS\x1b[0;4:3;58;5;1mC\x1b[0;4:2mD\x1b[0m")
    );
    t.process(b"\r\n\r\n");
    let line = t.take_scrolled().next().unwrap_or_default();
    let styles: Vec<CellStyle> = line.cells().map(|cell| cell.style).collect();
    assert!(styles[0].strikethrough);
    assert_eq!(styles[1].underline_style, UnderlineStyle::Curly);
    // History keeps the row as the screen had it, the underline's colour included.
    assert_eq!(styles[1].underline_color, Color::Indexed(1));
}

/// SGR 53 and 55, which the model's parser drops, are set where they stand: on, off,
/// reset by 0, and never read out of a colour's arguments.
#[test]
fn overline_is_kept_and_reaches_rows_history_capture_and_decrqss() {
    let overlined = |bytes: &[u8]| -> Vec<bool> {
        let t = terminal(1, 10, bytes);
        (0..4).map(|col| style(&t, 0, col).overline).collect()
    };
    assert_eq!(
        overlined(b"a\x1b[53mb\x1b[55mc"),
        [false, true, false, false]
    );
    assert_eq!(
        overlined(b"\x1b[1;53ma\x1b[22mb\x1b[0mc"),
        [true, true, false, false]
    );
    assert_eq!(
        overlined(b"\x1b[53ma\x1b[mb\x1b[0;53mc\x1b[53;0md"),
        [true, false, true, false]
    );
    assert_eq!(
        overlined(b"\x1b[38;5;53ma\x1b[48:2::1:53:3mb\x1b[58;5;53mc"),
        [false; 4]
    );
    assert_eq!(
        overlined(b"\x1b[53ma\x1b[58;5;55mb\x1b[38;2;1;55;0mc"),
        [true, true, true, false]
    );
    // Erased cells take the background only; RIS ends it.
    assert_eq!(overlined(b"\x1b[53mab\x1b[1;1H\x1b[K"), [false; 4]);
    assert_eq!(overlined(b"\x1b[53m\x1bca"), [false; 4]);
    let mut t = terminal(2, 10, b"\x1b[53;9mO\x1b[55mP\x1b[53m\x1bP$qm\x1b\\");
    assert_eq!(t.take_replies(), b"\x1bP1$r0;9;53m\x1b\\");
    assert_eq!(
        t.capture(true).lines().next(),
        Some("\x1b[0;9;53mO\x1b[0;9mP\x1b[0m")
    );
    t.process(b"\r\n\r\n");
    let line = t.take_scrolled().next().unwrap_or_default();
    let styles: Vec<bool> = line.cells().map(|cell| cell.style.overline).collect();
    assert_eq!(styles, [true, false]);
}

#[test]
fn decrqm_reports_the_modes_as_xterm_does() {
    assert_eq!(replies(&[b"\x1b[?7$p"]), b"\x1b[?7;1$y");
    assert_eq!(replies(&[b"\x1b[?7l\x1b[?7$p"]), b"\x1b[?7;2$y");
    assert_eq!(replies(&[b"\x1b[4$p"]), b"\x1b[4;2$y");
    assert_eq!(replies(&[b"\x1b[4h\x1b[4$p"]), b"\x1b[4;1$y");
    assert_eq!(replies(&[b"\x1b[?2004$p"]), b"\x1b[?2004;2$y");
    assert_eq!(replies(&[b"\x1b[?2004h\x1b[?2004$p"]), b"\x1b[?2004;1$y");
    assert_eq!(replies(&[b"\x1b[?1049h\x1b[?1049$p"]), b"\x1b[?1049;1$y");
    assert_eq!(replies(&[b"\x1b[?7777$p"]), b"\x1b[?7777;0$y");
}

#[test]
fn decrqss_reports_the_rendition_and_the_margins() {
    assert_eq!(replies(&[b"\x1bP$qm\x1b\\"]), b"\x1bP1$r0m\x1b\\");
    assert_eq!(
        replies(&[b"\x1b[1;4;31;48;5;200m\x1bP$qm\x1b\\"]),
        b"\x1bP1$r0;1;4;31;48;5;200m\x1b\\"
    );
    // After the SGR that precedes it in the same read, and split across reads.
    assert_eq!(
        replies(&[b"\x1b[3;5r\x1bP$", b"qr\x1b\\"]),
        b"\x1bP1$r3;5r\x1b\\"
    );
    assert_eq!(replies(&[b"\x1bP$q\"p\x1b\\"]), b"\x1bP0$r\x1b\\");
}

#[test]
fn xtversion_names_moshmux() {
    let version = replies(&[b"\x1b[>q"]);
    assert!(version.starts_with(b"\x1bP>|moshmux("));
    assert!(version.ends_with(b")\x1b\\"));
    assert!(replies(&[b"\x1b[>1q"]).is_empty());
}

#[test]
fn osc_10_and_11_colour_queries_are_answered() {
    assert_eq!(
        replies(&[b"\x1b]10;?\x07"]),
        b"\x1b]10;rgb:e5e5/e5e5/e5e5\x07"
    );
    assert_eq!(
        replies(&[b"\x1b]11;?\x1b\\"]),
        b"\x1b]11;rgb:0000/0000/0000\x1b\\"
    );
    assert_eq!(
        replies(&[b"\x1b]4;1;?\x07"]),
        b"\x1b]4;1;rgb:cdcd/0000/0000\x07"
    );
}

#[test]
fn malformed_utf8_shows_as_replacement_characters() {
    let t = terminal(1, 10, b"a\xffb\xe2\x82c");
    assert_eq!(lines(&t)[0], "a\u{fffd}b\u{fffd}c");
}

#[test]
fn device_attributes_status_and_size() {
    assert_eq!(replies(&[b"\x1b[c"]), b"\x1b[?1;2c");
    assert_eq!(replies(&[b"\x1b[0c"]), b"\x1b[?1;2c");
    assert_eq!(replies(&[b"\x1b[>c"]), b"\x1b[>1;10;0c");
    assert_eq!(replies(&[b"\x1b[5n"]), b"\x1b[0n");
    assert_eq!(replies(&[b"\x1b[18t"]), b"\x1b[8;24;80t");
}

#[test]
fn cursor_report_reflects_text_before_the_query_even_split_across_reads() {
    assert_eq!(replies(&[b"ab\r\ncdef\x1b[6n"]), b"\x1b[2;5R");
    assert_eq!(replies(&[b"xy\x1b", b"[", b"6", b"n"]), b"\x1b[1;3R");
    // After the last column the cursor waits there to wrap: reported there, as xterm.
    assert_eq!(replies(&[&[b'x'; 80], b"\x1b[6n"]), b"\x1b[1;80R");
}

#[test]
fn a_query_flood_is_bounded() {
    let mut t = Terminal::new(Size { rows: 24, cols: 80 });
    t.process(&b"\x1b[6n".repeat(100_000));
    assert!(t.take_replies().len() <= replies::MAX_PENDING_REPLY_BYTES);
    assert!(t.state.replies.dropped() > 0);
}

/// OSC 8 links the cells printed until it ends, with or without an id, whichever of
/// BEL and ST ends it; the wire row carries the target.
#[test]
fn hyperlinks_reach_the_wire_row() {
    let t = terminal(
        2,
        12,
        b"a\x1b]8;;http://x/\x07link\x1b]8;;\x07b\x1b]8;id=7;file:///t\x1b\\t\x1b]8;;\x1b\\",
    );
    let row = t.row(0);
    let links: Vec<_> = row.cells().map(|c| c.link.map(|l| l.to_string())).collect();
    let x = Some("http://x/".to_owned());
    let file = Some("file:///t".to_owned());
    assert_eq!(
        links[..8],
        [None, x.clone(), x.clone(), x.clone(), x, None, file, None]
    );
}

#[test]
fn titles_from_osc_0_and_2_and_the_title_stack() {
    let mut t = terminal(2, 10, b"\x1b]0;first\x07");
    assert_eq!(t.title(), "first");
    t.process(b"\x1b]2;sec");
    t.process(b"ond\x1b\\");
    assert_eq!(t.title(), "second");
    t.process(b"\x1b[22t\x1b]2;third\x07");
    assert_eq!(t.title(), "third");
    t.process(b"\x1b[23t");
    assert_eq!(t.title(), "second");
    t.process(format!("\x1b]2;{}\x07", "x".repeat(5000)).as_bytes());
    assert_eq!(t.title().len(), 1024);
}

#[test]
fn bells_and_clipboard_copies_are_kept() {
    let mut t = terminal(2, 10, b"\x07a\x07\x1b]52;c;aGVsbG8=\x07");
    assert_eq!(t.bells(), 2);
    assert_eq!(t.take_clipboard(), Some(('c', b"hello".to_vec())));
    assert_eq!(t.take_clipboard(), None);
    // Only the newest copy waits; unpadded base64 is read too, a bad one dropped.
    t.process(b"\x1b]52;p;b25l\x07\x1b]52;s;dHdv\x07\x1b]52;c;*!*\x07");
    assert_eq!(t.take_clipboard(), Some(('s', b"two".to_vec())));
    t.process(b"\x1b]52;c;aGk\x07");
    assert_eq!(t.take_clipboard(), Some(('c', b"hi".to_vec())));
    // A program's query of the clipboard is never answered.
    t.process(b"\x1b]52;c;?\x07");
    assert_eq!((t.take_clipboard(), t.take_replies()), (None, Vec::new()));
    // The largest copy is kept; a larger one, which the prefilter cuts short, dropped.
    let most = "QUFB".repeat(handler::MAX_CLIPBOARD_BASE64 / 4);
    t.process(format!("\x1b]52;c;{most}\x07").as_bytes());
    let kept = t.take_clipboard().map(|(_, data)| data.len());
    assert_eq!(kept, Some(handler::MAX_CLIPBOARD_BASE64 / 4 * 3));
    for longer in [4, 1000, 10_000] {
        let data = "QUFB".repeat(longer);
        t.process(format!("\x1b]52;c;{most}{data}\x07").as_bytes());
        assert_eq!(t.take_clipboard(), None);
    }
}

fn scrolled(rows: u16, cols: u16, input: &[u8]) -> Vec<Row> {
    let mut t = terminal(rows, cols, input);
    t.take_scrolled().collect()
}

#[test]
fn rows_leaving_the_top_become_history_lines() {
    assert_eq!(
        scrolled(2, 10, b"one  \r\ntwo\r\nthree"),
        [Row::plain("one")]
    );
    let lines = scrolled(2, 4, b"abcdefgh\r\nxy\r\n");
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0].text(), lines[0].wrapped()), ("abcd", true));
    assert_eq!((lines[1].text(), lines[1].wrapped()), ("efgh", false));
    // A scroll region from the top row feeds history; one lower down, and the
    // alternate screen, do not; nor does erasing the screen.
    assert_eq!(scrolled(3, 10, b"a\r\nb\x1b[1;2r\x1b[2H\n").len(), 1);
    assert!(scrolled(3, 10, b"a\r\nb\r\nc\x1b[2;3r\x1b[3H\n\n").is_empty());
    assert!(scrolled(2, 10, b"\x1b[?1049ha\r\nb\r\nc\r\n").is_empty());
    assert!(scrolled(2, 10, b"a\r\nb\x1b[2J").is_empty());
}

#[test]
fn history_rows_keep_colours_styles_wide_cells_and_links() {
    let lines = scrolled(1, 20, b"a\x1b[1;31mbc\x1b[0;4;48;5;200md\x1b[m e\r\n");
    let line = &lines[0];
    assert_eq!(line.text(), "abcd e");
    let red_bold = CellStyle {
        fg: Color::Indexed(1),
        bold: true,
        ..CellStyle::default()
    };
    let underlined = CellStyle {
        bg: Color::Indexed(200),
        underline: true,
        ..CellStyle::default()
    };
    let styles: Vec<CellStyle> = line.cells().map(|cell| cell.style).collect();
    let plain = CellStyle::default();
    assert_eq!(
        styles,
        [plain, red_bold, red_bold, underlined, plain, plain]
    );
    let lines = scrolled(1, 20, b"\x1b[38;2;1;2;3mx\r\n");
    let first = lines[0].cells().next().map(|c| c.style.fg);
    assert_eq!(first, Some(Color::Rgb(1, 2, 3)));
    // A wide character as the last cell keeps both its columns; a link keeps its target.
    let input = "\x1b]8;;https://x.org/\x07ab\x1b]8;;\x07 \u{4e2d}\r\n";
    let lines = scrolled(1, 20, input.as_bytes());
    let cells: Vec<_> = lines[0]
        .cells()
        .map(|c| (c.col, c.text, c.wide, c.link.map(|l| l.to_string())))
        .collect();
    let link = Some("https://x.org/".to_owned());
    assert_eq!(
        cells,
        [
            (0, "a", false, link.clone()),
            (1, "b", false, link),
            (2, " ", false, None),
            (3, "\u{4e2d}", true, None),
        ]
    );
}

#[test]
fn shrinking_pushes_the_rows_above_the_cursor_into_history() {
    let mut t = terminal(4, 10, b"1\r\n2\r\n3\r\n4");
    t.set_size(Size { rows: 2, cols: 10 });
    let lines: Vec<String> = t
        .take_scrolled()
        .map(|line| line.text().to_owned())
        .collect();
    assert_eq!(lines, ["1", "2"]);
    assert_eq!(self::lines(&t), ["3", "4"]);
}

#[test]
fn wide_characters_and_resizes_down_to_one_column() {
    let mut t = terminal(1, 1, "日本語\u{301}x\x1b[5b語\r\n語\r\n\u{301}n".as_bytes());
    assert_eq!(lines(&t), ["n"]);
    t.set_size(Size { rows: 24, cols: 1 });
    t.process("日本\n語\u{301}a語\r\nb".as_bytes());
    for (cols, rows) in [
        (1, 1),
        (2, 1),
        (1, 2),
        (3, 7),
        (200, 60),
        (80, 24),
        (1, 50),
        (50, 1),
    ] {
        t.set_size(Size { rows, cols });
        t.process("flow 日本語 e\u{301}\tend\n".repeat(50).as_bytes());
        let width = |line: &String| unicode_width::UnicodeWidthStr::width(line.as_str());
        assert!(lines(&t)
            .iter()
            .all(|line| width(line) <= usize::from(cols)));
        assert_eq!(t.row(0).width(), usize::from(cols));
    }
}

#[test]
fn huge_parameters_stay_on_the_screen() {
    let t = terminal(
        24,
        80,
        b"\x1b[65535;65535Hz\x1b[H0123456789\x1b[4D\x1b[999999999@\x1b[2;1Hsecond\x1b[2;3H\x1b[999999999P\x1b[3;1Hthird\x1b[3;2H\x1b[999999999X\x1b[10;1H\x1b[4294967295C\x1b[99999999999999999999D!",
    );
    let rows = lines(&t);
    assert_eq!(rows[0], "012345");
    assert_eq!(rows[1], "se");
    assert_eq!(rows[2], "t");
    assert_eq!(rows[9], "!");
    assert_eq!(rows[23], format!("{}z", " ".repeat(79)));
}

#[test]
fn releasing_the_models_spare_rows_keeps_the_screen_and_what_scrolls_later() {
    let mut t = terminal(3, 10, b"1\r\n2\r\n3\r\n4");
    assert_eq!(t.take_scrolled().count(), 1);
    let before = (lines(&t), t.cursor());
    t.release_spare_rows();
    assert_eq!((lines(&t), t.cursor()), before);
    t.process(b"\r\n5\r\n6");
    let later: Vec<String> = t
        .take_scrolled()
        .map(|line| line.text().to_owned())
        .collect();
    assert_eq!(later, ["2", "3"]);
    assert_eq!(lines(&t), ["4", "5", "6"]);
}
