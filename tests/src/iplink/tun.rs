//! Opening a TUN device: plain `open("/dev/net/tun")` and `ioctl(TUNSETIFF)` through
//! libc, which the tests crate already uses. The `tun` crate would add a build script,
//! a static library and its own address setup to do the same two calls, and its setup
//! would not know about namespaces either: the device lands in the namespace of the
//! thread that opens it, whoever opens it.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;

/// Creates TUN device `name` (no packet information header: each read is one IP
/// packet) in the calling thread's network namespace; non-blocking. The device goes
/// away when the returned descriptor closes.
pub fn open(name: &str) -> io::Result<OwnedFd> {
    if name.is_empty() || name.len() >= libc::IFNAMSIZ {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("interface name {name:?} is not 1 to 15 bytes"),
        ));
    }
    let device = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open("/dev/net/tun")?;
    // SAFETY: ifreq is plain data for which all zeros is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(name.bytes()) {
        *slot = byte as libc::c_char;
    }
    request.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
    // SAFETY: TUNSETIFF reads (and may write) one ifreq, which lives across the call.
    let result = unsafe { libc::ioctl(device.as_raw_fd(), libc::TUNSETIFF, &mut request) };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(device.into())
}

/// Reads one packet into `buffer`.
pub fn read(device: &OwnedFd, buffer: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the buffer is valid for writes of its length.
    let len = unsafe { libc::read(device.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
    usize::try_from(len).map_err(|_| io::Error::last_os_error())
}

/// Writes one packet; the kernel takes it as received on the device.
pub fn write(device: &OwnedFd, packet: &[u8]) -> io::Result<usize> {
    // SAFETY: the packet is valid for reads of its length.
    let len = unsafe { libc::write(device.as_raw_fd(), packet.as_ptr().cast(), packet.len()) };
    usize::try_from(len).map_err(|_| io::Error::last_os_error())
}
