//! The terminal models the pane could use, on the same input: vt100 0.18 (the one it
//! replaced), avt 0.19 and alacritty_terminal 0.26 (the one it uses). Prints, for each:
//! - ingest: 1,000,000 lines of `seq`-like text (66 characters and CR LF) into an 80x24
//!   terminal, each row that leaves the screen turned into text and style runs the way
//!   each model allows (vt100: its formatted text, parsed back; avt: its evicted lines;
//!   alacritty_terminal: its history, read after each chunk), in lines per second;
//! - the heap an idle 80x24 terminal holds (a counting allocator, 100 of them).
//!
//! `cargo bench -p moshmux-terminal --bench models`. Figures in docs/terminal.md.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

struct Counting;
static HEAP: AtomicIsize = AtomicIsize::new(0);

// SAFETY: passes every call on to the system allocator, only counting bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HEAP.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HEAP.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        HEAP.fetch_add(size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const LINES: usize = 1_000_000;
const ROWS: u16 = 24;
const COLS: u16 = 80;

/// A captured row: text and (characters, style) runs, what history keeps.
#[derive(Default)]
struct Line {
    text: String,
    runs: Vec<(u32, u64)>,
}

impl Line {
    fn push(&mut self, c: char, style: u64) {
        self.text.push(c);
        match self.runs.last_mut() {
            Some((count, last)) if *last == style => *count += 1,
            _ => self.runs.push((1, style)),
        }
    }
}

fn input() -> Vec<u8> {
    let mut bytes = Vec::with_capacity(LINES * 70);
    for i in 0..LINES {
        let line = format!("flood line {i:07}: the quick brown fox jumps over the lazy dog ok\r\n");
        bytes.extend_from_slice(line.as_bytes());
    }
    bytes
}

mod vt100_model {
    use super::*;

    #[derive(Default)]
    pub struct Capture(pub usize);

    impl vt100::Callbacks for Capture {
        fn on_scroll(&mut self, row: vt100::capture::RowContents<'_>, _alternate: bool) {
            let mut text = String::new();
            let mut state = vt100::capture::BasicFormattedCaptureState::new();
            let _ = row.write_formatted_basic(&mut text, &mut state);
            let mut line = Line::default();
            text.chars().for_each(|c| line.push(c, 0));
            self.0 += usize::from(!line.text.is_empty() || line.runs.is_empty());
        }
    }

    pub fn terminal() -> vt100::Parser<Capture> {
        let size = |n| std::num::NonZeroU16::new(n).unwrap_or(std::num::NonZeroU16::MIN);
        vt100::Parser::new_with_callbacks(size(ROWS), size(COLS), 0, Capture::default())
    }

    pub fn ingest(bytes: &[u8]) -> usize {
        let mut parser = terminal();
        for chunk in bytes.chunks(65536) {
            parser.process(chunk);
        }
        parser.callbacks().0
    }
}

mod avt_model {
    use super::*;

    struct Evicted<'a>(&'a mut usize);

    impl avt::Observer for Evicted<'_> {
        type Output = ();

        fn evicted(&mut self, _: &mut avt::Observation<'_>, evicted: &avt::Line) {
            let mut line = Line::default();
            for cell in evicted.cells() {
                let pen = cell.pen();
                line.push(
                    cell.char(),
                    u64::from(pen.is_bold()) | u64::from(pen.is_italic()) << 1,
                );
            }
            *self.0 += usize::from(evicted.is_wrapped() || !line.text.is_empty());
        }

        fn end(&mut self, _: &mut avt::Observation<'_>) {}
    }

    pub fn terminal() -> Option<avt::Terminal> {
        avt::Terminal::with_scrollback(usize::from(COLS), usize::from(ROWS), Some(0)).ok()
    }

    pub fn ingest(bytes: &[u8]) -> usize {
        let Some(mut terminal) = terminal() else {
            return 0;
        };
        let mut lines = 0;
        // The chunks end on line boundaries, so each is whole UTF-8.
        for chunk in bytes.chunks(LINE_BYTES * 1000) {
            let text = String::from_utf8_lossy(chunk);
            terminal.feed_with(&*text, Evicted(&mut lines));
        }
        lines
    }

    const LINE_BYTES: usize = 68;
}

mod alacritty_model {
    use super::*;
    use alacritty_terminal::event::VoidListener;
    use alacritty_terminal::grid::Dimensions;
    use alacritty_terminal::index::{Column, Line as Row};
    use alacritty_terminal::term::{Config, Term};
    use alacritty_terminal::vte::ansi::Processor;

    struct Size;

    impl Dimensions for Size {
        fn total_lines(&self) -> usize {
            usize::from(ROWS)
        }
        fn screen_lines(&self) -> usize {
            usize::from(ROWS)
        }
        fn columns(&self) -> usize {
            usize::from(COLS)
        }
    }

    pub fn terminal() -> (Term<VoidListener>, Processor) {
        let config = Config {
            scrolling_history: 1000,
            ..Config::default()
        };
        (Term::new(config, &Size, VoidListener), Processor::new())
    }

    pub fn ingest(bytes: &[u8]) -> usize {
        let (mut term, mut parser) = terminal();
        let mut lines = 0;
        for chunk in bytes.chunks(4096) {
            parser.advance(&mut term, chunk);
            let history = term.grid().history_size();
            for back in (1..=history).rev() {
                let row = &term.grid()[Row(-(back as i32))];
                let mut line = Line::default();
                for col in 0..usize::from(COLS) {
                    let cell = &row[Column(col)];
                    line.push(cell.c, u64::from(cell.flags.bits()));
                }
                lines += usize::from(!line.text.is_empty());
            }
            term.grid_mut().clear_history();
        }
        lines
    }
}

fn measure(
    name: &str,
    bytes: &[u8],
    ingest: fn(&[u8]) -> usize,
    idle: fn() -> Box<dyn std::any::Any>,
) {
    let started = Instant::now();
    let lines = ingest(bytes);
    let seconds = started.elapsed().as_secs_f64();
    let before = HEAP.load(Ordering::Relaxed);
    let held: Vec<_> = (0..100).map(|_| idle()).collect();
    let heap = (HEAP.load(Ordering::Relaxed) - before) / 100;
    drop(held);
    println!(
        "{name:>24}: {lines} rows captured, {:.0} lines/s, idle 80x24 heap {heap} B",
        LINES as f64 / seconds
    );
}

fn main() {
    let bytes = input();
    for _ in 0..2 {
        measure("vt100 0.18", &bytes, vt100_model::ingest, || {
            Box::new(vt100_model::terminal())
        });
        measure("avt 0.19", &bytes, avt_model::ingest, || {
            Box::new(avt_model::terminal())
        });
        measure(
            "alacritty_terminal 0.26",
            &bytes,
            alacritty_model::ingest,
            || Box::new(alacritty_model::terminal()),
        );
    }
}
