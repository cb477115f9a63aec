//! The mux's side of forwarding: each client's `-L`/`-R`/`-A` streams are pumped by its
//! endpoint (`clients.rs`); here their socket work becomes actions for the daemon, and a
//! connection to the agent socket finds its client.

use super::{Action, ClientId, Mux, AGENT_LISTENER};
use moshmux_forward::{SocketAction, SocketEvent};
use moshmux_proto::StreamId;

impl Mux {
    /// Something happened to the socket of a client's forwarded connection, or a
    /// program connected to the agent socket.
    pub fn handle_socket_event(&mut self, client: ClientId, stream: StreamId, event: SocketEvent) {
        match (client, event) {
            (AGENT_LISTENER, SocketEvent::Incoming(incoming)) => self.route_agent(incoming),
            (AGENT_LISTENER, _) => {}
            (client, event) => self.forward(client, Some((stream, event))),
        }
    }

    /// A connection to the agent socket goes to the agent of the client active last
    /// among those that forward theirs; with none, it is closed.
    fn route_agent(&mut self, incoming: u64) {
        let chosen = self
            .clients
            .iter_mut()
            .filter(|(_, endpoint)| endpoint.offers_agent())
            .max_by_key(|(_, endpoint)| endpoint.active_at);
        let (client, actions) = match chosen {
            Some((&id, endpoint)) => (id, endpoint.forward_agent(incoming)),
            None => (AGENT_LISTENER, Vec::new()),
        };
        let adopted = actions
            .iter()
            .any(|action| matches!(action, SocketAction::Adopt { .. }));
        for action in actions {
            let stream = action.stream();
            self.actions.push_back(Action::Socket {
                client,
                stream,
                action,
            });
        }
        if !adopted {
            let action = SocketAction::Adopt {
                stream: None,
                incoming,
            };
            let stream = action.stream();
            self.actions.push_back(Action::Socket {
                client: AGENT_LISTENER,
                stream,
                action,
            });
        }
    }

    /// Moves a client's forwarded bytes, and queues what its sockets need.
    pub(super) fn forward(&mut self, client: ClientId, socket: Option<(StreamId, SocketEvent)>) {
        let Some(endpoint) = self.clients.get_mut(&client) else {
            return;
        };
        for action in endpoint.forward(socket) {
            let stream = action.stream();
            self.actions.push_back(Action::Socket {
                client,
                stream,
                action,
            });
        }
    }
}
