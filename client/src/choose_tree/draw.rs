//! How the chooser looks, as tmux's choose-tree draws it: a line per item with its
//! shortcut key, tree glyphs and fold mark, the selected line in tmux's mode style, and
//! below the tree a box previewing the selected item's pane.

use moshmux_proto::screen::{CellStyle, Color, HostState, PaneScreen, Rect};

use super::{ChooseTree, Fold, Line};
use crate::frame::{draw_row, Frame};

/// tmux's default `mode-style`: black on yellow.
pub(crate) fn selected_style() -> CellStyle {
    CellStyle {
        fg: Color::Indexed(0),
        bg: Color::Indexed(3),
        ..CellStyle::default()
    }
}

/// How many of `area` rows the tree gets, the rest going to the preview, by tmux's rule:
/// two thirds, or half when the tree is shorter than that; all of them when that would
/// leave the tree fewer than 10 rows or the preview fewer than 2.
pub fn tree_rows(area: u16, lines: usize) -> u16 {
    let mut rows = area / 3 * 2;
    if usize::from(rows) > lines {
        rows = area / 2;
    }
    if rows < 10 || area - rows < 2 {
        rows = area;
    }
    rows
}

impl ChooseTree {
    /// Draws the tree and the preview over `area`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, host: &HostState) {
        for y in area.y..area.y + area.rows {
            for x in area.x..area.x + area.cols {
                frame.put(y, x, " ", false, CellStyle::default());
            }
        }
        let Some(tree) = host.tree.as_deref() else {
            return;
        };
        let lines = self.lines(tree);
        let rows = tree_rows(area.rows, lines.len());
        let end = area.x + area.cols;
        let shown = lines
            .iter()
            .enumerate()
            .skip(self.top)
            .take(usize::from(rows));
        for (y, (index, line)) in (area.y..).zip(shown) {
            let selected = Some(&line.item) == self.selected.as_ref();
            let style = if selected {
                selected_style()
            } else {
                CellStyle::default()
            };
            if selected {
                for x in area.x..end {
                    frame.put(y, x, " ", false, style);
                }
            }
            frame.put_text(y, area.x, end, &line_text(line, index, lines.len()), style);
        }
        if rows < area.rows {
            let selected = lines
                .iter()
                .find(|l| Some(&l.item) == self.selected.as_ref());
            let box_area = Rect {
                y: area.y + rows,
                rows: area.rows - rows,
                ..area
            };
            let title = selected.map_or(String::new(), |line| line.name.clone());
            let screen = (self.request(Some(tree)).preview).and_then(|p| host.screens.get(&p));
            draw_preview(frame, box_area, &title, screen);
        }
    }
}

/// A line as tmux's tree shows it: `(KEY) `, the branches, the fold mark, then the
/// item's name and text.
pub(super) fn line_text(line: &Line, index: usize, count: usize) -> String {
    let mut text = shortcut_label(index, count);
    if line.depth == 2 {
        text.push_str(if line.parent_last { "    " } else { "│   " });
    }
    if line.depth > 0 {
        text.push_str(if line.last { "└─> " } else { "├─> " });
    }
    text.push_str(match line.fold {
        None => "",
        Some(Fold::Leaf) => "  ",
        Some(Fold::Open) => "- ",
        Some(Fold::Closed) => "+ ",
    });
    text.push_str(&format!("{}: {}", line.name, line.text));
    text
}

/// The `(KEY) ` a chooser's line starts with, its key's name as the shortcut chooses it
/// (`0`-`9`, `M-a` to `M-z`), padded to the widest one among `count` lines.
pub(crate) fn shortcut_label(index: usize, count: usize) -> String {
    let key = match index {
        0..=9 => format!("({index})"),
        10..=35 => format!("(M-{})", char::from(b'a' + (index - 10) as u8)),
        _ => String::new(),
    };
    let key_width = if count > 10 { 6 } else { 4 };
    format!("{key:key_width$}")
}

/// A box with the item's name on its top edge and the pane's screen inside, cut to fit,
/// its top rows dropped if it must to show the cursor's row, as tmux keeps it in view.
fn draw_preview(frame: &mut Frame, area: Rect, title: &str, screen: Option<&PaneScreen>) {
    if area.rows < 2 || area.cols < 2 {
        return;
    }
    let style = CellStyle::default();
    let (right, bottom) = (area.x + area.cols - 1, area.y + area.rows - 1);
    for x in area.x + 1..right {
        frame.put(area.y, x, "─", false, style);
        frame.put(bottom, x, "─", false, style);
    }
    for y in area.y + 1..bottom {
        frame.put(y, area.x, "│", false, style);
        frame.put(y, right, "│", false, style);
    }
    frame.put(area.y, area.x, "┌", false, style);
    frame.put(area.y, right, "┐", false, style);
    frame.put(bottom, area.x, "└", false, style);
    frame.put(bottom, right, "┘", false, style);
    frame.put_text(area.y, area.x + 1, right, &format!(" {title} "), style);
    let Some(screen) = screen else {
        return;
    };
    let inside = Rect {
        x: area.x + 1,
        y: area.y + 1,
        cols: area.cols - 2,
        rows: area.rows - 2,
    };
    let first = (usize::from(screen.cursor.row) + 1).saturating_sub(usize::from(inside.rows));
    let rows = screen
        .rows()
        .iter()
        .skip(first)
        .take(usize::from(inside.rows));
    for (y, row) in (inside.y..).zip(rows) {
        draw_row(frame, row, y, inside);
    }
}
