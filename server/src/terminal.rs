//! A pane's terminal without its PTY: the `moshmux-terminal` crate (the terminal model,
//! its fixes, query answers, rows for the wire and for history). It is a crate of its
//! own so that the model, generic code instantiated there, runs optimised in test builds.

pub use moshmux_terminal::Terminal;
