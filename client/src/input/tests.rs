use proptest::prelude::*;

use super::*;

/// The tokens of one read, and those of anything it leaves held once the wait is over.
pub(crate) fn tokens(bytes: &[u8]) -> Vec<Token> {
    let mut tokenizer = Tokenizer::default();
    let now = Instant::now();
    let mut tokens = tokenizer.feed(bytes, now);
    tokens.extend(tokenizer.handle_timeout(now + PARTIAL_WAIT));
    tokens
}

fn kinds(bytes: &[u8]) -> Vec<Kind> {
    tokens(bytes).into_iter().map(|token| token.kind).collect()
}

fn token(kind: Kind, bytes: &[u8]) -> Token {
    Token {
        kind,
        bytes: bytes.to_vec(),
    }
}

#[test]
fn characters_and_control_keys() {
    use Kind::*;
    assert_eq!(
        kinds("aü日\u{303} \r\x7f\x02\x1e".as_bytes()),
        [
            Char('a'),
            Char('ü'),
            Char('日'),
            Char('\u{303}'),
            Char(' '),
            Control(b'\r'),
            Control(0x7f),
            Control(0x02),
            Control(0x1e)
        ]
    );
    // Bytes that are no UTF-8 are read one by one; a C1 control is not a character.
    assert_eq!(
        tokens(&[0xff, b'b', 0xc2, 0x85]),
        [
            token(Other, &[0xff]),
            token(Char('b'), b"b"),
            token(Other, &[0xc2, 0x85])
        ]
    );
}

#[test]
fn the_escape_key_alt_and_function_keys() {
    use Kind::*;
    use NamedKey::*;
    // An ESC that ends a read, or comes before another ESC, is the key itself.
    assert_eq!(kinds(b"\x1b"), [Escape]);
    assert_eq!(kinds(b"\x1b\x1b[A"), [Escape, Key(Some(Up))]);
    assert_eq!(
        kinds("\x1bb\x1bé\x1b\x7f".as_bytes()),
        [Alt('b'), Alt('é'), Other]
    );
    assert_eq!(
        kinds(b"\x1b[A\x1bOB\x1b[C\x1bOD\x1b[H\x1b[1~\x1bOF\x1b[4~"),
        [
            Key(Some(Up)),
            Key(Some(Down)),
            Key(Some(Right)),
            Key(Some(Left)),
            Key(Some(Home)),
            Key(Some(Home)),
            Key(Some(End)),
            Key(Some(End))
        ]
    );
    assert_eq!(
        kinds(b"\x1b[5~\x1b[6~\x1b[5;2~\x1b[6;2~"),
        [
            Key(Some(PageUp)),
            Key(Some(PageDown)),
            Key(Some(ShiftPageUp)),
            Key(Some(ShiftPageDown))
        ]
    );
    // Ctrl- and Alt-arrows, which resize panes after the prefix.
    assert_eq!(
        kinds(b"\x1b[1;5A\x1b[1;3C"),
        [
            Key(Some(CtrlArrow(Direction::Up))),
            Key(Some(AltArrow(Direction::Right)))
        ]
    );
    // Keys no part of the client reads: Shift-Up, F5, F1, Shift-Tab.
    assert_eq!(
        tokens(b"\x1b[1;2A\x1b[15~\x1bOP\x1b[Z"),
        [
            token(Key(None), b"\x1b[1;2A"),
            token(Key(None), b"\x1b[15~"),
            token(Key(None), b"\x1bOP"),
            token(Key(None), b"\x1b[Z")
        ]
    );
}

#[test]
fn malformed_sequences_end_where_they_break() {
    use Kind::*;
    // A byte that cannot continue a CSI ends it and is read anew.
    assert_eq!(
        tokens(b"\x1b[1\x02x"),
        [
            token(Other, b"\x1b[1"),
            token(Control(0x02), b"\x02"),
            token(Char('x'), b"x")
        ]
    );
    let long = [&b"\x1b["[..], &[b'1'; 40], b"~"].concat();
    let read = tokens(&long);
    assert_eq!(read[0], token(Other, &long[..MAX_SEQUENCE]));
    assert_eq!(read.concat_bytes(), long);
}

#[test]
fn mouse_reports_in_every_encoding() {
    use Kind::*;
    let press = |button, x, y| Report {
        button,
        x,
        y,
        release: false,
    };
    assert_eq!(
        tokens(b"a\x1b[<0;45;3Mb\x1b[<0;10;30m"),
        [
            token(Char('a'), b"a"),
            token(Mouse(press(0, 45, 3)), b"\x1b[<0;45;3M"),
            token(Char('b'), b"b"),
            token(
                Mouse(Report {
                    release: true,
                    ..press(0, 10, 30)
                }),
                b"\x1b[<0;10;30m"
            )
        ]
    );
    // Legacy: three bytes offset by 32; a release says no button.
    let legacy = [0x1b, b'[', b'M', 32, 32 + 50, 32 + 2];
    assert_eq!(kinds(&legacy), [Mouse(press(0, 50, 2))]);
    let released = [0x1b, b'[', b'M', 32 + 3, 32 + 50, 32 + 2];
    assert_eq!(
        kinds(&released),
        [Mouse(Report {
            button: 3,
            release: true,
            ..press(0, 50, 2)
        })]
    );
    // UTF-8 mode (1005): column 200 (+32 = 232) is two bytes.
    let mut wide = b"\x1b[M ".to_vec();
    wide.extend_from_slice('\u{e8}'.encode_utf8(&mut [0; 4]).as_bytes());
    wide.push(32 + 2);
    let mut tokenizer = Tokenizer::default();
    tokenizer.set_utf8_mouse(true);
    assert_eq!(
        tokenizer.feed(&wide, Instant::now()),
        [token(Mouse(press(0, 200, 2)), &wide)]
    );
    // What only looks like a report is read as what it is.
    assert_eq!(
        tokens(b"\x1b[<x\x1b[<1;2M\x1b[M\x01ab"),
        [
            token(Key(None), b"\x1b[<x"),
            token(Key(None), b"\x1b[<1;2M"),
            token(Key(None), b"\x1b[M"),
            token(Control(1), b"\x01"),
            token(Char('a'), b"a"),
            token(Char('b'), b"b")
        ]
    );
}

#[test]
fn a_bracketed_paste_is_one_token_whatever_it_holds() {
    let paste = b"\x1b[200~a\x02c\x1e.\x1b[A\x1b\x1b[201~";
    let read = tokens(&[&paste[..], b"x"].concat());
    assert_eq!(
        read,
        [token(Kind::Paste, paste), token(Kind::Char('x'), b"x")]
    );
    assert_eq!(kinds(b"\x1b[200~\x1b[201~"), [Kind::Paste]);
}

#[test]
fn pieces_cut_by_the_end_of_a_read_wait_for_the_rest() {
    let now = Instant::now();
    let mut tokenizer = Tokenizer::default();
    assert_eq!(
        tokenizer.feed(b"q\x1b[<0;4", now),
        [token(Kind::Char('q'), b"q")]
    );
    assert_eq!(tokenizer.poll_timeout(), Some(now + PARTIAL_WAIT));
    let later = now + Duration::from_millis(1);
    assert_eq!(
        tokenizer.feed(b"5;3M", later),
        [token(
            Kind::Mouse(Report {
                button: 0,
                x: 45,
                y: 3,
                release: false
            }),
            b"\x1b[<0;45;3M"
        )]
    );
    assert_eq!(tokenizer.poll_timeout(), None);
    // A character cut in two.
    assert_eq!(tokenizer.feed(&[0xe6, 0x97], now), []);
    assert_eq!(
        tokenizer.feed(&[0xa5], now),
        [token(Kind::Char('日'), "日".as_bytes())]
    );
    // A paste whose end marker is cut: the paste goes on until it comes.
    assert_eq!(
        tokenizer.feed(b"\x1b[200~ab\x1b[20", now),
        [token(Kind::Paste, b"\x1b[200~ab")]
    );
    assert_eq!(
        tokenizer.feed(b"1~c", now),
        [
            token(Kind::Paste, b"\x1b[201~"),
            token(Kind::Char('c'), b"c")
        ]
    );
}

#[test]
fn a_cut_piece_nothing_completes_is_taken_as_it_is_after_the_wait() {
    let now = Instant::now();
    let mut tokenizer = Tokenizer::default();
    // Alt-[ typed alone: it waits, then goes as what it is.
    assert_eq!(tokenizer.feed(b"\x1b[", now), []);
    assert_eq!(tokenizer.handle_timeout(now + PARTIAL_WAIT / 2), []);
    assert_eq!(
        tokenizer.handle_timeout(now + PARTIAL_WAIT),
        [token(Kind::Alt('['), b"\x1b[")]
    );
    assert_eq!(tokenizer.poll_timeout(), None);
    assert_eq!(tokenizer.feed(&[0xc3], now), []);
    assert_eq!(
        tokenizer.handle_timeout(now + PARTIAL_WAIT),
        [token(Kind::Other, &[0xc3])]
    );
}

trait ConcatBytes {
    fn concat_bytes(&self) -> Vec<u8>;
}

impl ConcatBytes for [Token] {
    fn concat_bytes(&self) -> Vec<u8> {
        self.iter().flat_map(|t| t.bytes.iter().copied()).collect()
    }
}

/// `input` cut into reads at `cuts`, except right after an ESC (where the end of a read
/// makes it the Escape key).
pub(crate) fn reads<'a>(input: &'a [u8], cuts: &[prop::sample::Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| c.index(input.len() + 1))
        .filter(|&at| at == 0 || input[at - 1] != ESC)
        .chain([input.len()])
        .collect();
    points.sort_unstable();
    let mut start = 0;
    points
        .into_iter()
        .map(|point| {
            let piece = &input[start..point];
            start = point;
            piece
        })
        .collect()
}

/// Joins paste pieces that differ only by where reads were cut.
fn merge_pastes(tokens: Vec<Token>) -> Vec<Token> {
    let mut merged: Vec<Token> = Vec::new();
    for token in tokens {
        match merged.last_mut() {
            Some(last)
                if token.kind == Kind::Paste
                    && last.kind == Kind::Paste
                    && !last.bytes.ends_with(PASTE_END) =>
            {
                last.bytes.extend(token.bytes)
            }
            _ => merged.push(token),
        }
    }
    merged
}

proptest! {
    /// Every byte comes out once, in order, in some token; and however the reads are
    /// cut (except right after an ESC, which ends the Escape key), the tokens are the same.
    #[test]
    fn tokens_are_lossless_and_reads_cut_anywhere_but_after_esc_change_nothing(
        input in prop::collection::vec(
            prop_oneof![
                Just(vec![ESC]), Just(b"[".to_vec()), Just(b"O".to_vec()),
                Just(b"A".to_vec()), Just(b"5;2~".to_vec()), Just(b"<0;12;5M".to_vec()),
                Just(b"M !!".to_vec()), Just("é日".as_bytes().to_vec()),
                Just(PASTE_START.to_vec()), Just(PASTE_END.to_vec()),
                Just(vec![0x02]), Just(vec![0xe6]),
                any::<u8>().prop_map(|b| vec![b]),
            ],
            0..40,
        ).prop_map(|parts| parts.concat()),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let whole = tokens(&input);
        prop_assert_eq!(whole.concat_bytes(), input.clone());
        let now = Instant::now();
        let mut tokenizer = Tokenizer::default();
        let mut read = Vec::new();
        for piece in reads(&input, &cuts) {
            read.extend(tokenizer.feed(piece, now));
        }
        read.extend(tokenizer.handle_timeout(now + PARTIAL_WAIT));
        prop_assert_eq!(merge_pastes(read), merge_pastes(whole));
    }
}

#[test]
fn focus_reports_are_their_own_tokens() {
    use Kind::*;
    assert_eq!(
        kinds(b"\x1b[I\x1b[O\x1b[1I\x1bO"),
        [Focus(true), Focus(false), Key(None), Alt('O')]
    );
}
