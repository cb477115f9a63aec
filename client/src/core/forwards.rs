//! The core's side of `-L` and `-R`: each connection the event loop accepts on a `-L`
//! port becomes a stream of the session (`moshmux_forward::Pump`), each `-R` forward a
//! stream the daemon listens for, and what the far end says of them (a refusal) shows on
//! the status line for a while (`message.rs`).

use std::time::Instant;

use moshmux_forward::{ForwardSpec, SocketAction, SocketEvent};
use moshmux_proto::StreamId;

use super::ClientCore;

impl ClientCore {
    /// A connection accepted on a forwarded port, to be carried to `host:port` from the
    /// server: its stream, or `None` when the session carries as many as it may (the
    /// loop closes the connection).
    pub fn open_forward(&mut self, now: Instant, host: &str, port: u16) -> Option<StreamId> {
        if !self.begin(now) {
            return None;
        }
        let stream = self.forwards.connect(self.connection.streams(), host, port);
        if stream.is_none() {
            self.show_message(
                format!("forward to {host}:{port}: too many connections"),
                now,
            );
        }
        self.take_forwards(now);
        self.end(now);
        stream
    }

    /// Asks the server to listen for a `-R` forward; a refusal comes as a notice.
    pub fn open_remote_forward(&mut self, now: Instant, spec: &ForwardSpec) {
        if !self.begin(now) {
            return;
        }
        let streams = self.connection.streams();
        let listen = (spec.bind, spec.port);
        match self
            .forwards
            .listen(streams, listen, &spec.host, spec.host_port)
        {
            Some(stream) => self.remote_forwards.push((spec.clone(), stream)),
            None => self.show_message(
                format!("forward of server port {}: too many streams", spec.port),
                now,
            ),
        }
        self.pump_forwards(now);
        self.end(now);
    }

    /// Offers the agent at `path` (`-A`) to the daemon.
    pub fn offer_agent(&mut self, now: Instant, path: std::path::PathBuf) {
        if !self.begin(now) {
            return;
        }
        if self
            .forwards
            .offer_agent(self.connection.streams(), path)
            .is_none()
        {
            self.show_message("agent forwarding: too many streams".to_owned(), now);
        }
        self.pump_forwards(now);
        self.end(now);
    }

    /// Something happened to the socket of a forwarded connection.
    pub fn handle_socket(&mut self, now: Instant, stream: StreamId, event: SocketEvent) {
        if self.begin(now) {
            self.forwards
                .handle_socket(self.connection.streams(), stream, event);
            self.take_forwards(now);
            self.end(now);
        }
    }

    /// What the loop does next with a forwarded connection's socket.
    pub fn poll_socket_action(&mut self) -> Option<(StreamId, SocketAction)> {
        self.socket_actions.pop_front()
    }

    /// After the connection's streams may have moved: pump them.
    pub(super) fn pump_forwards(&mut self, now: Instant) {
        self.forwards.handle_streams(self.connection.streams());
        self.take_forwards(now);
    }

    fn take_forwards(&mut self, now: Instant) {
        while let Some(action) = self.forwards.poll_action() {
            self.socket_actions.push_back((action.stream(), action));
        }
        while let Some(notice) = self.forwards.poll_notice() {
            self.show_message(notice, now);
        }
    }
}
