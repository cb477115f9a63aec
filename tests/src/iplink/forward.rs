//! The task behind an [`IpLink`](super::IpLink): reads IP packets from each side's TUN
//! device, gives each the fate the UDP emulator would give a datagram (the same
//! [`schedule`](crate::netem::schedule) code and seeded streams), and writes it into the
//! other side's device when it is due. It alone owns the devices and the queue.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};
use tokio::time::sleep_until;

use super::tun;
use crate::netem::schedule::{Dir, LinkSchedule};
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
    schedule: LinkSchedule,
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
        // SAFETY: each AsyncFd owns its OwnedFd, which stays open, and its raw descriptor
        // the same, until the AsyncFd drops.
        let (client, host) = unsafe { (AsyncFd::register(client)?, AsyncFd::register(host)?) };
        Ok(Forwarder {
            client,
            host,
            schedule: LinkSchedule::new(config, Instant::now()),
            counters,
        })
    }

    /// Runs until a device fails (or the task is aborted).
    pub(super) async fn run(mut self) {
        let mut buffer = vec![0u8; MAX_PACKET];
        loop {
            let next_delivery = self.schedule.next_at();
            let result = tokio::select! {
                biased;
                () = sleep_until(next_delivery.unwrap_or_else(Instant::now).into()),
                    if next_delivery.is_some() => {
                    self.deliver_due();
                    Ok(())
                }
                ready = self.client.readable() => match ready {
                    Ok(guard) => read_batch(guard, &mut buffer, |packet| {
                        admit(&mut self.schedule, &self.counters, Dir::ToServer, packet)
                    }),
                    Err(error) => Err(error),
                },
                ready = self.host.readable() => match ready {
                    Ok(guard) => read_batch(guard, &mut buffer, |packet| {
                        admit(&mut self.schedule, &self.counters, Dir::ToClient, packet)
                    }),
                    Err(error) => Err(error),
                },
            };
            if result.is_err() {
                return;
            }
        }
    }

    fn deliver_due(&mut self) {
        let now = Instant::now();
        while let Some(packet) = self.schedule.pop_due(now) {
            let device = match packet.dir {
                Dir::ToServer => &self.host,
                Dir::ToClient => &self.client,
            };
            let mut all = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
            let counters = all.direction_mut(packet.dir);
            let len = packet.bytes.len();
            // A device that cannot take a packet now drops it, as a full queue would.
            match tun::write(device.get_ref(), &packet.bytes) {
                Ok(_) => counters.delivered.add(len),
                Err(_) => counters.failed.add(len),
            }
        }
    }
}

fn admit(schedule: &mut LinkSchedule, counters: &Mutex<Counters>, dir: Dir, packet: &[u8]) {
    let mut counters = counters.lock().unwrap_or_else(PoisonError::into_inner);
    schedule.admit(dir, Instant::now(), packet, false, &mut counters);
}

/// Reads up to [`READ_BATCH`] packets from a ready device, each handed to `admit`.
fn read_batch(
    mut guard: AsyncFdReadyGuard<'_, OwnedFd>,
    buffer: &mut [u8],
    mut admit: impl FnMut(&[u8]),
) -> io::Result<()> {
    for _ in 0..READ_BATCH {
        match guard.try_io(|device| tun::read(device.get_ref(), buffer)) {
            Ok(Ok(len)) => admit(&buffer[..len]),
            Ok(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {}
            Ok(Err(error)) => return Err(error),
            // Drained: readiness is cleared, the next `readable` waits.
            Err(_would_block) => return Ok(()),
        }
    }
    Ok(())
}
