//! The moshmux per-user daemon: sessions, windows and split panes on real PTYs, driven
//! over a private Unix socket by the `moshmux-server` command line.

mod capture;
pub mod cli;
pub mod client;
pub mod client_link;
pub mod config;
pub mod control;
pub mod daemon;
pub mod history;
mod history_line;
mod history_view;
pub mod host_state;
pub mod keys;
pub mod layout;
mod link_log;
mod local_time;
pub mod mux;
pub mod pane;
pub mod pane_id;
pub mod paths;
mod prefilter;
mod pty_io;
mod queries;
pub mod session;
pub mod target;
pub mod terminal;
pub mod window;
