//! The values `moshmux-server`'s flags take that clap does not parse itself: history
//! limits, sizes, line numbers and ports.

use crate::control::{self, LineRef, PortChoice};

/// History retention, oldest lines first. Read by the daemon when it starts, so on `new`
/// they apply only when that `new` starts the daemon. Each defaults to the config file's
/// [history] key, else no limit, except the total: [`DEFAULT_TOTAL_BYTES`].
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct HistoryLimits {
    /// Keep at most about N lines per pane (rounded up to whole 256-line blocks); the
    /// config file's history.max-lines-per-pane.
    #[arg(long, value_name = "N")]
    pub history_lines: Option<u64>,
    /// Keep at most N compressed bytes of history per pane; history.max-bytes-per-pane.
    #[arg(long, value_name = "N")]
    pub history_bytes: Option<u64>,
    /// Keep at most N compressed bytes of history over all panes; history.max-total-bytes
    /// (default 2 GiB: a year of 100,000 lines a day of log-like text).
    #[arg(long, value_name = "N")]
    pub history_total_bytes: Option<u64>,
}

/// The history kept over all panes when nothing says otherwise: 2 GiB. A year of
/// 100,000 lines a day (36.5 million, a heavy user's builds and logs) of the worst
/// compressing text measured (log lines with random hex, 34 bytes a line on disk) is
/// 1.24 GB; shell output and `seq`-like text take 3-10 bytes a line.
pub const DEFAULT_TOTAL_BYTES: u64 = 2 << 30;

impl HistoryLimits {
    pub fn retention(&self) -> moshmux_store::Retention {
        moshmux_store::Retention {
            max_lines_per_pane: self.history_lines,
            max_bytes_per_pane: self.history_bytes,
            max_total_bytes: Some(self.history_total_bytes.unwrap_or(DEFAULT_TOTAL_BYTES)),
        }
    }

    /// The same limits as `daemon` arguments.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (flag, value) in [
            ("--history-lines", self.history_lines),
            ("--history-bytes", self.history_bytes),
            ("--history-total-bytes", self.history_total_bytes),
        ] {
            if let Some(value) = value {
                args.push(flag.to_string());
                args.push(value.to_string());
            }
        }
        args
    }
}

/// A width or height from 1 to `max` cells.
pub(super) fn cells(max: u16) -> clap::builder::RangedI64ValueParser<u16> {
    clap::value_parser!(u16).range(1..=i64::from(max))
}

/// `N` cells or `N%`, as resize-pane's -x and -y take them.
pub(super) fn parse_length(text: &str) -> Result<control::Length, String> {
    let bad = || format!("{text:?} is not a size (cells, or a percentage such as 50%)");
    match text.strip_suffix('%') {
        Some(percent) => percent
            .parse()
            .map(control::Length::Percent)
            .map_err(|_| bad()),
        None => match text.parse() {
            Ok(0) | Err(_) => Err(bad()),
            Ok(cells) => Ok(control::Length::Cells(cells)),
        },
    }
}

pub(super) fn parse_line(text: &str) -> Result<LineRef, String> {
    if text == "-" {
        return Ok(LineRef::Oldest);
    }
    text.parse()
        .map(LineRef::Number)
        .map_err(|_| format!("{text:?} is not a line number (0, -5, or - for the end)"))
}

/// `PORT` (the shared port) or `LOW:HIGH` (a port per client), as `-p` and the config
/// file's `server.port` take them.
pub fn parse_ports(text: &str) -> Result<PortChoice, String> {
    let port = |p: &str| match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("{p:?} is not a port number (1-65535)")),
        Ok(n) => Ok(n),
    };
    match text.split_once(':') {
        Some((low, high)) => {
            let (first, last) = (port(low)?, port(high)?);
            if first > last {
                return Err(format!("port range {first}:{last} runs backwards"));
            }
            Ok(PortChoice::PerClient { first, last })
        }
        None => {
            let port = port(text)?;
            Ok(PortChoice::Shared {
                first: port,
                last: port,
            })
        }
    }
}
