//! Publishing: pane output marks what changed; once per short tick the daemon asks the
//! mux to compose each affected session's host state once and hand it to every client
//! attached to it. The SSP sender then sends only the newest state at its own pace.

use super::clients::ClientId;
use super::{tree, Host, Mux};
use crate::history_view::HistoryView;
use crate::host_state;
use crate::pane_id::{PaneId, SessionId};
use crate::session::Session;
use moshmux_proto::label::Label;
use moshmux_proto::screen::{PaneScreen, PaneView, Rect, SessionTree, WindowInfo, MAX_WINDOWS};
use moshmux_proto::HostState;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Output is published to clients this long after it first changed a screen, so the
/// pieces of one burst (a key's echo and the redrawn prompt) go in one composition...
const PUBLISH_DELAY: Duration = Duration::from_millis(2);
/// ...but no sooner than this after the previous publication, so a flood costs at most
/// one composition per session per interval. A key typed after a quiet spell is thus
/// published within 2 ms, not a whole interval later; the SSP sender adds its own 8 ms
/// collection delay. The timer is armed only while something waits to be published.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(10);

/// A program started by what was just published (`vim` and Enter: the echo comes
/// first) reaches the foreground a moment later, perhaps with nothing left to publish.
/// The foreground jobs are looked at once more this long after each publication, as tmux
/// renames windows after a short interval, instead of on a timer that would wake an idle
/// daemon.
const NAMES_RECHECK: Duration = Duration::from_millis(500);

/// When the next publication is due.
#[derive(Debug, Default)]
pub(super) struct Pacing {
    due: Option<Instant>,
    last: Option<Instant>,
    names_due: Option<Instant>,
}

impl Pacing {
    /// Something changed at `now`: a publication is due soon, unless one already is.
    pub fn arm(&mut self, now: Instant) {
        if self.due.is_none() {
            let soon = now + PUBLISH_DELAY;
            self.due = Some(
                self.last
                    .map_or(soon, |last| soon.max(last + PUBLISH_INTERVAL)),
            );
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.due.into_iter().chain(self.names_due).min()
    }

    pub fn is_due(&self, now: Instant) -> bool {
        self.due.is_some_and(|due| now >= due)
    }

    /// Whether the second look at the foreground jobs is due; it is then taken.
    fn take_names_due(&mut self, now: Instant) -> bool {
        let due = self.names_due.is_some_and(|due| now >= due);
        if due {
            self.names_due = None;
        }
        due
    }

    fn published(&mut self, now: Instant) {
        self.due = None;
        self.last = Some(now);
        self.names_due = Some(now + NAMES_RECHECK);
    }
}

/// What changed since the last publication.
#[derive(Debug, Default)]
pub(super) struct Dirty {
    /// Panes whose screen may have changed (output arrived).
    pub panes: HashSet<PaneId>,
    /// Anything else: layout, windows, sessions, sizes. Every attached session is
    /// composed afresh (unchanged rows are still shared).
    pub everything: bool,
    /// A bell or an OSC 52 copy: every attached session is composed again, its pane
    /// screens reused unless their output changed them.
    pub alerts: bool,
}

impl Mux {
    /// The panes clients see: the active pane of every window of a session with clients,
    /// and every pane while a client's chooser lists them all.
    fn shown_panes(&self) -> HashSet<PaneId> {
        if self.clients.values().any(|client| client.tree.is_some()) {
            return self.panes.keys().copied().collect();
        }
        self.clients
            .values()
            .filter_map(|client| self.sessions.get(&client.session))
            .flat_map(|session| session.windows().map(|window| window.active()))
            .collect()
    }

    /// The second look at the foreground jobs after a publication (see
    /// [`NAMES_RECHECK`]); a job that changed since is published.
    pub(super) fn recheck_names(&mut self, now: Instant, host: &dyn Host) {
        if self.publish.take_names_due(now) {
            let shown = self.shown_panes();
            if self.refresh_foreground(host, |pane| shown.contains(&pane)) {
                self.dirty.everything = true;
            }
        }
    }

    /// Whether something waits to be published. A client's history top-up waits for its
    /// own pacing inside [`Mux::publish`].
    pub(super) fn wants_publish(&self) -> bool {
        !self.clients.is_empty()
            && (self.dirty.everything
                || self.dirty.alerts
                || !self.dirty.panes.is_empty()
                || self.views.values().any(HistoryView::wants_publish))
    }

    /// Composes every session that changed and has clients, once, and hands the state to
    /// each of its clients, with that client's history lines and search answer.
    pub(super) fn publish(&mut self, now: Instant, host: &dyn Host) {
        self.publish.published(now);
        if self.health.update(&self.store, now) {
            self.dirty.everything = true;
        }
        let trouble: Vec<Label> = (self.health.notices(now).iter())
            .map(|notice| Label::new(notice))
            .collect();
        let dirty = std::mem::take(&mut self.dirty);
        let any_attached = self.clients.values().any(|client| !client.is_finishing());
        self.status_due = any_attached.then(|| self.status_due(now));
        let shown = self.shown_panes();
        self.refresh_foreground(host, |pane| shown.contains(&pane));
        for view in self.views.values_mut() {
            for pane in &dirty.panes {
                view.history_grew(*pane);
            }
            view.top_up(&self.store, now);
            view.search_step(&self.store);
        }
        let attached: BTreeSet<SessionId> = self
            .clients
            .values()
            .filter(|client| !client.is_finishing())
            .map(|client| client.session)
            .collect();
        for id in attached {
            let Some(session) = self.sessions.get(&id) else {
                continue;
            };
            let recompose = dirty.everything || dirty.alerts;
            let composed = (recompose || shows_any(session, &dirty.panes)).then(|| {
                let previous = self
                    .clients
                    .values()
                    .filter(|client| client.session == id && !client.is_finishing())
                    .map(|client| client.last_published())
                    .find(|state| !state.windows.is_empty());
                let mut state = self.compose(session, previous, &dirty);
                state.status = self.status_text(session, self.wall_clock(now), host);
                state.notices.extend(trouble.iter().cloned());
                Arc::new(state)
            });
            let choosers = self.choosers_of(id, recompose, &dirty, host);
            let clients = self
                .clients
                .iter_mut()
                .filter(|(_, client)| client.session == id && !client.is_finishing());
            for (client_id, client) in clients {
                let view = self
                    .views
                    .get_mut(client_id)
                    .filter(|view| !view.is_empty());
                let chooser = choosers.get(client_id);
                let dressed = match (&composed, view) {
                    (Some(state), None) if chooser.is_none() => {
                        client.publish(state, now);
                        continue;
                    }
                    (Some(state), None) => Some(HostState::clone(state)),
                    (Some(state), Some(view)) => Some(view.dress(state)),
                    (None, Some(view)) if view.has_news() => {
                        Some(view.dress(client.last_published()))
                    }
                    (None, _) if chooser.is_some_and(|c| c.preview_changed) => {
                        Some(client.last_published().clone())
                    }
                    (None, _) => None,
                };
                let Some(mut state) = dressed else {
                    continue;
                };
                if let Some(chooser) = chooser {
                    let tree = (chooser.tree.clone())
                        .or_else(|| client.last_published().tree.clone())
                        .unwrap_or_default();
                    tree::dress_tree(&mut state, tree, chooser.preview.clone());
                }
                client.publish(&state, now);
            }
        }
    }

    /// What each client of `session` whose chooser is open gets beside the session's
    /// state: the tree when the session is composed afresh (else it keeps the one it
    /// has), and the screen of the pane it previews.
    fn choosers_of(
        &self,
        session: SessionId,
        recompose: bool,
        dirty: &Dirty,
        host: &dyn Host,
    ) -> HashMap<ClientId, Chooser> {
        let open = (self.clients.iter())
            .filter(|(_, client)| client.session == session && !client.is_finishing())
            .filter_map(|(id, client)| Some((*id, client, client.tree.as_ref()?)));
        // One tree per filter (find-window's), however many clients show it.
        let mut trees: HashMap<Option<&str>, Arc<SessionTree>> = HashMap::new();
        let mut choosers = HashMap::new();
        for (id, client, request) in open {
            let filter = request.filter.as_ref().map(|filter| filter.as_str());
            let tree = recompose.then(|| {
                let tree = trees
                    .entry(filter)
                    .or_insert_with(|| Arc::new(self.session_tree(session, filter, host)));
                Arc::clone(tree)
            });
            let preview = request.preview.and_then(|pane| {
                let before = client.last_published().screens.get(&pane);
                Some((pane, self.preview_screen(pane, before)?))
            });
            let preview_changed = request.preview.is_some_and(|p| dirty.panes.contains(&p));
            let chooser = Chooser {
                tree,
                preview,
                preview_changed,
            };
            choosers.insert(id, chooser);
        }
        choosers
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
                    bell: w.bell(),
                })
                .collect(),
            clipboard: session.clipboard.clone(),
            options: self.client_options_of(session.id),
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
                pane: id,
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
            let before = previous.and_then(|p| p.screens.get(&id));
            let screen = match before {
                Some(before) if !dirty.everything && !dirty.panes.contains(&id) => {
                    Ok(before.clone())
                }
                _ => host_state::pane_screen(pane.screen(), pane.title(), before),
            };
            match screen {
                Ok(mut screen) => {
                    if let Some(info) = self.store.info(id) {
                        screen.history_len = info.next_line.0;
                        screen.history_start = info.first_line;
                    }
                    state.screens.insert(id, screen);
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
    pub(super) fn session_ended(&mut self, session: &Session, now: Instant) {
        let name = &session.name;
        let last = HostState {
            session: Label::new(name),
            notices: vec![Label::new(&format!("session {name} ended"))],
            ..HostState::default()
        };
        let clients = self.clients.values_mut();
        for client in clients.filter(|c| c.session == session.id && !c.is_finishing()) {
            client.finish(last.clone(), now);
        }
    }
}

/// What a client whose chooser is open gets beside its session's state.
struct Chooser {
    /// `None`: the tree did not change.
    tree: Option<Arc<SessionTree>>,
    preview: Option<(PaneId, PaneScreen)>,
    /// The previewed pane had output: the client's state changed though its session's
    /// did not.
    preview_changed: bool,
}

/// Whether any of `panes` is on the session's screen now.
fn shows_any(session: &Session, panes: &HashSet<PaneId>) -> bool {
    session
        .window(session.active_window())
        .is_some_and(|w| w.panes().iter().any(|p| panes.contains(p)))
}
