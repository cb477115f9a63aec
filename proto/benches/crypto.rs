//! Seal + open throughput for full-size datagrams: the per-packet cost of the wire layer.
//! Prints one plain MB/s line besides criterion's report so the figure is easy to quote.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moshmux_proto::crypto::{Cipher, Direction, SessionKey};

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
    for seq in 0..rounds {
        let datagram = cipher.seal(Direction::ToClient, seq, black_box(&plaintext));
        black_box(cipher.open(&datagram).expect("own datagram opens"));
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "seal+open of {PLAINTEXT_LEN}-byte datagrams: {:.0} MB/s ({:.0} datagrams/s)",
        (rounds as f64 * PLAINTEXT_LEN as f64) / seconds / 1e6,
        rounds as f64 / seconds
    );

    let mut group = c.benchmark_group("crypto");
    group.throughput(Throughput::Bytes(PLAINTEXT_LEN as u64));
    let mut seq = 0u64;
    group.bench_function("seal+open 1400 B", |b| {
        b.iter(|| {
            seq += 1;
            let datagram = cipher.seal(Direction::ToClient, seq, black_box(&plaintext));
            cipher.open(&datagram).expect("own datagram opens")
        })
    });
    group.finish();
}

criterion_group!(benches, seal_and_open);
criterion_main!(benches);
