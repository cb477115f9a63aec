//! User streams from fuzzer input: events and requests through the public API.

use arbitrary::Arbitrary;
use moshmux_proto::label::Label;
use moshmux_proto::user::Direction;
use moshmux_proto::UserStream;
use moshmux_proto::{
    LineNumber, MuxCommand, PaneId, ScrollRequest, SearchDirection, SearchRequest, UserEvent,
};

#[derive(Arbitrary, Debug, Clone)]
pub enum EventInput {
    Keys(Vec<u8>),
    /// A paste longer than one event holds, which `push` splits.
    LongPaste(u8, u16),
    Resize(u16, u16),
    Command(u8, u32, String),
}

#[derive(Arbitrary, Debug, Clone)]
pub struct StreamInput {
    pub events: Vec<EventInput>,
    pub scroll: Option<(u32, u64, u16)>,
    pub search: Option<(u32, u32, String, bool, u64)>,
}

fn event(input: &EventInput) -> UserEvent {
    match input {
        EventInput::Keys(keys) => UserEvent::Keys(keys.clone()),
        EventInput::LongPaste(byte, len) => {
            UserEvent::Keys(vec![*byte; 4096 + usize::from(*len % 8192)])
        }
        EventInput::Resize(rows, cols) => UserEvent::Resize {
            rows: *rows,
            cols: *cols,
        },
        EventInput::Command(which, number, name) => {
            UserEvent::Command(command(*which, *number, name))
        }
    }
}

fn command(which: u8, number: u32, name: &str) -> MuxCommand {
    let direction = [
        Direction::Left,
        Direction::Right,
        Direction::Up,
        Direction::Down,
    ][(number % 4) as usize];
    match which % 19 {
        0 => MuxCommand::SplitHorizontal,
        1 => MuxCommand::SplitVertical,
        2 => MuxCommand::SelectPane(direction),
        3 => MuxCommand::NextPane,
        4 => MuxCommand::ToggleZoom,
        5 => MuxCommand::KillPane,
        6 => MuxCommand::NewWindow,
        7 => MuxCommand::NextWindow,
        8 => MuxCommand::PreviousWindow,
        9 => MuxCommand::SelectWindow(number),
        10 => MuxCommand::RenameWindow(Label::new(name)),
        11 => MuxCommand::SelectPaneById(PaneId(number)),
        12 => MuxCommand::ResizePane(direction, (number >> 2) as u16),
        13 => MuxCommand::LastWindow,
        14 => MuxCommand::LastPane,
        15 => MuxCommand::KillWindow,
        16 => MuxCommand::RenameSession(Label::new(name)),
        _ => MuxCommand::Detach,
    }
}

/// Pushes the input's events onto `stream` and sets its requests. A scroll request
/// taller than a screen is clamped: the client never makes one, and the server refuses it.
pub fn extend(stream: &mut UserStream, input: &StreamInput) {
    for input in &input.events {
        stream.push(event(input));
    }
    stream.scroll = input.scroll.map(|(pane, first, rows)| ScrollRequest {
        pane: PaneId(pane),
        first: LineNumber(first),
        rows: rows.min(moshmux_proto::screen::MAX_ROWS),
    });
    stream.search = input
        .search
        .as_ref()
        .map(|(id, pane, needle, older, from)| SearchRequest {
            id: *id,
            pane: PaneId(*pane),
            needle: Label::new(needle),
            direction: if *older {
                SearchDirection::Older
            } else {
                SearchDirection::Newer
            },
            from: LineNumber(*from),
        });
}

/// A stream that had `input`'s events, as the receiving side holds it.
pub fn build(input: &StreamInput) -> UserStream {
    let mut stream = UserStream::default();
    extend(&mut stream, input);
    stream
}
