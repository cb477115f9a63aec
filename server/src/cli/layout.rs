//! The commands that size and arrange a window's panes (tmux's resize-pane,
//! select-layout, next-layout, previous-layout, swap-pane and rotate-window), flattened
//! into [`super::Command`]: same command line, own file.

use super::parse_length;
use crate::control::{self, Request};
use crate::target::Target;
use clap::Subcommand;
use moshmux_proto::layouts::{LayoutChoice, Preset, Step};

#[derive(Debug, Subcommand)]
pub enum Layout {
    /// Resize a pane: -L/-R/-U/-D move its border by ADJUSTMENT cells (default 1), -x/-y
    /// give it a width or height (cells, or N% of the window), -Z zooms or unzooms it.
    #[command(visible_alias = "resizep")]
    ResizePane {
        /// Zoom the pane to fill its window, or unzoom it.
        #[arg(short = 'Z')]
        zoom: bool,
        /// Move the border left.
        #[arg(short = 'L', conflicts_with_all = ["right", "up", "down"])]
        left: bool,
        /// Move the border right.
        #[arg(short = 'R', conflicts_with_all = ["up", "down"])]
        right: bool,
        /// Move the border up.
        #[arg(short = 'U', conflicts_with = "down")]
        up: bool,
        /// Move the border down.
        #[arg(short = 'D')]
        down: bool,
        /// The pane's width: cells, or N% of the window's.
        #[arg(short = 'x', value_name = "WIDTH", value_parser = parse_length)]
        width: Option<control::Length>,
        /// The pane's height: cells, or N% of the window's.
        #[arg(short = 'y', value_name = "HEIGHT", value_parser = parse_length)]
        height: Option<control::Length>,
        /// The pane (default: the active pane of the session used last).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
        /// Cells to move the border by with -L/-R/-U/-D.
        #[arg(value_name = "ADJUSTMENT", value_parser = clap::value_parser!(u16).range(1..))]
        adjustment: Option<u16>,
    },
    /// Arrange a window's panes in a preset layout: even-horizontal, even-vertical,
    /// main-horizontal, main-vertical or tiled (a unique prefix will do); without a
    /// name, the one chosen last again.
    #[command(visible_alias = "selectl")]
    SelectLayout {
        /// Spread the target pane and the panes beside it out evenly (prefix E).
        #[arg(short = 'E', conflicts_with_all = ["next", "previous", "name"])]
        spread: bool,
        /// The next preset layout, as next-layout.
        #[arg(short = 'n', conflicts_with_all = ["previous", "name"])]
        next: bool,
        /// The previous preset layout, as previous-layout.
        #[arg(short = 'p', conflicts_with = "name")]
        previous: bool,
        /// A pane of the window (default: the session used last's active one).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
        /// even-horizontal, even-vertical, main-horizontal, main-vertical or tiled.
        #[arg(value_name = "LAYOUT", value_parser = parse_preset)]
        name: Option<Preset>,
    },
    /// Arrange a window's panes in the preset layout after the one chosen last.
    #[command(visible_alias = "nextl")]
    NextLayout {
        /// The window (default: the session used last's active one).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
    },
    /// Arrange a window's panes in the preset layout before the one chosen last.
    #[command(visible_alias = "prevl")]
    PreviousLayout {
        /// The window (default: the session used last's active one).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
    },
    /// Swap two panes of a window: the target and -s, or the one before (-U) or after
    /// (-D) the target in index order.
    #[command(
        visible_alias = "swapp",
        group(clap::ArgGroup::new("other").required(true).args(["up", "down", "source"]))
    )]
    SwapPane {
        /// Swap with the pane before the target.
        #[arg(short = 'U', conflicts_with_all = ["down", "source"])]
        up: bool,
        /// Swap with the pane after the target.
        #[arg(short = 'D', conflicts_with = "source")]
        down: bool,
        /// Keep the active cell active (without -d the target pane stays active).
        #[arg(short = 'd')]
        keep_position: bool,
        /// The pane to swap with (in the target's window).
        #[arg(short = 's', value_name = "SOURCE", value_parser = Target::parse)]
        source: Option<Target>,
        /// The pane (default: the session used last's active one).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
    },
    /// Move every pane of a window one cell back in index order (-U, the default) or on
    /// (-D); the active cell stays active.
    #[command(visible_alias = "rotatew")]
    RotateWindow {
        /// Back: the first pane to the last cell (the default).
        #[arg(short = 'U', conflicts_with = "down")]
        up: bool,
        /// On: the last pane to the first cell.
        #[arg(short = 'D')]
        down: bool,
        /// The window (default: the session used last's active one).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
    },
}

impl Layout {
    /// The request this command sends.
    pub fn into_request(self) -> Request {
        match self {
            Layout::ResizePane {
                zoom,
                left,
                right,
                up,
                down,
                width,
                height,
                target,
                adjustment,
            } => {
                let cells = i32::from(adjustment.unwrap_or(1));
                let sign = |negative: bool, positive: bool| match (negative, positive) {
                    (true, _) => -cells,
                    (false, true) => cells,
                    (false, false) => 0,
                };
                Request::ResizePane(control::ResizePane {
                    target,
                    zoom,
                    width,
                    height,
                    across: sign(left, right),
                    down: sign(up, down),
                })
            }
            Layout::SelectLayout {
                spread,
                next,
                previous,
                target,
                name,
            } => {
                let choice = match (next, previous, name) {
                    _ if spread => LayoutChoice::SpreadOut,
                    (true, _, _) => LayoutChoice::Next,
                    (_, true, _) => LayoutChoice::Previous,
                    (_, _, Some(preset)) => LayoutChoice::Preset(preset),
                    _ => LayoutChoice::Again,
                };
                Request::SelectLayout(control::SelectLayout { target, choice })
            }
            Layout::NextLayout { target } => Request::SelectLayout(control::SelectLayout {
                target,
                choice: LayoutChoice::Next,
            }),
            Layout::PreviousLayout { target } => Request::SelectLayout(control::SelectLayout {
                target,
                choice: LayoutChoice::Previous,
            }),
            Layout::SwapPane {
                up,
                down,
                keep_position,
                source,
                target,
            } => Request::SwapPane(control::SwapPane {
                target,
                source,
                step: match (up, down) {
                    (true, _) => Some(Step::Up),
                    (_, true) => Some(Step::Down),
                    _ => None,
                },
                keep_position,
            }),
            Layout::RotateWindow {
                up: _,
                down,
                target,
            } => Request::RotateWindow(control::RotateWindow {
                target,
                step: if down { Step::Down } else { Step::Up },
            }),
        }
    }
}

fn parse_preset(text: &str) -> Result<Preset, String> {
    Preset::lookup(text).ok_or_else(|| {
        let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
        format!(
            "{text:?} is not a layout: one of {}, or a unique prefix",
            names.join(", ")
        )
    })
}
