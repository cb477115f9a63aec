//! Builders shared by the fuzz targets: they turn `arbitrary` input into valid protocol
//! states (host states, user streams) through the crates' public constructors, so the
//! targets start from states a real peer could hold instead of hoping random bytes
//! decode into one.

pub mod host;
pub mod user;

use std::net::SocketAddr;
use std::time::Instant;

use moshmux_proto::{Connection, HostState, SessionKey, SyncState, UserStream};

/// The key every datagram target seals and opens with.
pub fn fixed_key() -> SessionKey {
    SessionKey::from_bytes(*b"fuzzing key 0001")
}

pub fn server_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 60001))
}

pub fn client_addr(port: u8) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 40000 + u16::from(port)))
}

pub type ServerEnd = Connection<HostState, UserStream>;
pub type ClientEnd = Connection<UserStream, HostState>;

/// A server and a client with the fixed key and the real state types, at session start.
pub fn fresh_ends(now: Instant) -> (ServerEnd, ClientEnd) {
    let key = fixed_key();
    let server = Connection::new_server(&key, HostState::default(), UserStream::default(), now);
    let client = Connection::new_client(
        &key,
        server_addr(),
        UserStream::default(),
        HostState::default(),
        now,
    );
    (server, client)
}

/// One clock origin per process: `Instant` has no constructor from a number.
pub fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Checks that `target.diff_from(base)` turns a copy of `base` into `target`, as SSP
/// relies on; `target` must be a state the peer accepts (within the limits).
pub fn assert_diff_rebuilds<S: SyncState + std::fmt::Debug>(base: &S, target: &S) {
    let diff = target.diff_from(base);
    let mut rebuilt = base.clone();
    rebuilt
        .apply(&diff)
        .expect("a diff between two valid states applies to its base");
    assert_eq!(&rebuilt, target, "state rebuilt from the diff differs");
    if base == target {
        assert!(diff.is_empty(), "equal states must have an empty diff");
    }
}
