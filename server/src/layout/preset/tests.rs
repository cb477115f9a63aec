use super::*;

const PANES: [PaneId; 6] = [
    PaneId(0),
    PaneId(1),
    PaneId(2),
    PaneId(3),
    PaneId(4),
    PaneId(5),
];

/// A window of `cols` x `rows` with `n` panes, each split off the one before, across
/// and down in turn.
fn window(n: usize, cols: u16, rows: u16) -> Layout {
    let mut layout = Layout::new(PANES[0], Size { rows, cols });
    for (i, pair) in PANES[..n].windows(2).enumerate() {
        let orientation = if i % 2 == 0 {
            Orientation::SideBySide
        } else {
            Orientation::Stacked
        };
        layout
            .split(pair[0], pair[1], orientation, None)
            .expect("room to split");
    }
    layout
}

/// (x, y, cols, rows) of every pane in index order.
fn cells(layout: &Layout) -> Vec<(u16, u16, u16, u16)> {
    layout
        .geometry()
        .into_iter()
        .map(|(_, r)| (r.x, r.y, r.cols, r.rows))
        .collect()
}

#[test]
fn spreading_gives_the_last_cell_what_the_division_leaves() {
    assert_eq!(spread(80, 4), Some(vec![19, 19, 19, 20]));
    assert_eq!(spread(80, 3), Some(vec![26, 26, 26]));
    assert_eq!(spread(5, 3), Some(vec![1, 1, 1]));
    assert_eq!(spread(4, 3), None);
}

#[test]
fn even_layouts_keep_index_order_and_fill_the_window() {
    let mut layout = window(3, 80, 24);
    assert!(layout.arrange(Preset::EvenHorizontal));
    assert_eq!(
        cells(&layout),
        [(0, 0, 26, 24), (27, 0, 26, 24), (54, 0, 26, 24)]
    );
    assert!(layout.arrange(Preset::EvenVertical));
    assert_eq!(
        cells(&layout),
        [(0, 0, 80, 7), (0, 8, 80, 7), (0, 16, 80, 8)]
    );
    assert_eq!(layout.panes(), PANES[..3]);
}

#[test]
fn main_layouts_put_the_first_pane_first_and_spread_the_others() {
    let mut layout = window(4, 200, 50);
    assert!(layout.arrange(Preset::MainHorizontal));
    assert_eq!(
        cells(&layout),
        [
            (0, 0, 200, 24),
            (0, 25, 66, 25),
            (67, 25, 66, 25),
            (134, 25, 66, 25)
        ]
    );
    // The default main width (80) does not fit beside the others in 80 columns: they
    // keep one column.
    let mut narrow = window(2, 80, 24);
    assert!(narrow.arrange(Preset::MainVertical));
    assert_eq!(cells(&narrow), [(0, 0, 78, 24), (79, 0, 1, 24)]);
}

#[test]
fn tiled_fills_rows_and_a_lone_last_pane_takes_the_width() {
    let mut layout = window(5, 80, 24);
    assert!(layout.arrange(Preset::Tiled));
    assert_eq!(
        cells(&layout),
        [
            (0, 0, 39, 7),
            (40, 0, 40, 7),
            (0, 8, 39, 7),
            (40, 8, 40, 7),
            (0, 16, 80, 8)
        ]
    );
}

#[test]
fn a_window_too_small_for_the_panes_keeps_its_layout() {
    let mut layout = window(6, 80, 10);
    let before = cells(&layout);
    assert!(!layout.arrange(Preset::EvenVertical));
    assert_eq!(cells(&layout), before);
}
