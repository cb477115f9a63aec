//! The daemon's control-socket request decoder, on whatever a local process writes to
//! the socket: it returns a request or an error, never panics, and a request it accepts
//! encodes back to a frame that decodes to the same request.

#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use moshmux_server::control::{read_request, write_request, ControlError, Request};

/// Runs the decoder to completion: reading from a slice never waits, so one poll does.
fn decode(mut bytes: &[u8]) -> Result<Request, ControlError> {
    let mut future = pin!(read_request(&mut bytes));
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(result) => result,
        Poll::Pending => panic!("reading from a slice never waits"),
    }
}

fuzz_target!(|bytes: &[u8]| {
    if let Ok(request) = decode(bytes) {
        let mut frame = Vec::new();
        write_request(&mut frame, &request).expect("writing to a Vec cannot fail");
        assert_eq!(decode(&frame).expect("our own frame decodes"), request);
    }
});
