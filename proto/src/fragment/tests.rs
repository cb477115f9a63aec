use super::*;
use crate::crypto::Direction;
use crate::packet::max_payload;

const MAX_PAYLOAD: usize = max_payload(Direction::ToClient);
use proptest::collection::vec;
use proptest::prelude::*;

fn split(instruction: &[u8], max_payload: usize) -> Vec<Fragment> {
    Fragmenter::new().make_fragments(instruction, max_payload)
}

/// An instruction, a payload budget, and its fragments.
fn split_instruction() -> impl Strategy<Value = (Vec<u8>, usize, Vec<Fragment>)> {
    (vec(any::<u8>(), 0..3000), FRAGMENT_HEADER_LEN + 1..300).prop_map(|(bytes, budget)| {
        let fragments = split(&bytes, budget);
        (bytes, budget, fragments)
    })
}

/// Checks the bookkeeping against what is actually held.
fn assert_consistent(reassembler: &Reassembler) {
    let held: usize = reassembler
        .partials
        .values()
        .map(|partial| {
            let sum: usize = partial.pieces.values().map(Vec::len).sum();
            assert_eq!(sum, partial.len);
            sum
        })
        .sum();
    assert_eq!(held, reassembler.bytes_held());
    assert!(reassembler.bytes_held() <= MAX_HELD_BYTES);
    assert!(reassembler.partials.len() <= MAX_PARTIALS);
}

proptest! {
    #[test]
    fn any_order_with_duplicates_reassembles_exactly_once(
        (bytes, budget, delivery, duplicates) in split_instruction().prop_flat_map(
            |(bytes, budget, fragments)| {
                let count = fragments.len();
                (Just(bytes), Just(budget), Just(fragments), vec(0..count, 0..count + 3))
                    .prop_flat_map(|(bytes, budget, fragments, picks)| {
                        let duplicates = picks.len() as u64;
                        let mut delivery = fragments.clone();
                        delivery.extend(picks.iter().map(|&i| fragments[i].clone()));
                        (Just(bytes), Just(budget), Just(delivery).prop_shuffle(), Just(duplicates))
                    })
            },
        )
    ) {
        let mut reassembler = Reassembler::new();
        let mut outputs = Vec::new();
        for fragment in delivery {
            prop_assert!(fragment.encode().len() <= budget);
            outputs.extend(reassembler.add(fragment));
            assert_consistent(&reassembler);
        }
        prop_assert_eq!(outputs, vec![bytes]);
        prop_assert_eq!(reassembler.dropped(), duplicates);
        prop_assert_eq!(reassembler.bytes_held(), 0);
    }

    #[test]
    fn a_lost_fragment_is_filled_by_the_retransmission(
        (bytes, budget, delivery, lost) in split_instruction().prop_flat_map(
            |(bytes, budget, fragments)| {
                let count = fragments.len();
                (Just(bytes), Just(budget), Just(fragments).prop_shuffle(), 0..count)
            },
        )
    ) {
        let mut sender = Fragmenter::new();
        let first = sender.make_fragments(&bytes, budget);
        let mut reassembler = Reassembler::new();
        for fragment in delivery.iter().filter(|f| f.number as usize != lost) {
            prop_assert_eq!(reassembler.add(fragment.clone()), None);
        }
        let again = sender.make_fragments(&bytes, budget);
        prop_assert_eq!(&again, &first);
        prop_assert_eq!(reassembler.add(again[lost].clone()), Some(bytes));
        prop_assert_eq!(reassembler.bytes_held(), 0);
    }

    #[test]
    fn two_interleaved_instructions_match_the_model(
        (older, newer, delivery) in (vec(any::<u8>(), 0..600), vec(any::<u8>(), 0..600))
            .prop_flat_map(|(older, newer)| {
                let mut sender = Fragmenter::new();
                let mut fragments = sender.make_fragments(&older, 64);
                fragments.extend(sender.make_fragments(&newer, 64));
                (Just(older), Just(newer), Just(fragments).prop_shuffle())
            })
    ) {
        // The newer instruction always arrives; the older one only if it completes first,
        // since afterwards it is superseded.
        let older_count = split(&older, 64).len();
        let newer_count = split(&newer, 64).len();
        let (mut seen_older, mut seen_newer) = (0, 0);
        let mut expected = Vec::new();
        for fragment in &delivery {
            if fragment.instruction_id == 0 {
                seen_older += 1;
                if seen_older == older_count && seen_newer < newer_count {
                    expected.push(older.clone());
                }
            } else {
                seen_newer += 1;
                if seen_newer == newer_count {
                    expected.push(newer.clone());
                }
            }
        }
        let mut reassembler = Reassembler::new();
        let outputs: Vec<Vec<u8>> = delivery.into_iter().filter_map(|f| reassembler.add(f)).collect();
        prop_assert_eq!(outputs, expected);
        prop_assert_eq!(reassembler.bytes_held(), 0);
    }

    #[test]
    fn encoding_round_trips(
        instruction_id: u64,
        number in 0..FINAL_BIT,
        is_final: bool,
        contents in vec(any::<u8>(), 0..100),
    ) {
        let fragment = Fragment { instruction_id, number, is_final, contents };
        prop_assert_eq!(Fragment::decode(&fragment.encode()), Ok(fragment));
    }

    #[test]
    fn decoding_random_bytes_never_panics(bytes in vec(any::<u8>(), 0..64)) {
        match Fragment::decode(&bytes) {
            Ok(fragment) => prop_assert_eq!(fragment.encode(), bytes),
            Err(FragmentError::Truncated(len)) => {
                prop_assert!(len < FRAGMENT_HEADER_LEN);
                prop_assert_eq!(len, bytes.len());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_flood_of_random_fragments_stays_bounded(
        flood in vec(
            (0..6u64, 0..MAX_FRAGMENTS + 100, prop::bool::weighted(0.02), 0..65_000usize, any::<u8>()),
            200..400,
        )
    ) {
        let mut reassembler = Reassembler::new();
        for (instruction_id, number, is_final, len, fill) in flood {
            let contents = vec![fill; len];
            if let Some(instruction) =
                reassembler.add(Fragment { instruction_id, number, is_final, contents })
            {
                prop_assert!(instruction.len() <= MAX_INSTRUCTION_LEN);
            }
            assert_consistent(&reassembler);
        }
    }
}

#[test]
fn memory_cap_evicts_older_instructions_and_newer_ones_still_complete() {
    let mut reassembler = Reassembler::new();
    for instruction_id in 0..4 {
        for number in 0..40 {
            let contents = vec![instruction_id as u8; 60_000];
            let fragment = Fragment {
                instruction_id,
                number,
                is_final: false,
                contents,
            };
            assert_eq!(reassembler.add(fragment), None);
            assert_consistent(&reassembler);
        }
    }
    assert!(
        reassembler.dropped() >= 40,
        "dropped {}",
        reassembler.dropped()
    );
    let last = Fragment {
        instruction_id: 9,
        number: 0,
        is_final: true,
        contents: b"ok".to_vec(),
    };
    assert_eq!(reassembler.add(last), Some(b"ok".to_vec()));
    assert_eq!(
        reassembler.bytes_held(),
        0,
        "older partials are stale once 9 completes"
    );
}

#[test]
fn a_fifth_partial_evicts_the_oldest_but_an_older_one_is_refused() {
    let mut reassembler = Reassembler::new();
    let piece = |instruction_id, number| Fragment {
        instruction_id,
        number,
        is_final: false,
        contents: vec![1; 10],
    };
    for id in 10..14 {
        reassembler.add(piece(id, 0));
    }
    reassembler.add(piece(14, 0));
    assert_eq!(
        reassembler.partials.keys().copied().collect::<Vec<_>>(),
        [11, 12, 13, 14]
    );
    reassembler.add(piece(5, 0));
    assert_eq!(
        reassembler.partials.keys().copied().collect::<Vec<_>>(),
        [11, 12, 13, 14]
    );
    assert_eq!(reassembler.dropped(), 2);
}

#[test]
fn stale_fragments_are_dropped() {
    let mut sender = Fragmenter::new();
    let old = sender.make_fragments(&[1; 100], 40);
    let new = sender.make_fragments(&[2; 30], 40);
    let mut reassembler = Reassembler::new();
    assert_eq!(reassembler.add(old[0].clone()), None);
    assert_eq!(reassembler.add(new[0].clone()), Some(vec![2; 30]));
    assert_eq!(reassembler.bytes_held(), 0);
    let before = reassembler.dropped();
    for fragment in old.into_iter().chain(new) {
        assert_eq!(reassembler.add(fragment), None);
    }
    assert_eq!(reassembler.dropped(), before + 4 + 1);
}

#[test]
fn inconsistent_fragments_are_dropped() {
    let fragment = |number, is_final, len| Fragment {
        instruction_id: 3,
        number,
        is_final,
        contents: vec![7; len],
    };
    let mut reassembler = Reassembler::new();
    assert_eq!(reassembler.add(fragment(MAX_FRAGMENTS, true, 1)), None);
    assert_eq!(
        reassembler.add(fragment(0, false, MAX_INSTRUCTION_LEN + 1)),
        None
    );
    assert_eq!(reassembler.dropped(), 2);
    assert_eq!(reassembler.add(fragment(2, true, 1)), None);
    assert_eq!(
        reassembler.add(fragment(1, true, 1)),
        None,
        "a second, different final"
    );
    assert_eq!(
        reassembler.add(fragment(3, false, 1)),
        None,
        "beyond the final"
    );
    assert_eq!(reassembler.add(fragment(2, true, 1)), None, "a duplicate");
    assert_eq!(reassembler.dropped(), 5);

    let mut other = Reassembler::new();
    assert_eq!(
        other.add(Fragment {
            instruction_id: 1,
            ..fragment(4, false, 1)
        }),
        None
    );
    assert_eq!(
        other.add(Fragment {
            instruction_id: 1,
            ..fragment(3, true, 1)
        }),
        None
    );
    assert_eq!(other.dropped(), 1, "a final below a number already held");

    assert_eq!(reassembler.add(fragment(0, false, 1)), None);
    assert_eq!(reassembler.add(fragment(1, false, 1)), Some(vec![7; 3]));
}

#[test]
fn empty_instruction_is_one_final_fragment() {
    let fragments = split(b"", MAX_PAYLOAD);
    assert_eq!(
        fragments,
        [Fragment {
            instruction_id: 0,
            number: 0,
            is_final: true,
            contents: Vec::new()
        }]
    );
    assert_eq!(
        Reassembler::new().add(fragments[0].clone()),
        Some(Vec::new())
    );
}

#[test]
fn ids_are_reused_only_for_identical_retransmissions() {
    let mut sender = Fragmenter::new();
    let id = |fragments: Vec<Fragment>| fragments[0].instruction_id;
    let budget = MAX_PAYLOAD;
    assert_eq!(id(sender.make_fragments(b"a", budget)), 0);
    assert_eq!(id(sender.make_fragments(b"a", budget)), 0);
    assert_eq!(id(sender.make_fragments(b"b", budget)), 1);
    assert_eq!(id(sender.make_fragments(b"a", budget)), 2);
    assert_eq!(
        id(sender.make_fragments(b"a", 100)),
        3,
        "another budget splits differently"
    );
}

#[test]
fn full_budget_fragments_fill_the_payload_exactly() {
    let budget = MAX_PAYLOAD;
    let fragments = split(&[9; 5000], budget);
    assert_eq!(
        fragments.len(),
        5000usize.div_ceil(budget - FRAGMENT_HEADER_LEN)
    );
    assert_eq!(fragments[0].encode().len(), budget);
    assert!(fragments.iter().rev().skip(1).all(|f| !f.is_final));
    assert!(fragments.last().is_some_and(|f| f.is_final));
}

#[test]
fn header_layout_is_id_then_final_bit_and_number() {
    let fragment = Fragment {
        instruction_id: 0x0102,
        number: 5,
        is_final: true,
        contents: b"z".to_vec(),
    };
    assert_eq!(fragment.encode(), [0, 0, 0, 0, 0, 0, 1, 2, 0x80, 5, b'z']);
}

#[test]
#[should_panic(expected = "exceeds MAX_INSTRUCTION_LEN")]
fn oversized_instructions_are_refused_by_the_sender() {
    Fragmenter::new().make_fragments(&vec![0; MAX_INSTRUCTION_LEN + 1], 1204);
}
