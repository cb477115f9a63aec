//! The `moshmux` program: parses the command line and runs `connect`, `attach` or `ls`.
//! It lives in the library so that the `moshmux` package can carry both programs (its
//! `src/bin`), which one `cargo install` needs.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use crate::attach::{self, AttachPlan};
use crate::cli::{self, AttachArgs, Cli, Command, ConnectArgs, ForwardArgs, LsArgs};
use crate::config::ClientConfig;
use crate::locale;
use crate::server_command::{Failure, ServerPlace};
use crate::session::{self, Exit};
use crate::terminal;
use clap::error::ErrorKind;
use clap::Parser;
use moshmux_proto::SessionKey;

const BAD_KEY: &str = "moshmux: MOSHMUX_KEY is missing or not a 22-character moshmux key; \
use the key printed by `moshmux-server new`";

pub fn main() -> ExitCode {
    // Taken out of the environment first, before any thread exists: no thread, child or
    // crash report sees it afterwards.
    let key = take_key();
    if let Err(problem) = moshmux_proto::crypto::check_cpu() {
        return fail(&format!("moshmux: {problem}"));
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => match error.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => error.exit(),
            _ => {
                let subcommand = std::env::args().nth(1);
                return fail(&cli::usage_error(&error, subcommand.as_deref()));
            }
        },
    };
    let command = match cli.command {
        Some(command) => command,
        // `moshmux` alone: `moshmux attach`, here, as `tmux` alone.
        None => match Cli::try_parse_from(["moshmux", "attach"]) {
            Ok(Cli {
                command: Some(command),
            }) => command,
            _ => return fail("moshmux: give a command; see `moshmux --help`"),
        },
    };
    match command {
        Command::Connect(args) => connect(&args, key.as_deref()),
        Command::Attach(args) => attach(args),
        Command::Ls(args) => list_sessions(args),
        Command::ListKeys { table } => match load_config().keys.list(table.as_deref()) {
            Ok(lines) => print(
                &lines
                    .iter()
                    .map(|line| format!("{line}\n"))
                    .collect::<String>(),
            ),
            Err(error) => fail(&error),
        },
    }
}

fn connect(args: &ConnectArgs, key: Option<&str>) -> ExitCode {
    if !locale::is_utf8() {
        return fail(&format!("moshmux: {}", locale::NOT_UTF8));
    }
    let Some(key) = key.and_then(|text| text.parse::<SessionKey>().ok()) else {
        return fail(BAD_KEY);
    };
    let config = load_config().with_flags(args.predict, args.scrollback_lines);
    match attach::resolve(&args.host, args.port, args.family.family()) {
        Ok(server) => run_session(server, key, config, args.forwards.clone()),
        Err(message) => fail(&message),
    }
}

fn attach(args: AttachArgs) -> ExitCode {
    if !locale::is_utf8() {
        return fail(&format!("moshmux: {}", locale::NOT_UTF8));
    }
    // Before the server is asked for anything: without a terminal, no session is made.
    if let Err(message) = terminal::check() {
        return fail(&message);
    }
    let config = load_config().with_flags(args.predict, args.scrollback_lines);
    let plan = AttachPlan {
        place: ServerPlace {
            host: args.host,
            ssh: args.ssh,
            server: args.server,
            ssh_family: None,
        },
        session: args.session,
        port_range: args.port_range,
        install_server: args.install_server.unwrap_or(config.install_server),
        family: args.family.family(),
        forward_agent: args.forwards.forward_agent,
        detach_others: args.detach_others,
    };
    match attach::start(&plan) {
        Ok(endpoint) => run_session(endpoint.addr, endpoint.key, config, args.forwards),
        Err(message) => fail(&message),
    }
}

/// The server's `ls`, passed through. When the server itself fails (no daemon runs),
/// its own one line ("no server running on ...") is the whole message, as in tmux.
fn list_sessions(args: LsArgs) -> ExitCode {
    let place = ServerPlace {
        host: args.host,
        ssh: args.ssh,
        server: args.server,
        ssh_family: None,
    };
    match place.run(&["ls".to_owned()]) {
        Ok(sessions) => print(&sessions),
        Err(Failure::NotRun(line)) => fail(&line),
        Err(Failure::Server(_)) => ExitCode::FAILURE,
        Err(Failure::Missing(remote)) => {
            fail(&remote.declined(place.host.as_deref().unwrap_or_default(), ""))
        }
    }
}

/// The config file's settings; its problems are warnings, one line each on stderr, before
/// the client takes the terminal (they stay above it, in the terminal's scrollback).
fn load_config() -> ClientConfig {
    let (config, problems) = ClientConfig::load();
    for problem in problems {
        eprintln!("{problem}");
    }
    config
}

fn run_session(
    server: SocketAddr,
    key: SessionKey,
    config: ClientConfig,
    forwards: ForwardArgs,
) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("moshmux: cannot start: {error}")),
    };
    match runtime.block_on(session::run(server, key, config, forwards)) {
        Err(message) | Ok(Exit::Failed(message)) => fail(&message),
        Ok(Exit::Quit | Exit::InputClosed) => ExitCode::SUCCESS,
        Ok(Exit::Detached { session }) => print(&format!("[detached from session {session}]\n")),
        Ok(Exit::Ended { session }) => print(&format!("[exited: session {session} ended]\n")),
        Ok(Exit::Signal(number)) => ExitCode::from(128u8.saturating_add(number as u8)),
    }
}

/// `MOSHMUX_KEY`, taken out of the environment. Removing the variable only drops libc's
/// pointer to it; its bytes stay where the kernel shows the initial environment to any
/// process of ours (`/proc/PID/environ`), so the value is wiped there too.
fn take_key() -> Option<String> {
    let key = std::env::var("MOSHMUX_KEY").ok();
    // SAFETY: main calls this before any other thread exists, so nothing changes the
    // environment meanwhile. getenv returns a pointer into the NUL-terminated
    // "NAME=value" string; unsetenv only takes the string out of `environ` and never frees
    // it (glibc and musl leave it in place: it may be the initial stack's), so the value's
    // bytes stay ours to overwrite.
    unsafe {
        let value = libc::getenv(c"MOSHMUX_KEY".as_ptr());
        std::env::remove_var("MOSHMUX_KEY");
        if !value.is_null() {
            for offset in 0..libc::strlen(value) {
                std::ptr::write_volatile(value.add(offset), 0);
            }
        }
    }
    key
}

/// Writes to stdout; a reader that went away (`moshmux ls | head -1`) is no error, as
/// with tmux, and any other failure to write is one line.
fn print(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => fail(&format!("moshmux: writing the output: {error}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("{message}");
    ExitCode::FAILURE
}
