//! The moshmux per-user daemon: sessions, windows and split panes on real PTYs, driven
//! over a private Unix socket by the `moshmux-server` command line.

mod capture;
mod charset;
pub mod keys;
pub mod pane;
pub mod pane_id;
mod pty_io;
mod queries;
