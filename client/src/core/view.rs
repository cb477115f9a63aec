//! What the terminal shows and what it is drawn from: the newest host state, the scroll
//! view, prediction, native scrollback and the renderer's record of the terminal. Drawing
//! gives bytes for the terminal; nothing here writes to it.

use std::time::{Duration, Instant};

use moshmux_proto::options::ModeKeys;
use moshmux_proto::screen::{MouseMode, Rect};
use moshmux_proto::{HostState, PaneId, ScrollRequest, SearchRequest, TreeRequest};

use crate::alerts::Alerts;
use crate::bindings::Bindings;
use crate::choose_tree::{tree_rows, ChooseTree, Outcome};
use crate::clipboard;
use crate::clock::Clock;
use crate::config::ClientConfig;
use crate::frame::{compose, draw_row, focused_pane, focused_view, Frame, StatusExtras};
use crate::input::{Report, Token};
use crate::list_chooser::{ListChooser, ListOutcome};
use crate::mouse::{self, MouseRouter, MouseStep, PaneSpot};
use crate::native_scrollback::{self, Mode, NativeScrollback, Write};
use crate::pane_numbers::{Choice, PaneNumbers};
use crate::predict::{self, Key, Predictor};
use crate::render::Renderer;
use crate::scroll_view::{Entry, ScrollView};
use crate::settings::Settings;
use crate::text_view::TextView;

/// Moves what the terminal shows into its scrollback, so the client draws on an empty
/// window without the alternate screen.
pub(super) fn claim_window(rows: u16) -> Vec<u8> {
    let mut out = format!("\x1b[{rows}H").into_bytes();
    out.extend(std::iter::repeat_n(b'\n', usize::from(rows)));
    out
}

/// What the terminal shows and what it is drawn from.
pub(super) struct View {
    pub(super) host: HostState,
    pub(super) bindings: Bindings,
    /// `mouse` (the config file's, or set at run time): the terminal reports the mouse all the time and
    /// `router` decides what each report does.
    pub(super) mouse_on: bool,
    router: MouseRouter,
    renderer: Renderer,
    pub(super) predictor: Predictor,
    /// The focused pane's scroll view, while it is open.
    scroll: Option<ScrollView>,
    /// Text of the client's own over the pane area (`list-keys`), while it is open.
    text: Option<TextView>,
    /// The panes' numbers (`display-panes`), while they show.
    pane_numbers: Option<PaneNumbers>,
    /// tmux's clock-mode over the focused pane, while it shows.
    pub(super) clock: Option<Clock>,
    /// The chooser (`choose-tree`), while it is open.
    chooser: Option<ChooseTree>,
    /// `choose-buffer` or `choose-client`, while it is open.
    pub(super) list: Option<ListChooser>,
    native: NativeScrollback,
    /// What goes into the terminal's scrollback before the next frame.
    native_writes: Vec<Write>,
    /// (pane, its history length, terminal size) when the last frame showed one pane
    /// filling the window: the terminal's top rows are then that pane's next lines.
    shown_fill: Option<(PaneId, u64, (u16, u16))>,
    /// false: the panes get the last row too (the config file's `status-line`, or
    /// tmux's `status` set at run time).
    status_line: bool,
    /// Bells, the title and programs' copies, for the terminal beside the frame.
    alerts: Alerts,
    /// What the newest host states asked of the terminal beside the frame.
    alert_bytes: Vec<u8>,
    /// The config file's `focus-events`.
    focus_events: bool,
    /// The scroll view's key table (the config file's or tmux's `mode-keys`).
    mode_keys: ModeKeys,
    /// What the config file set of what `set-option` may change at run time: each
    /// host state's options go over these (`settings.rs`).
    file_settings: Settings,
    pub(super) cols: u16,
    pub(super) rows: u16,
}

impl View {
    pub(super) fn new((cols, rows): (u16, u16), config: ClientConfig) -> View {
        let file_settings = Settings::of_config(&config);
        View {
            host: HostState::default(),
            bindings: Bindings::new(config.keys),
            mouse_on: config.mouse,
            router: MouseRouter::default(),
            renderer: Renderer::default(),
            predictor: Predictor::new(config.predict),
            scroll: None,
            text: None,
            pane_numbers: None,
            clock: None,
            chooser: None,
            list: None,
            native: NativeScrollback::new(config.scrollback_lines),
            native_writes: Vec::new(),
            shown_fill: None,
            status_line: config.status_line,
            alerts: Alerts::new(config.alerts),
            alert_bytes: Vec::new(),
            focus_events: config.focus_events,
            mode_keys: config.mode_keys,
            file_settings,
            cols,
            rows,
        }
    }

    /// A mouse report's bytes for the focused pane: moved into its coordinates when it
    /// asked for the mouse, else as the terminal sent them.
    pub(super) fn translate_mouse(&self, report: Report, token: &Token) -> Vec<u8> {
        match focused_pane(&self.host, self.cols, self.pane_rows()) {
            Some((_, rect, modes)) if modes.mouse != MouseMode::None => {
                mouse::translate(report, modes.mouse_encoding, rect)
            }
            _ => token.bytes.clone(),
        }
    }

    /// A focus report's bytes for the focused pane, if it asked for them (and the
    /// config file lets them through).
    pub(super) fn focus_report(&self, token: &Token) -> Option<Vec<u8>> {
        let (_, _, modes) = focused_pane(&self.host, self.cols, self.pane_rows())?;
        (self.focus_events && modes.focus_events).then(|| token.bytes.clone())
    }

    /// With `mouse = true`: what a mouse report does.
    pub(super) fn route_mouse(&mut self, report: Report) -> Vec<MouseStep> {
        let spots = self.pane_spots();
        self.router.route(report, &spots)
    }

    /// Whether legacy mouse reports come in UTF-8 (mode 1005): the terminal reports as
    /// the focused pane asked, unless `mouse = true` put it in SGR.
    pub(super) fn utf8_mouse(&self) -> bool {
        !self.mouse_on
            && focused_pane(&self.host, self.cols, self.pane_rows()).is_some_and(|(_, _, modes)| {
                modes.mouse_encoding == moshmux_proto::screen::MouseEncoding::Utf8
            })
    }

    /// The panes drawn (only the zoomed one when one is), for the mouse.
    fn pane_spots(&self) -> Vec<PaneSpot> {
        let zoomed = self.host.panes.iter().any(|view| view.zoomed);
        let focused = focused_view(&self.host).map(|view| view.pane);
        let shown = self.host.panes.iter().filter(|view| !zoomed || view.zoomed);
        shown
            .filter_map(|view| {
                Some(PaneSpot {
                    pane: view.pane,
                    rect: view.rect,
                    modes: self.host.screens.get(&view.pane)?.modes,
                    focused: Some(view.pane) == focused,
                })
            })
            .collect()
    }

    /// Keys typed into the focused pane, for the predictor.
    pub(super) fn predict_keys(&mut self, keys: &[Key], position: u64, now: Instant) {
        if let Some(view) = focused_view(&self.host) {
            self.predictor.handle_keys(view.pane, keys, position, now);
        }
    }

    /// A new host state: the scroll view takes its search answer (or closes with its
    /// pane), the predictor checks its guesses against the focused pane, and what goes
    /// into the terminal's scrollback before it is drawn is planned. Returns whether the
    /// rows the panes get changed (the status line came or went), which the server must
    /// be told.
    pub(super) fn follow_server(
        &mut self,
        host: HostState,
        acked: u64,
        srtt: Duration,
        now: Instant,
    ) -> bool {
        self.host = host;
        let pane_rows = self.pane_rows();
        self.apply(self.file_settings.with_options(&self.host.options));
        self.alerts.follow(&self.host, &mut self.alert_bytes);
        self.follow_host();
        if let (Some(chooser), Some(tree)) = (&mut self.chooser, &self.host.tree) {
            chooser.follow(tree);
        }
        self.plan_native_scrollback();
        self.predictor.handle_link(acked, srtt, now);
        if let Some(view) = focused_view(&self.host) {
            if let Some(screen) = self.host.screens.get(&view.pane) {
                self.predictor.handle_screen(view.pane, screen, now);
            }
        }
        self.pane_rows() != pane_rows
    }

    fn apply(&mut self, settings: Settings) {
        self.bindings.set_prefix(settings.prefix);
        self.status_line = settings.status_line;
        self.mouse_on = settings.mouse;
        self.alerts.set_config(settings.alerts);
        self.mode_keys = settings.mode_keys;
    }

    /// Shows `lines` over the pane area until q, Esc or C-c.
    pub(super) fn open_text(&mut self, lines: Vec<String>) {
        self.text = Some(TextView::open(lines));
    }

    /// Gives a token to the text view, if one is open: true when it took it.
    pub(super) fn feed_text(&mut self, token: &Token) -> bool {
        let rows = self.pane_area_rows();
        let Some(text) = &mut self.text else {
            return false;
        };
        if !text.feed(token, rows) {
            self.text = None;
        }
        true
    }

    /// Opens the chooser, which shows once the server sent the tree it asks for.
    pub(super) fn open_chooser(&mut self, mut chooser: ChooseTree) {
        if let Some(tree) = &self.host.tree {
            chooser.follow(tree);
        }
        self.chooser = Some(chooser);
    }

    /// Closes a find-window chooser the server answered with no window; tmux's message
    /// then.
    pub(super) fn close_empty_finder(&mut self) -> Option<String> {
        let tree = self.host.tree.as_ref()?;
        let text = self.chooser.as_ref()?.found_nothing(tree)?;
        let message = format!("No windows matching: {text}");
        self.chooser = None;
        Some(message)
    }

    /// Gives a token to the chooser, if it is open (closing it if it says so): what the
    /// key did, for the core to carry out.
    pub(super) fn feed_chooser(&mut self, token: &Token) -> Option<Outcome> {
        let area = self.pane_area_rows();
        let chooser = self.chooser.as_mut()?;
        let tree = self.host.tree.as_deref();
        let lines = tree.map_or(0, |tree| chooser.lines(tree).len());
        let outcome = chooser.feed(token, tree, tree_rows(area, lines));
        if matches!(outcome, Outcome::Leave | Outcome::Chose(_)) {
            self.chooser = None;
        }
        Some(outcome)
    }

    /// Gives a token to the list chooser, if it is open (closing it when it is done or
    /// has nothing left): what the key did, for the core to carry out.
    pub(super) fn feed_list(&mut self, token: &Token) -> Option<ListOutcome> {
        let rows = self.pane_area_rows();
        let list = self.list.as_mut()?;
        let outcome = list.feed(token, rows);
        if matches!(outcome, ListOutcome::Leave | ListOutcome::Chose(_)) || list.is_empty() {
            self.list = None;
        }
        Some(outcome)
    }

    /// The rows the panes get: all but the status line's, which a text view always
    /// shows (its position).
    fn pane_area_rows(&self) -> u16 {
        let status = self.status_line || self.text.is_some();
        self.rows.saturating_sub(u16::from(status))
    }

    /// Shows the panes' numbers for a moment (`display-panes`).
    pub(super) fn open_pane_numbers(&mut self, now: Instant) {
        self.pane_numbers = Some(PaneNumbers::open(now));
    }

    /// When the panes' numbers go by themselves, while they show.
    pub(super) fn pane_numbers_until(&self) -> Option<Instant> {
        self.pane_numbers.as_ref().map(PaneNumbers::until)
    }

    /// Takes the numbers down once their time is up: true if they were showing.
    pub(super) fn expire_pane_numbers(&mut self, now: Instant) -> bool {
        let over = self.pane_numbers_until().is_some_and(|until| now >= until);
        if over {
            self.pane_numbers = None;
        }
        over
    }

    /// Gives a key to the panes' numbers while they show: they go, and `Some` says what
    /// the key chose; `None` (not showing) leaves the key to the rest.
    pub(super) fn feed_pane_numbers(&mut self, token: &Token) -> Option<Choice> {
        self.pane_numbers.take()?;
        Some(PaneNumbers::choose(token, &self.host))
    }

    /// Opens the scroll view of the focused pane, unless it is open already.
    pub(super) fn open_scroll(&mut self, entry: Entry) {
        if let Some(view) = focused_view(&self.host) {
            self.open_scroll_of(view.pane, entry);
        }
    }

    /// Opens the scroll view of `pane`, unless one is open already. The wheel opens it
    /// for a pane it also selects: the view shows once the server's state says so.
    pub(super) fn open_scroll_of(&mut self, pane: PaneId, entry: Entry) {
        let Some(view) = self.host.panes.iter().find(|view| view.pane == pane) else {
            return;
        };
        let rows = (view.rect.rows)
            .min(self.scroll_rows().saturating_sub(view.rect.y))
            .max(1);
        if let (None, Some(screen)) = (&self.scroll, self.host.screens.get(&pane)) {
            self.scroll = Some(ScrollView::open(pane, rows, &self.host, screen, entry));
        }
    }

    /// Hands a key to the scroll view when it is open (closing it if it says so): the
    /// OSC 52 sequence of any copy it made, for the terminal, and the copy itself, for a
    /// paste buffer on the server; `None` when it is not open and the key is for the
    /// bindings.
    pub(super) fn feed_scroll(&mut self, token: &Token) -> Option<(Vec<u8>, Option<String>)> {
        let scroll = self.scroll.as_mut()?;
        let open = match self.host.screens.get(&scroll.pane()) {
            Some(screen) => scroll.feed(token, self.mode_keys, &self.host, screen),
            None => false,
        };
        let copied = scroll.take_copied();
        let osc52 = (copied.as_ref())
            .filter(|_| self.alerts.copies_allowed())
            .map(|text| clipboard::osc52("c", text.as_bytes()));
        if !open {
            self.scroll = None;
        }
        // The answer to a search identical to the last one is here already.
        self.follow_host();
        Some((osc52.unwrap_or_default(), copied))
    }

    /// After a new host state: the view takes its search answer, and closes when its
    /// pane is no longer shown.
    fn follow_host(&mut self) {
        let Some(scroll) = &mut self.scroll else {
            return;
        };
        match self.host.screens.get(&scroll.pane()) {
            Some(screen) => scroll.on_search_result(self.host.search, &self.host, screen),
            None => self.scroll = None,
        }
    }

    /// What the scroll view asks of the server, sized to the pane as it is drawn now,
    /// and what the chooser asks.
    pub(super) fn requests(
        &mut self,
    ) -> (
        Option<ScrollRequest>,
        Option<SearchRequest>,
        Option<TreeRequest>,
    ) {
        let tree =
            (self.chooser.as_ref()).map(|chooser| chooser.request(self.host.tree.as_deref()));
        let rows =
            focused_pane(&self.host, self.cols, self.scroll_rows()).map(|(_, rect, _)| rect.rows);
        match &mut self.scroll {
            Some(scroll) => {
                if let Some(rows) = rows {
                    scroll.resize(rows);
                }
                (Some(scroll.request()), scroll.search().cloned(), tree)
            }
            None => (
                self.native
                    .request(&self.host, self.native_scrollback_mode()),
                None,
                tree,
            ),
        }
    }

    /// Whether the focused pane's lines go to the terminal's scrollback: only when it is
    /// the one pane drawn, exactly as large as the window, and on its main screen.
    fn native_scrollback_mode(&self) -> Mode {
        let Some((pane, rect, modes)) = focused_pane(&self.host, self.cols, self.pane_rows())
        else {
            return Mode::Off;
        };
        let alone = self.host.panes.len() == 1 || self.host.panes.iter().any(|v| v.zoomed);
        let window = Rect {
            x: 0,
            y: 0,
            cols: self.cols,
            rows: self.pane_rows(),
        };
        let fits = self.host.screens.get(&pane).is_some_and(|screen| {
            screen.cols() == self.cols && screen.rows().len() == usize::from(self.pane_rows())
        });
        if !alone || modes.alternate_screen || self.rows < 2 {
            Mode::Off
        } else if rect != window || !fits || self.scroll.is_some() {
            // The lone pane's lines wait: the scroll view covers it, or it does not fill
            // the window (yet: a resize on its way to the server, which must not lose
            // track of the lines, or a window larger than the session).
            Mode::Paused(pane)
        } else {
            Mode::Fill(pane)
        }
    }

    /// After a new host state: decides what goes into the terminal's scrollback before
    /// it is drawn.
    fn plan_native_scrollback(&mut self) {
        let mode = self.native_scrollback_mode();
        let shown = self
            .shown_fill
            .filter(|&(_, _, size)| size == (self.cols, self.rows))
            .map(|(pane, history_len, _)| (pane, history_len));
        let writes = self.native.plan(&self.host, mode, shown, self.pane_rows());
        self.native_writes.extend(writes);
    }

    /// Appends the planned writes into the terminal's scrollback.
    fn write_native_scrollback(&mut self, out: &mut Vec<u8>) {
        for write in std::mem::take(&mut self.native_writes) {
            match write {
                Write::ScrollShown(k) => self.renderer.scroll_into_scrollback(k, out),
                Write::Lines { marker, lines } => {
                    let count = lines.len() + usize::from(marker.is_some());
                    let rows = u16::try_from(count).unwrap_or(u16::MAX);
                    let mut frame = Frame::blank(self.cols, rows);
                    let mut y = 0;
                    if let Some(marker) = marker {
                        frame.put_text(0, 0, self.cols, &marker, native_scrollback::MARKER_STYLE);
                        y = 1;
                    }
                    for line in lines.iter().take(usize::from(rows - y)) {
                        let rect = Rect {
                            x: 0,
                            y,
                            cols: self.cols,
                            rows: 1,
                        };
                        draw_row(&mut frame, line, y, rect);
                        y += 1;
                    }
                    self.renderer.push_to_scrollback(&frame, out);
                }
            }
        }
    }

    /// Rows the panes get, as the server is told: all but the status line's, or all with
    /// `status-line = false`.
    pub(super) fn pane_rows(&self) -> u16 {
        self.rows.saturating_sub(u16::from(self.status_line)).max(1)
    }

    /// Rows the scroll view gets: the status line always shows while it is open, since it
    /// says where the view is.
    fn scroll_rows(&self) -> u16 {
        self.rows.saturating_sub(1).max(1)
    }

    /// The bytes that turn the terminal into the next frame (lines for its scrollback
    /// first), with `link_notice` on the status line.
    pub(super) fn draw(&mut self, link_notice: Option<String>) -> Vec<u8> {
        let focused_id = focused_view(&self.host).map(|view| view.pane);
        let scroll_screen = match &self.scroll {
            Some(scroll) if Some(scroll.pane()) == focused_id => self
                .host
                .screens
                .get(&scroll.pane())
                .map(|screen| (scroll, screen)),
            _ => None,
        };
        let text_rows = self.pane_area_rows();
        let (view, view_prompt) = match (&self.text, scroll_screen) {
            (Some(text), _) => (Some(text.status(text_rows)), None),
            (None, Some((scroll, screen))) => {
                let (status, prompt) = scroll.status(&self.host, screen);
                (Some(status), prompt)
            }
            (None, None) => (None, None),
        };
        let confirmation = self.chooser.as_ref().and_then(ChooseTree::confirmation);
        let extras = StatusExtras {
            link_notice,
            prompt: (confirmation.or(view_prompt)).or_else(|| self.bindings.prompt()),
            view,
            auto_hide: !self.status_line,
        };
        let area_rows = self
            .rows
            .saturating_sub(u16::from(extras.shown(&self.host)));
        let focused = focused_pane(&self.host, self.cols, area_rows);
        let shown = match (scroll_screen, focused) {
            (Some((scroll, screen)), Some((_, rect, _))) => Some((scroll, screen, rect)),
            _ => None,
        };
        let mut frame = compose(&self.host, self.cols, self.rows, &extras);
        if self.mouse_on {
            frame.modes = mouse::terminal_modes(frame.modes);
        }
        frame.modes.focus_events &= self.focus_events;
        let area = Rect {
            x: 0,
            y: 0,
            cols: self.cols,
            rows: text_rows,
        };
        let covered = self.text.is_some() || self.chooser.is_some() || self.list.is_some();
        if let Some(list) = &self.list {
            list.draw(&mut frame, area);
            frame.cursor = frame.cursor.filter(|_| extras.prompt.is_some());
        } else if let Some(chooser) = &self.chooser {
            chooser.draw(&mut frame, area, &self.host);
            frame.cursor = frame.cursor.filter(|_| extras.prompt.is_some());
        } else if let Some(text) = &self.text {
            text.draw(&mut frame, area);
            frame.cursor = None;
        } else if let Some((scroll, screen, rect)) = shown {
            let prompt_cursor = frame.cursor.filter(|_| extras.prompt.is_some());
            let view_cursor = scroll.draw(&mut frame, &self.host, screen, rect);
            frame.cursor = prompt_cursor.or(view_cursor);
        } else if let Some(overlay) = self.predictor.overlay() {
            if let Some((pane, rect, _)) = focused {
                if pane == overlay.pane {
                    predict::paint(&mut frame, rect, &overlay, extras.prompt.is_none());
                }
            }
        }
        if self.pane_numbers.is_some() && !covered {
            PaneNumbers::draw(&mut frame, &self.host, area_rows);
        }
        if let (Some(clock), Some((_, rect, _))) = (&self.clock, focused) {
            if !covered {
                clock.draw(&mut frame, rect);
                frame.cursor = None;
            }
        }
        let mut out = std::mem::take(&mut self.alert_bytes);
        self.write_native_scrollback(&mut out);
        self.renderer.render(&frame, &mut out);
        self.shown_fill = match (self.native_scrollback_mode(), focused) {
            (Mode::Fill(pane), Some(_)) => self
                .host
                .screens
                .get(&pane)
                .map(|screen| (pane, screen.history_len, (self.cols, self.rows))),
            _ => None,
        };
        out
    }

    /// The bytes that hand the terminal back.
    pub(super) fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.renderer.finish(&mut out);
        out
    }
}
