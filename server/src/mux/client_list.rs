//! `list-clients`: the clients attached now, each line from a tmux format (`-F`, or the
//! command's default line), with tmux's `client_*` variables where moshmux has them.

use std::time::Instant;

use super::clients::ClientEndpoint;
use super::commands::{CommandError, Outcome};
use super::{ClientId, Mux};
use crate::control::{DetachClient, List};
use crate::format;

/// `list-clients`' line, as tmux's without the terminal's name, which a moshmux client
/// does not send. The name is the client's address as the daemon hears it: a client
/// that roams shows its new one.
const CLIENT_LINE: &str = "#{client_name}: #{session_name} [#{client_width}x#{client_height}]\
     #{?client_flags, (,}#{client_flags}#{?client_flags,),}";

impl Mux {
    /// The attached clients (those heard from and not leaving), of the target session
    /// only with `-t`, in the order they attached.
    pub(super) fn list_clients(&self, list: &List) -> Outcome {
        let session = match &list.target {
            Some(target) => Some(self.resolve(target)?.session),
            None => None,
        };
        let template = list.format.as_deref().unwrap_or(CLIENT_LINE);
        let mut out = String::new();
        for (id, client) in &self.clients {
            if !self.is_attached(*id, client) || session.is_some_and(|s| s != client.session) {
                continue;
            }
            out.push_str(&format::expand(template, &|name| {
                self.client_variable(*id, client, name)
            }));
            out.push('\n');
        }
        Ok(out)
    }

    /// `detach-client -t CLIENT [-a]` or `-s SESSION`: the client named as
    /// `list-clients` names it (only an attached one), or every client of the session.
    pub(super) fn detach_client(&mut self, detach: &DetachClient, now: Instant) -> Outcome {
        let (session, named) = match (&detach.client, &detach.session) {
            (Some(name), _) => {
                let found = (self.clients.iter())
                    .filter(|(id, client)| self.is_attached(**id, client))
                    .find(|(_, client)| {
                        client.remote_addr().is_some_and(|a| a.to_string() == *name)
                    });
                let (id, client) = found.ok_or_else(|| CommandError::NoClient(name.clone()))?;
                (client.session, Some(*id))
            }
            (None, Some(target)) => (self.resolve(target)?.session, None),
            (None, None) => return Err(CommandError::NoCurrentClient),
        };
        match (named, detach.all_others) {
            (Some(named), false) => self.detach_where(session, now, |id| id == named),
            (Some(named), true) => self.detach_where(session, now, |id| id != named),
            (None, _) => self.detach_where(session, now, |_| true),
        }
        Ok(String::new())
    }

    fn client_variable(&self, id: ClientId, client: &ClientEndpoint, name: &str) -> Option<String> {
        let session = self.sessions.get(&client.session)?;
        // The client's terminal: its pane area and the status line under it.
        let size = client.size;
        Some(match name {
            "client_name" => client.remote_addr()?.to_string(),
            "client_session" | "session_name" => session.name.clone(),
            "session_id" => session.id.to_string(),
            "client_width" => size?.cols.to_string(),
            "client_height" => (size?.rows + 1).to_string(),
            "client_flags" => "attached,UTF-8".to_owned(),
            "client_utf8" => "1".to_owned(),
            "client_id" => format!("c{}", id.0),
            "host" => self.host_name.clone(),
            _ => return None,
        })
    }
}
