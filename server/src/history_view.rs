//! One client's end of the history channel: what its scroll view asked for, which
//! history lines its host state holds, and the answer to its search.
//!
//! The lines a client's host state holds are also its cache: the SSP diff sends a line
//! only when the client's state lacks it, so keeping lines the client may want again (up
//! to [`CACHE_LINES`]) means they are never sent twice. History must never delay the
//! screen: each top-up adds at most [`TOPUP_BUDGET`] bytes of new lines, the requested
//! page first, and top-ups come at most every [`TOPUP_INTERVAL`], so a frame that
//! carries history stays a few datagrams and the rest follows in the next frames. A
//! search reads [`SEARCH_STEP_LINES`] lines per publication, for the same reason.

use moshmux_proto::codec;
use moshmux_proto::ids::{line_numbers, numbered};
use moshmux_proto::screen::{HistoryLines, SearchResult};
use moshmux_proto::{HostState, LineNumber, PaneId, ScrollRequest, SearchDirection, SearchRequest};
use moshmux_store::HistoryStore;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most encoded bytes of history lines one top-up adds: a 24-row page of 80-column text
/// fits about eight times, and compressed it is a few datagrams.
pub const TOPUP_BUDGET: usize = 16 << 10;
/// Shortest time between two top-ups of one client: SSP's shortest send interval, so
/// each frame carries at most about one budget of history.
pub const TOPUP_INTERVAL: Duration = Duration::from_millis(20);
/// Most history lines a client's state keeps; the ones farthest from the view go first.
pub const CACHE_LINES: usize = 4096;
/// Most lines sent ahead of a fast reader: half the cache, so the lines behind the view
/// stay too.
pub const MAX_LEAD_LINES: u64 = CACHE_LINES as u64 / 2;
/// A reader who stops this long starts again at rest: their speed is of a new reading.
const READER_PAUSE: Duration = Duration::from_secs(2);

/// Lines one search step reads (a few milliseconds): a search of a long history runs
/// over many publications instead of holding up the mux, and so the screens, at once.
pub const SEARCH_STEP_LINES: u64 = 4096;

/// A search under way: the lines from `next` on in its direction are still to be read.
#[derive(Debug)]
struct Search {
    request: SearchRequest,
    next: LineNumber,
}

#[derive(Debug, Default)]
pub struct HistoryView {
    scroll: Option<ScrollRequest>,
    /// The newest search answered.
    search: Option<SearchRequest>,
    lines: HistoryLines,
    result: Option<SearchResult>,
    searching: Option<Search>,
    /// Some line the view wants is not in `lines` yet (as far as we knew last time).
    pending: bool,
    /// `lines` or `result` changed since the client was last handed a state.
    changed: bool,
    next_topup: Option<Instant>,
    reader: Reader,
    /// [`lead_time`] of the client's link when the view last moved.
    lead_time: Duration,
}

/// How fast and which way the reader moves through history, so lines are sent ahead of
/// them by what they will read before the next lines could arrive: a fixed margin of two
/// pages was outrun by a reader paging every 50 ms on a 200 ms round trip.
#[derive(Debug, Default)]
struct Reader {
    /// The view's top line when it last moved, and when.
    last: Option<(LineNumber, Instant)>,
    /// Lines per second, smoothed over the last few moves.
    speed: f64,
    /// The last move went towards newer lines.
    newer: bool,
}

impl Reader {
    fn moved_to(&mut self, first: LineNumber, now: Instant) {
        if let Some((from, at)) = self.last {
            let elapsed = now.saturating_duration_since(at);
            if first != from {
                let newer = first > from;
                let speed = first.distance(from) as f64 / elapsed.as_secs_f64().max(0.01);
                self.speed = if elapsed > READER_PAUSE || newer != self.newer {
                    speed
                } else {
                    (self.speed + speed) / 2.0
                };
                self.newer = newer;
            }
        }
        self.last = Some((first, now));
    }

    /// Lines to send ahead of a view of `rows` rows: what the reader reads in `lead_time`
    /// at their speed, at least two pages, at most [`MAX_LEAD_LINES`].
    fn lead_lines(&self, rows: u64, lead_time: Duration) -> u64 {
        let reading = (self.speed * lead_time.as_secs_f64()) as u64;
        reading.clamp(2 * rows, MAX_LEAD_LINES.max(2 * rows))
    }
}

/// How long lines sent now take to reach the reader, with a loss or two repaired on the
/// way: the lead a reader needs on a link of this round trip.
pub fn lead_time(srtt: Duration) -> Duration {
    srtt * 4 + Duration::from_millis(250)
}

impl HistoryView {
    /// Takes the client's newest requests at `now`, on a link of round trip `srtt`; a new
    /// search runs at once, over the store. True when a request changed.
    pub fn set_requests(
        &mut self,
        store: &HistoryStore,
        scroll: Option<ScrollRequest>,
        search: Option<SearchRequest>,
        now: Instant,
        srtt: Duration,
    ) -> bool {
        let changed = scroll != self.scroll || (search.is_some() && search != self.search);
        if scroll != self.scroll {
            match scroll {
                Some(request) => self.reader.moved_to(request.first, now),
                None => self.reader = Reader::default(),
            }
            self.lead_time = lead_time(srtt);
            self.scroll = scroll;
            self.pending = scroll.is_some();
            // A new page is wanted now, not after the pacing interval.
            self.next_topup = None;
        }
        if search.is_some() && search != self.search {
            if let Some(request) = &search {
                // The line itself is not searched, so `n` from a match finds the next one.
                let next = match request.direction {
                    SearchDirection::Older => request.from,
                    SearchDirection::Newer => request.from.saturating_add(1),
                };
                self.searching = Some(Search {
                    request: request.clone(),
                    next,
                });
                self.search_step(store);
            }
            self.search = search;
        }
        changed
    }

    /// Reads the next [`SEARCH_STEP_LINES`] lines of a search under way; a match, or the
    /// end of what is kept, answers it.
    pub fn search_step(&mut self, store: &HistoryStore) {
        let Some(search) = &mut self.searching else {
            return;
        };
        let pane = search.request.pane;
        let needle = search.request.needle.as_str();
        // The lines this step reads, and whether they are the last ones kept.
        let range = store
            .info(pane)
            .and_then(|info| match search.request.direction {
                SearchDirection::Older => {
                    let end = search.next.min(info.next_line);
                    let start = end.saturating_sub(SEARCH_STEP_LINES).max(info.first_line);
                    (end > info.first_line).then_some((start..end, start == info.first_line))
                }
                SearchDirection::Newer => {
                    let start = search.next.max(info.first_line);
                    let end = start.saturating_add(SEARCH_STEP_LINES).min(info.next_line);
                    (start < info.next_line).then_some((start..end, end == info.next_line))
                }
            });
        let found = match range.map(|(range, last)| {
            (
                store.matching_lines(pane, range.clone(), needle),
                range,
                last,
            )
        }) {
            None => None,
            Some((Err(error), ..)) => {
                tracing::warn!(%pane, %error, "history search stopped");
                None
            }
            Some((Ok(matches), range, last)) => {
                let at = match search.request.direction {
                    SearchDirection::Older => matches.last(),
                    SearchDirection::Newer => matches.first(),
                };
                match at {
                    Some(&at) => Some(at),
                    None if last => None,
                    None => {
                        search.next = match search.request.direction {
                            SearchDirection::Older => range.start,
                            SearchDirection::Newer => range.end,
                        };
                        return;
                    }
                }
            }
        };
        self.result = Some(SearchResult {
            id: search.request.id,
            line: found,
        });
        self.searching = None;
        self.changed = true;
    }

    /// Output arrived in `pane`: lines the view wants may exist now.
    pub fn history_grew(&mut self, pane: PaneId) {
        if self.scroll.is_some_and(|s| s.pane == pane) {
            self.pending = true;
        }
    }

    /// Whether a top-up, a search step or a new answer waits to be published.
    pub fn wants_publish(&self) -> bool {
        self.pending || self.changed || self.searching.is_some()
    }

    /// Whether lines or an answer arrived since the last [`HistoryView::dress`].
    pub fn has_news(&self) -> bool {
        self.changed
    }

    /// Adds up to [`TOPUP_BUDGET`] bytes of the lines the view wants, if a top-up is due.
    pub fn top_up(&mut self, store: &HistoryStore, now: Instant) {
        let Some(request) = self.scroll else {
            return;
        };
        if !self.pending || self.next_topup.is_some_and(|at| now < at) {
            return;
        }
        self.next_topup = Some(now + TOPUP_INTERVAL);
        let Some(info) = store.info(request.pane) else {
            self.pending = false;
            return;
        };
        let kept = info.first_line..info.next_line;
        let mut spent = 0;
        self.pending = false;
        let lead = self
            .reader
            .lead_lines(u64::from(request.rows), self.lead_time);
        for range in wanted(&request, lead, self.reader.newer) {
            let range = range.start.max(kept.start)..range.end.min(kept.end);
            let missing: Vec<LineNumber> = line_numbers(range)
                .filter(|&line| !self.lines.contains_key(&(request.pane, line)))
                .collect();
            let (Some(&lo), Some(&hi)) = (missing.first(), missing.last()) else {
                continue;
            };
            if spent >= TOPUP_BUDGET {
                self.pending = true;
                break;
            }
            let page = match store.read(request.pane, lo..hi.next()) {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(pane = %request.pane, %error, "history page unreadable");
                    continue;
                }
            };
            for (line, row) in numbered(page.first, page.lines) {
                let key = (request.pane, line);
                if self.lines.contains_key(&key) {
                    continue;
                }
                let size = codec::encode(&row).len();
                if spent > 0 && spent + size > TOPUP_BUDGET {
                    self.pending = true;
                    break;
                }
                spent += size;
                self.lines.insert(key, Arc::new(row));
                self.changed = true;
            }
        }
        self.evict(&request);
    }

    /// Keeps at most [`CACHE_LINES`] lines: other panes' go first, then the farthest
    /// from the view.
    fn evict(&mut self, request: &ScrollRequest) {
        let excess = self.lines.len().saturating_sub(CACHE_LINES);
        if excess == 0 {
            return;
        }
        let centre = request.first.saturating_add(u64::from(request.rows) / 2);
        let mut keys: Vec<(PaneId, LineNumber)> = self.lines.keys().copied().collect();
        keys.sort_by_key(|&(pane, line)| {
            std::cmp::Reverse((pane != request.pane, line.distance(centre)))
        });
        for key in keys.into_iter().take(excess) {
            self.lines.remove(&key);
        }
    }

    /// The client's state: the session's, with this client's history and answer.
    pub fn dress(&mut self, session: &HostState) -> HostState {
        self.changed = false;
        HostState {
            history: self.lines.clone(),
            search: self.result,
            ..session.clone()
        }
    }

    /// Whether the client's state differs from the session's at all.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.result.is_none()
    }
}

/// The lines a view wants, most wanted first: its page, then `lead` lines a page at a
/// time the way the reader moves (back, for a reader who has not moved yet: scrolling
/// back is the usual way), then a page the other way.
fn wanted(request: &ScrollRequest, lead: u64, newer: bool) -> Vec<Range<LineNumber>> {
    let rows = u64::from(request.rows).max(1);
    let first = request.first;
    let end = first.saturating_add(rows);
    let older_page = |k: u64| first.saturating_sub(k * rows)..first.saturating_sub((k - 1) * rows);
    let newer_page = |k: u64| end.saturating_add((k - 1) * rows)..end.saturating_add(k * rows);
    let ahead =
        (1..=lead.div_ceil(rows)).map(|k| if newer { newer_page(k) } else { older_page(k) });
    let behind = if newer { older_page(1) } else { newer_page(1) };
    std::iter::once(first..end)
        .chain(ahead)
        .chain(std::iter::once(behind))
        .collect()
}

#[cfg(test)]
mod tests;
