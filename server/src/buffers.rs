//! Paste buffers, as tmux keeps them: named text the daemon holds for every session,
//! newest first. `set-buffer` without a name makes an automatic one, `bufferN`, and
//! only automatic ones count against the limit (tmux's `buffer-limit`, 50), the oldest
//! going first.

use moshmux_proto::label::printable;

/// Most automatic buffers kept.
pub const AUTOMATIC_LIMIT: usize = 50;
/// Most bytes one buffer holds: what a control frame carries with room to spare.
pub const MAX_BUFFER_BYTES: usize = 4 << 20;
/// Most characters of a buffer `#{buffer_sample}` shows, as tmux's.
const SAMPLE_CHARS: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasteBuffer {
    pub name: String,
    pub data: Vec<u8>,
    automatic: bool,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BufferError {
    #[error("no buffer {0}")]
    NoBuffer(String),
    #[error("no buffers")]
    NoBuffers,
    #[error("unknown buffer: {0}")]
    Unknown(String),
    #[error("buffer {0} is too large: at most {MAX_BUFFER_BYTES} bytes")]
    TooLarge(String),
    #[error("buffer {0} exists")]
    Exists(String),
}

#[derive(Debug, Default)]
pub struct PasteBuffers {
    /// Newest first.
    buffers: Vec<PasteBuffer>,
    next_automatic: u32,
}

impl PasteBuffers {
    /// Newest first.
    pub fn iter(&self) -> impl Iterator<Item = &PasteBuffer> {
        self.buffers.iter()
    }

    /// The named buffer, or with none the newest.
    pub fn get(&self, name: Option<&str>) -> Result<&PasteBuffer, BufferError> {
        match name {
            Some(name) => self
                .buffers
                .iter()
                .find(|b| b.name == name)
                .ok_or_else(|| BufferError::NoBuffer(name.to_owned())),
            None => self.buffers.first().ok_or(BufferError::NoBuffers),
        }
    }

    /// tmux's set-buffer: `data` into the named buffer (made if missing) or, with no
    /// name, a new automatic one; `append` adds to the buffer (the newest, with no
    /// name) instead.
    pub fn set(
        &mut self,
        name: Option<&str>,
        data: &[u8],
        append: bool,
    ) -> Result<(), BufferError> {
        let at = match name {
            Some(name) => self.buffers.iter().position(|b| b.name == name),
            None if append => (!self.buffers.is_empty()).then_some(0),
            None => None,
        };
        match at {
            Some(at) => {
                let buffer = &mut self.buffers[at];
                let len = if append { buffer.data.len() } else { 0 } + data.len();
                if len > MAX_BUFFER_BYTES {
                    return Err(BufferError::TooLarge(buffer.name.clone()));
                }
                if !append {
                    buffer.data.clear();
                }
                buffer.data.extend_from_slice(data);
            }
            None => {
                let (name, automatic) = match name {
                    Some(name) => (name.to_owned(), false),
                    None => (self.automatic_name(), true),
                };
                if data.len() > MAX_BUFFER_BYTES {
                    return Err(BufferError::TooLarge(name));
                }
                self.buffers.insert(
                    0,
                    PasteBuffer {
                        name,
                        data: data.to_vec(),
                        automatic,
                    },
                );
                self.trim();
            }
        }
        Ok(())
    }

    /// `set-buffer -n`: renames a buffer (the newest, with no name), keeping its place.
    pub fn rename(&mut self, name: Option<&str>, new_name: &str) -> Result<(), BufferError> {
        if self.buffers.iter().any(|b| b.name == new_name) {
            return Err(BufferError::Exists(new_name.to_owned()));
        }
        let at = match name {
            Some(name) => self.buffers.iter().position(|b| b.name == name),
            None => (!self.buffers.is_empty()).then_some(0),
        };
        let buffer = at
            .and_then(|at| self.buffers.get_mut(at))
            .ok_or_else(|| BufferError::NoBuffer(name.unwrap_or_default().to_owned()))?;
        buffer.name = new_name.to_owned();
        buffer.automatic = false;
        Ok(())
    }

    /// Deletes the named buffer, or with none the newest.
    pub fn delete(&mut self, name: Option<&str>) -> Result<PasteBuffer, BufferError> {
        let at = match name {
            Some(name) => self
                .buffers
                .iter()
                .position(|b| b.name == name)
                .ok_or_else(|| BufferError::Unknown(name.to_owned()))?,
            None if self.buffers.is_empty() => {
                return Err(BufferError::NoBuffer(String::new()));
            }
            None => 0,
        };
        Ok(self.buffers.remove(at))
    }

    fn automatic_name(&mut self) -> String {
        loop {
            let name = format!("buffer{}", self.next_automatic);
            self.next_automatic = self.next_automatic.wrapping_add(1);
            if !self.buffers.iter().any(|b| b.name == name) {
                return name;
            }
        }
    }

    /// Drops the oldest automatic buffers past the limit.
    fn trim(&mut self) {
        let mut automatic = 0;
        self.buffers.retain(|b| {
            automatic += usize::from(b.automatic);
            !b.automatic || automatic <= AUTOMATIC_LIMIT
        });
    }
}

/// The start of a buffer as `#{buffer_sample}` shows it: control characters escaped as
/// tmux's `vis` writes them (`\n`, `\t`, octal), backslashes doubled, at most 200
/// characters, then `...` if there was more.
pub fn sample(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data).replace('\\', "\\\\");
    printable(&text, SAMPLE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_buffers_are_numbered_and_only_they_are_trimmed() {
        let mut buffers = PasteBuffers::default();
        buffers.set(Some("mine"), b"kept", false).unwrap();
        for i in 0..AUTOMATIC_LIMIT + 2 {
            buffers.set(None, i.to_string().as_bytes(), false).unwrap();
        }
        let names: Vec<&str> = buffers.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names.len(), AUTOMATIC_LIMIT + 1);
        assert_eq!(names[0], "buffer51");
        assert!(names.contains(&"mine"));
        assert!(!names.contains(&"buffer0") && !names.contains(&"buffer1"));
    }

    #[test]
    fn append_rename_and_delete_as_tmux() {
        let mut buffers = PasteBuffers::default();
        buffers.set(None, b"first", false).unwrap();
        buffers.set(Some("mine"), b"named", false).unwrap();
        buffers.set(Some("mine"), b" more", true).unwrap();
        assert_eq!(buffers.get(None).unwrap().data, b"named more");
        buffers.rename(Some("mine"), "theirs").unwrap();
        assert_eq!(
            buffers.rename(None, "buffer0"),
            Err(BufferError::Exists("buffer0".into()))
        );
        assert_eq!(buffers.delete(None).unwrap().name, "theirs");
        assert_eq!(
            buffers.delete(Some("nope")),
            Err(BufferError::Unknown("nope".into()))
        );
        assert_eq!(
            buffers.get(Some("theirs")),
            Err(BufferError::NoBuffer("theirs".into()))
        );
        buffers.delete(None).unwrap();
        assert_eq!(buffers.get(None), Err(BufferError::NoBuffers));
    }

    #[test]
    fn a_sample_escapes_controls_and_stops_at_200_characters() {
        assert_eq!(sample(b"a\nb\tc\x01\\"), "a\\nb\\tc\\001\\\\");
        let long = "x".repeat(250);
        assert_eq!(sample(long.as_bytes()), format!("{}...", "x".repeat(200)));
    }
}
