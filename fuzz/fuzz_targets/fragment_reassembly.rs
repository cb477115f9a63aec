//! The fragment reassembler on sequences of fragments. Hostile fragments (any ids,
//! numbers, final bits, sizes) must keep what it holds within its bounds; the fragments of
//! a real instruction, delivered in any order with duplicates, must rebuild exactly that
//! instruction, once.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use moshmux_proto::fragment::{
    Fragment, Fragmenter, Reassembler, FRAGMENT_HEADER_LEN, MAX_FRAGMENTS, MAX_INSTRUCTION_LEN,
};

#[derive(Arbitrary, Debug)]
struct HostileFragment {
    id: u8,
    number: u16,
    is_final: bool,
    len: u16,
    byte: u8,
}

#[derive(Arbitrary, Debug)]
struct Input {
    hostile: Vec<HostileFragment>,
    instruction: Vec<u8>,
    /// How much longer than the instruction to make it, so it needs many fragments.
    repeat: u8,
    budget: u8,
    /// Which fragment arrives next, by index modulo their count.
    order: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let mut reassembler = Reassembler::new();
    for fragment in &input.hostile {
        let completed = reassembler.add(Fragment {
            instruction_id: fragment.id.into(),
            number: fragment.number & 0x7fff,
            is_final: fragment.is_final,
            contents: vec![fragment.byte; usize::from(fragment.len)],
        });
        if let Some(bytes) = completed {
            assert!(bytes.len() <= MAX_INSTRUCTION_LEN);
        }
        assert!(reassembler.bytes_held() <= 2 * MAX_INSTRUCTION_LEN);
        // Round trip through the wire form on the way.
        let wire = Fragment::decode(
            &Fragment {
                instruction_id: fragment.id.into(),
                number: fragment.number & 0x7fff,
                is_final: fragment.is_final,
                contents: vec![fragment.byte; 3],
            }
            .encode(),
        )
        .expect("an encoded fragment decodes");
        assert_eq!(wire.number, fragment.number & 0x7fff);
    }

    let budget = FRAGMENT_HEADER_LEN + 1 + usize::from(input.budget);
    // The fragmenter refuses (by contract, a panic) more than MAX_FRAGMENTS pieces.
    let most = usize::from(MAX_FRAGMENTS) * (budget - FRAGMENT_HEADER_LEN);
    let mut instruction = input.instruction.repeat(usize::from(input.repeat) + 1);
    instruction.truncate(most);
    let fragments = Fragmenter::new().make_fragments(&instruction, budget);
    let mut fresh = Reassembler::new();
    let mut delivered = vec![false; fragments.len()];
    let mut completed = None;
    let order = input
        .order
        .iter()
        .map(|&i| usize::from(i) % fragments.len())
        .chain(0..fragments.len());
    for index in order {
        let result = fresh.add(fragments[index].clone());
        delivered[index] = true;
        match result {
            Some(bytes) => {
                assert!(completed.is_none(), "an instruction completed twice");
                assert!(
                    delivered.iter().all(|&d| d),
                    "completed with pieces missing"
                );
                assert_eq!(bytes, instruction);
                completed = Some(());
            }
            None => assert!(completed.is_some() || !delivered.iter().all(|&d| d)),
        }
    }
    assert!(completed.is_some());
    assert_eq!(fresh.bytes_held(), 0);
});
