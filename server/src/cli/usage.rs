//! Usage errors as one line: what went wrong, then what the command accepts.

use super::Cli;
use crate::target::TargetError;
use clap::CommandFactory;
use std::error::Error as _;

/// Reduces a clap error to one line, followed by what the command accepts. A malformed
/// target is the exception: its line alone, word for word what the daemon answered when
/// it parsed targets itself, since scripts written for tmux look for those words.
pub fn usage_error(error: &clap::Error, args: &[String]) -> String {
    if let Some(bad) = error.source().and_then(|e| e.downcast_ref::<TargetError>()) {
        return bad.to_string();
    }
    let rendered = error.render().to_string();
    let first = match error.kind() {
        // clap renders the whole help for this one.
        clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "no command given".to_string()
        }
        // The first paragraph, which may list the missing arguments on lines of their own.
        _ => rendered
            .lines()
            .take_while(|line| !line.trim().is_empty())
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
            .trim_start_matches("error: ")
            .to_string(),
    };
    let mut cli = Cli::command();
    cli.build();
    let subcommand = args
        .iter()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .and_then(|name| cli.find_subcommand(name));
    match subcommand {
        Some(sub) => format!("{first} ({} takes {})", sub.get_name(), accepted(sub)),
        None => {
            let names: Vec<&str> = cli
                .get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .map(|sub| sub.get_name())
                .collect();
            format!("{first} (commands: {})", names.join(", "))
        }
    }
}

/// A command's flags and arguments, as `-t TARGET, -l, KEY...`.
fn accepted(command: &clap::Command) -> String {
    let mut parts = Vec::new();
    for arg in command.get_arguments() {
        if arg.is_hide_set() || matches!(arg.get_id().as_str(), "help" | "version") {
            continue;
        }
        let value = arg
            .get_value_names()
            .and_then(|names| names.first())
            .map(|name| name.to_string())
            .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
        let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
        let part = if let Some(short) = arg.get_short() {
            if takes_value {
                format!("-{short} {value}")
            } else {
                format!("-{short}")
            }
        } else if let Some(long) = arg.get_long() {
            format!("--{long} {value}")
        } else if arg.is_last_set() {
            format!("-- {value}...")
        } else if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
            format!("{value}...")
        } else {
            value
        };
        parts.push(part);
    }
    if parts.is_empty() {
        "no arguments".to_string()
    } else {
        parts.join(", ")
    }
}
