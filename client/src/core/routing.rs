//! Where input goes: the tokens of the terminal's bytes to the scroll view, the pane
//! numbers, the mouse or the bindings, and what the bindings decide to the pane (as
//! keys, with prediction), the server (as commands) or the core itself.

use std::time::Instant;

use moshmux_proto::{MuxCommand, UserEvent};

use super::{ClientAction, ClientCore, Ending, Exit, DETACH_WAIT};
use crate::bindings::Action;
use crate::input::{Kind, NamedKey, Token};
use crate::mouse::MouseStep;
use crate::pane_numbers::Choice;
use crate::predict::Key;
use crate::scroll_view::Entry;

impl ClientCore {
    /// Routes tokens: to the scroll view while it is open, else through the bindings.
    pub(super) fn route(&mut self, tokens: Vec<Token>, now: Instant) {
        for token in tokens {
            if self.exited || self.ending.is_some() {
                return;
            }
            if let Kind::Focus(_) = token.kind {
                // Never a key: to the focused pane if it asked, past any prompt or view.
                if let Some(report) = self.view.focus_report(&token) {
                    self.pending_keys.extend_from_slice(&report);
                }
                continue;
            }
            if !matches!(token.kind, Kind::Mouse(_)) {
                self.dismiss_message();
                // A key ends the clock, and does nothing else, as in tmux.
                if self.view.clock.take().is_some() {
                    self.dirty = true;
                    continue;
                }
            }
            match self.view.feed_pane_numbers(&token) {
                Some(Choice::Pane(pane)) => {
                    self.dirty = true;
                    self.command(MuxCommand::SelectPaneById(pane), now);
                    continue;
                }
                Some(Choice::Nothing) => {
                    self.dirty = true;
                    continue;
                }
                Some(Choice::Pass) => self.dirty = true,
                None => {}
            }
            if let Some(outcome) = self.view.feed_list(&token) {
                self.dirty = true;
                self.list_outcome(outcome, now);
                continue;
            }
            if let Some(outcome) = self.view.feed_chooser(&token) {
                self.dirty = true;
                self.chooser_outcome(outcome, now);
                continue;
            }
            if self.view.feed_text(&token) {
                self.dirty = true;
                continue;
            }
            if let Some((osc52, copied)) = self.view.feed_scroll(&token) {
                self.output.push_back(osc52);
                if let Some(text) = copied {
                    // A paste buffer too, as tmux's copy mode makes: prefix ] pastes it.
                    let piece = text.into_bytes();
                    self.push(UserEvent::Copied { piece, last: true }, now);
                }
                continue;
            }
            let mut actions = Vec::new();
            self.view.bindings.feed(token, &mut actions);
            let window = self.view.host.windows.iter().find(|window| window.active);
            let window = window.map_or("", |window| window.name.as_str());
            self.view
                .bindings
                .prefill(window, self.view.host.session.as_str());
            for action in actions {
                self.act(action, now);
            }
        }
    }

    pub(super) fn act(&mut self, action: Action, now: Instant) {
        match action {
            Action::Pane(token) => self.give_pane(token, now),
            Action::ScrollView(entry) => {
                self.flush_keys(now);
                self.view.open_scroll(entry);
            }
            Action::Command(command) => self.command(command, now),
            Action::CommandLine(line) => self.command_line(&line, now),
            Action::DescribeKey(key) => {
                let text = self.view.bindings.table().describe(key);
                self.show_message(text, now);
            }
            Action::Quit => self.finish(Exit::Quit),
            Action::Suspend => {
                self.flush_keys(now);
                self.output.push_back(self.view.finish());
                self.suspended = true;
                self.actions.push_back(ClientAction::Suspend);
            }
            Action::Detach => {
                self.command(MuxCommand::Detach, now);
                self.connection.close(now);
                let deadline = now + DETACH_WAIT;
                self.ending = Some(Ending::Detaching { deadline });
            }
        }
    }

    /// A token for the focused pane: Shift-PageUp opens its scroll view, mouse reports go
    /// where they belong, anything else is the pane's keys.
    pub(super) fn give_pane(&mut self, token: Token, now: Instant) {
        match token.kind {
            Kind::Key(Some(NamedKey::ShiftPageUp)) => {
                self.flush_keys(now);
                self.view.open_scroll(Entry::PageUp);
            }
            Kind::Mouse(report) if self.view.mouse_on => {
                for step in self.view.route_mouse(report) {
                    match step {
                        MouseStep::Keys(keys) => self.keys(&keys, Key::Other),
                        MouseStep::Select(pane) => {
                            self.command(MuxCommand::SelectPaneById(pane), now)
                        }
                        MouseStep::OpenScrollView(pane) => {
                            self.flush_keys(now);
                            self.view.open_scroll_of(pane, Entry::Wheel);
                        }
                    }
                }
            }
            Kind::Mouse(report) => {
                let keys = self.view.translate_mouse(report, &token);
                self.keys(&keys, Key::Other);
            }
            _ => self.keys(&token.bytes, Key::of(&token)),
        }
    }

    pub(super) fn keys(&mut self, bytes: &[u8], key: Key) {
        if !bytes.is_empty() {
            self.pending_keys.extend_from_slice(bytes);
            self.pending_predict.push(key);
        }
    }

    /// Puts the keys gathered so far into the user stream, and tells the predictor.
    pub(super) fn flush_keys(&mut self, now: Instant) {
        if self.pending_keys.is_empty() {
            return;
        }
        let keys = std::mem::take(&mut self.pending_keys);
        let position = self.push(UserEvent::Keys(keys), now);
        let predict = std::mem::take(&mut self.pending_predict);
        self.view.predict_keys(&predict, position, now);
    }

    pub(super) fn command(&mut self, command: MuxCommand, now: Instant) {
        self.flush_keys(now);
        self.push(UserEvent::Command(command), now);
        self.view.predictor.handle_other_event(now);
    }

    /// Appends to the user stream; returns its position after the event.
    pub(super) fn push(&mut self, event: UserEvent, now: Instant) -> u64 {
        let mut stream = self.connection.local_state().clone();
        stream.push(event);
        let position = stream.pushed();
        self.connection.set_local_state(stream, now);
        position
    }

    pub(super) fn resize_event(&self) -> UserEvent {
        UserEvent::Resize {
            rows: self.view.pane_rows(),
            cols: self.view.cols,
        }
    }
}
