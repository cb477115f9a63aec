//! The moshmux per-user daemon: sessions, windows and split panes on real PTYs, driven
//! over a private Unix socket by the `moshmux-server` command line.

pub mod pane_id;
