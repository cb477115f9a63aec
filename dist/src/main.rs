//! `moshmux-dist [DIR]`: writes the man pages and shell completions under DIR (default
//! `dist/generated` in the workspace, where the Debian package takes them from).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("generated"),
    };
    match moshmux_dist::write_all(&dir) {
        Ok(written) => {
            println!("{} files under {}", written.len(), dir.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("moshmux-dist: writing under {}: {error}", dir.display());
            ExitCode::FAILURE
        }
    }
}
