//! A session: numbered windows, the active one, and the size its windows are laid out
//! at (80x24 until a client says otherwise; with several clients, the session's
//! [`WindowSize`] policy picks whose size).

use crate::environment::Environment;
use crate::pane_id::{PaneId, SessionId, Size};
use crate::window::Window;
use moshmux_proto::screen::ClipboardCopy;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// Whose size a session's windows take when several clients are attached: tmux's
/// `window-size` option and its values that make sense without manual sizing.
/// Travels in control requests: append variants only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum WindowSize {
    /// The client that was active last (attached, typed, resized), as tmux >= 3.1 does
    /// by default: the device in your hands gets a full screen, the one left on the
    /// desk is clipped or padded.
    #[default]
    Latest,
    /// The smallest width and the smallest height among the attached clients, so every
    /// client shows the whole window (tmux's classic behaviour).
    Smallest,
    /// The largest width and height among them: the smaller clients show part of it.
    Largest,
}

impl WindowSize {
    /// The size for clients given as (last activity, size); `None` when no client has
    /// told its size, and the session keeps the one it has.
    pub fn choose(self, clients: impl IntoIterator<Item = (u64, Size)>) -> Option<Size> {
        let clients = clients.into_iter();
        match self {
            WindowSize::Latest => clients.max_by_key(|&(active, _)| active).map(|(_, s)| s),
            WindowSize::Smallest => clients.map(|(_, size)| size).reduce(|a, b| Size {
                rows: a.rows.min(b.rows),
                cols: a.cols.min(b.cols),
            }),
            WindowSize::Largest => clients.map(|(_, size)| size).reduce(|a, b| Size {
                rows: a.rows.max(b.rows),
                cols: a.cols.max(b.cols),
            }),
        }
    }
}

#[derive(Debug)]
pub struct Session {
    pub id: SessionId,
    pub name: String,
    /// Where new panes in this session start, as tmux uses the session's directory.
    pub cwd: Option<PathBuf>,
    pub created: SystemTime,
    windows: BTreeMap<u32, Window>,
    active_window: u32,
    /// Windows active before, most recent first: tmux's last-window stack.
    last_windows: Vec<u32>,
    size: Size,
    /// The options set for this session (`set-option -t`), over the global ones.
    pub options: crate::options::Options,
    /// When a client last attached or sent input, on the mux's activity clock: `attach`
    /// with no session name joins the session used last, as `tmux attach` does.
    pub last_used: u64,
    /// What new panes of the session get on top of the daemon's base variables.
    pub environment: Environment,
    /// The newest copy one of its programs made with OSC 52, for its clients' terminals.
    pub clipboard: Option<Arc<ClipboardCopy>>,
}

/// What removing a pane did to the session.
#[derive(Debug, PartialEq, Eq)]
pub enum Removal {
    /// Not in this session.
    NotHere,
    /// Gone; its window lives on with the other panes.
    Pane,
    /// It was its window's last pane, so the window closed too.
    Window,
    /// It was the session's last pane: the session has ended.
    Session,
}

impl Session {
    pub fn new(
        id: SessionId,
        name: String,
        cwd: Option<PathBuf>,
        first_pane: PaneId,
        size: Size,
        created: SystemTime,
    ) -> Session {
        let mut windows = BTreeMap::new();
        windows.insert(0, Window::new(0, first_pane, size));
        Session {
            id,
            name,
            cwd,
            created,
            windows,
            active_window: 0,
            last_windows: Vec::new(),
            size,
            options: crate::options::Options::default(),
            last_used: 0,
            environment: Environment::default(),
            clipboard: None,
        }
    }

    /// Opens a window at the lowest free index, made current when `select` (tmux's
    /// `new-window -d` leaves the current one).
    pub fn add_window(&mut self, pane: PaneId, select: bool) -> u32 {
        let index = self.lowest_free_index();
        self.add_window_at(index, pane, select);
        index
    }

    /// Opens a window at `index`, which must be free (false if it is not), made current
    /// when `select`.
    pub fn add_window_at(&mut self, index: u32, pane: PaneId, select: bool) -> bool {
        if self.windows.contains_key(&index) {
            return false;
        }
        self.windows
            .insert(index, Window::new(index, pane, self.size));
        if select {
            self.select_window(index);
        }
        true
    }

    /// Puts a window (new, or moved from elsewhere) in the place of the one at `index`
    /// and returns that one, whose panes the caller ends (tmux's `new-window -k` and
    /// `move-window -k`); the session never goes without a window meanwhile. The window
    /// put there is current when `select` or when the old one was; the old one leaves
    /// the last-window stack.
    pub fn replace_window(
        &mut self,
        index: u32,
        mut window: Window,
        select: bool,
    ) -> Option<Window> {
        let old = self.windows.remove(&index)?;
        self.last_windows.retain(|&i| i != index);
        window.index = index;
        self.windows.insert(index, window);
        if select {
            self.select_window(index);
        }
        Some(old)
    }

    /// Frees `index` for a new window (tmux's `new-window -a` and `-b`): the window
    /// there and those right after it, up to the next free index, move one index up;
    /// the current and last windows move with them. False when no index is left above.
    pub fn make_room_at(&mut self, index: u32) -> bool {
        let mut gap = index;
        while self.windows.contains_key(&gap) {
            match gap.checked_add(1) {
                Some(next) => gap = next,
                None => return false,
            }
        }
        let moved = |i: u32| if (index..gap).contains(&i) { i + 1 } else { i };
        for from in (index..gap).rev() {
            if let Some(mut window) = self.windows.remove(&from) {
                window.index = from + 1;
                self.windows.insert(from + 1, window);
            }
        }
        self.active_window = moved(self.active_window);
        for last in &mut self.last_windows {
            *last = moved(*last);
        }
        true
    }

    /// The lowest index no window has, where new windows go.
    pub fn lowest_free_index(&self) -> u32 {
        (0..)
            .find(|i| !self.windows.contains_key(i))
            .unwrap_or(u32::MAX)
    }

    /// Swaps the windows at two indexes (tmux's swap-window): the current index and the
    /// last-window order stay as they were, so the current slot shows the other window.
    pub fn swap_windows(&mut self, a: u32, b: u32) -> bool {
        let (Some(mut first), Some(mut second)) =
            (self.windows.remove(&a), self.windows.remove(&b))
        else {
            return false;
        };
        (first.index, second.index) = (b, a);
        self.windows.insert(a, second);
        self.windows.insert(b, first);
        true
    }

    /// Moves the window at `from` to the free index `to` (tmux's move-window); it stays
    /// current if it was, and becomes current with `select`.
    pub fn move_window(&mut self, from: u32, to: u32, select: bool) -> bool {
        if self.windows.contains_key(&to) {
            return false;
        }
        let Some(mut window) = self.windows.remove(&from) else {
            return false;
        };
        window.index = to;
        self.windows.insert(to, window);
        self.last_windows.retain(|&i| i != from);
        if self.active_window == from {
            self.active_window = to;
        }
        if select {
            self.select_window(to);
        }
        true
    }

    /// Numbers the windows 0, 1, ... in their order (tmux's move-window -r).
    pub fn renumber_windows(&mut self) {
        let mut new_index = BTreeMap::new();
        for (n, (index, mut window)) in (0..).zip(std::mem::take(&mut self.windows)) {
            new_index.insert(index, n);
            window.index = n;
            self.windows.insert(n, window);
        }
        self.active_window = new_index.get(&self.active_window).copied().unwrap_or(0);
        self.last_windows = self
            .last_windows
            .iter()
            .filter_map(|i| new_index.get(i).copied())
            .collect();
    }

    pub fn windows(&self) -> impl Iterator<Item = &Window> {
        self.windows.values()
    }

    pub fn window(&self, index: u32) -> Option<&Window> {
        self.windows.get(&index)
    }

    pub fn window_mut(&mut self, index: u32) -> Option<&mut Window> {
        self.windows.get_mut(&index)
    }

    /// The size every window of the session is laid out at.
    pub fn size(&self) -> Size {
        self.size
    }

    /// Lays every window out at a new size, which new windows get too (the size of the
    /// client's screen).
    pub fn resize(&mut self, size: Size) {
        self.size = size;
        for window in self.windows.values_mut() {
            window.resize(size);
        }
    }

    pub fn active_window(&self) -> u32 {
        self.active_window
    }

    /// Makes a window active; the one it replaces becomes the last window.
    pub fn select_window(&mut self, index: u32) {
        if self.windows.contains_key(&index) && index != self.active_window {
            self.last_windows.retain(|&i| i != index);
            self.last_windows.insert(0, self.active_window);
            self.make_current(index);
        }
    }

    /// tmux's session_set_current: the window is in view, so its alerts are seen.
    fn make_current(&mut self, index: u32) {
        self.active_window = index;
        if let Some(window) = self.windows.get_mut(&index) {
            window.clear_alert_flags();
        }
    }

    /// The window with an alert after (`forward`) or before the current one, wrapping
    /// around, as tmux's `next-window -a` and `previous-window -a` look for one.
    pub fn alerted_window(&self, forward: bool) -> Option<u32> {
        let alerted = |w: &&Window| w.bell_flag() && w.index != self.active_window;
        let current = self.active_window;
        if forward {
            let after = self.windows.range(current + 1..).map(|(_, w)| w);
            after
                .chain(self.windows.range(..current).map(|(_, w)| w))
                .find(alerted)
        } else {
            let before = self.windows.range(..current).rev().map(|(_, w)| w);
            before
                .chain(self.windows.range(current + 1..).rev().map(|(_, w)| w))
                .find(alerted)
        }
        .map(|w| w.index)
    }

    /// The window active before the current one (tmux's last-window, flagged `-`).
    pub fn last_window(&self) -> Option<u32> {
        self.last_windows.first().copied()
    }

    /// The index of the window holding `pane`.
    pub fn window_of(&self, pane: PaneId) -> Option<u32> {
        self.windows
            .values()
            .find(|w| w.contains(pane))
            .map(|w| w.index)
    }

    pub fn panes(&self) -> impl Iterator<Item = PaneId> + '_ {
        self.windows.values().flat_map(|w| w.panes())
    }

    pub fn remove_pane(&mut self, pane: PaneId) -> Removal {
        let Some(index) = self.window_of(pane) else {
            return Removal::NotHere;
        };
        let Some(window) = self.windows.get_mut(&index) else {
            return Removal::NotHere;
        };
        match window.remove(pane) {
            Ok(true) => return Removal::Pane,
            Ok(false) => {}
            Err(_) => return Removal::NotHere,
        }
        self.take_window(index);
        if self.windows.is_empty() {
            Removal::Session
        } else {
            Removal::Window
        }
    }

    /// Takes the window at `index` out of the session, to close it or to move it to
    /// another session (tmux's unlink). If it was current, the last window becomes
    /// current, else the previous, else the next, as in tmux; a session left with no
    /// window has ended, which the caller sees by [`Session::is_empty`].
    pub fn take_window(&mut self, index: u32) -> Option<Window> {
        let window = self.windows.remove(&index)?;
        self.last_windows.retain(|&i| i != index);
        if self.active_window == index {
            let previous = self.windows.range(..index).next_back().map(|(i, _)| *i);
            let next = self.windows.range(index..).next().map(|(i, _)| *i);
            let last = (!self.last_windows.is_empty()).then(|| self.last_windows.remove(0));
            if let Some(i) = last.or(previous).or(next) {
                self.make_current(i);
            }
        }
        Some(window)
    }

    /// Puts a window from elsewhere (another session, or a pane broken out) at the free
    /// `index`, made current when `select`; gives it back when the index is in use.
    pub fn put_window(
        &mut self,
        index: u32,
        mut window: Window,
        select: bool,
    ) -> Result<(), Window> {
        if self.windows.contains_key(&index) {
            return Err(window);
        }
        window.index = index;
        self.windows.insert(index, window);
        if select {
            self.select_window(index);
        }
        Ok(())
    }

    /// Whether its last window has gone: the session has ended.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Orientation;

    const SIZE: Size = Size { rows: 24, cols: 80 };

    fn session_with_pane_0() -> Session {
        let epoch = SystemTime::UNIX_EPOCH;
        Session::new(SessionId(0), "0".into(), None, PaneId(0), SIZE, epoch)
    }

    #[test]
    fn last_pane_closes_window_and_last_window_ends_session() {
        let mut session = session_with_pane_0();
        assert_eq!(session.add_window(PaneId(1), true), 1);
        session
            .window_mut(1)
            .unwrap()
            .split(
                PaneId(1),
                PaneId(2),
                Orientation::Stacked,
                None,
                Default::default(),
            )
            .unwrap();
        assert_eq!(session.remove_pane(PaneId(2)), Removal::Pane);
        assert_eq!(session.remove_pane(PaneId(1)), Removal::Window);
        assert_eq!(session.active_window(), 0);
        assert_eq!(session.remove_pane(PaneId(9)), Removal::NotHere);
        assert_eq!(session.remove_pane(PaneId(0)), Removal::Session);
    }

    #[test]
    fn the_window_size_policies_pick_as_tmux_does() {
        let size = |cols, rows| Size { rows, cols };
        let clients = [(5, size(90, 23)), (9, size(70, 30)), (7, size(120, 15))];
        assert_eq!(WindowSize::Latest.choose(clients), Some(size(70, 30)));
        assert_eq!(WindowSize::Smallest.choose(clients), Some(size(70, 15)));
        for policy in [WindowSize::Latest, WindowSize::Smallest] {
            assert_eq!(policy.choose([]), None);
            assert_eq!(policy.choose([(1, size(50, 10))]), Some(size(50, 10)));
        }
    }

    #[test]
    fn making_room_moves_the_run_of_windows_up_to_the_next_gap() {
        let mut session = session_with_pane_0();
        for (index, pane) in [(1, 1), (2, 2), (4, 4)] {
            assert!(session.add_window_at(index, PaneId(pane), false));
        }
        assert!(!session.add_window_at(2, PaneId(9), false));
        session.select_window(2);
        session.select_window(4);
        assert!(session.make_room_at(1));
        let at = |session: &Session| -> Vec<(u32, PaneId)> {
            session.windows().map(|w| (w.index, w.active())).collect()
        };
        // 1 and 2 move up to 2 and 3; 4 stays, as 3 was free.
        assert_eq!(
            at(&session),
            [
                (0, PaneId(0)),
                (2, PaneId(1)),
                (3, PaneId(2)),
                (4, PaneId(4))
            ]
        );
        assert_eq!(
            (session.active_window(), session.last_window()),
            (4, Some(3))
        );
        assert!(session.add_window_at(1, PaneId(5), true));
        assert_eq!(session.last_window(), Some(4));
    }

    #[test]
    fn a_replaced_window_leaves_the_last_window_stack() {
        let mut session = session_with_pane_0();
        session.add_window(PaneId(1), true);
        session.add_window(PaneId(2), true);
        assert_eq!(session.last_window(), Some(1));
        let fresh = Window::new(1, PaneId(3), SIZE);
        let old = session.replace_window(1, fresh, false).unwrap();
        assert_eq!(old.active(), PaneId(1));
        assert_eq!(
            (session.active_window(), session.last_window()),
            (2, Some(0))
        );
        assert_eq!(session.window(1).map(Window::active), Some(PaneId(3)));
        let fresh = Window::new(7, PaneId(4), SIZE);
        assert!(session.replace_window(7, fresh, true).is_none());
    }

    #[test]
    fn new_windows_fill_the_lowest_free_index() {
        let mut session = session_with_pane_0();
        session.add_window(PaneId(1), true);
        session.add_window(PaneId(2), true);
        session.remove_pane(PaneId(1));
        assert_eq!(session.add_window(PaneId(3), true), 1);
        assert_eq!(session.active_window(), 1);
    }
}
