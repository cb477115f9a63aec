//! The scroll view's searches: asked of the server, which searches the whole history;
//! the answer puts the cursor on the match, and the view highlights the needle wherever
//! it shows, as tmux's copy mode does.

use moshmux_proto::screen::{PaneScreen, Row, SearchResult};
use moshmux_proto::{HostState, Label, SearchDirection, SearchRequest};

use super::text::{LineCells, Point, Shown, Text};
use super::ScrollView;

impl ScrollView {
    pub(super) fn start_search(&mut self, needle: Label, direction: SearchDirection) {
        let id = self.search.as_ref().map_or(1, |s| s.id.wrapping_add(1));
        self.search = Some(SearchRequest {
            id,
            pane: self.pane,
            needle,
            direction,
            from: self.cursor().line,
        });
        self.message = Some("searching".to_owned());
    }

    /// Takes the server's answer to the newest search, once: the cursor goes to the
    /// match, as tmux's does: the view stays if the match is in it, else it shows the
    /// match a quarter of the view from its bottom. Also called on each new host state
    /// for a match whose line had not arrived: its column is found when it does.
    pub fn on_search_result(
        &mut self,
        result: Option<SearchResult>,
        host: &HostState,
        screen: &PaneScreen,
    ) {
        let text = Text::new(self.pane, host, screen);
        self.place_on_match(&text);
        let (Some(result), Some(search)) = (result, &self.search) else {
            return;
        };
        if result.id != search.id || self.answered == Some(result.id) {
            return;
        }
        self.answered = Some(result.id);
        let Some(line) = result.line else {
            self.message = Some(format!("not found: {}", search.needle.as_str()));
            return;
        };
        self.message = None;
        let line = line.clamp(text.start(), text.last());
        if line < self.first || line > self.last_row(&text) {
            let below = u64::from(self.rows - self.rows / 4);
            let bottom = text.history_end().max(text.start());
            self.first = line.saturating_sub(below).clamp(text.start(), bottom);
        }
        self.go(Point { line, col: 0 });
        self.unplaced_match = Some(line);
        self.place_on_match(&text);
    }

    /// Moves the cursor to the search's match on its line, once that line is here:
    /// searching older lines finds the last match on a line first, newer lines the first.
    fn place_on_match(&mut self, text: &Text) {
        let (Some(line), Some(search)) = (self.unplaced_match, &self.search) else {
            return;
        };
        let Shown::Line(row) = text.line(line) else {
            return;
        };
        let needle = search.needle.as_str();
        let byte = match search.direction {
            SearchDirection::Older => row.text().rfind(needle),
            SearchDirection::Newer => row.text().find(needle),
        };
        if let Some(col) = byte.and_then(|byte| row.column_of_byte(byte)) {
            self.go(Point { line, col });
        }
        self.unplaced_match = None;
    }
}

/// The columns `from..to` of each place `needle` occurs in `row`, whose cells are
/// `cells`: what the view highlights, as tmux highlights a search's matches.
pub(super) fn matches<'a>(
    row: &'a Row,
    needle: &'a str,
    cells: &'a LineCells,
) -> impl Iterator<Item = (u16, u16)> + 'a {
    row.text()
        .match_indices(needle)
        .filter(|_| !needle.is_empty())
        .filter_map(move |(byte, found)| {
            let from = row.column_of_byte(byte)?;
            let last = row.column_of_byte(byte + found.len() - 1)?;
            Some((from, cells.next_col(last)))
        })
}
