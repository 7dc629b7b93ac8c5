//! OKX's exact-shape decode path against its general walk, on the real frames of the shared
//! vectors and on mutations of them (the harness: `feed::units::exact_check`).

use super::Decoder;
use super::decode::unused_tail;
use crate::feed::Venue;
use crate::feed::units::Exact;
use crate::feed::units::exact_check::{T, registry, run};

fn okx_texts(d: &Decoder) -> Vec<(Vec<u8>, Vec<u8>)> {
    let t = d.texts();
    t.bids
        .iter()
        .chain(t.asks.iter())
        .map(|(p, q)| (p.to_vec(), q.to_vec()))
        .collect()
}

#[test]
fn exact_okx_books_equals_general_walk_on_vectors_and_mutations() {
    let reg = registry(
        Venue::Okx,
        &[
            ("BTC-USDT", 1, 1, 1, 8),
            ("BTC-USD-220527", 1, 1, 1, 0),
            ("UNI-USD-SWAP", 1, 3, 1, 0),
        ],
    );
    let (mut a, mut b) = (Decoder::new(), Decoder::new());
    run("vectors/okx/cryptofeed_OKX.ws.1.0", 300, 280, |f| {
        let fast = a.book_exact(f, T, &reg).is_some();
        let (x, y) = (a.decode(f, T, &reg), b.decode_general(f, T, &reg));
        assert_eq!(x, y, "{}", String::from_utf8_lossy(f));
        if x.is_ok() {
            assert_eq!((a.bids(), a.asks()), (b.bids(), b.asks()));
            assert_eq!(okx_texts(&a), okx_texts(&b));
        }
        fast
    });
}

/// The level tail `,"0","n"` read as two plain strings (what the one-check path stands for).
fn two_strings(buf: &[u8], at: usize) -> Option<usize> {
    let mut c = Exact::new(buf);
    let mut pos = at;
    for _ in 0..2 {
        if buf.get(pos..pos + 2)? != b",\"" {
            return None;
        }
        c.seek(pos + 2);
        c.str()?;
        pos = c.position();
    }
    Some(pos)
}

#[test]
fn unused_tail_takes_only_what_two_string_reads_take_and_ends_where_they_end() {
    let fillers: [&[u8]; 6] = [b"1", b"12", b"1234567", b"12345678", b"", b"x\\\"y"];
    let mut taken = 0;
    for zero in [&b"0"[..], b"1", b"", b"00"] {
        for count in fillers {
            for cut in 0..=count.len() {
                for odd in [None, Some(b'"'), Some(b'\\'), Some(0x80)] {
                    let mut n = count[..cut].to_vec();
                    if let Some(b) = odd {
                        n.push(b);
                    }
                    n.extend_from_slice(&count[cut..]);
                    for pad in [0, 3, 16] {
                        let mut buf = b"[\"1\",\"2\"".to_vec();
                        let at = buf.len();
                        buf.extend_from_slice(b",\"");
                        buf.extend_from_slice(zero);
                        buf.extend_from_slice(b"\",\"");
                        buf.extend_from_slice(&n);
                        buf.extend_from_slice(b"\"]");
                        buf.extend(std::iter::repeat_n(b'}', pad));
                        if let Some(end) = unused_tail(&buf, at) {
                            assert_eq!(Some(end), two_strings(&buf, at), "{buf:?}");
                            taken += 1;
                        }
                    }
                }
            }
        }
    }
    // The common shapes (`"0"`, a short count, room after it) take the one-check path.
    assert!(taken > 20, "{taken}");
    let frame = b"[\"1\",\"2\",\"0\",\"13\"]],\"bids\":[]";
    assert_eq!(unused_tail(frame, 8), Some(17));
    assert_eq!(two_strings(frame, 8), Some(17));
}
