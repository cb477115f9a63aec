//! The paste-buffer commands (tmux's set-buffer, show-buffer, list-buffers,
//! delete-buffer, paste-buffer, load-buffer and save-buffer), flattened into
//! [`super::Command`].

use crate::control::{self, Request};
use crate::target::Target;
use clap::Subcommand;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum Buffers {
    /// Put text in a paste buffer: a new one (buffer0, buffer1, ...) or the one named.
    #[command(visible_alias = "setb")]
    SetBuffer {
        /// Add to the buffer instead of replacing it.
        #[arg(short = 'a')]
        append: bool,
        /// The buffer's name (default: a new buffer, or appending, the newest).
        #[arg(short = 'b', value_name = "NAME")]
        name: Option<String>,
        /// Rename the buffer to this instead.
        #[arg(short = 'n', value_name = "NEW", conflicts_with = "data")]
        new_name: Option<String>,
        /// The text.
        #[arg(required_unless_present = "new_name")]
        data: Option<String>,
    },
    /// Print a paste buffer (default: the newest).
    #[command(visible_alias = "showb")]
    ShowBuffer {
        /// The buffer (default: the newest).
        #[arg(short = 'b', value_name = "NAME")]
        name: Option<String>,
    },
    /// List the paste buffers, newest first.
    #[command(visible_alias = "lsb")]
    ListBuffers {
        /// One line per buffer from this format (#{buffer_name}, #{buffer_size},
        /// #{buffer_sample}).
        #[arg(short = 'F', value_name = "FORMAT")]
        format: Option<String>,
    },
    /// Delete a paste buffer (default: the newest).
    #[command(visible_alias = "deleteb")]
    DeleteBuffer {
        /// The buffer (default: the newest).
        #[arg(short = 'b', value_name = "NAME")]
        name: Option<String>,
    },
    /// Put a file's text in a paste buffer (`-`: standard input); a new buffer or the
    /// one named. The file is read by this command, relative to its directory.
    #[command(visible_alias = "loadb")]
    LoadBuffer {
        /// The buffer's name (default: a new buffer).
        #[arg(short = 'b', value_name = "NAME")]
        name: Option<String>,
        /// The file, or `-` for standard input.
        path: PathBuf,
    },
    /// Write a paste buffer to a file (`-`: standard output).
    #[command(visible_alias = "saveb")]
    SaveBuffer {
        /// Add to the end of the file instead of replacing it.
        #[arg(short = 'a')]
        append: bool,
        /// The buffer (default: the newest).
        #[arg(short = 'b', value_name = "NAME")]
        name: Option<String>,
        /// The file, or `-` for standard output.
        path: PathBuf,
    },
    /// Type a paste buffer into a pane (default: the newest buffer, into the active pane
    /// of the session used last); newlines become carriage returns, as Enter types.
    #[command(visible_alias = "pasteb")]
    PasteBuffer {
        /// The buffer (default: the newest).
        #[arg(short = 'b', value_name = "NAME")]
        name: Option<String>,
        /// Delete the buffer once pasted.
        #[arg(short = 'd')]
        delete: bool,
        /// Wrap it in bracketed-paste markers if the pane's program asked for them.
        #[arg(short = 'p')]
        bracketed: bool,
        /// Keep newlines as they are.
        #[arg(short = 'r', conflicts_with = "separator")]
        raw: bool,
        /// What each newline becomes.
        #[arg(short = 's', value_name = "SEPARATOR")]
        separator: Option<String>,
        /// The pane to paste into (default: the active pane of the session used last).
        #[arg(short = 't', value_name = "TARGET", value_parser = Target::parse)]
        target: Option<Target>,
    },
}

impl Buffers {
    /// The request this command sends. `None` for load-buffer and save-buffer, whose
    /// files are this process's to read and write: [`FileSide`] sends their requests.
    pub fn into_request(self) -> Option<Request> {
        Some(match self {
            Buffers::LoadBuffer { .. } | Buffers::SaveBuffer { .. } => return None,
            Buffers::SetBuffer {
                append,
                name,
                new_name,
                data,
            } => Request::SetBuffer(control::SetBuffer {
                name,
                new_name,
                data,
                append,
            }),
            Buffers::ShowBuffer { name } => Request::ShowBuffer(control::BufferName(name)),
            Buffers::ListBuffers { format } => Request::ListBuffers(control::BufferFormat(format)),
            Buffers::DeleteBuffer { name } => Request::DeleteBuffer(control::BufferName(name)),
            Buffers::PasteBuffer {
                name,
                delete,
                bracketed,
                raw,
                separator,
                target,
            } => Request::PasteBuffer(control::PasteBuffer {
                name,
                target,
                delete,
                bracketed,
                separator: match raw {
                    true => Some("\n".to_owned()),
                    false => separator,
                },
            }),
        })
    }
}

/// load-buffer and save-buffer: the request the daemon gets, and what this process does
/// with a file before or after it.
pub enum FileSide {
    /// The file was read: set the buffer (`None`: the file was empty, and as with tmux
    /// no buffer is made).
    Load(Option<Request>),
    /// Ask for the buffer, then write it to `to`.
    Save { request: Request, to: SaveTo },
}

/// Where save-buffer writes the buffer the daemon answers with.
pub struct SaveTo {
    path: PathBuf,
    append: bool,
}

impl FileSide {
    /// `None` for every other command; an error names the file and what went wrong, as
    /// tmux does (`/abs/path: No such file or directory`).
    pub fn of(command: &Buffers) -> Option<Result<FileSide, String>> {
        match command {
            Buffers::LoadBuffer { name, path } => Some(load(path).map(|data| {
                FileSide::Load((!data.is_empty()).then(|| {
                    Request::SetBuffer(control::SetBuffer {
                        name: name.clone(),
                        new_name: None,
                        data: Some(data),
                        append: false,
                    })
                }))
            })),
            Buffers::SaveBuffer { append, name, path } => Some(Ok(FileSide::Save {
                request: Request::ShowBuffer(control::BufferName(name.clone())),
                to: SaveTo {
                    path: path.clone(),
                    append: *append,
                },
            })),
            _ => None,
        }
    }
}

fn load(path: &Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    let read = match is_standard_stream(path) {
        true => std::io::stdin().lock().read_to_end(&mut bytes).map(drop),
        false => {
            std::fs::File::open(path).and_then(|mut file| file.read_to_end(&mut bytes).map(drop))
        }
    };
    read.map_err(|error| file_error(path, &error))?;
    String::from_utf8(bytes).map_err(|_| {
        format!(
            "{}: not UTF-8 text (moshmux's paste buffers hold text)",
            shown(path)
        )
    })
}

impl SaveTo {
    /// Writes the buffer; standard output as any command's output, a file created 0600
    /// (a buffer may hold what was copied from a pane).
    pub fn write(&self, text: &str) -> std::io::Result<Result<(), String>> {
        if is_standard_stream(&self.path) {
            return std::io::stdout().lock().write_all(text.as_bytes()).map(Ok);
        }
        use std::os::unix::fs::OpenOptionsExt;
        let written = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(self.append)
            .truncate(!self.append)
            .mode(0o600)
            .open(&self.path)
            .and_then(|mut file| file.write_all(text.as_bytes()));
        Ok(written.map_err(|error| file_error(&self.path, &error)))
    }
}

fn is_standard_stream(path: &Path) -> bool {
    path == Path::new("-")
}

/// The path as tmux names it in errors: made absolute from this directory.
fn shown(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// `PATH: No such file or directory`: the OS's words without Rust's "(os error 2)".
fn file_error(path: &Path, error: &std::io::Error) -> String {
    let words = error.to_string();
    let words = words.split(" (os error").next().unwrap_or_default();
    format!("{}: {words}", shown(path))
}
