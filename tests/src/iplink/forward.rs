//! The task behind an [`IpLink`](super::IpLink): reads IP packets from each side's TUN
//! device, gives each the fate the UDP emulator would give a datagram (the same
//! [`schedule`](crate::netem::schedule) code and seeded streams), and writes it into the
//! other side's device when it is due. It alone owns the devices and the queue.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::io::unix::AsyncFd;
use tokio::time::sleep_until;

use super::tun;
use crate::netem::schedule::{DeliveryQueue, Dir, DirectionState};
use crate::netem::{Counters, LinkConfig};

/// Largest packet a TUN device hands over (its MTU stays far below).
const MAX_PACKET: usize = 65_535;

/// Packets read from one device before the task looks at its other work, so a flood one
/// way never holds up deliveries.
const READ_BATCH: usize = 64;

pub(super) struct Forwarder {
    /// The client side's device: what it yields goes to the host (`Dir::ToServer`).
    client: AsyncFd<OwnedFd>,
    host: AsyncFd<OwnedFd>,
    schedule: Schedule,
}

/// Everything but the devices, so a read guard borrowing a device can live while a
/// packet is admitted.
struct Schedule {
    to_server: DirectionState,
    to_client: DirectionState,
    queue: DeliveryQueue,
    counters: Arc<Mutex<Counters>>,
}

impl Forwarder {
    /// Must be called inside a tokio runtime (the devices register with its reactor).
    pub(super) fn new(
        client: OwnedFd,
        host: OwnedFd,
        config: LinkConfig,
        counters: Arc<Mutex<Counters>>,
    ) -> io::Result<Forwarder> {
        let now = Instant::now();
        // SAFETY: each AsyncFd owns its OwnedFd, which stays open, and its raw descriptor
        // the same, until the AsyncFd drops.
        let (client, host) = unsafe { (AsyncFd::register(client)?, AsyncFd::register(host)?) };
        Ok(Forwarder {
            client,
            host,
            schedule: Schedule {
                to_server: DirectionState::new(config.to_server, config.seed, Dir::ToServer, now),
                to_client: DirectionState::new(config.to_client, config.seed, Dir::ToClient, now),
                queue: DeliveryQueue::default(),
                counters,
            },
        })
    }

    /// Runs until a device fails (or the task is aborted).
    pub(super) async fn run(self) {
        let Forwarder {
            client,
            host,
            mut schedule,
        } = self;
        let mut buffer = vec![0u8; MAX_PACKET];
        loop {
            let next_delivery = schedule.queue.next_at();
            let result = tokio::select! {
                biased;
                () = sleep_until(next_delivery.unwrap_or_else(Instant::now).into()),
                    if next_delivery.is_some() => {
                    schedule.deliver_due(&client, &host);
                    Ok(())
                }
                ready = client.readable() => match ready {
                    Ok(guard) => schedule.read_batch(guard, Dir::ToServer, &mut buffer),
                    Err(error) => Err(error),
                },
                ready = host.readable() => match ready {
                    Ok(guard) => schedule.read_batch(guard, Dir::ToClient, &mut buffer),
                    Err(error) => Err(error),
                },
            };
            if result.is_err() {
                return;
            }
        }
    }
}

impl Schedule {
    /// Reads up to [`READ_BATCH`] packets from a ready device and admits each.
    fn read_batch(
        &mut self,
        mut guard: tokio::io::unix::AsyncFdReadyGuard<'_, OwnedFd>,
        dir: Dir,
        buffer: &mut [u8],
    ) -> io::Result<()> {
        for _ in 0..READ_BATCH {
            match guard.try_io(|device| tun::read(device.get_ref(), buffer)) {
                Ok(Ok(len)) => self.admit(dir, &buffer[..len]),
                Ok(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {}
                Ok(Err(error)) => return Err(error),
                // Drained: readiness is cleared, the next `readable` waits.
                Err(_would_block) => return Ok(()),
            }
        }
        Ok(())
    }

    fn admit(&mut self, dir: Dir, packet: &[u8]) {
        let now = Instant::now();
        let state = match dir {
            Dir::ToServer => &mut self.to_server,
            Dir::ToClient => &mut self.to_client,
        };
        let mut all = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let counters = match dir {
            Dir::ToServer => &mut all.to_server,
            Dir::ToClient => &mut all.to_client,
        };
        for at in state.admit(now, packet.len(), false, counters) {
            self.queue.push(at, dir, packet.to_vec());
        }
    }

    fn deliver_due(&mut self, client: &AsyncFd<OwnedFd>, host: &AsyncFd<OwnedFd>) {
        let now = Instant::now();
        while let Some(scheduled) = self.queue.pop_due(now) {
            let (state, device) = match scheduled.dir {
                Dir::ToServer => (&mut self.to_server, host),
                Dir::ToClient => (&mut self.to_client, client),
            };
            state.left_queue();
            let mut all = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
            let counters = match scheduled.dir {
                Dir::ToServer => &mut all.to_server,
                Dir::ToClient => &mut all.to_client,
            };
            let len = scheduled.datagram.len();
            // A device that cannot take a packet now drops it, as a full queue would.
            match tun::write(device.get_ref(), &scheduled.datagram) {
                Ok(_) => counters.delivered.add(len),
                Err(_) => counters.failed.add(len),
            }
        }
    }
}
