//! The chooser's tree (tmux's `choose-tree`, prefix `w` and `s`): every session, its
//! windows and their panes, each line's text expanded from tmux's default choose-tree
//! format with the variables scripts read (`listing.rs`), and the screen of the one pane
//! the client previews. Only a client whose chooser is open (`UserStream::tree`) gets
//! them, so idle clients pay nothing for the daemon's other sessions.

use super::resolve::Location;
use super::{Host, Mux};
use crate::host_state;
use crate::pane_id::{PaneId, SessionId};
use moshmux_proto::label::Label;
use moshmux_proto::screen::{
    PaneScreen, SessionTree, TreePane, TreeSession, TreeWindow, MAX_TREE_ITEMS,
};
use moshmux_proto::HostState;
use std::sync::Arc;

/// A session's line after its name, as tmux 3.3's default choose-tree format has it
/// (without session groups, which moshmux lacks).
const SESSION_TEXT: &str = "#{session_windows} windows#{?session_attached, (attached),}";

/// A title worth showing: one set, and not the host's name (what tmux's panes start with).
const TITLE_SET: &str = "#{&&:#{pane_title},#{!=:#{pane_title},#{host_short}}}";

/// A window's line after its index: its name and flags, and its one pane's title.
fn window_text() -> String {
    format!(
        "#{{window_name}}#{{window_flags}}\
         #{{?#{{&&:#{{==:#{{window_panes}},1}},{TITLE_SET}}},: \"#{{pane_title}}\",}}"
    )
}

/// A pane's line after its index: its program, `*` for the active one, and its title.
fn pane_text() -> String {
    format!("#{{pane_current_command}}#{{?pane_active,*,}}#{{?{TITLE_SET},: \"#{{pane_title}}\",}}")
}

impl Mux {
    /// The tree a client of session `current` is shown: sessions in the order they were
    /// made (tmux sorts by index), windows by index, panes in the window's order. With a
    /// `filter` (find-window's), only the windows it finds, and the sessions that have one.
    pub(super) fn session_tree(
        &self,
        current: SessionId,
        filter: Option<&str>,
        host: &dyn Host,
    ) -> SessionTree {
        let (window_text, pane_text) = (window_text(), pane_text());
        let sessions = self.sessions.values().map(|session| {
            let at = |window: u32, pane: PaneId| Location {
                session: session.id,
                window,
                pane,
            };
            let found = |window: &&crate::window::Window| {
                filter.is_none_or(|filter| self.window_holds(window, filter))
            };
            let windows = session.windows().filter(found).map(|window| {
                let panes = (window.rects().into_iter()).map(|(pane, _)| TreePane {
                    pane,
                    active: pane == window.active(),
                    text: Label::new(&self.expand_at(&at(window.index, pane), &pane_text, host)),
                });
                let here = at(window.index, window.active());
                TreeWindow {
                    index: window.index,
                    active: window.index == session.active_window(),
                    text: Label::new(&self.expand_at(&here, &window_text, host)),
                    panes: panes.collect(),
                }
            });
            let windows: Vec<TreeWindow> = windows.collect();
            // The session's own line reads from its active window, found or not.
            let active = session.window(session.active_window());
            let text = match active {
                Some(window) => {
                    self.expand_at(&at(window.index, window.active()), SESSION_TEXT, host)
                }
                None => String::new(),
            };
            TreeSession {
                name: Label::new(&session.name),
                current: session.id == current,
                text: Label::new(&text),
                windows,
            }
        });
        let sessions = sessions.filter(|session| filter.is_none() || !session.windows.is_empty());
        let mut tree = SessionTree {
            sessions: sessions.collect(),
            filter: filter.map(Label::new),
        };
        fit(&mut tree);
        tree
    }

    /// Whether find-window finds `text` in the window: in its name, a pane's title, or
    /// what a pane shows (tmux's `-N`, `-T` and `-C`, its default).
    fn window_holds(&self, window: &crate::window::Window, text: &str) -> bool {
        if self.window_name(window).contains(text) {
            return true;
        }
        window.panes().into_iter().any(|pane| {
            self.panes.get(&pane).is_some_and(|state| {
                state.title().contains(text)
                    || state
                        .screen_lines()
                        .iter()
                        .any(|row| row.text().contains(text))
            })
        })
    }

    /// The screen of a pane a client previews, reusing the rows of `before` that did not
    /// change; `None` for a pane that is gone.
    pub(super) fn preview_screen(
        &self,
        pane: PaneId,
        before: Option<&PaneScreen>,
    ) -> Option<PaneScreen> {
        let state = self.panes.get(&pane)?;
        host_state::pane_screen(state.screen(), state.title(), before).ok()
    }
}

/// Drops the last windows, and sessions left without any, until the tree is within the
/// limit clients hold states to: a daemon with that many is past any chooser's use, and
/// an over-limit state would be refused whole.
fn fit(tree: &mut SessionTree) {
    while tree.items() > MAX_TREE_ITEMS {
        let Some(last) = tree.sessions.last_mut() else {
            break;
        };
        if last.windows.pop().is_none() {
            tree.sessions.pop();
        }
    }
}

/// Puts a chooser's tree and preview into a client's state, in place of any it had: a
/// screen that no pane of the layout shows is the old preview.
pub(super) fn dress_tree(
    state: &mut HostState,
    tree: Arc<SessionTree>,
    preview: Option<(PaneId, PaneScreen)>,
) {
    let panes = &state.panes;
    state
        .screens
        .retain(|id, _| panes.iter().any(|view| view.pane == *id));
    state.tree = Some(tree);
    if let Some((pane, screen)) = preview {
        state.screens.entry(pane).or_insert(screen);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_past_the_limit_loses_its_last_windows() {
        let pane = TreePane {
            pane: PaneId(1),
            active: true,
            text: Label::new("sh*"),
        };
        let window = |index| TreeWindow {
            index,
            active: index == 0,
            text: Label::new("sh"),
            panes: vec![pane.clone(); 99],
        };
        let session = |name| TreeSession {
            name: Label::new(name),
            current: false,
            text: Label::new(""),
            windows: (0..60).map(window).collect(),
        };
        let mut tree = SessionTree {
            sessions: vec![session("a"), session("b")],
            filter: None,
        };
        assert_eq!(tree.items(), 2 + 120 * 100);
        fit(&mut tree);
        assert_eq!(tree.items(), 2 + 99 * 100);
        assert_eq!(tree.sessions[1].windows.len(), 39);
    }
}
