//! The state-diff decoders on bytes from the network: any bytes applied to a valid host
//! state or user stream are refused without a change, or give a state within the limits
//! that a fresh diff from the same base rebuilds exactly.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use moshmux_fuzz::{assert_diff_rebuilds, host, user};
use moshmux_proto::SyncState;

#[derive(Arbitrary, Debug)]
enum Input {
    Host(host::HostInput, Vec<u8>),
    User(user::StreamInput, Vec<u8>),
}

fn check<S: SyncState + std::fmt::Debug>(base: S, diff: &[u8]) -> Option<S> {
    let mut applied = base.clone();
    match applied.apply(diff) {
        Ok(()) => {
            assert_diff_rebuilds(&base, &applied);
            Some(applied)
        }
        Err(_) => {
            assert_eq!(applied, base, "a refused diff changed the state");
            None
        }
    }
}

fuzz_target!(|input: Input| {
    match input {
        Input::Host(base, diff) => {
            let base = host::build(&base);
            let within_limits = base.check_limits().is_ok();
            if let Some(applied) = check(base, &diff) {
                // A non-empty diff is checked whole; an empty one changes nothing.
                assert!(applied.check_limits().is_ok() || (!within_limits && diff.is_empty()));
            }
        }
        Input::User(base, diff) => {
            check(user::build(&base), &diff);
        }
    }
});
