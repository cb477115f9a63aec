//! Differential: a state rebuilt from a diff equals the state the diff was made from.
//! Two related host states (a base and edits of it) or user streams (a base and more
//! events, possibly with an acknowledged prefix subtracted, as the sender holds it).

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use moshmux_fuzz::{assert_diff_rebuilds, host, user};
use moshmux_proto::SyncState;

#[derive(Arbitrary, Debug)]
enum Input {
    Host {
        base: host::HostInput,
        edits: Vec<host::Edit>,
    },
    User {
        base: user::StreamInput,
        more: user::StreamInput,
        subtract_acked: bool,
    },
}

fuzz_target!(|input: Input| {
    match input {
        Input::Host { base, edits } => {
            let base = host::build(&base);
            let mut target = base.clone();
            for edit in &edits {
                host::apply_edit(&mut target, edit);
            }
            for (from, to) in [(&base, &target), (&target, &base)] {
                if to.check_limits().is_ok() {
                    assert_diff_rebuilds(from, to);
                } else if from != to {
                    // Equal states have an empty diff, which applies to anything.
                    let mut copy = from.clone();
                    assert!(copy.apply(&to.diff_from(from)).is_err());
                    assert_eq!(&copy, from, "a refused diff changed the state");
                }
            }
        }
        Input::User {
            base,
            more,
            subtract_acked,
        } => {
            let base = user::build(&base);
            let mut target = base.clone();
            user::extend(&mut target, &more);
            if subtract_acked {
                target.subtract(&base);
            }
            assert_diff_rebuilds(&base, &target);
        }
    }
});
