//! The moshmux client: it mirrors a session's host state from the server over SSP, draws
//! it in the local terminal, and sends keys, resizes and multiplexer commands back.

pub mod alerts;
pub mod attach;
pub mod bindings;
pub mod choose_tree;
pub mod cli;
pub mod clipboard;
pub mod clock;
pub mod config;
pub mod core;
pub mod frame;
pub mod input;
pub mod install;
pub mod key_table;
pub mod list_chooser;
pub mod local_listeners;
pub mod locale;
pub mod mouse;
pub mod native_scrollback;
pub mod pane_numbers;
pub mod predict;
pub mod program;
pub mod render;
pub mod scroll_view;
pub mod server_command;
pub mod session;
pub mod settings;
pub mod terminal;
pub mod text_view;
