//! Between the parser and the model: every parsed sequence reaches the `Term` through
//! [`PaneHandler`], which passes it on unchanged except where xterm behaves otherwise or
//! where the pane must answer or record something itself:
//!
//! - rows leaving the top of the main screen are taken from the model's history right
//!   after the call that scrolled them (history is emptied each time, so the model never
//!   holds more than one scroll's worth), and a screen erase (`CSI 2 J`) or a line delete
//!   at the top keeps nothing, as before (docs/history-store.md, "Clearing");
//! - queries (DA, DSR/CPR, DECRQM, XTWINOPS 18, OSC 10/11/12 colours, and DECRQSS and
//!   XTVERSION, which the prefilter finds) are answered here, at their exact point in
//!   the stream, and overline (SGR 53, 55, which the prefilter finds too) is set there;
//! - a tab while a wrap is pending does nothing (the wrap stays pending), CBT reaches
//!   the first column, cursor moves up and down stop at the margins (also in origin
//!   mode), SGR 21 is a double underline, DECALN homes the cursor, a line feed in
//!   LNM mode returns the carriage, DECCOLM homes the cursor, modes 47 and 1047 switch
//!   screens sharing the main screen's cursor, mode 9 reports presses;
//! - the title (with its stack), bells and OSC 52 copies are kept for the pane.

use super::blink;
use super::overline::OVERLINE;
use super::prefilter::Query;
use super::replies::Replies;
use super::rows;
use crate::Size;
use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::index::Line;
use alacritty_terminal::term::{Term, TermMode};
use alacritty_terminal::vte::ansi::cursor_icon::CursorIcon;
use alacritty_terminal::vte::ansi::{
    Attr, CharsetIndex, ClearMode, CursorShape, CursorStyle, Handler, Hyperlink, KeyboardModes,
    KeyboardModesApplyBehavior, LineClearMode, Mode, ModifyOtherKeys, NamedPrivateMode,
    PrivateMode, Rgb, ScpCharPath, ScpUpdateMode, StandardCharset, TabulationClearMode,
};
use base64::Engine;
use moshmux_proto::screen::{Row, MAX_CLIPBOARD_BYTES};

/// Titles longer than this are cut: a title is for a status line, not a data channel.
const MAX_TITLE_BYTES: usize = 1024;
/// The longest OSC 52 copy taken, in base64 as the program sends it: shorter than any
/// string the prefilter cut short, so a copy that lost its end is never taken as whole.
pub const MAX_CLIPBOARD_BASE64: usize = super::prefilter::MAX_CONTROL_STRING - 64;
// Every copy taken fits in what the protocol carries.
const _: () = assert!(MAX_CLIPBOARD_BASE64 / 4 * 3 <= MAX_CLIPBOARD_BYTES);
/// Titles a program may push (XTWINOPS 22) before the oldest is forgotten.
const MAX_TITLE_STACK: usize = 16;

/// What the pane keeps beside the model's screen.
#[derive(Debug)]
pub struct PaneState {
    pub replies: Replies,
    /// Rows that left the top of the main screen since the last drain, for history.
    pub scrolled: Vec<Row>,
    pub title: String,
    title_stack: Vec<String>,
    /// Bells rung since the pane started.
    pub bells: u64,
    /// The newest OSC 52 copy not yet taken: (selection letter, the data decoded),
    /// bounded by the protocol's limit.
    pub clipboard: Option<(char, Vec<u8>)>,
    /// The scrolling region as rows `top..bottom`, mirrored for the reports that need
    /// it (the model keeps its own private).
    pub region: (u16, u16),
    /// Mode 9 (X10 mouse: presses only), which the model does not know.
    pub x10_mouse: bool,
    /// The pane's width (the model may be wider).
    pub cols: u16,
}

impl PaneState {
    pub fn new(size: Size) -> PaneState {
        PaneState {
            replies: Replies::default(),
            scrolled: Vec::new(),
            title: String::new(),
            title_stack: Vec::new(),
            bells: 0,
            clipboard: None,
            region: (0, size.rows),
            x10_mouse: false,
            cols: size.cols,
        }
    }
}

/// The model's events: all of them are taken where they start, in the handler, so none
/// are left to deliver.
#[derive(Clone, Copy)]
pub struct NoEvents;

impl alacritty_terminal::event::EventListener for NoEvents {}

pub struct PaneHandler<'a> {
    pub term: &'a mut Term<NoEvents>,
    pub state: &'a mut PaneState,
}

impl PaneHandler<'_> {
    /// Moves the rows the last call scrolled into the model's history to `scrolled`.
    fn take_history(&mut self) {
        let grid = self.term.grid();
        let count = grid.history_size();
        if count == 0 {
            return;
        }
        for back in (1..=count).rev() {
            let line = Line(-(back as i32));
            self.state
                .scrolled
                .push(rows::history_row(&grid[line], self.state.cols));
        }
        self.term.grid_mut().clear_history();
    }

    /// Forgets what the last call put into the model's history.
    fn drop_history(&mut self) {
        self.term.grid_mut().clear_history();
    }

    /// After the model was resized: what it pushed up goes to history, the region resets.
    pub fn resized(&mut self, size: Size) {
        self.state.cols = size.cols;
        self.take_history();
        self.state.region = (0, size.rows);
    }

    /// Turns overline on or off for the cells printed from now on, where the prefilter
    /// found an SGR that does (the model's parser drops SGR 53 and 55).
    pub fn set_overline(&mut self, on: bool) {
        let flags = &mut self.term.grid_mut().cursor.template.flags;
        flags.set(OVERLINE, on);
    }

    /// Answers a query the prefilter found (the model's parser drops these).
    pub fn answer(&mut self, query: Query) {
        let setting = match query {
            Query::Version => return self.state.replies.version(),
            Query::Rendition => {
                let pen = &self.term.grid().cursor.template;
                Some(format!("{}m", rows::sgr_parameters(pen)))
            }
            Query::Margins => {
                let (top, bottom) = self.state.region;
                Some(format!("{};{}r", top + 1, bottom))
            }
            Query::OtherSetting => None,
        };
        self.state.replies.setting(setting.as_deref());
    }

    /// DECSET / DECRST, with what the model lacks or does otherwise.
    fn private_mode(&mut self, mode: PrivateMode, set: bool) {
        match mode {
            PrivateMode::Unknown(47 | 1047) => self.switch_screen_keeping_cursor(set),
            PrivateMode::Unknown(9) => self.state.x10_mouse = set,
            PrivateMode::Named(NamedPrivateMode::ColumnMode) => {
                // xterm (and tmux) clear, home and drop the margins; the width stays.
                self.call_private_mode(mode, set);
                Handler::goto(&mut *self.term, 0, 0);
                self.state.region = (0, self.rows());
            }
            _ => self.call_private_mode(mode, set),
        }
    }

    fn call_private_mode(&mut self, mode: PrivateMode, set: bool) {
        if set {
            Handler::set_private_mode(&mut *self.term, mode);
        } else {
            Handler::unset_private_mode(&mut *self.term, mode);
        }
    }

    /// Modes 47 and 1047: the other screen (blank when entered, as the model's 1049
    /// leaves it), with the cursor where it was on the screen left.
    fn switch_screen_keeping_cursor(&mut self, alternate: bool) {
        if self.term.mode().contains(TermMode::ALT_SCREEN) == alternate {
            return;
        }
        let cursor = self.term.grid().cursor.point;
        let swap = PrivateMode::Named(NamedPrivateMode::SwapScreenAndSetRestoreCursor);
        self.call_private_mode(swap, alternate);
        Handler::goto(&mut *self.term, cursor.line.0, cursor.column.0);
    }

    /// CUU, CUD, CPL, CNL (and VPR): stop at the scrolling region's edge when the
    /// cursor starts inside it, at the screen's edge otherwise, in origin mode or not.
    /// The model adds the region's top twice in origin mode.
    fn move_vertically(&mut self, delta: i32, to_first_column: bool) {
        let rows = i32::from(self.rows());
        let (top, bottom) = (
            i32::from(self.state.region.0),
            i32::from(self.state.region.1),
        );
        let cursor = &mut self.term.grid_mut().cursor;
        let line = cursor.point.line.0;
        let lowest = if line >= top { top } else { 0 };
        let highest = if line < bottom { bottom - 1 } else { rows - 1 };
        cursor.point.line = Line(
            line.saturating_add(delta)
                .clamp(lowest, highest.max(lowest)),
        );
        if to_first_column {
            cursor.point.column = alacritty_terminal::index::Column(0);
        }
        cursor.input_needs_wrap = false;
    }

    fn rows(&self) -> u16 {
        self.term.screen_lines() as u16
    }

    fn set_title_bounded(&mut self, title: &str) {
        let mut end = title.len().min(MAX_TITLE_BYTES);
        while !title.is_char_boundary(end) {
            end -= 1;
        }
        self.state.title = title.get(..end).unwrap_or_default().to_owned();
    }
}

/// A movement count as a signed row delta (screens are at most 1000 rows).
fn clamp_count(count: usize) -> i32 {
    i32::try_from(count.min(u16::MAX as usize)).unwrap_or(i32::MAX)
}

/// Whether DEC private mode `number` is set (DECRQM), `None` for modes not tracked.
fn private_mode_state(mode: TermMode, x10_mouse: bool, number: u16) -> Option<bool> {
    let flag = match number {
        9 => return Some(x10_mouse),
        1 => TermMode::APP_CURSOR,
        6 => TermMode::ORIGIN,
        7 => TermMode::LINE_WRAP,
        25 => TermMode::SHOW_CURSOR,
        47 | 1047 | 1049 => TermMode::ALT_SCREEN,
        1000 => TermMode::MOUSE_REPORT_CLICK,
        1002 => TermMode::MOUSE_DRAG,
        1003 => TermMode::MOUSE_MOTION,
        1004 => TermMode::FOCUS_IN_OUT,
        1005 => TermMode::UTF8_MOUSE,
        1006 => TermMode::SGR_MOUSE,
        2004 => TermMode::BRACKETED_PASTE,
        _ => return None,
    };
    Some(mode.contains(flag))
}

/// Calls passed on to the model as they are.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $name(&mut self, $($arg: $ty),*) {
                Handler::$name(&mut *self.term, $($arg),*)
            }
        )*
    };
}

impl Handler for PaneHandler<'_> {
    forward! {
        set_cursor_style(style: Option<CursorStyle>);
        set_cursor_shape(shape: CursorShape);
        goto(line: i32, col: usize);
        goto_line(line: i32);
        goto_col(col: usize);
        insert_blank(count: usize);
        move_forward(col: usize);
        move_backward(col: usize);
        backspace();
        carriage_return();
        substitute();
        set_horizontal_tabstop();
        scroll_down(count: usize);
        insert_blank_lines(count: usize);
        erase_chars(count: usize);
        move_forward_tabs(count: u16);
        save_cursor_position();
        restore_cursor_position();
        clear_line(mode: LineClearMode);
        clear_tabs(mode: TabulationClearMode);
        set_tabs(interval: u16);
        reverse_index();
        set_mode(mode: Mode);
        unset_mode(mode: Mode);
        set_keypad_application_mode();
        unset_keypad_application_mode();
        set_active_charset(index: CharsetIndex);
        configure_charset(index: CharsetIndex, charset: StandardCharset);
        set_color(index: usize, color: Rgb);
        reset_color(index: usize);
        set_hyperlink(link: Option<Hyperlink>);
        set_mouse_cursor_icon(icon: CursorIcon);
        report_keyboard_mode();
        push_keyboard_mode(mode: KeyboardModes);
        pop_keyboard_modes(count: u16);
        set_keyboard_mode(mode: KeyboardModes, behavior: KeyboardModesApplyBehavior);
        set_modify_other_keys(mode: ModifyOtherKeys);
        report_modify_other_keys();
        set_scp(char_path: ScpCharPath, update_mode: ScpUpdateMode);
    }

    /// SGR 21 is a double underline in xterm and ECMA-48; the parser calls it "cancel
    /// bold", and only for 21.
    fn terminal_attribute(&mut self, attr: Attr) {
        let template = &mut self.term.grid_mut().cursor.template;
        match attr {
            Attr::BlinkSlow | Attr::BlinkFast => return blink::set_blink(template, true),
            Attr::CancelBlink => return blink::set_blink(template, false),
            Attr::Reset => blink::set_blink(template, false),
            _ => {}
        }
        let attr = match attr {
            Attr::CancelBold => Attr::DoubleUnderline,
            attr => attr,
        };
        Handler::terminal_attribute(&mut *self.term, attr);
    }

    /// DECALN also drops the margins and homes the cursor (DEC STD 070, xterm).
    fn decaln(&mut self) {
        Handler::decaln(&mut *self.term);
        self.set_scrolling_region(1, None);
    }

    fn input(&mut self, c: char) {
        Handler::input(&mut *self.term, c);
        self.take_history();
    }

    fn linefeed(&mut self) {
        Handler::linefeed(&mut *self.term);
        if self.term.mode().contains(TermMode::LINE_FEED_NEW_LINE) {
            Handler::carriage_return(&mut *self.term);
        }
        self.take_history();
    }

    fn newline(&mut self) {
        Handler::newline(&mut *self.term);
        self.take_history();
    }

    fn scroll_up(&mut self, count: usize) {
        Handler::scroll_up(&mut *self.term, count);
        self.take_history();
    }

    fn delete_lines(&mut self, count: usize) {
        Handler::delete_lines(&mut *self.term, count);
        self.drop_history();
    }

    fn clear_screen(&mut self, mode: ClearMode) {
        Handler::clear_screen(&mut *self.term, mode);
        self.drop_history();
    }

    /// DCH: at most the cells from the cursor to the margin (the model clears the whole
    /// row for a count past it).
    fn delete_chars(&mut self, count: usize) {
        let column = self.term.grid().cursor.point.column.0;
        let count = count.min(self.term.columns().saturating_sub(column));
        Handler::delete_chars(&mut *self.term, count);
    }

    /// xterm: a tab while a wrap is pending does nothing, and the wrap stays pending
    /// (the model would wrap).
    fn put_tab(&mut self, count: u16) {
        if !self.term.grid().cursor.input_needs_wrap {
            Handler::put_tab(&mut *self.term, count);
        }
    }

    fn move_up(&mut self, count: usize) {
        self.move_vertically(-clamp_count(count), false);
    }

    fn move_down(&mut self, count: usize) {
        self.move_vertically(clamp_count(count), false);
    }

    fn move_up_and_cr(&mut self, count: usize) {
        self.move_vertically(-clamp_count(count), true);
    }

    fn move_down_and_cr(&mut self, count: usize) {
        self.move_vertically(clamp_count(count), true);
    }

    /// CBT: back `count` tab stops, the first column counting as one (the model stops
    /// at the first stop it has).
    fn move_backward_tabs(&mut self, count: u16) {
        for _ in 0..count {
            let before = self.term.grid().cursor.point.column;
            Handler::move_backward_tabs(&mut *self.term, 1);
            let cursor = &mut self.term.grid_mut().cursor;
            if cursor.point.column == before {
                cursor.point.column = alacritty_terminal::index::Column(0);
                break;
            }
        }
    }

    fn reset_state(&mut self) {
        Handler::reset_state(&mut *self.term);
        self.drop_history();
        let rows = self.rows();
        self.state.region = (0, rows);
        self.state.x10_mouse = false;
    }

    fn set_scrolling_region(&mut self, top: usize, bottom: Option<usize>) {
        let rows = self.rows();
        let bottom = bottom.unwrap_or(usize::from(rows));
        if top < bottom {
            let clamp = |row: usize| u16::try_from(row).unwrap_or(u16::MAX).min(rows);
            self.state.region = (clamp(top.saturating_sub(1)), clamp(bottom));
        }
        Handler::set_scrolling_region(&mut *self.term, top, Some(bottom));
    }

    fn set_private_mode(&mut self, mode: PrivateMode) {
        self.private_mode(mode, true);
    }

    fn unset_private_mode(&mut self, mode: PrivateMode) {
        self.private_mode(mode, false);
    }

    fn identify_terminal(&mut self, intermediate: Option<char>) {
        self.state.replies.device_attributes(intermediate);
    }

    fn device_status(&mut self, report: usize) {
        let cursor = self.term.grid().cursor.point;
        let origin = self.term.mode().contains(TermMode::ORIGIN);
        let top = if origin { self.state.region.0 } else { 0 };
        let row = u16::try_from(cursor.line.0)
            .unwrap_or(0)
            .saturating_sub(top);
        self.state
            .replies
            .device_status(report, row, cursor.column.0 as u16);
    }

    fn report_mode(&mut self, mode: Mode) {
        let flag = match mode.raw() {
            4 => Some(TermMode::INSERT),
            20 => Some(TermMode::LINE_FEED_NEW_LINE),
            _ => None,
        };
        let set = flag.map(|flag| self.term.mode().contains(flag));
        self.state.replies.ansi_mode(mode.raw(), set);
    }

    fn report_private_mode(&mut self, mode: PrivateMode) {
        let set = private_mode_state(*self.term.mode(), self.state.x10_mouse, mode.raw());
        self.state.replies.private_mode(mode.raw(), set);
    }

    fn text_area_size_chars(&mut self) {
        let (rows, cols) = (self.rows(), self.state.cols);
        self.state.replies.text_area_size(rows, cols);
    }

    fn text_area_size_pixels(&mut self) {}

    fn dynamic_color_sequence(&mut self, prefix: String, index: usize, terminator: &str) {
        self.state.replies.color(&prefix, index, terminator);
    }

    fn set_title(&mut self, title: Option<String>) {
        self.set_title_bounded(title.as_deref().unwrap_or_default());
    }

    fn push_title(&mut self) {
        if self.state.title_stack.len() >= MAX_TITLE_STACK {
            self.state.title_stack.remove(0);
        }
        let title = self.state.title.clone();
        self.state.title_stack.push(title);
    }

    fn pop_title(&mut self) {
        if let Some(title) = self.state.title_stack.pop() {
            self.state.title = title;
        }
    }

    fn bell(&mut self) {
        self.state.bells += 1;
    }

    /// A copy that is not base64, or decodes to more than the protocol carries, is
    /// dropped, as tmux drops one over its limit.
    fn clipboard_store(&mut self, clipboard: u8, base64: &[u8]) {
        let engine = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        );
        let fits = base64.len() <= MAX_CLIPBOARD_BASE64;
        match fits.then(|| engine.decode(base64).ok()).flatten() {
            Some(data) if data.len() <= MAX_CLIPBOARD_BYTES => {
                self.state.clipboard = Some((char::from(clipboard), data));
            }
            _ => {}
        }
    }

    /// A program never reads the user's clipboard through the pane.
    fn clipboard_load(&mut self, _: u8, _: &str) {}
}
