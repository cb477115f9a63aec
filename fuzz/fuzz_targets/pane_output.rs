//! Program output through a pane's terminal, as the daemon runs it minus the PTY: the
//! prefilter, the terminal model, the query answers and the rows scrolled into history, with resizes
//! between chunks. Then what the daemon makes of the screen: `capture-pane` text and the
//! published pane screen, which must be within the protocol's limits and reach a client
//! exactly through a diff from the previous one.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use moshmux_fuzz::assert_diff_rebuilds;
use moshmux_proto::{HostState, PaneId};
use moshmux_server::host_state::pane_screen;
use moshmux_server::pane_id::Size;
use moshmux_server::terminal::Terminal;

#[derive(Arbitrary, Debug)]
enum Step {
    Output(Vec<u8>),
    /// Output made of a repeated piece: floods and long sequences from a short input.
    Repeated(Vec<u8>, u8),
    Resize(u8, u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    rows: u8,
    cols: u8,
    steps: Vec<Step>,
}

fuzz_target!(|input: Input| {
    let size = |rows: u8, cols: u8| Size {
        rows: u16::from(rows % 64),
        cols: u16::from(cols),
    };
    let mut terminal = Terminal::new(size(input.rows, input.cols));
    let mut published = HostState::default();
    for step in input.steps {
        match step {
            Step::Output(bytes) => terminal.process(&bytes),
            Step::Repeated(piece, times) => terminal.process(&piece.repeat(usize::from(times))),
            Step::Resize(rows, cols) => terminal.set_size(size(rows, cols)),
        }
        // Replies are bounded per drain, whatever the program asks.
        assert!(terminal.take_replies().len() <= 64 * 1024);
        for line in terminal.take_scrolled() {
            assert!(line.text().chars().count() <= 8 * 256 && line.width() <= 256);
        }
        let cols = terminal.size().cols;
        for escapes in [false, true] {
            let text = terminal.capture(escapes);
            assert!(
                escapes
                    || text
                        .lines()
                        .all(|line| line.chars().count() <= 8 * usize::from(cols))
            );
        }
        let previous = published.screens.get(&PaneId(0));
        let screen = pane_screen(&terminal, terminal.title(), previous)
            .expect("a pane's screen fits the protocol");
        let mut next = published.clone();
        next.screens.insert(PaneId(0), screen);
        assert!(next.check_limits().is_ok());
        assert_diff_rebuilds(&published, &next);
        published = next;
    }
});
