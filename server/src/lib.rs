//! The moshmux per-user daemon: sessions, windows and split panes on real PTYs, driven
//! over a private Unix socket by the `moshmux-server` command line.

pub mod buffers;
pub mod cli;
pub mod client;
pub mod config;
pub mod control;
pub mod daemon;
pub mod environment;
mod fd_limit;
mod format;
pub mod history;
mod history_view;
pub mod host_state;
pub mod keys;
pub mod layout;
mod link_log;
mod local_time;
pub mod locale;
pub mod mux;
pub mod offline;
pub mod options;
mod output_stream;
pub mod pane;
pub mod pane_id;
pub mod paths;
pub mod program;
pub mod pty;
mod pty_io;
mod ready;
pub mod session;
mod store_health;
pub mod target;
pub mod terminal;
pub mod window;
