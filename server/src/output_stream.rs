//! `capture-pane` and `search-history` of any length: the mux works out what to print (it
//! alone knows the screen), and the control connection's task prints it piece by piece,
//! reading history from the store as the reader takes it. So a capture of millions of
//! lines costs the daemon one piece of memory, never holds up the mux, waits as long as
//! its reader does (a pager), and stops as soon as the reader goes away (`| head -1`).
//!
//! Line numbers as tmux counts them: 0 is the screen's first row, -1 the newest history
//! line, `-` the oldest line still kept. The store numbers a pane's lines from 0 (its
//! oldest line ever); history line `-k` is store line `next - k`.

use crate::control::{self, LineRef, Reply, OUTPUT_PIECE_BYTES};
use crate::pane_id::PaneId;
use moshmux_proto::LineNumber;
use moshmux_store::HistoryStore;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;
use tokio::io::AsyncWrite;
use tokio::sync::mpsc;

/// Lines read from the store at once, so a capture never holds more of them decoded.
const READ_CHUNK_LINES: u64 = 4096;

/// Lines one search lane scans per step: a few dozen blocks, so a step's hand-over is
/// small beside its decompression.
const SEARCH_STEP_LINES: u64 = 16384;

/// At most this many threads search one history at once.
const MAX_SEARCH_LANES: usize = 4;

/// Pieces rendered ahead of the socket: enough to keep the reader busy, few enough that
/// a reader that stops costs next to nothing.
const PIECES_AHEAD: usize = 2;

/// What one command prints from a stretch of a pane's history.
pub struct OutputPlan {
    store: Arc<HistoryStore>,
    id: PaneId,
    /// Store line numbers.
    history: Range<LineNumber>,
    print: Print,
}

enum Print {
    /// `capture-pane`: the lines, then rows of the screen (rendered).
    Lines { screen: Vec<String>, escapes: bool },
    /// `search-history`: the number of each line containing `needle`, as `capture-pane
    /// -S` takes it.
    Matches { needle: String },
}

/// Works out lines `start..=end` (tmux numbering) of a pane's history and `screen` (its
/// rows, rendered; `None` for an ended pane). With no `start`/`end`, a live pane prints
/// its screen and an ended pane its whole history.
pub fn plan(
    store: Arc<HistoryStore>,
    id: PaneId,
    screen: Option<Vec<String>>,
    start: Option<LineRef>,
    end: Option<LineRef>,
    escapes: bool,
) -> OutputPlan {
    let (first, next) = store
        .info(id)
        .map_or((0, 0), |info| (info.first_line.0, info.next_line.0));
    let history = (next - first) as i64;
    let live = screen.is_some();
    let rows = screen.unwrap_or_default();
    let last_row = rows.len() as i64 - 1;
    let default_start = if live {
        LineRef::Number(0)
    } else {
        LineRef::Oldest
    };
    let position = |line: LineRef, oldest: i64| match line {
        LineRef::Oldest => oldest,
        LineRef::Number(n) => n,
    };
    let mut top = position(start.unwrap_or(default_start), -history).max(-history);
    let mut bottom = position(end.unwrap_or(LineRef::Oldest), last_row).min(last_row);
    top = top.min(last_row.max(-1));
    bottom = bottom.max(-history);
    if bottom < top {
        std::mem::swap(&mut top, &mut bottom);
    }
    let history = if top < 0 {
        LineNumber((next as i64 + top) as u64)
            ..LineNumber((next as i64 + bottom.min(-1) + 1) as u64)
    } else {
        LineNumber(next)..LineNumber(next)
    };
    let screen = rows
        .into_iter()
        .take((bottom + 1).max(0) as usize)
        .skip(top.max(0) as usize)
        .collect();
    OutputPlan {
        store,
        id,
        history,
        print: Print::Lines { screen, escapes },
    }
}

/// Plans `search-history`: every kept history line of the pane, oldest first.
pub fn plan_search(store: Arc<HistoryStore>, id: PaneId, needle: String) -> OutputPlan {
    let history = store.info(id).map_or(LineNumber(0)..LineNumber(0), |info| {
        info.first_line..info.next_line
    });
    OutputPlan {
        store,
        id,
        history,
        print: Print::Matches { needle },
    }
}

impl OutputPlan {
    /// Renders the output, handing `emit` pieces of about [`OUTPUT_PIECE_BYTES`]; stops
    /// early, without error, once `emit` returns false (nobody reads any more). Blocks on
    /// the store's reads: run it off the mux.
    pub fn render(self, mut emit: impl FnMut(String) -> bool) -> Result<(), String> {
        let reading = |e| format!("reading history of {}: {e}", self.id);
        let mut out = String::new();
        match &self.print {
            Print::Lines { escapes, .. } => {
                let mut from = self.history.start;
                while from < self.history.end {
                    let chunk_end = self.history.end.min(from + READ_CHUNK_LINES);
                    let page = self.store.read(self.id, from..chunk_end).map_err(reading)?;
                    for line in &page.lines {
                        moshmux_terminal::render_line(line, *escapes, &mut out);
                        out.push('\n');
                        if out.len() >= OUTPUT_PIECE_BYTES && !emit(std::mem::take(&mut out)) {
                            return Ok(());
                        }
                    }
                    from = chunk_end;
                }
            }
            Print::Matches { needle } => {
                let to = self.history.end.0 as i64;
                let mut failure = None;
                let mut reader_gone = false;
                search_in_lanes(
                    &self.store,
                    self.id,
                    self.history.clone(),
                    needle,
                    |found| {
                        let numbers = match found {
                            Ok(numbers) => numbers,
                            Err(error) => {
                                failure = Some(reading(error));
                                return false;
                            }
                        };
                        for number in numbers {
                            let _ = writeln!(out, "{}", number.0 as i64 - to);
                            if out.len() >= OUTPUT_PIECE_BYTES && !emit(std::mem::take(&mut out)) {
                                reader_gone = true;
                                return false;
                            }
                        }
                        true
                    },
                );
                if let Some(failure) = failure {
                    return Err(failure);
                }
                if reader_gone {
                    return Ok(());
                }
            }
        }
        if let Print::Lines { screen, .. } = self.print {
            for row in screen {
                out.push_str(&row);
                out.push('\n');
                if out.len() >= OUTPUT_PIECE_BYTES && !emit(std::mem::take(&mut out)) {
                    return Ok(());
                }
            }
        }
        if !out.is_empty() {
            emit(out);
        }
        Ok(())
    }

    /// Prints the output over a control connection as `Output` frames and a last `Ok`
    /// (or `Error`), rendering on a blocking thread a few pieces ahead of the socket.
    /// There is no deadline: a pager may keep its reader waiting for as long as its user
    /// reads, and meanwhile this holds two pieces and a parked thread. A reader that goes
    /// away ends it at once.
    pub async fn send(
        self,
        stream: &mut (impl AsyncWrite + Unpin),
    ) -> Result<(), control::ControlError> {
        let (pieces_tx, mut pieces) = mpsc::channel(PIECES_AHEAD);
        let renderer = tokio::task::spawn_blocking(move || {
            self.render(|piece| pieces_tx.blocking_send(piece).is_ok())
        });
        while let Some(piece) = pieces.recv().await {
            // An error drops `pieces`, which stops the renderer at its next piece.
            control::write_reply(stream, &Reply::Output(piece)).await?;
        }
        let last = match renderer.await {
            Ok(Ok(())) => Reply::Ok(String::new()),
            Ok(Err(message)) => Reply::Error(message),
            Err(error) => Reply::Error(format!("capture failed: {error}")),
        };
        control::write_reply(stream, &last).await
    }
}

/// Hands `each` the numbers of the lines in `range` that contain `needle`, a step of
/// [`SEARCH_STEP_LINES`] at a time and in order, until it returns false. Decompressing
/// the blocks is nearly all of a search, so steps are scanned by one thread per core
/// (at most [`MAX_SEARCH_LANES`]), each a step ahead of the reader at most: lane `k`
/// takes steps `k`, `k + lanes`, ..., and the steps are handed over in turn.
fn search_in_lanes(
    store: &HistoryStore,
    pane: PaneId,
    range: Range<LineNumber>,
    needle: &str,
    mut each: impl FnMut(Result<Vec<LineNumber>, moshmux_store::StoreError>) -> bool,
) {
    let steps: Vec<Range<LineNumber>> = (range.start.0..range.end.0)
        .step_by(SEARCH_STEP_LINES as usize)
        .map(|start| LineNumber(start)..range.end.min(LineNumber(start) + SEARCH_STEP_LINES))
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let lanes = cores.clamp(1, MAX_SEARCH_LANES).min(steps.len()).max(1);
    std::thread::scope(|scope| {
        let lanes: Vec<_> = (0..lanes)
            .map(|lane| {
                let (found, handed) = std::sync::mpsc::sync_channel(1);
                let steps = &steps;
                scope.spawn(move || {
                    for step in steps.iter().skip(lane).step_by(lanes) {
                        // A closed channel: the reader stopped; stop scanning.
                        if found
                            .send(store.matching_lines(pane, step.clone(), needle))
                            .is_err()
                        {
                            return;
                        }
                    }
                });
                handed
            })
            .collect();
        for step in 0..steps.len() {
            let Some(Ok(found)) = lanes.get(step % lanes.len()).map(|lane| lane.recv()) else {
                break;
            };
            if !each(found) {
                break;
            }
        }
        // Dropping the receivers here ends every lane at its next hand-over.
        drop(lanes);
    });
}
