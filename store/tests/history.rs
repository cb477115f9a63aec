//! Round trips, range reads, search, pane records and retention against a real store in
//! a temporary directory.

mod common;

use common::{assert_numbered, numbered_line, open};
use moshmux_proto::screen::{CellStyle, Color, Row};
use moshmux_proto::{LineNumber, PaneId};
use moshmux_store::{Direction, HistoryStore, Retention, StoreOptions, BLOCK_LINES};
use proptest::prelude::*;
use std::os::unix::fs::PermissionsExt;

fn any_color() -> impl Strategy<Value = Color> {
    prop_oneof![
        Just(Color::Default),
        any::<u8>().prop_map(Color::Indexed),
        any::<(u8, u8, u8)>().prop_map(|(r, g, b)| Color::Rgb(r, g, b)),
    ]
}

fn any_style() -> impl Strategy<Value = CellStyle> {
    (any_color(), any_color(), any::<[bool; 3]>()).prop_map(
        |(fg, bg, [bold, italic, underline])| CellStyle {
            fg,
            bg,
            bold,
            italic,
            underline,
            ..CellStyle::default()
        },
    )
}

/// Any row of one-column cells, in runs of styles.
fn any_line() -> impl Strategy<Value = Row> {
    let runs = prop::collection::vec((0usize..40, any_style()), 0..6);
    (".{0,120}", runs, any::<bool>()).prop_map(|(text, runs, wrapped)| {
        let mut row = Row::builder(text.chars().count() as u16);
        let mut styles = runs
            .iter()
            .flat_map(|&(cells, style)| std::iter::repeat_n(style, cells));
        for c in text.chars() {
            row.push_char(c, styles.next().unwrap_or_default());
        }
        row.finish(wrapped)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Lines read back equal what was appended: from memory, after the writer stored
    /// them, and after the store was closed and reopened.
    #[test]
    fn lines_round_trip_with_attributes_and_wrap_flags(
        lines in prop::collection::vec(any_line(), 0..700),
        split in 0usize..700,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (PaneId(3), PaneId(9));
        let split = split.min(lines.len());
        {
            let store = open(dir.path());
            for (i, line) in lines.iter().enumerate() {
                let pane = if i < split { a } else { b };
                store.append(pane, line.clone()).unwrap();
            }
            let read_all = |store: &HistoryStore, pane| store.read(pane, LineNumber(0)..LineNumber(u64::MAX)).map(|p| p.lines);
            if split > 0 {
                prop_assert_eq!(read_all(&store, a).unwrap(), &lines[..split]);
            }
            store.flush().unwrap();
            if split < lines.len() {
                prop_assert_eq!(read_all(&store, b).unwrap(), &lines[split..]);
            }
        }
        let store = open(dir.path());
        for (pane, expected) in [(a, &lines[..split]), (b, &lines[split..])] {
            match store.info(pane) {
                None => prop_assert!(expected.is_empty()),
                Some(info) => {
                    prop_assert_eq!(info.next_line, LineNumber(expected.len() as u64));
                    prop_assert_eq!(&store.read(pane, LineNumber(0)..LineNumber(u64::MAX)).unwrap().lines, expected);
                }
            }
        }
    }

    /// Any range, across block boundaries and partly outside the history, returns
    /// exactly the lines it covers, in order.
    #[test]
    fn range_reads_are_ordered_across_blocks(start in 0u64..1200, len in 0u64..700) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let pane = PaneId(1);
        let total = 1000u64;
        for n in 0..total {
            store.append(pane, numbered_line(n)).unwrap();
        }
        // Part of the history is sealed blocks on disk and the rest the open block.
        store.flush().unwrap();
        let page = store.read(pane, LineNumber(start)..LineNumber(start + len)).unwrap();
        let end = (start + len).min(total);
        let expected: Vec<_> = (start..end.max(start)).map(numbered_line).collect();
        prop_assert_eq!(page.first, LineNumber(start.min(total)));
        prop_assert_eq!(page.lines, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A search by bytes finds exactly the lines a line-by-line test finds, over blocks
    /// on disk and lines in memory, for any range; text from a small alphabet makes
    /// needles that also occur across the encoded fields between lines.
    #[test]
    fn matching_lines_are_the_lines_whose_text_holds_the_needle(
        // At least one line: a pane with none is unknown to the store, for reads and
        // searches alike.
        texts in prop::collection::vec("[ab\\x01 ]{0,6}", 1..900),
        flushed in 0usize..900,
        needle in "[ab\\x01]{1,3}",
        start in 0u64..1000,
        len in 0u64..1000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let pane = PaneId(5);
        for (i, text) in texts.iter().enumerate() {
            if i == flushed {
                store.flush().unwrap();
            }
            let mut row = Row::builder(text.chars().count() as u16);
            text.chars().for_each(|c| { row.push_char(c, CellStyle::default()); });
            store.append(pane, row.finish(i % 2 == 0)).unwrap();
        }
        let page = store.read(pane, LineNumber(start)..LineNumber(start + len)).unwrap();
        let expected: Vec<LineNumber> = page
            .numbered()
            .filter(|(_, line)| line.text().contains(needle.as_str()))
            .map(|(number, _)| number)
            .collect();
        prop_assert_eq!(store.matching_lines(pane, LineNumber(start)..LineNumber(start + len), &needle).unwrap(), expected);
    }
}

#[test]
fn reads_see_lines_before_and_after_the_writer_stores_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let pane = PaneId(5);
    for n in 0..3 * BLOCK_LINES as u64 + 17 {
        store.append(pane, numbered_line(n)).unwrap();
    }
    // Straight after appending, most lines are only in memory.
    assert_numbered(&store, pane, 0..3 * BLOCK_LINES as u64 + 17);
    store.flush().unwrap();
    assert_numbered(&store, pane, 0..3 * BLOCK_LINES as u64 + 17);
    drop(store);
    let store = open(dir.path());
    // A reopened pane goes on numbering where it stopped, filling its open block.
    assert_eq!(
        store.append(pane, numbered_line(785)).unwrap(),
        LineNumber(785)
    );
    assert_numbered(&store, pane, 0..786);
}

#[test]
fn search_returns_line_numbers_in_both_directions() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let pane = PaneId(2);
    for n in 0..2000u64 {
        let text = match n {
            10 | 700 | 1999 => format!("needle at {n}"),
            _ => format!("hay {n}"),
        };
        store.append(pane, Row::plain(&text)).unwrap();
        if n == 1000 {
            store.flush().unwrap();
        }
    }
    // Numbers as the test writes them; the store's are LineNumbers.
    let find = |dir, from| {
        let found = store.search(pane, "needle", dir, LineNumber(from)).unwrap();
        found.map(|line| line.0)
    };
    assert_eq!(find(Direction::Newer, 0), Some(10));
    assert_eq!(find(Direction::Newer, 11), Some(700));
    assert_eq!(find(Direction::Newer, 701), Some(1999));
    assert_eq!(find(Direction::Newer, 2000), None);
    assert_eq!(find(Direction::Older, 2000), Some(1999));
    assert_eq!(find(Direction::Older, 1999), Some(700));
    assert_eq!(find(Direction::Older, 700), Some(10));
    assert_eq!(find(Direction::Older, 10), None);
    assert_eq!(
        store
            .search(pane, "absent", Direction::Older, LineNumber(u64::MAX))
            .unwrap(),
        None
    );
    assert!(store
        .search(PaneId(77), "x", Direction::Newer, LineNumber(0))
        .is_err());
}

#[test]
fn pane_records_and_ids_survive_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let first_ids: Vec<_>;
    {
        let store = open(dir.path());
        first_ids = (0..3).map(|_| store.allocate_pane_id().unwrap()).collect();
        assert_eq!(first_ids, vec![PaneId(0), PaneId(1), PaneId(2)]);
        store.set_label(first_ids[1], "vim", "notes.txt");
        store.append(first_ids[1], Row::plain("hello")).unwrap();
        store.mark_ended(first_ids[1]);
    }
    let store = open(dir.path());
    assert_eq!(store.allocate_pane_id().unwrap(), PaneId(3));
    let panes = store.panes();
    assert_eq!(panes.len(), 1);
    let info = &panes[0];
    assert_eq!(info.pane, PaneId(1));
    assert_eq!(
        (info.first_line, info.next_line),
        (LineNumber(0), LineNumber(1))
    );
    assert!(info.ended);
    assert_eq!(
        (info.command.as_str(), info.title.as_str()),
        ("vim", "notes.txt")
    );

    assert!(store.drop_pane(PaneId(1)));
    assert!(store.info(PaneId(1)).is_none());
    store.flush().unwrap();
    drop(store);
    let store = open(dir.path());
    assert!(store.panes().is_empty());
    // A dropped pane's id is still never handed out again.
    assert_eq!(store.allocate_pane_id().unwrap(), PaneId(4));
}

#[test]
fn line_limit_drops_oldest_blocks_first() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        retention: Retention {
            max_lines_per_pane: Some(1000),
            ..Retention::default()
        },
        ..StoreOptions::default()
    };
    let pane = PaneId(1);
    let total = 5000u64;
    {
        let store = HistoryStore::open(dir.path(), options.clone()).unwrap();
        for n in 0..total {
            store.append(pane, numbered_line(n)).unwrap();
            if n % 1000 == 999 {
                store.flush().unwrap();
            }
        }
        store.flush().unwrap();
        // Retention runs in the round after the one that stored the lines.
        store.flush().unwrap();
        let info = store.info(pane).unwrap();
        assert_eq!(info.next_line, LineNumber(total));
        let kept = LineNumber(total) - info.first_line;
        assert!(
            (1000..1000 + BLOCK_LINES as u64).contains(&kept),
            "kept {kept} lines"
        );
        assert_numbered(&store, pane, info.first_line.0..total);
        let page = store.read(pane, LineNumber(0)..LineNumber(10)).unwrap();
        assert!(page.lines.is_empty(), "dropped lines are gone");
    }
    let store = HistoryStore::open(dir.path(), options).unwrap();
    let info = store.info(pane).unwrap();
    assert!(LineNumber(total) - info.first_line >= 1000);
    assert_numbered(&store, pane, info.first_line.0..total);
}

#[test]
fn total_byte_limit_drops_the_globally_oldest_history() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        retention: Retention {
            max_total_bytes: Some(40_000),
            ..Retention::default()
        },
        ..StoreOptions::default()
    };
    let store = HistoryStore::open(dir.path(), options).unwrap();
    let (old, new) = (PaneId(1), PaneId(2));
    for n in 0..20 * BLOCK_LINES as u64 {
        store.append(old, numbered_line(n)).unwrap();
    }
    store.flush().unwrap();
    for n in 0..20 * BLOCK_LINES as u64 {
        store.append(new, numbered_line(n)).unwrap();
    }
    store.flush().unwrap();
    store.flush().unwrap();
    let (old_info, new_info) = (store.info(old).unwrap(), store.info(new).unwrap());
    assert!(old_info.first_line > LineNumber(0));
    // Both panes end on a full block, so every block was droppable.
    let stored = old_info.stored_bytes + new_info.stored_bytes;
    assert!(stored <= 40_000, "{stored} bytes kept");
    assert!(new_info.stored_bytes > 0);
    // The old pane's history goes entirely before the new pane loses anything.
    assert!(
        new_info.first_line == LineNumber(0) || old_info.first_line == old_info.next_line,
        "old {old_info:?} new {new_info:?}"
    );
    assert_numbered(&store, new, new_info.first_line.0..new_info.next_line.0);
    assert_eq!(
        store.append(old, numbered_line(99)).unwrap(),
        LineNumber(20 * BLOCK_LINES as u64)
    );
}

#[test]
fn files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("history");
    {
        let store = open(&root);
        for n in 0..3000 {
            store.append(PaneId(1), numbered_line(n)).unwrap();
        }
        store.flush().unwrap();
        assert!(store.disk_bytes().unwrap() > 0);
    }
    drop(open(&root));
    let mut seen = 0;
    let mut stack = vec![root];
    while let Some(path) = stack.pop() {
        let meta = std::fs::metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert_eq!(mode, 0o600, "{}", path.display());
            seen += 1;
        }
    }
    assert!(seen >= 2, "lock file and database files checked");
}

/// Panes appended from several threads while another thread reads: every read sees a
/// contiguous, correctly numbered history, and nothing is lost.
#[test]
fn concurrent_appends_and_reads_stay_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(open(dir.path()));
    let per_pane = 5000u64;
    let writers: Vec<_> = (1..=4u32)
        .map(|p| {
            let store = std::sync::Arc::clone(&store);
            std::thread::spawn(move || {
                for n in 0..per_pane {
                    assert_eq!(
                        store.append(PaneId(p), numbered_line(n)).unwrap(),
                        LineNumber(n)
                    );
                }
            })
        })
        .collect();
    let reader = {
        let store = std::sync::Arc::clone(&store);
        std::thread::spawn(move || {
            let mut reads = 0;
            while reads < 200 {
                for p in 1..=4u32 {
                    let Ok(page) = store.read(PaneId(p), LineNumber(0)..LineNumber(u64::MAX))
                    else {
                        continue; // the pane has no line yet
                    };
                    for (i, line) in page.lines.iter().enumerate() {
                        assert_eq!(line, &numbered_line((page.first + i as u64).0));
                    }
                    reads += 1;
                }
            }
        })
    };
    for writer in writers {
        writer.join().unwrap();
    }
    reader.join().unwrap();
    store.flush().unwrap();
    for p in 1..=4u32 {
        assert_numbered(&store, PaneId(p), 0..per_pane);
    }
}

/// A live pane's screen snapshot is written after the lines before it and survives a
/// reopen with the line it follows; forgetting it removes it from disk too.
#[test]
fn a_screen_snapshot_survives_a_reopen_after_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let pane = PaneId(3);
    let screen = vec![numbered_line(1000), numbered_line(1001)];
    {
        let store = open(dir.path());
        for n in 0..700 {
            store.append(pane, numbered_line(n)).unwrap();
        }
        store.set_screen(pane, Some(screen.clone()));
        store.append(pane, numbered_line(700)).unwrap();
        store.flush().unwrap();
    }
    let store = open(dir.path());
    let snapshot = store.screen(pane).expect("the snapshot after a reopen");
    assert_eq!(snapshot.after_line, LineNumber(700));
    assert_eq!(snapshot.lines, screen);
    assert_numbered(&store, pane, 0..701);
    store.set_screen(pane, None);
    store.flush().unwrap();
    drop(store);
    assert_eq!(open(dir.path()).screen(pane), None);
}
