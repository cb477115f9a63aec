use super::*;
use moshmux_proto::screen::Row;
use moshmux_proto::{Label, LineNumber, PaneId, SyncState};
use moshmux_store::StoreOptions;

/// A store whose pane 1 holds lines "0" to "n - 1", as `seq 0 n-1` leaves them.
fn store_with(dir: &tempfile::TempDir, n: u64, text: impl Fn(u64) -> String) -> HistoryStore {
    let store = HistoryStore::open(dir.path(), StoreOptions::default()).unwrap();
    for line in 0..n {
        store.append(PaneId(1), Row::plain(&text(line))).unwrap();
    }
    store
}

/// Takes the requests and runs any search they start to its end, as publications would.
fn ask(
    view: &mut HistoryView,
    store: &HistoryStore,
    scroll: Option<ScrollRequest>,
    search: Option<SearchRequest>,
) -> usize {
    view.set_requests(store, scroll, search, Instant::now(), Duration::ZERO);
    let mut steps = 1;
    while view.searching.is_some() {
        view.search_step(store);
        steps += 1;
    }
    steps
}

/// A scroll request at rest on a link with no delay (the lead is then two pages).
fn ask_page(view: &mut HistoryView, store: &HistoryStore, first: u64, rows: u16) {
    view.set_requests(
        store,
        request(first, rows),
        None,
        Instant::now(),
        Duration::ZERO,
    );
}

fn request(first: u64, rows: u16) -> Option<ScrollRequest> {
    Some(ScrollRequest {
        pane: PaneId(1),
        first: LineNumber(first),
        rows,
    })
}

fn texts(view: &HistoryView, lines: Range<u64>) -> Vec<Option<String>> {
    lines
        .map(|line| {
            view.lines
                .get(&(PaneId(1), LineNumber(line)))
                .map(|row| row.text().to_string())
        })
        .collect()
}

#[test]
fn a_request_gets_its_page_and_the_margin_around_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, 1000, |n| n.to_string());
    let mut view = HistoryView::default();
    ask_page(&mut view, &store, 500, 20);
    assert!(view.wants_publish());
    view.top_up(&store, Instant::now());
    assert!(!view.wants_publish() || view.changed);
    let expected: Vec<Option<String>> = (460..540).map(|n| Some(n.to_string())).collect();
    assert_eq!(texts(&view, 460..540), expected);
    assert_eq!(view.lines.len(), 80);
    let state = view.dress(&HostState::default());
    assert_eq!(state.history.len(), 80);
    assert!(!view.wants_publish());
    // Near the oldest line the margin stops there.
    ask_page(&mut view, &store, 5, 20);
    view.top_up(&store, Instant::now());
    assert_eq!(texts(&view, 0..1), [Some("0".to_string())]);
}

/// Tops the view up until it has all it wants (as publications would, budget by budget).
fn top_up_fully(view: &mut HistoryView, store: &HistoryStore, now: Instant) {
    let mut at = now;
    while view.wants_publish() {
        view.top_up(store, at);
        view.dress(&HostState::default());
        at += TOPUP_INTERVAL;
    }
}

#[test]
fn a_fast_reader_gets_lines_ahead_by_what_they_read_before_more_could_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, 20_000, |n| n.to_string());
    let srtt = Duration::from_millis(200);
    let start = Instant::now();
    let mut view = HistoryView::default();
    // At rest: two pages above, as before any reading.
    view.set_requests(&store, request(10_000, 23), None, start, srtt);
    top_up_fully(&mut view, &store, start);
    assert!(view
        .lines
        .contains_key(&(PaneId(1), LineNumber(10_000 - 46))));
    assert!(!view
        .lines
        .contains_key(&(PaneId(1), LineNumber(10_000 - 47))));
    // Paging up every 50 ms: 460 lines a second, over a lead of 4 round trips + 250 ms.
    let mut first = 10_000;
    let mut now = start;
    for _ in 0..6 {
        first -= 23;
        now += Duration::from_millis(50);
        view.set_requests(&store, request(first, 23), None, now, srtt);
        top_up_fully(&mut view, &store, now);
    }
    let lead = (460.0 * lead_time(srtt).as_secs_f64()) as u64;
    assert!(lead > 300, "{lead}");
    assert!(view
        .lines
        .contains_key(&(PaneId(1), LineNumber(first - lead + 23))));
    // Turning down: the lead follows, newer lines come first.
    let turned = first + 23;
    view.set_requests(
        &store,
        request(turned, 23),
        None,
        now + Duration::from_millis(50),
        srtt,
    );
    top_up_fully(&mut view, &store, now);
    assert!(view
        .lines
        .contains_key(&(PaneId(1), LineNumber(turned) + 23 + 300)));
}

#[test]
fn lines_the_client_holds_are_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, 1000, |n| format!("line {n} {}", "x".repeat(60)));
    let mut view = HistoryView::default();
    ask_page(&mut view, &store, 500, 20);
    view.top_up(&store, Instant::now());
    let first = view.dress(&HostState::default());
    // One line up, the way the margin already reaches.
    ask_page(&mut view, &store, 499, 20);
    view.top_up(&store, Instant::now());
    let second = view.dress(&HostState::default());
    let whole = first.diff_from(&HostState::default());
    let moved = second.diff_from(&first);
    assert!(
        moved.len() * 40 < whole.len(),
        "one line down: {} bytes; the first page {} bytes",
        moved.len(),
        whole.len()
    );
    let mut applied = first.clone();
    applied.apply(&moved).unwrap();
    assert_eq!(applied, second);
}

/// Long lines take several top-ups; the requested page comes first.
#[test]
fn a_top_up_stays_within_its_budget_and_the_page_comes_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, 2000, |n| format!("{n:>5}{}", "y".repeat(900)));
    let mut view = HistoryView::default();
    ask_page(&mut view, &store, 1000, 60);
    let mut now = Instant::now();
    view.top_up(&store, now);
    let encoded: usize = view.lines.values().map(|r| codec::encode(&**r).len()).sum();
    assert!(encoded <= TOPUP_BUDGET, "{encoded} bytes in one top-up");
    assert!(view
        .lines
        .keys()
        .all(|&(_, line)| (1000..1060).contains(&line.0)));
    // Not due yet: nothing happens.
    let held = view.lines.len();
    view.top_up(&store, now);
    assert_eq!(view.lines.len(), held);
    let mut rounds = 1;
    while view.pending {
        now += TOPUP_INTERVAL;
        view.top_up(&store, now);
        rounds += 1;
        assert!(rounds < 100);
    }
    assert_eq!(view.lines.len(), 240);
    assert!(rounds > 10, "{rounds} top-ups");
}

#[test]
fn search_finds_the_nearest_match_past_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, 1000, |n| n.to_string());
    let mut view = HistoryView::default();
    let search = |id, direction, from| {
        Some(SearchRequest {
            id,
            pane: PaneId(1),
            needle: Label::new("345"),
            direction,
            from,
        })
    };
    ask(
        &mut view,
        &store,
        None,
        search(1, SearchDirection::Older, LineNumber(999)),
    );
    assert_eq!(
        view.result,
        Some(SearchResult {
            id: 1,
            line: Some(LineNumber(345))
        })
    );
    ask(
        &mut view,
        &store,
        None,
        search(2, SearchDirection::Older, LineNumber(345)),
    );
    assert_eq!(view.result, Some(SearchResult { id: 2, line: None }));
    ask(
        &mut view,
        &store,
        None,
        search(3, SearchDirection::Newer, LineNumber(0)),
    );
    assert_eq!(
        view.result,
        Some(SearchResult {
            id: 3,
            line: Some(LineNumber(345))
        })
    );
    ask(
        &mut view,
        &store,
        None,
        search(4, SearchDirection::Newer, LineNumber(345)),
    );
    assert_eq!(view.result.map(|r| r.line), Some(None));
    assert!(view.wants_publish());
}

#[test]
fn the_cache_keeps_the_lines_nearest_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(&dir, 20_000, |n| n.to_string());
    let mut view = HistoryView::default();
    let mut now = Instant::now();
    for first in (0..12_000).step_by(100) {
        ask_page(&mut view, &store, first, 100);
        view.top_up(&store, now);
        now += TOPUP_INTERVAL;
    }
    assert_eq!(view.lines.len(), CACHE_LINES);
    assert!(view.lines.contains_key(&(PaneId(1), LineNumber(11_950))));
    assert!(!view.lines.contains_key(&(PaneId(1), LineNumber(0))));
}

/// Prints what a page costs on the wire (`cargo test -p moshmux-server --lib
/// history_view::tests::page_figures -- --nocapture`): the first top-up of a 23-row view
/// (its page and margin), and one PageUp after it, compressed as SSP sends them; and how
/// long the mux spends on a search that reads the whole history.
#[test]
fn page_figures() {
    type LineText = fn(u64) -> String;
    let kinds: [(&str, LineText); 2] = [
        ("seq", |n| n.to_string()),
        ("80-column text", |n| {
            format!("{n:>6} {}", "lorem ipsum dolor sit amet ".repeat(3))
        }),
    ];
    for (name, text) in kinds {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(&dir, 50_000, text);
        let mut view = HistoryView::default();
        let mut now = Instant::now();
        let mut sizes = Vec::new();
        let mut state = HostState::default();
        for first in [40_000, 40_000 - 23] {
            view.set_requests(&store, request(first, 23), None, now, Duration::ZERO);
            view.top_up(&store, now);
            // A reader skimming: a page every 300 ms.
            now += Duration::from_millis(300);
            let next = view.dress(&HostState::default());
            sizes.push(codec::compress(&next.diff_from(&state)).len());
            state = next;
        }
        let started = Instant::now();
        let missing = SearchRequest {
            id: 1,
            pane: PaneId(1),
            needle: Label::new("no such text"),
            direction: SearchDirection::Older,
            from: LineNumber(50_000),
        };
        let steps = ask(&mut view, &store, None, Some(missing));
        let searched = started.elapsed();
        assert_eq!(view.result.map(|r| r.line), Some(None));
        assert_eq!(steps, 50_000usize.div_ceil(SEARCH_STEP_LINES as usize));
        println!(
            "{name}: first page and margin {} B compressed, PageUp {} B; a search of all \
             50,000 lines that finds nothing {:?} per step of {SEARCH_STEP_LINES} lines",
            sizes[0],
            sizes[1],
            searched / steps as u32
        );
        assert!(sizes[1] < sizes[0], "{sizes:?}");
        assert!(sizes[0] < TOPUP_BUDGET, "{sizes:?}");
    }
}
