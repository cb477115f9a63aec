//! The local terminal: raw mode that is always undone, raw input bytes, and the size.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use tokio::sync::mpsc;

/// Most bytes one read hands on; a paste arrives in several.
const READ_SIZE: usize = 4096;
/// Reads waiting for the session loop before the reader thread waits too.
const INPUT_QUEUE: usize = 64;

/// Whether raw mode is on and not yet undone; the panic hook and the guard both look.
static RAW: AtomicBool = AtomicBool::new(false);

/// Input modes the client may have mirrored, all off, with default colours and a visible
/// cursor: what a panic leaves behind instead of a terminal in an unknown state.
const RESET: &[u8] = b"\x1b[m\x1b[?25h\x1b[?1l\x1b>\x1b[?2004l\x1b[?9l\x1b[?1000l\x1b[?1002l\
\x1b[?1003l\x1b[?1005l\x1b[?1006l\r\n";

/// Whether standard input and output are a terminal, as the client needs: checked before
/// anything is asked of a server, so that `attach` without one leaves no session behind.
pub fn check() -> Result<(), String> {
    // SAFETY: isatty only inspects the descriptors.
    let tty = unsafe { libc::isatty(0) == 1 && libc::isatty(1) == 1 };
    if tty {
        Ok(())
    } else {
        Err(
            "moshmux needs a terminal on its standard input and output; run it from an \
             interactive shell"
                .to_owned(),
        )
    }
}

/// Raw mode for as long as this lives.
pub struct RawMode(());

impl RawMode {
    /// Puts the terminal in raw mode, after checking there is one.
    pub fn enter() -> Result<RawMode, String> {
        check()?;
        install_panic_hook();
        let raw = RawMode(());
        raw.resume()?;
        Ok(raw)
    }

    /// Hands the terminal back for a while (`suspend-client`).
    pub fn suspend(&self) {
        leave_raw_mode();
    }

    /// Takes the terminal again after [`RawMode::suspend`].
    pub fn resume(&self) -> Result<(), String> {
        crossterm::terminal::enable_raw_mode()
            .map_err(|error| format!("moshmux cannot put the terminal in raw mode: {error}"))?;
        RAW.store(true, Ordering::SeqCst);
        Ok(())
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        leave_raw_mode();
    }
}

fn leave_raw_mode() {
    if RAW.swap(false, Ordering::SeqCst) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Undoes raw mode and the modes the renderer may have set before the panic message is
/// printed, so it is readable and the shell after it works.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if RAW.load(Ordering::SeqCst) {
                // Straight to the descriptor: the panicking thread may hold stdout's lock.
                // SAFETY: RESET is a valid buffer of its length.
                unsafe { libc::write(1, RESET.as_ptr().cast(), RESET.len()) };
                leave_raw_mode();
            }
            previous(info);
        }));
    });
}

/// (columns, rows) of the terminal.
pub fn size() -> io::Result<(u16, u16)> {
    crossterm::terminal::size()
}

/// Reads standard input as raw bytes on a thread of its own, so that the terminal's
/// descriptor stays blocking (it is shared with the shell that started us). The channel
/// closes when input ends.
pub fn spawn_input_reader() -> io::Result<mpsc::Receiver<Vec<u8>>> {
    let (sender, receiver) = mpsc::channel(INPUT_QUEUE);
    std::thread::Builder::new()
        .name("stdin".to_owned())
        .spawn(move || {
            let mut buf = [0u8; READ_SIZE];
            loop {
                // SAFETY: reads into a buffer we own, at most its length.
                let read = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
                match usize::try_from(read) {
                    Ok(0) => return,
                    Ok(len) => {
                        if sender.blocking_send(buf[..len].to_vec()).is_err() {
                            return;
                        }
                    }
                    Err(_) if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
        })?;
    Ok(receiver)
}

pub fn write_all(bytes: &[u8]) -> io::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut stdout = io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()
}
