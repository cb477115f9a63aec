//! The `moshmux-server` program: parses the command line, runs the daemon or sends one
//! request to it and prints the reply. It lives in the library so that the `moshmux`
//! package can carry both programs (its `src/bin`), which one `cargo install` needs.

use crate::cli::{self, Cli, Command, FileSide};
use crate::config::ServerConfig;
use crate::control::Reply;
use crate::paths::RuntimePaths;
use crate::{client, daemon, offline};
use clap::error::ErrorKind;
use clap::Parser;
use moshmux_proto::SessionKey;
use std::io::Write;
use std::process::ExitCode;

pub fn main() -> ExitCode {
    if let Err(problem) = moshmux_proto::crypto::check_cpu() {
        eprintln!("moshmux-server: {problem}");
        return ExitCode::FAILURE;
    }
    let args: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let mut cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => match error.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => error.exit(),
            _ => {
                eprintln!("{}", cli::usage_error(&error, &args));
                return ExitCode::FAILURE;
            }
        },
    };
    let mut paths = RuntimePaths::from_env();
    if let Command::Daemon { limits, state_dir } = &cli.command {
        init_daemon_log();
        if let Some(state) = state_dir {
            paths.state = state.clone();
        }
        return match daemon::run(paths, limits.retention()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!("{error:#}");
                ExitCode::FAILURE
            }
        };
    }
    if matches!(cli.command, Command::New { .. }) {
        // Warnings, one line each; `attach` passes them on to the user's terminal.
        let (config, problems) = ServerConfig::load();
        for problem in problems {
            eprintln!("{problem}");
        }
        if let Some(why) = &paths.squatted {
            eprintln!(
                "moshmux-server: {why}: another user may be trying to intercept moshmux; \
                 using {} instead",
                paths.dir.display()
            );
        }
        config.under_flags(&mut cli.command);
        if let Command::New { environment, .. } = &cli.command {
            for line in crate::locale::missing(environment) {
                eprintln!("{line}");
            }
        }
    }
    let daemon_args = match &cli.command {
        Command::New { limits, .. } => Some(limits.to_args()),
        // A detached session, like `new`'s, starts the daemon if none runs.
        Command::NewSession { .. } => Some(Vec::new()),
        _ => None,
    };
    let file_side = match &cli.command {
        Command::Buffers(buffers) => FileSide::of(buffers),
        _ => None,
    };
    let (request, save_to) = match file_side {
        Some(Err(line)) => {
            eprintln!("{line}");
            return ExitCode::FAILURE;
        }
        Some(Ok(FileSide::Load(None))) => return ExitCode::SUCCESS,
        Some(Ok(FileSide::Load(Some(request)))) => (request, None),
        Some(Ok(FileSide::Save { request, to })) => (request, Some(to)),
        None => match cli.command.into_request() {
            Some(request) => (request, None),
            None => return ExitCode::FAILURE,
        },
    };
    let mut stdout = std::io::stdout().lock();
    let reply = match daemon_args {
        Some(args) => client::request_starting_daemon(&paths, &request, &args),
        None => match client::request(&paths, &request, &mut stdout) {
            // History on disk is read without a daemon.
            Err(error) if error.is::<client::NoServer>() => {
                offline::request(&paths, &request, &mut stdout).unwrap_or(Err(error))
            }
            reply => reply,
        },
    };
    match reply {
        Ok(Reply::Ok(text)) => match save_to.map(|to| to.write(&text)) {
            None => finish_output(stdout.write_all(text.as_bytes())),
            Some(Ok(Err(line))) => {
                eprintln!("{line}");
                ExitCode::FAILURE
            }
            Some(written) => finish_output(written.map(drop)),
        },
        Ok(Reply::Connect(connect)) => {
            for notice in &connect.notices {
                eprintln!("moshmux-server: {notice}");
            }
            let key = SessionKey::from_bytes(connect.key);
            // The wire protocol's version last, so a client of another version says so
            // in words instead of timing out on datagrams it cannot read.
            let version = moshmux_proto::instruction::PROTOCOL_VERSION;
            finish_output(writeln!(
                stdout,
                "MOSHMUX CONNECT {} {key} {version}",
                connect.port
            ))
        }
        Ok(Reply::Error(message)) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
        Ok(Reply::ShuttingDown(())) => {
            eprintln!("the server is shutting down");
            ExitCode::FAILURE
        }
        Ok(Reply::Output(_)) => ExitCode::FAILURE,
        Err(error) => match error.downcast::<client::OutputError>() {
            Ok(client::OutputError(error)) => finish_output(Err(error)),
            Err(error) => {
                eprintln!("{error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// How a command that printed ends: a reader that went away (`| head -1`) is no error,
/// as with tmux; any other failure to write is one line.
fn finish_output(written: std::io::Result<()>) -> ExitCode {
    match written.and_then(|()| std::io::stdout().flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("moshmux-server: writing the output: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The daemon's stderr is its log file; `MOSHMUX_LOG` filters it like `RUST_LOG`.
fn init_daemon_log() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MOSHMUX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}
