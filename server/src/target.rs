//! Target syntax as tmux writes it: `session`, `session:window`, `session:window.pane`,
//! or `%ID`. Parsing is pure; resolving against what exists is the mux's job.
//!
//! Text is parsed once, where it arrives (the command line, the command prompt), so a
//! malformed target is refused before anything is sent, and the control requests carry
//! a [`Target`], never the text. The mux's own callers (a client's keys) name a session
//! by its id ([`SessionRef::Id`]), which no rename can make ambiguous.

use crate::pane_id::{PaneId, SessionId};
use moshmux_proto::label::printable;
use serde::{Deserialize, Serialize};

/// Most characters of what the user typed that an error line repeats.
const QUOTED_CHARS: usize = 64;

/// User text as an error line repeats it: control characters escaped, cut short, so a
/// hostile or mistaken argument can neither drive the terminal nor fill the screen.
pub fn quoted(text: &str) -> String {
    printable(text, QUOTED_CHARS)
}

/// A pane, window or session to act on, as parsed from the user's text or named by the
/// mux itself. It travels in control requests as it is: a peer may send any value, so
/// the mux checks each part against what exists and never assumes the parser made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// `%ID`: one pane wherever it is.
    Pane(PaneId),
    /// A session, optionally narrowed to a window and a pane; a missing part means the
    /// session's (or window's) active one.
    Path {
        session: SessionRef,
        window: Option<WindowRef>,
        pane: Option<usize>,
    },
}

/// A session by the name the user typed, or by the id the mux knows it by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionRef {
    Name(String),
    /// Never parsed from text (tmux's `$N` is not taken, so a session named `$1` stays
    /// reachable by name); the mux's callers use it for the session a client is in.
    Id(SessionId),
    /// No name before the `:` (`:logs`, `:1.0`): as in tmux, the current session, which
    /// outside a client is the session used last (the one a prompt's client is in).
    Current,
}

/// A window by index (`0`) or, failing that, by name (`vim`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WindowRef {
    Index(u32),
    Name(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("bad pane id \"{}\": pane ids look like %3", quoted(.0))]
    BadPaneId(String),
    #[error("bad pane index \"{}\" in target: pane indexes are numbers", quoted(.0))]
    BadPaneIndex(String),
}

impl Target {
    /// A session's active window and pane.
    pub fn session(session: SessionRef) -> Target {
        Target::Path {
            session,
            window: None,
            pane: None,
        }
    }

    /// A window's active pane, by the session's id and the window's index.
    pub fn window(id: SessionId, index: u32) -> Target {
        Target::Path {
            session: SessionRef::Id(id),
            window: Some(WindowRef::Index(index)),
            pane: None,
        }
    }

    pub fn parse(text: &str) -> Result<Target, TargetError> {
        if let Some(id) = text.strip_prefix('%') {
            return id
                .parse()
                .map(|id| Target::Pane(PaneId(id)))
                .map_err(|_| TargetError::BadPaneId(text.to_string()));
        }
        let (session, rest) = match text.split_once(':') {
            Some((session, rest)) => (session, Some(rest)),
            None => (text, None),
        };
        let (window, pane) = match rest.map(|rest| rest.split_once('.')) {
            None => (None, None),
            Some(None) => (rest, None),
            Some(Some((window, pane))) => (Some(window), Some(pane)),
        };
        let window = window.filter(|w| !w.is_empty()).map(|w| match w.parse() {
            Ok(index) => WindowRef::Index(index),
            Err(_) => WindowRef::Name(w.to_string()),
        });
        let pane = match pane.filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => Some(
                p.parse()
                    .map_err(|_| TargetError::BadPaneIndex(p.to_string()))?,
            ),
        };
        let session = match session {
            "" => SessionRef::Current,
            name => SessionRef::Name(name.to_string()),
        };
        Ok(Target::Path {
            session,
            window,
            pane,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(session: &str, window: Option<WindowRef>, pane: Option<usize>) -> Target {
        Target::Path {
            session: SessionRef::Name(session.to_string()),
            window,
            pane,
        }
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(Target::parse("%12"), Ok(Target::Pane(PaneId(12))));
        assert_eq!(Target::parse("work"), Ok(path("work", None, None)));
        assert_eq!(
            Target::parse("work:2"),
            Ok(path("work", Some(WindowRef::Index(2)), None))
        );
        assert_eq!(
            Target::parse("0:1.3"),
            Ok(path("0", Some(WindowRef::Index(1)), Some(3)))
        );
        assert_eq!(
            Target::parse("work:vim.0"),
            Ok(path("work", Some(WindowRef::Name("vim".into())), Some(0)))
        );
        assert_eq!(Target::parse("work:"), Ok(path("work", None, None)));
        assert_eq!(Target::parse("work:.1"), Ok(path("work", None, Some(1))));
        // No session before the colon: the current one, as in tmux.
        assert_eq!(
            Target::parse(":logs.1"),
            Ok(Target::Path {
                session: SessionRef::Current,
                window: Some(WindowRef::Name("logs".into())),
                pane: Some(1),
            })
        );
    }

    #[test]
    fn rejects_malformed_targets() {
        assert_eq!(
            Target::parse("%x"),
            Err(TargetError::BadPaneId("%x".into()))
        );
        assert_eq!(
            Target::parse("a:1.b"),
            Err(TargetError::BadPaneIndex("b".into()))
        );
    }
}
