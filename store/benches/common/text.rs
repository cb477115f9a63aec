//! Terminal-like text for the benchmarks: log lines of about 64 characters mixing words,
//! numbers and hex, so zstd sees neither random noise nor one line repeated.

use moshmux_proto::screen::{CellStyle, Color, Row};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const WORDS: &[&str] = &[
    "error",
    "warning",
    "info",
    "debug",
    "connection",
    "request",
    "response",
    "failed",
    "started",
    "stopped",
    "user",
    "session",
    "timeout",
    "retry",
    "cache",
    "build",
    "compiling",
    "test",
    "ok",
    "passed",
    "src/main.rs",
    "/var/log/syslog",
    "GET",
    "POST",
    "200",
    "404",
    "kernel:",
    "systemd[1]:",
    "eth0",
    "memory",
    "disk",
    "cpu",
];

pub struct Lines {
    rng: ChaCha8Rng,
    pub raw_bytes: u64,
}

impl Lines {
    pub fn with_fixed_seed() -> Lines {
        Lines {
            rng: ChaCha8Rng::seed_from_u64(7),
            raw_bytes: 0,
        }
    }

    pub fn next_line(&mut self, n: u64) -> Row {
        let mut text = format!("{:02}:{:02}:{:02} ", n / 3600 % 24, n / 60 % 60, n % 60);
        while text.len() < 58 {
            match self.rng.random_range(0..5) {
                0 => text.push_str(&format!("{:x} ", self.rng.random::<u32>())),
                1 => text.push_str(&format!("{} ", self.rng.random_range(0..100_000))),
                _ => {
                    text.push_str(WORDS[self.rng.random_range(0..WORDS.len())]);
                    text.push(' ');
                }
            }
        }
        text.truncate(64);
        self.raw_bytes += text.len() as u64 + 1;
        let green = CellStyle {
            fg: Color::Indexed(2),
            bold: true,
            ..CellStyle::default()
        };
        let mut row = Row::builder(text.len() as u16);
        for (i, c) in text.chars().enumerate() {
            row.push_char(
                c,
                if n % 4 == 0 && i < 8 {
                    green
                } else {
                    CellStyle::default()
                },
            );
        }
        row.finish(n % 10 == 0)
    }
}
