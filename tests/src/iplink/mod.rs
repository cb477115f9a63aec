//! A lossy link for IP packets between two network namespaces, for comparisons with
//! programs that speak TCP (`ssh -L`), which the UDP emulator in [`crate::netem`] cannot
//! carry.
//!
//! Kernel netem would do this, but it is missing where the benches run (`tc qdisc ...
//! netem`: "qdisc kind is unknown"), while TUN devices and network namespaces work. So:
//! a client namespace and a host namespace, each with a TUN device (the client at
//! [`CLIENT_ADDR`], the host at [`HOST_ADDR`]), and a task that reads each packet from
//! one device and writes it into the other when the UDP emulator's own schedule says
//! (loss, delay, jitter, reordering, duplication, rate, from the same seeded streams),
//! so a moshmux session and an `ssh` connection cross the same link. Processes and
//! sockets go into either side with [`Netns::run`].
//!
//! Needs root, `/dev/net/tun` and `ip` (Debian's `iproute2`). Namespace names carry the
//! process id and a counter, so runs side by side do not clash; the devices and
//! addresses live inside them. Dropping the handle (also while a panic unwinds) stops
//! the task, which closes the devices, and deletes both namespaces. A process killed
//! outright leaves its namespaces behind: `ip netns list` shows them as `mmx-PID-...`.

mod forward;
mod netns;
mod tun;

pub use netns::Netns;

use std::io;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::netem::{Counters, LinkConfig};

/// The client side's address on the link.
pub const CLIENT_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
/// The host side's address on the link.
pub const HOST_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
const PREFIX_LEN: u8 = 24;
/// The network both addresses are on.
const SUBNET: &str = "10.77.0.0/24";
/// The device's name in each namespace (each has its own set of names).
const DEVICE: &str = "mmxlink";

/// A running IP link. Dropping it stops the forwarding and deletes both namespaces.
pub struct IpLink {
    // Fields drop in order: the task (and so the devices) before the namespaces.
    task: tokio::task::JoinHandle<()>,
    counters: Arc<Mutex<Counters>>,
    client: Netns,
    host: Netns,
}

impl IpLink {
    /// Makes both namespaces and their devices and starts forwarding on `runtime`.
    /// Blackouts are not supported here (an error, rather than a link without them).
    pub fn start(runtime: &tokio::runtime::Handle, config: LinkConfig) -> io::Result<IpLink> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        if !config.blackouts.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the IP link has no blackouts",
            ));
        }
        config.to_server.validate()?;
        config.to_client.validate()?;
        let run = format!(
            "mmx-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let client = Netns::add(&format!("{run}-client"))?;
        let host = Netns::add(&format!("{run}-host"))?;
        let client_device = device(&client, CLIENT_ADDR)?;
        let host_device = device(&host, HOST_ADDR)?;
        let counters = Arc::new(Mutex::new(Counters::default()));
        let _inside = runtime.enter();
        let forwarder =
            forward::Forwarder::new(client_device, host_device, config, Arc::clone(&counters))?;
        let task = runtime.spawn(forwarder.run());
        Ok(IpLink {
            task,
            counters,
            client,
            host,
        })
    }

    /// The client's side, where [`CLIENT_ADDR`] is.
    pub fn client(&self) -> &Netns {
        &self.client
    }

    /// The host's side, where [`HOST_ADDR`] is.
    pub fn host(&self) -> &Netns {
        &self.host
    }

    /// What the link did with the packets so far (`to_server`: client to host).
    pub fn counters(&self) -> Counters {
        *self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes TCP over the link use congestion control `algorithm` (`cubic`, `reno`,
    /// `bbr`) on both sides, through the route to the link (`congctl`): a namespace may
    /// only make an algorithm its default if the root namespace's
    /// `tcp_allowed_congestion_control` lists it, and a bench must not change the
    /// machine's settings.
    pub fn set_congestion_control(&self, algorithm: &str) -> io::Result<()> {
        for (side, addr) in [(&self.client, CLIENT_ADDR), (&self.host, HOST_ADDR)] {
            let addr = addr.to_string();
            side.ip(&[
                "route", "replace", SUBNET, "dev", DEVICE, "proto", "kernel", "scope", "link",
                "src", &addr, "congctl", algorithm,
            ])?;
        }
        Ok(())
    }

    /// Whether the forwarding task still runs (it stops if a device fails).
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }
}

impl Drop for IpLink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Opens the TUN device inside `netns` and gives it `addr`, up.
fn device(netns: &Netns, addr: Ipv4Addr) -> io::Result<std::os::fd::OwnedFd> {
    let device = netns.run(|| tun::open(DEVICE))??;
    let cidr = format!("{addr}/{PREFIX_LEN}");
    netns.ip(&["addr", "add", &cidr, "dev", DEVICE])?;
    netns.ip(&["link", "set", DEVICE, "up"])?;
    Ok(device)
}
