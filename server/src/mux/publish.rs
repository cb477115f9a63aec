//! Publishing: pane output marks what changed; once per short tick the daemon asks the
//! mux to compose each affected session's host state once and hand it to every client
//! attached to it. The SSP sender then sends only the newest state at its own pace.

use super::Mux;
use crate::history_view::HistoryView;
use crate::host_state;
use crate::pane_id::PaneId;
use crate::session::Session;
use moshmux_proto::label::Label;
use moshmux_proto::screen::{PaneView, Rect, WindowInfo, MAX_WINDOWS};
use moshmux_proto::HostState;
use moshmux_store::PaneUid;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Instant;

/// What changed since the last publication.
#[derive(Debug, Default)]
pub(super) struct Dirty {
    /// Panes whose screen may have changed (output arrived).
    pub panes: HashSet<PaneId>,
    /// Anything else: layout, windows, sessions, sizes. Every attached session is
    /// composed afresh (unchanged rows are still shared).
    pub everything: bool,
}

impl Mux {
    /// Whether a publication is due; the daemon then arms its publish tick. A client's
    /// history top-up waits for its own pacing inside [`Mux::publish`].
    pub fn wants_publish(&self) -> bool {
        !self.clients.is_empty()
            && (self.dirty.everything
                || !self.dirty.panes.is_empty()
                || self.views.values().any(HistoryView::wants_publish))
    }

    /// Composes every session that changed and has clients, once, and hands the state to
    /// each of its clients, with that client's history lines and search answer.
    pub fn publish(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        let now = Instant::now();
        for view in self.views.values_mut() {
            for pane in &dirty.panes {
                view.history_grew(pane.0);
            }
            view.top_up(&self.store, now);
            view.search_step(&self.store);
        }
        let attached: BTreeSet<&str> = self
            .clients
            .values()
            .filter(|link| !link.is_finishing())
            .map(|link| link.session.as_str())
            .collect();
        for name in attached {
            let Some(session) = self.sessions.iter().find(|s| s.name == name) else {
                continue;
            };
            let links = || {
                self.clients
                    .iter()
                    .filter(move |(_, link)| link.session == name && !link.is_finishing())
            };
            let composed = (dirty.everything || shows_any(session, &dirty.panes)).then(|| {
                let previous = links()
                    .map(|(_, link)| link.last_published())
                    .find(|state| !state.windows.is_empty());
                Arc::new(self.compose(session, previous.as_deref(), &dirty))
            });
            for (id, link) in links() {
                let view = self.views.get_mut(id).filter(|view| !view.is_empty());
                match (&composed, view) {
                    (Some(state), None) => link.publish(state),
                    (Some(state), Some(view)) => link.publish(&Arc::new(view.dress(state))),
                    (None, Some(view)) if view.has_news() => {
                        link.publish(&Arc::new(view.dress(&link.last_published())));
                    }
                    (None, _) => {}
                }
            }
        }
    }

    /// The host state of `session`, reusing what `previous` (the last published state)
    /// has for panes and rows that did not change.
    fn compose(&self, session: &Session, previous: Option<&HostState>, dirty: &Dirty) -> HostState {
        let mut state = HostState {
            session: Label::new(&session.name),
            windows: session
                .windows()
                .map(|w| WindowInfo {
                    // Window indexes are unique within the session this state is for.
                    id: w.index,
                    index: w.index,
                    name: Label::new(&self.window_name(w)),
                    active: w.index == session.active_window(),
                })
                .collect(),
            ..HostState::default()
        };
        let Some(window) = session.window(session.active_window()) else {
            return state;
        };
        for (id, rect) in window.rects() {
            let active = id == window.active();
            let zoomed = window.is_zoomed() && active;
            // A zoomed pane hides the others.
            if window.is_zoomed() && !active {
                continue;
            }
            state.panes.push(PaneView {
                pane: id.0,
                rect: Rect {
                    x: rect.x,
                    y: rect.y,
                    cols: rect.cols,
                    rows: rect.rows,
                },
                active,
                zoomed,
            });
            let Some(pane) = self.panes.get(&id) else {
                continue;
            };
            let before = previous.and_then(|p| p.screens.get(&id.0));
            let screen = match before {
                Some(before) if !dirty.everything && !dirty.panes.contains(&id) => {
                    Ok(before.clone())
                }
                _ => host_state::pane_screen(pane.screen(), pane.title(), before),
            };
            match screen {
                Ok(mut screen) => {
                    if let Some(info) = self.store.info(PaneUid(id.0)) {
                        screen.history_len = info.next_line;
                        screen.history_start = info.first_line;
                    }
                    state.screens.insert(id.0, screen);
                }
                Err(error) => state
                    .notices
                    .push(Label::new(&format!("pane {id} cannot be shown: {error}"))),
            }
        }
        if let Err(error) = state.check_limits() {
            tracing::warn!(session = %session.name, %error, "host state over the limits");
            state.panes.clear();
            state.screens.clear();
            state.windows.truncate(MAX_WINDOWS);
            state.notices = vec![Label::new(&format!("this window cannot be shown: {error}"))];
        }
        state
    }

    /// Tells the clients of a session that just ended, with a last state that has no
    /// windows and says so.
    pub(super) fn session_ended(&mut self, name: &str) {
        let last = HostState {
            session: Label::new(name),
            notices: vec![Label::new(&format!("session {name} ended"))],
            ..HostState::default()
        };
        let links = self.clients.values_mut();
        for link in links.filter(|l| l.session == name && !l.is_finishing()) {
            link.finish(last.clone());
        }
    }
}

/// Whether any of `panes` is on the session's screen now.
fn shows_any(session: &Session, panes: &HashSet<PaneId>) -> bool {
    session
        .window(session.active_window())
        .is_some_and(|w| w.panes().iter().any(|p| panes.contains(p)))
}
