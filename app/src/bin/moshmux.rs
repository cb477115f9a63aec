//! `moshmux`: the client program; all of it is in the `moshmux-client` library.

fn main() -> std::process::ExitCode {
    moshmux_client::program::main()
}
