//! The files a package installs beside the two binaries, made from the binaries' own
//! clap definitions so they never disagree with `--help`: a man page for each program
//! and each of its subcommands (`moshmux-attach.1`, as git names them), and completion
//! scripts for bash, zsh and fish. `cargo run -p moshmux-dist -- DIR` writes them; the
//! Debian package (`client/Cargo.toml`, `[package.metadata.deb]`) takes them from
//! `dist/generated/`.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

/// One file to write: its path under the output directory, and its bytes.
#[derive(Debug)]
pub struct Generated {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// The two programs' command lines, as their `main`s parse them.
pub fn programs() -> [clap::Command; 2] {
    [
        moshmux_client::cli::Cli::command(),
        moshmux_server::cli::Cli::command(),
    ]
}

/// `man/NAME.1` for each program and each subcommand a user can type (hidden ones, such
/// as the server's internal `daemon`, have none).
pub fn man_pages() -> Result<Vec<Generated>, std::io::Error> {
    let mut pages = Vec::new();
    for mut program in programs() {
        // Gives each subcommand its full name (`moshmux-server new`) before rendering.
        program.build();
        add_pages(&program, &mut pages)?;
    }
    Ok(pages)
}

fn add_pages(command: &clap::Command, pages: &mut Vec<Generated>) -> Result<(), std::io::Error> {
    let man = clap_mangen::Man::new(command.clone());
    let mut bytes = Vec::new();
    man.render(&mut bytes)?;
    pages.push(Generated {
        path: Path::new("man").join(man.get_filename()),
        bytes,
    });
    for subcommand in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        add_pages(subcommand, pages)?;
    }
    Ok(())
}

/// `completions/NAME.bash`, `completions/_NAME` (zsh) and `completions/NAME.fish` for
/// each program.
pub fn completions() -> Vec<Generated> {
    let mut scripts = Vec::new();
    for mut program in programs() {
        let name = program.get_name().to_owned();
        for (shell, file) in [
            (Shell::Bash, format!("{name}.bash")),
            (Shell::Zsh, format!("_{name}")),
            (Shell::Fish, format!("{name}.fish")),
        ] {
            let mut bytes = Vec::new();
            clap_complete::generate(shell, &mut program, &name, &mut bytes);
            scripts.push(Generated {
                path: Path::new("completions").join(file),
                bytes,
            });
        }
    }
    scripts
}

/// Writes every man page and completion script under `dir`; the paths written.
pub fn write_all(dir: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut written = Vec::new();
    for file in man_pages()?.into_iter().chain(completions()) {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &file.bytes)?;
        written.push(path);
    }
    Ok(written)
}
