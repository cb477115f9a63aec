//! `moshmux-server`: the host's daemon and its tmux-like commands; all of it is in the
//! `moshmux-server` library.

fn main() -> std::process::ExitCode {
    moshmux_server::program::main()
}
