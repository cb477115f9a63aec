//! What scripts read: `ls`, `list-windows`, `list-panes` and `display-message`, each
//! line from a tmux format (`-F`, or the command's default one), with tmux's variable
//! names, so a script written for tmux reads the same answers here.

use super::commands::{CommandError, Outcome};
use super::resolve::Location;
use super::{ClientEndpoint, ClientId, Host, Mux};
use crate::control::{List, ListScope};
use crate::format;
use crate::layout::Rect;
use crate::local_time;
use crate::pane_id::{PaneId, SessionId};
use crate::session::Session;
use crate::target::Target;
use crate::window::Window;
use moshmux_proto::label::{printable, MAX_NAME_LEN};
use std::fmt::Write as _;
use std::time::UNIX_EPOCH;

/// `list-windows`' line, as tmux's without the layout string and window id (moshmux
/// has neither).
const WINDOW_LINE: &str = "#{window_index}: #{window_name}#{window_flags} \
     (#{window_panes} panes) [#{window_width}x#{window_height}]#{?window_active, (active),}";

/// `list-panes`' line: where the pane is and what runs in it.
const PANE_LINE: &str = "#{pane_index}: [#{pane_width}x#{pane_height}] at \
     #{pane_left},#{pane_top} #{pane_id} #{pane_current_command}#{?pane_active, (active),}\
     #{?#{&&:#{pane_active},#{window_zoomed_flag}}, (zoomed),}";

/// Most characters of a pane's title a format shows: a program sets its title (as it
/// names itself), so either may hold anything, shown escaped.
const TITLE_CHARS: usize = 256;

/// What a format's variables describe: a session, and maybe one of its windows and one
/// of that window's panes (with its index and place).
struct Scope<'a> {
    session: &'a Session,
    window: Option<&'a Window>,
    pane: Option<(usize, PaneId, Rect)>,
}

impl Mux {
    pub(super) fn list_sessions(&self, list: &List, host: &dyn Host) -> String {
        let mut sessions: Vec<&Session> = self.sessions.values().collect();
        sessions.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out = String::new();
        for session in sessions {
            match &list.format {
                Some(template) => {
                    let window = session.window(session.active_window());
                    let scope = Scope {
                        session,
                        window,
                        pane: window.and_then(|w| placed(w, w.active())),
                    };
                    out.push_str(&self.expand(template, &scope, host));
                }
                None => self.session_line(session, &mut out),
            }
            out.push('\n');
        }
        out
    }

    /// tmux's list-sessions line with the size and the number of attached clients.
    fn session_line(&self, session: &Session, out: &mut String) {
        let size = session
            .window(session.active_window())
            .map_or(session.size(), Window::size);
        let _ = write!(
            out,
            "{}: {} windows (created {}) [{}x{}]",
            session.name,
            session.windows().count(),
            local_time::ctime(session.created),
            size.cols,
            size.rows
        );
        let clients = self.attached_clients(session.id);
        if clients > 0 {
            let _ = write!(out, " ({clients} attached)");
        }
    }

    /// Clients attached to the session that have been heard from.
    pub(super) fn attached_clients(&self, session: SessionId) -> usize {
        self.clients
            .iter()
            .filter(|(id, link)| link.session == session && self.is_attached(**id, link))
            .count()
    }

    /// Whether a client counts as attached: heard from (a client sends its size first),
    /// and not leaving.
    pub(super) fn is_attached(&self, id: ClientId, client: &ClientEndpoint) -> bool {
        self.heard_from.contains(&id) && !client.is_finishing()
    }

    /// The sessions a list reaches: all of them (`-a`), or the target's.
    fn listed_sessions(&self, list: &List) -> Result<Vec<&Session>, CommandError> {
        if list.scope == ListScope::All {
            let mut sessions: Vec<&Session> = self.sessions.values().collect();
            sessions.sort_by(|a, b| a.name.cmp(&b.name));
            return Ok(sessions);
        }
        let location = self.resolve_or_recent(list.target.as_ref())?;
        Ok(self.sessions.get(&location.session).into_iter().collect())
    }

    pub(super) fn list_windows(&self, list: &List, host: &dyn Host) -> Outcome {
        let prefix = match list.scope {
            ListScope::All => "#{session_name}:",
            _ => "",
        };
        let mut out = String::new();
        for session in self.listed_sessions(list)? {
            for window in session.windows() {
                let scope = Scope {
                    session,
                    window: Some(window),
                    pane: placed(window, window.active()),
                };
                let line = match &list.format {
                    Some(template) => self.expand(template, &scope, host),
                    None => self.expand(&format!("{prefix}{WINDOW_LINE}"), &scope, host),
                };
                out.push_str(&line);
                out.push('\n');
            }
        }
        Ok(out)
    }

    pub(super) fn list_panes(&self, list: &List, host: &dyn Host) -> Outcome {
        let (windows, prefix) = match list.scope {
            ListScope::Target => {
                let location = self.resolve_or_recent(list.target.as_ref())?;
                let session = &self.sessions[&location.session];
                (vec![(session, location.window)], "")
            }
            ListScope::Session => {
                let sessions = self.listed_sessions(list)?;
                (windows_of(&sessions), "#{window_index}.")
            }
            ListScope::All => {
                let sessions = self.listed_sessions(list)?;
                (windows_of(&sessions), "#{session_name}:#{window_index}.")
            }
        };
        let mut out = String::new();
        for (session, index) in windows {
            let Some(window) = session.window(index) else {
                continue;
            };
            for (pane_index, (id, rect)) in window.rects().into_iter().enumerate() {
                let scope = Scope {
                    session,
                    window: Some(window),
                    pane: Some((pane_index, id, rect)),
                };
                let line = match &list.format {
                    Some(template) => self.expand(template, &scope, host),
                    None => self.expand(&format!("{prefix}{PANE_LINE}"), &scope, host),
                };
                out.push_str(&line);
                out.push('\n');
            }
        }
        Ok(out)
    }

    /// `display-message -p`: the format expanded for the target pane, one line.
    pub(super) fn display_message(
        &self,
        target: Option<&Target>,
        template: &str,
        host: &dyn Host,
    ) -> Outcome {
        let location = self.resolve_or_recent(target)?;
        Ok(self.expand_at(&location, template, host) + "\n")
    }

    /// A format expanded for the pane at `location`.
    pub(super) fn expand_at(&self, location: &Location, template: &str, host: &dyn Host) -> String {
        let session = &self.sessions[&location.session];
        let window = session.window(location.window);
        let pane = window.and_then(|window| placed(window, location.pane));
        let scope = Scope {
            session,
            window,
            pane,
        };
        self.expand(template, &scope, host)
    }

    fn expand(&self, template: &str, scope: &Scope<'_>, host: &dyn Host) -> String {
        format::expand(template, &|name| self.variable(scope, host, name))
    }

    /// One of tmux's format variables, for what `scope` describes; `None` when it names
    /// nothing moshmux has (an empty string in the output, as in tmux).
    fn variable(&self, scope: &Scope<'_>, host: &dyn Host, name: &str) -> Option<String> {
        let flag = |set: bool| if set { "1" } else { "0" }.to_string();
        let session = scope.session;
        let value = match name {
            "session_name" => session.name.clone(),
            "session_id" => session.id.to_string(),
            "session_windows" => session.windows().count().to_string(),
            "session_attached" => self.attached_clients(session.id).to_string(),
            "session_created" => session
                .created
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_secs())
                .to_string(),
            "host" => self.host_name.clone(),
            "host_short" => self.host_name.split('.').next().unwrap_or("").to_string(),
            _ => return self.window_variable(scope, host, name, flag),
        };
        Some(value)
    }

    fn window_variable(
        &self,
        scope: &Scope<'_>,
        host: &dyn Host,
        name: &str,
        flag: impl Fn(bool) -> String,
    ) -> Option<String> {
        let window = scope.window?;
        let active = window.index == scope.session.active_window();
        let last = scope.session.last_window() == Some(window.index);
        let value = match name {
            "window_index" => window.index.to_string(),
            "window_name" => printable(&self.window_name(window), MAX_NAME_LEN),
            "window_panes" => window.panes().len().to_string(),
            "window_active" => flag(active),
            "window_width" => window.size().cols.to_string(),
            "window_height" => window.size().rows.to_string(),
            "window_zoomed_flag" => flag(window.is_zoomed()),
            "window_last_flag" => flag(last),
            "window_bell_flag" => flag(window.bell_flag()),
            "window_flags" => {
                let mut flags = String::new();
                if window.bell_flag() {
                    flags.push('!');
                }
                if active {
                    flags.push('*');
                }
                if last {
                    flags.push('-');
                }
                if window.is_zoomed() {
                    flags.push('Z');
                }
                flags
            }
            _ => return self.pane_variable(scope, window, host, name, flag),
        };
        Some(value)
    }

    fn pane_variable(
        &self,
        scope: &Scope<'_>,
        window: &Window,
        host: &dyn Host,
        name: &str,
        flag: impl Fn(bool) -> String,
    ) -> Option<String> {
        let (index, id, rect) = scope.pane?;
        let pane = self.panes.get(&id);
        let last = |start: u16, len: u16| (start + len).saturating_sub(1).to_string();
        let value = match name {
            "pane_id" => id.to_string(),
            "pane_index" => index.to_string(),
            "pane_width" => rect.cols.to_string(),
            "pane_height" => rect.rows.to_string(),
            "pane_left" => rect.x.to_string(),
            "pane_top" => rect.y.to_string(),
            "pane_right" => last(rect.x, rect.cols),
            "pane_bottom" => last(rect.y, rect.rows),
            "pane_active" => flag(id == window.active()),
            "pane_dead" => flag(pane.is_none()),
            "pane_pid" => pane?.pid()?.to_string(),
            "pane_current_command" => printable(pane?.current_command(), MAX_NAME_LEN),
            // As in tmux, a pane's title is the host's name until its program sets one.
            "pane_title" => match pane?.title() {
                "" => self.host_name.clone(),
                title => printable(title, TITLE_CHARS),
            },
            "pane_current_path" => host.current_path(id)?.to_string_lossy().into_owned(),
            _ => return None,
        };
        Some(value)
    }
}

/// A pane of the window with its index and place.
fn placed(window: &Window, pane: PaneId) -> Option<(usize, PaneId, Rect)> {
    window
        .rects()
        .into_iter()
        .enumerate()
        .find(|(_, (id, _))| *id == pane)
        .map(|(index, (id, rect))| (index, id, rect))
}

/// Every window of the sessions, in order.
fn windows_of<'a>(sessions: &[&'a Session]) -> Vec<(&'a Session, u32)> {
    sessions
        .iter()
        .flat_map(|session| {
            session
                .windows()
                .map(move |window| (*session, window.index))
        })
        .collect()
}
