//! History without a daemon: when none runs, `ls -a`, `capture-pane -t %ID` and
//! `search-history -t %ID` open the store themselves, briefly, and read it. History on
//! disk is the point of the store; it must not take starting a session to read it.
//!
//! The store admits one process at a time, so a daemon that starts meanwhile waits for
//! the reader to let go (`history::open`). Nothing is written: an earlier daemon's panes
//! stay as it left them, for the next daemon to end (and to say so).

use crate::client::OutputError;
use crate::control::{Reply, Request};
use crate::history;
use crate::output_stream;
use crate::pane_id::PaneId;
use crate::paths::RuntimePaths;
use crate::store_health::moved_aside_hint;
use crate::target::Target;
use moshmux_store::{HistoryStore, StoreError, StoreOptions};
use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;

/// Answers `request` from the store, if it is one the store alone can answer; `None`
/// otherwise (the caller reports that no server runs).
pub fn request(
    paths: &RuntimePaths,
    request: &Request,
    out: &mut dyn Write,
) -> Option<anyhow::Result<Reply>> {
    let pane = match request {
        Request::ListAll(()) => None,
        Request::CapturePane(capture) => Some(pane_target(&capture.target)?),
        Request::SearchHistory(search) => Some(pane_target(&search.target)?),
        _ => return None,
    };
    Some(answer(paths, request, pane, out))
}

/// The pane a `%ID` target names; a session or window needs a running server.
fn pane_target(target: &Target) -> Option<PaneId> {
    match target {
        &Target::Pane(id) => Some(id),
        Target::Path { .. } => None,
    }
}

fn answer(
    paths: &RuntimePaths,
    request: &Request,
    pane: Option<PaneId>,
    out: &mut dyn Write,
) -> anyhow::Result<Reply> {
    if !paths.state.exists() {
        return Ok(match pane {
            None => Reply::Ok(String::new()),
            Some(id) => Reply::Error(format!("can't find pane {id}: no history is kept here")),
        });
    }
    paths.check_state_dir()?;
    let store = match HistoryStore::open(&paths.state, StoreOptions::default()) {
        Ok(store) => Arc::new(store),
        Err(StoreError::Locked(_)) => anyhow::bail!(
            "a server is starting on {}; run the command again",
            paths.state.display()
        ),
        Err(error) => anyhow::bail!("reading the history in {}: {error}", paths.state.display()),
    };
    let Some(id) = pane else {
        return Ok(Reply::Ok(history::list_ended(&store, &HashSet::new())));
    };
    if !history::known(&store, id) {
        let hint = moved_aside_hint(&store).map_or(String::new(), |hint| format!("; {hint}"));
        return Ok(Reply::Error(format!(
            "can't find pane {id}; no server is running{hint}"
        )));
    }
    let plan = match request {
        Request::CapturePane(capture) => {
            output_stream::plan(store, id, None, capture.start, capture.end, capture.escapes)
        }
        Request::SearchHistory(search) => {
            output_stream::plan_search(store, id, search.pattern.clone())
        }
        _ => return Ok(Reply::Ok(String::new())),
    };
    let mut written = Ok(());
    plan.render(|piece| {
        written = out.write_all(piece.as_bytes());
        written.is_ok()
    })
    .map_err(anyhow::Error::msg)?;
    written.map_err(OutputError)?;
    Ok(Reply::Ok(String::new()))
}
