//! The paste-buffer commands on the daemon's buffers (`crate::buffers`), with tmux's
//! words, order and errors; paste-buffer types a buffer into a pane as send-keys does.

use super::commands::Outcome;
use super::{ClientId, Host, Mux};
use crate::buffers::{sample, PasteBuffer, MAX_BUFFER_BYTES};
use crate::control;
use crate::format;
use std::time::Instant;

/// `list-buffers`' line without `-F`, as tmux's.
const BUFFER_LINE: &str = "#{buffer_name}: #{buffer_size} bytes: \"#{buffer_sample}\"";
/// What bracketed paste puts around a paste.
const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";

impl Mux {
    /// A piece of the text a client copied in its scroll view; with the last piece, the
    /// copy becomes a new automatic buffer, as tmux's copy mode makes one. A copy larger
    /// than a buffer may be keeps its first [`MAX_BUFFER_BYTES`] and says so.
    pub(super) fn take_copied(&mut self, client: ClientId, piece: &[u8], last: bool, now: Instant) {
        let (copy, cut) = self.copies.entry(client).or_default();
        let room = MAX_BUFFER_BYTES.saturating_sub(copy.len());
        copy.extend_from_slice(piece.get(..room).unwrap_or(piece));
        *cut |= piece.len() > room;
        if !last {
            return;
        }
        let (copy, cut) = self.copies.remove(&client).unwrap_or_default();
        if copy.is_empty() {
            return;
        }
        match self.buffers.set(None, &copy, false) {
            Ok(()) if cut => self.reply_to(client, "copy cut to the largest buffer", true, now),
            Ok(()) => {}
            Err(error) => self.reply_to(client, &error.to_string(), true, now),
        }
    }

    pub(super) fn set_buffer(&mut self, set: control::SetBuffer) -> Outcome {
        match (set.new_name, set.data) {
            (Some(new_name), _) => self.buffers.rename(set.name.as_deref(), &new_name)?,
            (None, Some(data)) => {
                self.buffers
                    .set(set.name.as_deref(), data.as_bytes(), set.append)?;
            }
            (None, None) => {}
        }
        Ok(String::new())
    }

    pub(super) fn show_buffer(&self, name: Option<&str>) -> Outcome {
        let buffer = self.buffers.get(name)?;
        Ok(String::from_utf8_lossy(&buffer.data).into_owned())
    }

    pub(super) fn list_buffers(&self, format: Option<&str>) -> Outcome {
        let template = format.unwrap_or(BUFFER_LINE);
        let mut out = String::new();
        for buffer in self.buffers.iter() {
            out.push_str(&format::expand(template, &|name| variable(buffer, name)));
            out.push('\n');
        }
        Ok(out)
    }

    pub(super) fn delete_buffer(&mut self, name: Option<&str>) -> Outcome {
        self.buffers.delete(name)?;
        Ok(String::new())
    }

    pub(super) fn paste_buffer(&mut self, paste: control::PasteBuffer, host: &dyn Host) -> Outcome {
        // Nothing to paste is no error, as in tmux.
        let Ok(buffer) = self.buffers.get(paste.name.as_deref()) else {
            return match paste.name {
                Some(name) => Err(crate::buffers::BufferError::NoBuffer(name).into()),
                None => Ok(String::new()),
            };
        };
        let name = buffer.name.clone();
        let location = self.resolve_or_recent(paste.target.as_ref())?;
        let Some(pane) = self.panes.get(&location.pane) else {
            return Ok(String::new());
        };
        let separator = paste.separator.as_deref().unwrap_or("\r").as_bytes();
        let mut bytes = Vec::with_capacity(buffer.data.len() + 12);
        let bracketed = paste.bracketed && pane.modes().bracketed_paste;
        if bracketed {
            bytes.extend_from_slice(PASTE_START);
        }
        for (i, line) in buffer.data.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                bytes.extend_from_slice(separator);
            }
            bytes.extend_from_slice(line);
        }
        if bracketed {
            bytes.extend_from_slice(PASTE_END);
        }
        self.type_into(location.pane, bytes, host)?;
        if paste.delete {
            self.buffers.delete(Some(&name))?;
        }
        Ok(String::new())
    }
}

/// One of tmux's buffer format variables.
fn variable(buffer: &PasteBuffer, name: &str) -> Option<String> {
    Some(match name {
        "buffer_name" => buffer.name.clone(),
        "buffer_size" => buffer.data.len().to_string(),
        "buffer_sample" => sample(&buffer.data),
        _ => return None,
    })
}
