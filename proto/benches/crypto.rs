//! Seal + open throughput for full-size datagrams: the per-packet cost of the wire layer.
//! Prints one plain MB/s line besides criterion's report so the figure is easy to quote.
//! The line gives throughput per second of this thread's CPU time as well as per wall
//! second, since on a shared machine the wall figure mostly measures the other processes.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moshmux_proto::crypto::{Cipher, Direction, Route, SessionKey};

const PLAINTEXT_LEN: usize = 1400;

fn seal_and_open(c: &mut Criterion) {
    let cipher = Cipher::new(&SessionKey::from_bytes([0x5a; 16]));
    let plaintext = vec![0x61u8; PLAINTEXT_LEN];

    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    println!(
        "CPU has AES-NI: {} (the aes crate picks it at run time)",
        std::arch::is_x86_feature_detected!("aes")
    );

    let rounds = 200_000u64;
    let start = Instant::now();
    let cpu_start = thread_cpu_seconds();
    for seq in 0..rounds {
        let datagram = cipher.seal(Route::ToClient, seq, black_box(&plaintext));
        black_box(
            cipher
                .open(Direction::ToClient, &datagram)
                .expect("own datagram opens"),
        );
    }
    let cpu = thread_cpu_seconds() - cpu_start;
    let wall = start.elapsed().as_secs_f64();
    let megabytes = rounds as f64 * PLAINTEXT_LEN as f64 / 1e6;
    println!(
        "seal+open of {PLAINTEXT_LEN}-byte datagrams: {:.0} MB/s of CPU time \
         ({:.0} datagrams/s), {:.0} MB/s of wall time",
        megabytes / cpu,
        rounds as f64 / cpu,
        megabytes / wall,
    );

    let mut group = c.benchmark_group("crypto");
    group.throughput(Throughput::Bytes(PLAINTEXT_LEN as u64));
    let mut seq = 0u64;
    group.bench_function("seal+open 1400 B", |b| {
        b.iter(|| {
            seq += 1;
            let datagram = cipher.seal(Route::ToClient, seq, black_box(&plaintext));
            cipher
                .open(Direction::ToClient, &datagram)
                .expect("own datagram opens")
        })
    });
    group.finish();
}

fn thread_cpu_seconds() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    now.tv_sec as f64 + now.tv_nsec as f64 / 1e9
}

criterion_group!(benches, seal_and_open);
criterion_main!(benches);
