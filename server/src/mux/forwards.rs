//! The mux's side of forwarding: each client's `-L`/`-R`/`-A` streams are pumped by its
//! endpoint (`clients.rs`); here their socket work becomes actions for the daemon, and a
//! connection to the agent socket finds its client.

use super::commands::{CommandError, Outcome};
use super::{Action, ClientId, Mux, AGENT_LISTENER};
use crate::control;
use moshmux_forward::{ForwardSpec, SocketAction, SocketEvent};
use moshmux_proto::{Label, StreamId};

impl Mux {
    /// `moshmux-server forward`: the client of the session active last runs the line as
    /// if typed at its prompt, and says on its status line how it went. Only `-L` (the
    /// client listens on its own machine) and removing forwards: a `-R` from here would
    /// have the client connect where the server says, which it takes only from its user.
    pub(super) fn ask_client_to_forward(&mut self, forward: control::Forward) -> Outcome {
        let words: Vec<&str> = forward.line.split_whitespace().collect();
        match words.as_slice() {
            ["forward", "-L", spec] => {
                let spec: ForwardSpec = spec.parse().map_err(CommandError::Forward)?;
                if !spec.bind.is_loopback() {
                    return Err(CommandError::Forward(format!(
                        "forward -L from the server listens on the client's loopback only, not {}; add it at the client's prompt (C-b :)",
                        spec.bind
                    )));
                }
            }
            ["forward", "-KL" | "-KR", _] => {}
            ["forward", "-R", _] => {
                return Err(CommandError::Forward(
                    "forward -R comes from the client's own prompt (C-b :), not the server:                      it has the client connect where it is told"
                        .to_owned(),
                ))
            }
            _ => {
                return Err(CommandError::Forward(
                    "forward -L [BIND:]PORT:HOST:HOSTPORT, or -KL|-KR [BIND:]PORT".to_owned(),
                ))
            }
        }
        let location = self.resolve_or_recent(forward.target.as_ref())?;
        let name = self
            .sessions
            .get(&location.session)
            .map(|session| session.name.clone())
            .unwrap_or_default();
        let client = self
            .clients
            .values_mut()
            .filter(|client| client.session == location.session && !client.is_finishing())
            .max_by_key(|client| client.active_at)
            .ok_or_else(|| {
                CommandError::Forward(format!("no client is attached to session {name}"))
            })?;
        client.add_request(Label::new(&forward.line));
        self.dirty.everything = true;
        Ok(format!(
            "asked the client of session {name} active last; its status line says how it went\n"
        ))
    }

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
