//! The client's event loop: keys and resizes go into the user stream, host states come
//! back and are drawn, and a once-a-second tick keeps the link notice current and moves
//! to a fresh UDP port when the server has been silent for long.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use moshmux_proto::driver::{self, DriverHandle, Status};
use moshmux_proto::screen::{MouseMode, Rect};
use moshmux_proto::user::MAX_KEYS_LEN;
use moshmux_proto::{
    Connection, HostState, MuxCommand, ScrollRequest, SearchRequest, SessionKey, UserEvent,
    UserStream,
};
use tokio::net::UdpSocket;
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::bindings::{Action, Bindings};
use crate::clipboard;
use crate::config::ClientConfig;
use crate::frame::{compose, draw_row, focused_pane, focused_view, Frame, StatusExtras};
use crate::mouse::{self, MouseRouter, MouseStep, MouseTranslator, PaneSpot, Piece};
use crate::native_scrollback::{self, Mode, NativeScrollback, Write};
use crate::predict::{self, Predictor};
use crate::render::Renderer;
use crate::scroll_view::{Entry, ScrollView};
use crate::terminal::{self, RawMode};

/// Silence from the server after which the status line says when it was last heard. The
/// server sends at least a heartbeat every 3 s, so this means two or more were lost.
const SILENCE_NOTICE_AFTER: Duration = Duration::from_secs(7);
/// How long the client waits for a first datagram before saying nothing came.
const NOTHING_RECEIVED_AFTER: Duration = Duration::from_secs(2);
/// Silence after which the client moves to a fresh local port, as mosh does: a NAT or
/// firewall that forgot the old mapping gets a new one. The server follows the newest
/// authentic datagram, so nothing else has to happen.
const REBIND_AFTER: Duration = Duration::from_secs(10);
/// How long a refusal of the server's port (an ICMP answer) may take to come back.
const PROBE_WAIT: Duration = Duration::from_secs(2);
/// Longest wait for the server to acknowledge a detach before the client exits anyway
/// (the server may be unreachable; the detach then happens when its endpoint times out).
const DETACH_WAIT: Duration = Duration::from_secs(2);
/// Longest wait, once the session ended, for the driver to send the acknowledgement of
/// that last state (its delayed ack goes out within 100 ms). Without it the server's
/// endpoint, and so its daemon, would wait for us for up to a day.
const FINAL_ACK_WAIT: Duration = Duration::from_secs(1);
/// How often the wait for an acknowledgement looks.
const ACK_POLL: Duration = Duration::from_millis(10);
/// What the terminal sends for Shift-PageUp, which opens the scroll view a page up.
const SHIFT_PAGE_UP: &[u8] = b"\x1b[5;2~";
/// A wheel notch up, as the scroll view reads it.
const WHEEL_UP: &[u8] = b"\x1b[<64;1;1M";

/// Why the session loop ended.
#[derive(Debug)]
pub enum Exit {
    /// `C-^ .`
    Quit,
    Detached {
        session: String,
    },
    /// The server's session has no windows left.
    Ended {
        session: String,
    },
    /// Standard input closed (the terminal went away).
    InputClosed,
    Signal(i32),
    /// An error the user must act on, as one line.
    Failed(String),
}

pub async fn run(
    server: SocketAddr,
    key: SessionKey,
    config: ClientConfig,
) -> Result<Exit, String> {
    let fail = |what: &str, error: io::Error| format!("moshmux: {what}: {error}");
    // Registered first: from here on these signals no longer kill us before we restore.
    let mut signals = Signals::new().map_err(|e| fail("cannot handle signals", e))?;

    let socket = UdpSocket::bind(SocketAddr::new(local_ip(server.ip()), 0))
        .await
        .map_err(|e| fail("cannot open a UDP socket", e))?;
    let connection = Connection::new_client(
        &key,
        server,
        UserStream::default(),
        HostState::default(),
        Instant::now(),
    );
    let (driver, handle) =
        driver::drive(socket, connection).map_err(|e| fail("cannot start the link", e))?;
    let driver = tokio::spawn(driver.run());
    let probe = tokio::spawn(port_refused(server));

    let raw = RawMode::enter()?;
    let input = terminal::spawn_input_reader().map_err(|e| fail("cannot read the terminal", e))?;
    let size = terminal::size().map_err(|e| fail("cannot read the terminal size", e))?;
    let mut view = View::new(size, config);
    terminal::write_all(&terminal::claim_window(size.1)).map_err(|e| fail("terminal", e))?;
    let mut link = Link {
        handle,
        started: Instant::now(),
        last_rebind: Instant::now(),
        port: server.port(),
        pushed: 0,
        events: 0,
        requests: (None, None),
    };
    link.push(UserEvent::Resize {
        rows: view.pane_rows(),
        cols: view.cols,
    })
    .await;
    view.draw(link.notice(&link.status()));

    let exit = event_loop(&mut link, &mut view, input, probe, &mut signals).await;
    let exit = match exit {
        LoopEnd::Exit(exit) => exit,
        LoopEnd::DriverStopped => match driver.await {
            Ok(Err(error)) => Exit::Failed(format!("moshmux: the connection failed: {error}")),
            _ => Exit::Failed("moshmux: the connection stopped".to_owned()),
        },
    };
    view.finish();
    drop(raw);
    Ok(exit)
}

enum LoopEnd {
    Exit(Exit),
    DriverStopped,
}

async fn event_loop(
    link: &mut Link,
    view: &mut View,
    mut input: tokio::sync::mpsc::Receiver<Vec<u8>>,
    mut probe: tokio::task::JoinHandle<bool>,
    signals: &mut Signals,
) -> LoopEnd {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut probing = true;
    loop {
        // Guesses wait for acknowledgements, which arrive in the link's status unannounced.
        let predict_at = view.predictor.poll_timeout();
        tokio::select! {
            bytes = input.recv() => {
                let Some(bytes) = bytes else {
                    return LoopEnd::Exit(Exit::InputClosed);
                };
                if view.feed_scroll(&bytes) {
                    // The answer to a search identical to the last one is here already.
                    view.follow_host();
                    link.set_requests(view.requests()).await;
                    view.draw(link.notice(&link.status()));
                    continue;
                }
                for action in view.bindings.feed(&bytes) {
                    match action {
                        Action::Keys(keys) if keys == SHIFT_PAGE_UP => {
                            view.open_scroll(Entry::PageUp);
                        }
                        Action::ScrollView => view.open_scroll(Entry::Bottom),
                        Action::Keys(keys) if view.mouse_on => {
                            for step in view.route_mouse(&keys) {
                                match step {
                                    MouseStep::Keys(keys) => {
                                        let position = link.push(UserEvent::Keys(keys.clone())).await;
                                        view.predict_keys(&keys, position);
                                    }
                                    MouseStep::Select(pane) => {
                                        link.push(UserEvent::Command(MuxCommand::SelectPaneById(pane))).await;
                                        view.predictor.handle_other_event(Instant::now());
                                    }
                                    // Several notches can come in one read.
                                    MouseStep::OpenScrollView(_) if view.scroll.is_some() => {
                                        view.feed_scroll(WHEEL_UP);
                                    }
                                    MouseStep::OpenScrollView(pane) => {
                                        view.open_scroll_of(pane, Entry::Wheel);
                                    }
                                }
                            }
                        }
                        Action::Keys(keys) => {
                            let keys = view.translate_mouse(keys);
                            if !keys.is_empty() {
                                let position = link.push(UserEvent::Keys(keys.clone())).await;
                                view.predict_keys(&keys, position);
                            }
                        }
                        Action::Command(command) => {
                            link.push(UserEvent::Command(command)).await;
                            view.predictor.handle_other_event(Instant::now());
                        }
                        Action::Quit => return LoopEnd::Exit(Exit::Quit),
                        Action::Detach => {
                            link.push(UserEvent::Command(MuxCommand::Detach)).await;
                            link.wait_acked(DETACH_WAIT).await;
                            let session = view.host.session.to_string();
                            return LoopEnd::Exit(Exit::Detached { session });
                        }
                    }
                }
                link.set_requests(view.requests()).await;
            }
            update = link.handle.recv_remote() => {
                let Some(host) = update else {
                    return LoopEnd::DriverStopped;
                };
                let ended = !view.host.windows.is_empty() && host.windows.is_empty();
                view.host = host;
                view.follow_server(&link.status());
                view.follow_host();
                view.plan_native_scrollback();
                link.set_requests(view.requests()).await;
                if ended {
                    link.send_final_ack().await;
                    let session = view.host.session.to_string();
                    return LoopEnd::Exit(Exit::Ended { session });
                }
            }
            _ = signals.window_change.recv() => {
                if let Ok(size) = terminal::size() {
                    if size != (view.cols, view.rows) {
                        (view.cols, view.rows) = size;
                        let resize = UserEvent::Resize { rows: view.pane_rows(), cols: view.cols };
                        link.push(resize).await;
                        view.predictor.handle_other_event(Instant::now());
                        link.set_requests(view.requests()).await;
                    }
                }
            }
            _ = tick.tick() => link.maybe_rebind().await,
            () = tokio::time::sleep_until(predict_at.unwrap_or_else(Instant::now).into()), if predict_at.is_some() => {}
            refused = &mut probe, if probing => {
                probing = false;
                if refused.unwrap_or(false) && link.status().last_heard.is_none() {
                    return LoopEnd::Exit(Exit::Failed(format!(
                        "moshmux: nothing is listening on UDP port {} of the server; check the port \
                         that `moshmux-server new` printed and that the server still runs",
                        link.port
                    )));
                }
            }
            _ = signals.terminate.recv() => return LoopEnd::Exit(Exit::Signal(libc::SIGTERM)),
            _ = signals.hangup.recv() => return LoopEnd::Exit(Exit::Signal(libc::SIGHUP)),
            _ = signals.interrupt.recv() => return LoopEnd::Exit(Exit::Signal(libc::SIGINT)),
        }
        let status = link.status();
        let now = Instant::now();
        view.predictor
            .handle_link(status.local_acked_progress, status.srtt, now);
        view.draw(link.notice(&status));
    }
}

/// The signals the loop answers: three that end it (after the terminal is restored) and
/// the window size change.
struct Signals {
    terminate: Signal,
    hangup: Signal,
    interrupt: Signal,
    window_change: Signal,
}

impl Signals {
    fn new() -> io::Result<Signals> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            interrupt: signal(SignalKind::interrupt())?,
            window_change: signal(SignalKind::window_change())?,
        })
    }
}

/// The connection and what the loop keeps about it.
struct Link {
    handle: DriverHandle<UserStream, HostState>,
    started: Instant,
    last_rebind: Instant,
    /// The server's port, for the notice when nothing arrives.
    port: u16,
    /// Events handed to the driver.
    pushed: u64,
    /// The user stream's position: its events so far, as `UserStream::push` counts them.
    events: u64,
    /// The scroll view's requests as last handed to the driver.
    requests: (Option<ScrollRequest>, Option<SearchRequest>),
}

impl Link {
    /// Returns the user stream's position after the event.
    async fn push(&mut self, event: UserEvent) -> u64 {
        let events = match &event {
            UserEvent::Keys(keys) => keys.len().div_ceil(MAX_KEYS_LEN) as u64,
            _ => 1,
        };
        // Fails only once the driver stopped, which the loop learns from `recv_remote`.
        if self
            .handle
            .update_local(move |stream| stream.push(event))
            .await
            .is_ok()
        {
            self.pushed += 1;
            self.events += events;
        }
        self.events
    }

    /// Hands the scroll view's requests to the driver when they changed. They are state:
    /// only the newest ever travels.
    async fn set_requests(&mut self, requests: (Option<ScrollRequest>, Option<SearchRequest>)) {
        if requests == self.requests {
            return;
        }
        self.requests = requests.clone();
        let (scroll, search) = requests;
        let _ = self
            .handle
            .update_local(move |stream| {
                stream.scroll = scroll;
                stream.search = search;
            })
            .await;
    }

    /// Waits until the server acknowledged every event pushed so far, or `limit` passed.
    async fn wait_acked(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let status = self.status();
            if status.local_acked && status.local_updates >= self.pushed {
                return;
            }
            tokio::time::sleep(ACK_POLL).await;
        }
    }

    /// Waits until the driver has sent one more instruction, up to [`FINAL_ACK_WAIT`].
    /// Called once the last state has been delivered: every instruction carries the
    /// acknowledgement of the newest state received, so that one tells the server its
    /// last state arrived (as mosh's client leaves only once its shutdown ack went out).
    async fn send_final_ack(&self) {
        let mut status = self.handle.status_watch();
        let before = status.borrow_and_update().stats.instructions_sent;
        let sent = async {
            while status.changed().await.is_ok() {
                if status.borrow_and_update().stats.instructions_sent > before {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(FINAL_ACK_WAIT, sent).await;
    }

    fn status(&self) -> Status {
        self.handle.status()
    }

    fn notice(&self, status: &Status) -> Option<String> {
        let now = Instant::now();
        match status.last_heard {
            None if now.duration_since(self.started) >= NOTHING_RECEIVED_AFTER => Some(format!(
                "Nothing received from the server on UDP port {}",
                self.port
            )),
            Some(heard) if now.duration_since(heard) >= SILENCE_NOTICE_AFTER => Some(format!(
                "Last contact {} s ago",
                now.duration_since(heard).as_secs()
            )),
            _ => None,
        }
    }

    async fn maybe_rebind(&mut self) {
        let now = Instant::now();
        let status = self.status();
        let silent_since = status
            .last_heard
            .unwrap_or(self.started)
            .max(self.last_rebind);
        if now.duration_since(silent_since) >= REBIND_AFTER {
            self.last_rebind = now;
            // A failed rebind keeps the old socket, which may still work.
            let _ = self.handle.rebind().await;
        }
    }
}

/// What the terminal shows and what it is drawn from.
struct View {
    host: HostState,
    bindings: Bindings,
    mouse: MouseTranslator,
    /// The config file's `mouse`: the terminal reports the mouse all the time and
    /// `router` decides what each report does.
    mouse_on: bool,
    router: MouseRouter,
    renderer: Renderer,
    predictor: Predictor,
    /// The focused pane's scroll view, while it is open.
    scroll: Option<ScrollView>,
    native: NativeScrollback,
    /// What goes into the terminal's scrollback before the next frame.
    native_writes: Vec<Write>,
    /// (pane, its history length, terminal size) when the last frame showed one pane
    /// filling the window: the terminal's top rows are then that pane's next lines.
    shown_fill: Option<(u32, u64, (u16, u16))>,
    /// false: the panes get the last row too (the config file's `status-line`).
    status_line: bool,
    cols: u16,
    rows: u16,
}

impl View {
    fn new((cols, rows): (u16, u16), config: ClientConfig) -> View {
        View {
            host: HostState::default(),
            bindings: Bindings::new(config.keys),
            mouse: MouseTranslator::default(),
            mouse_on: config.mouse,
            router: MouseRouter::default(),
            renderer: Renderer::default(),
            predictor: Predictor::new(config.predict),
            scroll: None,
            native: NativeScrollback::new(config.scrollback_lines),
            native_writes: Vec::new(),
            shown_fill: None,
            status_line: config.status_line,
            cols,
            rows,
        }
    }

    /// Mouse reports moved into the focused pane's coordinates, when it asked for them.
    fn translate_mouse(&mut self, keys: Vec<u8>) -> Vec<u8> {
        match focused_pane(&self.host, self.cols, self.pane_rows()) {
            Some((_, rect, modes)) if modes.mouse != MouseMode::None => {
                self.mouse.translate(&keys, modes.mouse_encoding, rect)
            }
            _ => keys,
        }
    }

    /// With `mouse = true`: the keys, and what each mouse report among them does.
    fn route_mouse(&mut self, keys: &[u8]) -> Vec<MouseStep> {
        let spots = self.pane_spots();
        let mut steps = Vec::new();
        // The terminal reports in SGR (1006); a terminal without it sends the default form.
        for piece in self.mouse.split(keys, false) {
            match piece {
                Piece::Keys(keys) => steps.push(MouseStep::Keys(keys)),
                Piece::Report(report) => steps.extend(self.router.route(report, &spots)),
            }
        }
        steps
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
    fn predict_keys(&mut self, keys: &[u8], position: u64) {
        if let Some(view) = focused_view(&self.host) {
            self.predictor
                .handle_keys(view.pane, keys, position, Instant::now());
        }
    }

    /// A new host state: the predictor checks its guesses against the focused pane.
    fn follow_server(&mut self, status: &Status) {
        let now = Instant::now();
        self.predictor
            .handle_link(status.local_acked_progress, status.srtt, now);
        if let Some(view) = focused_view(&self.host) {
            if let Some(screen) = self.host.screens.get(&view.pane) {
                self.predictor.handle_screen(view.pane, screen, now);
            }
        }
    }

    /// Opens the scroll view of the focused pane, unless it is open already.
    fn open_scroll(&mut self, entry: Entry) {
        if let Some(view) = focused_view(&self.host) {
            self.open_scroll_of(view.pane, entry);
        }
    }

    /// Opens the scroll view of `pane`, unless one is open already. The wheel opens it
    /// for a pane it also selects: the view shows once the server's state says so.
    fn open_scroll_of(&mut self, pane: u32, entry: Entry) {
        let Some(view) = self.host.panes.iter().find(|view| view.pane == pane) else {
            return;
        };
        let rows = (view.rect.rows)
            .min(self.scroll_rows().saturating_sub(view.rect.y))
            .max(1);
        if let (None, Some(screen)) = (&self.scroll, self.host.screens.get(&pane)) {
            self.scroll = Some(ScrollView::open(pane, rows, screen, entry));
        }
    }

    /// Hands keys to the scroll view when it is open (closing it if they say so); false
    /// when it is not open and the keys are for the bindings.
    fn feed_scroll(&mut self, bytes: &[u8]) -> bool {
        let Some(scroll) = &mut self.scroll else {
            return false;
        };
        let open = match self.host.screens.get(&scroll.pane()) {
            Some(screen) => scroll.feed(bytes, &self.host, screen),
            None => false,
        };
        if let Some(text) = scroll.take_copied() {
            // A terminal that cannot be written to has gone; input ending tells the loop.
            let _ = terminal::write_all(&clipboard::osc52(&text));
        }
        if !open {
            self.scroll = None;
        }
        true
    }

    /// After a new host state: the view takes its search answer, and closes when its
    /// pane is no longer shown.
    fn follow_host(&mut self) {
        let Some(scroll) = &mut self.scroll else {
            return;
        };
        match self.host.screens.get(&scroll.pane()) {
            Some(screen) => scroll.on_search_result(self.host.search, screen),
            None => self.scroll = None,
        }
    }

    /// What the scroll view asks of the server, sized to the pane as it is drawn now.
    fn requests(&mut self) -> (Option<ScrollRequest>, Option<SearchRequest>) {
        let rows =
            focused_pane(&self.host, self.cols, self.scroll_rows()).map(|(_, rect, _)| rect.rows);
        match &mut self.scroll {
            Some(scroll) => {
                if let Some(rows) = rows {
                    scroll.resize(rows);
                }
                (Some(scroll.request()), scroll.search().cloned())
            }
            None => (
                self.native
                    .request(&self.host, self.native_scrollback_mode()),
                None,
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
        if !alone || rect != window || !fits || modes.alternate_screen || self.rows < 2 {
            Mode::Off
        } else if self.scroll.is_some() {
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
    fn pane_rows(&self) -> u16 {
        self.rows.saturating_sub(u16::from(self.status_line)).max(1)
    }

    /// Rows the scroll view gets: the status line always shows while it is open, since it
    /// says where the view is.
    fn scroll_rows(&self) -> u16 {
        self.rows.saturating_sub(1).max(1)
    }

    fn draw(&mut self, link_notice: Option<String>) {
        let focused_id = focused_view(&self.host).map(|view| view.pane);
        let scroll_screen = match &self.scroll {
            Some(scroll) if Some(scroll.pane()) == focused_id => self
                .host
                .screens
                .get(&scroll.pane())
                .map(|screen| (scroll, screen)),
            _ => None,
        };
        let (view, view_prompt) = match scroll_screen {
            Some((scroll, screen)) => {
                let (status, prompt) = scroll.status(&self.host, screen);
                (Some(status), prompt)
            }
            None => (None, None),
        };
        let extras = StatusExtras {
            link_notice,
            prompt: view_prompt.or_else(|| self.bindings.prompt()),
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
        if let Some((scroll, screen, rect)) = shown {
            let cursor = frame.cursor.filter(|_| extras.prompt.is_some());
            scroll.draw(&mut frame, &self.host, screen, rect);
            frame.cursor = cursor;
        } else if let Some(overlay) = self.predictor.overlay() {
            if let Some((pane, rect, _)) = focused {
                if pane == overlay.pane {
                    predict::paint(&mut frame, rect, &overlay, extras.prompt.is_none());
                }
            }
        }
        let mut out = Vec::new();
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
        // A terminal that cannot be written to has gone; input ending tells the loop.
        let _ = terminal::write_all(&out);
    }

    fn finish(&mut self) {
        let mut out = Vec::new();
        self.renderer.finish(&mut out);
        let _ = terminal::write_all(&out);
    }
}

/// The address to send from: loopback for a server on this machine, so tests never
/// listen beyond it, else any.
fn local_ip(server: IpAddr) -> IpAddr {
    match server {
        IpAddr::V4(ip) if ip.is_loopback() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(ip) if ip.is_loopback() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// Whether the server's host answers that nothing listens on the port. A connected UDP
/// socket hears the ICMP "port unreachable" as a refused receive; an empty datagram is
/// what it sends, which a server drops as too short. Silence proves nothing (firewalls
/// drop quietly), so only a refusal counts.
async fn port_refused(server: SocketAddr) -> bool {
    let probe = async {
        let socket = UdpSocket::bind(SocketAddr::new(local_ip(server.ip()), 0)).await?;
        socket.connect(server).await?;
        socket.send(&[]).await?;
        socket.recv(&mut [0u8; 1]).await
    };
    matches!(
        tokio::time::timeout(PROBE_WAIT, probe).await,
        Ok(Err(error)) if error.kind() == io::ErrorKind::ConnectionRefused
    )
}
