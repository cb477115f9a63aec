//! Faults a store must survive without panicking or losing its caller: a damaged
//! database, a second process, and writes that fail.

mod common;

use common::{assert_numbered, numbered_line, open};
use moshmux_proto::PaneId;
use moshmux_store::{HistoryStore, StoreError, StoreOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const PANE: PaneId = PaneId(1);
const PROBE: &str = env!("CARGO_BIN_EXE_moshmux-store-probe");

fn fill(root: &Path, lines: u64) {
    let store = open(root);
    for n in 0..lines {
        store.append(PANE, numbered_line(n)).unwrap();
    }
    store.flush().unwrap();
}

/// Opens a store over a deliberately damaged database: it must move the damage aside
/// with a one-line message and open empty, and opening again must not recover again.
/// redb reports the damage itself; a database that opened it silently with lines missing
/// (sled 0.34 did) would be caught by the store's watermark.
fn assert_moved_aside_after_damage(root: &Path, damage: impl FnOnce(&Path)) {
    fill(root, 20_000);
    damage(&root.join("db"));
    let store = open(root);
    let recovery = store.recovery().expect("damage detected");
    let message = recovery.to_string();
    println!("{message}");
    assert!(!message.contains('\n'), "one-line error");
    assert!(recovery.moved_to.exists(), "damaged database kept");
    assert!(store.panes().is_empty(), "fresh store");
    store.append(PANE, numbered_line(0)).unwrap();
    store.flush().unwrap();
    drop(store);
    let store = open(root);
    assert!(store.recovery().is_none(), "no recovery loop");
    assert_numbered(&store, PANE, 0..1);
}

fn largest_file(dir: &Path) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.metadata().unwrap().is_file())
        .max_by_key(|e| e.metadata().unwrap().len())
        .unwrap()
        .path()
}

#[test]
fn truncated_database_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    assert_moved_aside_after_damage(dir.path(), |db| {
        let file = largest_file(db);
        let len = std::fs::metadata(&file).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        f.set_len(len / 3).unwrap();
    });
}

#[test]
fn scribbled_database_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    assert_moved_aside_after_damage(dir.path(), |db| {
        let file = largest_file(db);
        let mut bytes = std::fs::read(&file).unwrap();
        for (i, byte) in bytes.iter_mut().enumerate().skip(64).step_by(13) {
            *byte = (i * 31) as u8;
        }
        std::fs::write(&file, bytes).unwrap();
    });
}

#[test]
fn second_process_is_refused_and_a_dead_holder_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let mut holder = Command::new(PROBE)
        .arg("hold")
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim(), "open");
    match HistoryStore::open(dir.path(), StoreOptions::default()) {
        Err(error @ StoreError::Locked(_)) => {
            let message = error.to_string();
            assert!(message.contains("already open"), "{message}");
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("second opener was let in"),
    }
    holder.kill().unwrap();
    holder.wait().unwrap();
    fill(dir.path(), 10);
}

#[test]
fn failing_writes_are_reported_and_the_caller_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(PROBE)
        .arg("starve")
        .arg(dir.path())
        .arg((4u64 << 20).to_string())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}{stderr}");
    assert!(output.status.success(), "probe failed: {stderr}");
    assert!(
        stdout.contains("write error: history not written"),
        "{stdout}"
    );
    assert!(stdout.contains("flush error:"), "{stdout}");
    assert!(stdout.contains("refused 1 line(s)"), "{stdout}");
    assert!(stdout.contains("intact: true"), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    std::io::stdout().flush().unwrap();
}
