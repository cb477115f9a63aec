//! What a pane's program sends beyond its screen, for the user's own terminal: bells and
//! OSC 52 copies. Each is an event, but the host state is a snapshot, so each gets a
//! number from one counter that never goes back, and the state carries the newest per
//! window (bells) or per session (the newest copy). A client hands on what is numbered
//! above the highest number it has seen, and takes its first state as seen, so an event
//! is delivered once, even across a lossy link, and not again on the next attach
//! (docs/protocol.md §7, "Events").

use super::Mux;
use crate::pane_id::PaneId;
use moshmux_proto::screen::ClipboardCopy;
use std::sync::Arc;

impl Mux {
    /// After a pane's output: a bell rung in it marks its window, a copy it made
    /// becomes its session's newest.
    pub(super) fn take_pane_alerts(&mut self, pane: PaneId, bells_before: u64) {
        let Some(state) = self.panes.get_mut(&pane) else {
            return;
        };
        let rang = state.screen().bells() != bells_before;
        let copy = state.take_clipboard();
        if !rang && copy.is_none() {
            return;
        }
        let Some(session_id) =
            (self.sessions.iter()).find_map(|(id, s)| s.window_of(pane).is_some().then_some(*id))
        else {
            return;
        };
        let attached = self.attached_clients(session_id) > 0;
        let Some(session) = self.sessions.get_mut(&session_id) else {
            return;
        };
        if rang {
            self.alert_numbers += 1;
            let active = session.active_window();
            if let Some(index) = session.window_of(pane) {
                if let Some(window) = session.window_mut(index) {
                    // As tmux: flagged unless in view of a client.
                    window.ring(self.alert_numbers, index != active || !attached);
                }
            }
        }
        if let Some((selection, data)) = copy {
            self.alert_numbers += 1;
            let selections = selection.to_string();
            let copy = ClipboardCopy::new(self.alert_numbers, &selections, data);
            session.clipboard = copy.map(Arc::new);
        }
        self.dirty.alerts = true;
    }
}
