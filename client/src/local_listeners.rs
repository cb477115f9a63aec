//! The `-L` listeners of the client's event loop: one task per forward, accepting
//! connections into one channel, each with the forward it came in on. Forwards come and
//! go at run time (`forward -L` and `forward -KL` at the command prompt), so each task
//! can be stopped on its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use moshmux_forward::ForwardSpec;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Connections accepted and not yet taken; a listener waits while this many are queued.
const ACCEPTED_QUEUE: usize = 16;

pub struct LocalListeners {
    accepted: mpsc::Sender<(Arc<ForwardSpec>, TcpStream)>,
    tasks: HashMap<(IpAddr, u16), JoinHandle<()>>,
}

impl LocalListeners {
    /// The listeners, none yet, and where their connections arrive.
    pub fn new() -> (
        LocalListeners,
        mpsc::Receiver<(Arc<ForwardSpec>, TcpStream)>,
    ) {
        let (accepted, receiver) = mpsc::channel(ACCEPTED_QUEUE);
        let listeners = LocalListeners {
            accepted,
            tasks: HashMap::new(),
        };
        (listeners, receiver)
    }

    /// Listens for `forward`; the error is one line for the user.
    pub async fn add(&mut self, forward: ForwardSpec) -> Result<(), String> {
        let place = (forward.bind, forward.port);
        if self.tasks.contains_key(&place) {
            return Err(format!(
                "-L {}:{}: already forwarded",
                forward.bind, forward.port
            ));
        }
        let listener = TcpListener::bind(place).await.map_err(|error| {
            format!(
                "cannot listen on {} port {} for -L {}:{}: {error}",
                forward.bind, forward.port, forward.host, forward.host_port
            )
        })?;
        let accepted = self.accepted.clone();
        let forward = Arc::new(forward);
        let task = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((connection, _)) => {
                        let _ = connection.set_nodelay(true);
                        if accepted.send((forward.clone(), connection)).await.is_err() {
                            return;
                        }
                    }
                    // Out of descriptors, or a connection reset before it was taken:
                    // the listener itself still works.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        self.tasks.insert(place, task);
        Ok(())
    }

    /// Stops listening on `bind:port`; connections already forwarded go on.
    pub fn remove(&mut self, bind: IpAddr, port: u16) {
        if let Some(task) = self.tasks.remove(&(bind, port)) {
            task.abort();
        }
    }
}
