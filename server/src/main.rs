use clap::error::ErrorKind;
use clap::Parser;
use moshmux_proto::SessionKey;
use moshmux_server::cli::{self, Cli, Command};
use moshmux_server::config::ServerConfig;
use moshmux_server::control::Reply;
use moshmux_server::paths::RuntimePaths;
use moshmux_server::{client, daemon};
use std::process::ExitCode;

fn main() -> ExitCode {
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
        config.under_flags(&mut cli.command);
    }
    let daemon_args = match &cli.command {
        Command::New { limits, .. } => Some(limits.to_args()),
        _ => None,
    };
    let Some(request) = cli.command.into_request() else {
        return ExitCode::FAILURE;
    };
    let reply = match daemon_args {
        Some(args) => client::request_starting_daemon(&paths, &request, &args),
        None => client::request(&paths, &request),
    };
    match reply {
        Ok(Reply::Ok(text)) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Reply::Connect(connect)) => {
            let key = SessionKey::from_bytes(connect.key);
            println!("MOSHMUX CONNECT {} {key}", connect.port);
            ExitCode::SUCCESS
        }
        Ok(Reply::Error(message)) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
        Ok(Reply::ShuttingDown(())) => {
            eprintln!("the server is shutting down");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("{error:#}");
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
