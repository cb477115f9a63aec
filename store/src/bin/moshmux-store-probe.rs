//! Drives a history store from a process of its own, for what only a whole process can
//! show: being killed mid-write, holding the store while another process tries to open
//! it, and running out of file space.
//!
//! Usage:
//!   moshmux-store-probe flood DIR          append numbered lines to pane %1 forever,
//!                                          printing "appended N" every 1000 lines
//!   moshmux-store-probe fill DIR LINES     append LINES numbered lines to pane %1 as fast
//!                                          as the writer takes them, flush, then print
//!                                          the store's size and this process's RSS
//!   moshmux-store-probe hold DIR           open the store, print "open", then this
//!                                          process's RSS, and wait for EOF
//!   moshmux-store-probe starve DIR BYTES   limit file size to BYTES, flood until writes
//!                                          fail, then show that appends go on up to the
//!                                          backlog limit and nothing is lost once space
//!                                          returns

use moshmux_proto::{LineNumber, PaneId};
use moshmux_store::{HistoryStore, StoreError, StoreOptions};
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PANE: PaneId = PaneId(1);
/// Memory lines may take while `starve` keeps the disk full.
const STARVE_BACKLOG_BYTES: usize = 16 << 20;

#[path = "../../tests/common/numbered_line.rs"]
mod numbered_line;
use numbered_line::numbered_line;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [_, "flood", dir] => flood(Path::new(dir)),
        [_, "hold", dir] => hold(Path::new(dir)),
        [_, "fill", dir, lines] => match lines.parse() {
            Ok(lines) => fill(Path::new(dir), lines),
            Err(_) => Err(format!("not a line count: {lines}")),
        },
        [_, "starve", dir, bytes] => match bytes.parse() {
            Ok(limit) => starve(Path::new(dir), limit),
            Err(_) => Err(format!("not a byte count: {bytes}")),
        },
        _ => Err("usage: moshmux-store-probe flood|hold|fill|starve DIR [LINES|BYTES]".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("moshmux-store-probe: {message}");
            ExitCode::FAILURE
        }
    }
}

fn open(dir: &Path) -> Result<HistoryStore, String> {
    HistoryStore::open(dir, StoreOptions::default()).map_err(|e| e.to_string())
}

/// Appends in bursts paced to about 200,000 lines/s (several times what a pane's parser
/// produces), continuing a history left by an earlier run.
fn flood(dir: &Path) -> Result<(), String> {
    let store = open(dir)?;
    let mut n = store.info(PANE).map_or(0, |info| info.next_line.0);
    let mut stdout = std::io::stdout().lock();
    let started = Instant::now();
    let mut appended = 0u64;
    loop {
        for _ in 0..1000 {
            let number = store
                .append(PANE, numbered_line(n))
                .map_err(|e| e.to_string())?;
            if number != LineNumber(n) {
                return Err(format!("appended line got number {number}, expected {n}"));
            }
            n += 1;
        }
        appended += 1000;
        writeln!(stdout, "appended {n}").map_err(|e| e.to_string())?;
        stdout.flush().map_err(|e| e.to_string())?;
        let due = started + Duration::from_secs_f64(appended as f64 / 200_000.0);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
}

/// Appends `lines` more lines, waiting for the writer whenever its backlog is full, so
/// a store of any size can be built for measuring.
fn fill(dir: &Path, lines: u64) -> Result<(), String> {
    let store = open(dir)?;
    let mut n = store.info(PANE).map_or(0, |info| info.next_line.0);
    let end = n + lines;
    while n < end {
        match store.append(PANE, numbered_line(n)) {
            Ok(_) => n += 1,
            Err(StoreError::BacklogFull(_)) => store.flush().map_err(|e| e.to_string())?,
            Err(e) => return Err(e.to_string()),
        }
    }
    store.flush().map_err(|e| e.to_string())?;
    let disk = store.disk_bytes().map_err(|e| e.to_string())?;
    println!("lines {n}, {disk} bytes on disk, rss {} KiB", rss_kib());
    Ok(())
}

/// This process's resident memory, from /proc.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

fn hold(dir: &Path) -> Result<(), String> {
    let _store = open(dir)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "open")
        .and_then(|()| stdout.flush())
        .map_err(|e| e.to_string())?;
    // A test that read "open" may have closed the pipe by now; the store stays held
    // either way (println! would panic on the closed pipe).
    let _ = writeln!(stdout, "rss {} KiB", rss_kib()).and_then(|()| stdout.flush());
    drop(stdout);
    let mut line = String::new();
    while std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?
        > 0
    {}
    Ok(())
}

fn starve(dir: &Path, limit: u64) -> Result<(), String> {
    // Past the limit, writes fail with EFBIG, as they fail with ENOSPC on a full disk,
    // instead of the default SIGXFSZ killing the process.
    // SAFETY: plain libc call on this process's own signal disposition.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    limit_file_size(limit)?;
    let options = StoreOptions {
        backlog_limit_bytes: STARVE_BACKLOG_BYTES,
        ..StoreOptions::default()
    };
    let store = HistoryStore::open(dir, options).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut n = 0;
    while store.status().last_error.is_none() {
        if Instant::now() > deadline {
            return Err("writes never failed".into());
        }
        for _ in 0..1000 {
            store
                .append(PANE, numbered_line(n))
                .map_err(|e| e.to_string())?;
            n += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = store.status();
    println!("write error: {}", status.last_error.unwrap_or_default());
    // The caller keeps running: appends still take lines, reads still see them all.
    for _ in 0..100 {
        store
            .append(PANE, numbered_line(n))
            .map_err(|e| format!("append after write error: {e}"))?;
        n += 1;
    }
    match store.flush() {
        Ok(()) => return Err("flush succeeded on a full disk".into()),
        Err(e) => println!("flush error: {e}"),
    }
    match store.read(PANE, LineNumber(0)..LineNumber(n)) {
        Ok(page) => println!("read while full: {} lines", page.lines.len()),
        Err(e) => println!("read while full: {e}"),
    }
    // Lines pile up in memory until the backlog limit, then are refused, not queued.
    loop {
        match store.append(PANE, numbered_line(n)) {
            Ok(_) => n += 1,
            Err(StoreError::BacklogFull(bytes)) => {
                println!(
                    "backlog full at {bytes} bytes, refused {} line(s)",
                    store.status().refused_lines
                );
                break;
            }
            Err(e) => return Err(format!("append while full: {e}")),
        }
    }
    // Space comes back: the writer catches up and nothing appended meanwhile is lost.
    limit_file_size(libc::RLIM_INFINITY)?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Err(e) = store.flush() {
        if Instant::now() > deadline {
            return Err(format!("writes never recovered: {e}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("flush after space returned: ok");
    let page = store
        .read(PANE, LineNumber(0)..LineNumber(n))
        .map_err(|e| e.to_string())?;
    let intact = page.first == LineNumber(0)
        && page.lines.len() as u64 == n
        && page
            .lines
            .iter()
            .enumerate()
            .all(|(i, line)| *line == numbered_line(i as u64));
    println!(
        "read back {} of {n} lines, intact: {intact}",
        page.lines.len()
    );
    Ok(())
}

fn limit_file_size(bytes: u64) -> Result<(), String> {
    let rlimit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit reads the struct we pass and changes only this process.
    if unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) } != 0 {
        return Err(format!("setrlimit: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}
