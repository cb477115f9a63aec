//! With the config file's `mouse = true` the terminal reports the mouse all the time, as
//! under tmux's `mouse on`, and each report is decided here: a click or the wheel
//! focuses the pane under it, the wheel opens the scroll view of a pane whose program does
//! not read the mouse, and a pane's program gets only the reports it asked for, in its
//! coordinates and encoding. A shell that asked for nothing never receives a report.

use moshmux_proto::screen::{Modes, MouseEncoding, MouseMode, Rect};
use moshmux_proto::PaneId;

use super::{encode, move_into, Report};

/// Button bits of a report, as SGR numbers them.
const MOTION: u32 = 32;
const WHEEL: u32 = 64;
/// Lines one wheel notch moves in a full-screen program that reads no mouse (as arrows).
const WHEEL_ARROWS: usize = 3;

/// A pane as drawn: where it is and what its program asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaneSpot {
    pub pane: PaneId,
    pub rect: Rect,
    pub modes: Modes,
    /// The pane keys go to.
    pub focused: bool,
}

/// What one report makes the client do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MouseStep {
    /// Make this pane the focused one.
    Select(PaneId),
    /// Bytes for the focused pane's program (after a `Select`, the newly selected one:
    /// the server takes both in order).
    Keys(Vec<u8>),
    /// Open this pane's scroll view a wheel notch up (after a `Select` of it, if it was
    /// not focused).
    OpenScrollView(PaneId),
}

/// Decides what each report means; it remembers which pane got the last press, so the
/// drag and release that follow go to the same program.
#[derive(Debug, Default)]
pub struct MouseRouter {
    held: Option<PaneId>,
}

impl MouseRouter {
    /// The steps for `report` (1-based window coordinates) over `panes`, the panes drawn.
    pub fn route(&mut self, report: Report, panes: &[PaneSpot]) -> Vec<MouseStep> {
        let under = panes
            .iter()
            .find(|spot| move_into(report, spot.rect, false).is_some());
        if report.release {
            let owner = self.held.take();
            let target = panes
                .iter()
                .find(|spot| Some(spot.pane) == owner)
                .or_else(|| panes.iter().find(|spot| spot.focused));
            return target
                .filter(|spot| wants_release(spot.modes.mouse))
                .and_then(|spot| pane_keys(report, spot, true))
                .map(MouseStep::Keys)
                .into_iter()
                .collect();
        }
        if report.button & MOTION != 0 {
            let dragging = report.button & 3 != 3;
            let target = match self.held {
                Some(owner) if dragging => panes.iter().find(|spot| spot.pane == owner),
                _ => under.filter(|spot| spot.focused),
            };
            return target
                .filter(|spot| match spot.modes.mouse {
                    MouseMode::AnyMotion => true,
                    MouseMode::ButtonMotion => dragging,
                    _ => false,
                })
                .and_then(|spot| pane_keys(report, spot, false))
                .map(MouseStep::Keys)
                .into_iter()
                .collect();
        }
        let Some(spot) = under else {
            // A border or the status line.
            return Vec::new();
        };
        let wheel = report.button & WHEEL != 0;
        let mut steps = Vec::new();
        if !spot.focused {
            steps.push(MouseStep::Select(spot.pane));
        }
        if spot.modes.mouse != MouseMode::None {
            if !wheel {
                self.held = Some(spot.pane);
            }
            steps.extend(pane_keys(report, spot, false).map(MouseStep::Keys));
        } else if wheel {
            let up = report.button & 3 == 0;
            let down = report.button & 3 == 1;
            if spot.modes.alternate_screen && (up || down) {
                steps.push(MouseStep::Keys(arrows(up, spot.modes.application_cursor)));
            } else if up && !spot.modes.alternate_screen {
                steps.push(MouseStep::OpenScrollView(spot.pane));
            }
        }
        steps
    }
}

/// What the terminal is asked to report while `mouse = true`: presses, releases, drags
/// and the wheel (1002), or all motion when the focused pane wants it (1003), always in
/// SGR (1006), which has no limit on the position and says which button was released.
pub fn terminal_modes(pane: Modes) -> Modes {
    let mouse = match pane.mouse {
        MouseMode::AnyMotion => MouseMode::AnyMotion,
        _ => MouseMode::ButtonMotion,
    };
    Modes {
        mouse,
        mouse_encoding: MouseEncoding::Sgr,
        ..pane
    }
}

fn wants_release(mode: MouseMode) -> bool {
    matches!(
        mode,
        MouseMode::PressRelease | MouseMode::ButtonMotion | MouseMode::AnyMotion
    )
}

/// The report in the pane's coordinates and encoding.
fn pane_keys(report: Report, spot: &PaneSpot, clamp: bool) -> Option<Vec<u8>> {
    let moved = move_into(report, spot.rect, clamp)?;
    encode(moved, spot.modes.mouse_encoding)
}

/// A wheel notch as the arrow keys a pager reads (`less`, `man`), as terminals do on the
/// alternate screen.
fn arrows(up: bool, application_cursor: bool) -> Vec<u8> {
    let key: &[u8] = match (up, application_cursor) {
        (true, false) => b"\x1b[A",
        (false, false) => b"\x1b[B",
        (true, true) => b"\x1bOA",
        (false, true) => b"\x1bOB",
    };
    key.repeat(WHEEL_ARROWS)
}

#[cfg(test)]
mod tests;
