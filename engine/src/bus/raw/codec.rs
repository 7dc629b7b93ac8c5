//! The raw-frame messages of `ladder.raw.<venue>.<conn>` (schema 1, `docs/bus.md`).
//!
//! ```text
//!  0  u8     schema version (1)
//!  1  u8     kind: 3 frame, 4 snapshot
//!  2  u64le  epoch: the publishing `ladder feed`'s id
//! 10  u64le  seq: this message's number among its subject's messages of this epoch, from 1
//! 18  u64le  ts_recv: Unix nanoseconds when the frame (or the snapshot body) was read
//! 26  kind 4 only: symbol `str` (varint length, UTF-8), the symbol as configured (`BTCUSDT`)
//! ..  the frame (kind 3) or the REST snapshot body (kind 4), byte for byte, to the end
//! ```
//!
//! The header is the 18 bytes of every bus message (`bus::codec`); the NATS header
//! `Ladder-Schema: 1` goes with it. Decoding never panics: a short message, another schema or
//! kind, or a bad symbol is one [`CodecError`] naming the field and byte.

use crate::bus::codec::{CodecError, HEADER_LEN, Position, SCHEMA};
use ladder_sdk::UnixNanos;

/// Kind byte of a WebSocket frame.
pub const KIND_FRAME: u8 = 3;
/// Kind byte of a REST depth snapshot body.
pub const KIND_SNAPSHOT: u8 = 4;
/// Bytes before the frame of a kind 3 message.
pub const FRAME_PREFIX: usize = HEADER_LEN + 8;
/// Longest symbol a snapshot message carries.
const MAX_SYMBOL: u64 = 256;

/// What one raw message holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind<'a> {
    /// A WebSocket data frame.
    Frame,
    /// A REST depth snapshot body of this symbol.
    Snapshot {
        /// The symbol as configured.
        symbol: &'a str,
    },
}

/// One decoded raw message, borrowing its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawMessage<'a> {
    /// The publisher's epoch and this message's number on its subject.
    pub position: Position,
    /// When the frame was read.
    pub ts_recv: UnixNanos,
    /// Frame or snapshot.
    pub kind: RawKind<'a>,
    /// The bytes as the venue sent them.
    pub bytes: &'a [u8],
}

fn put_header(out: &mut Vec<u8>, kind: u8, at: Position, ts_recv: UnixNanos) {
    out.push(SCHEMA);
    out.push(kind);
    out.extend_from_slice(&at.epoch.to_le_bytes());
    out.extend_from_slice(&at.seq.to_le_bytes());
    out.extend_from_slice(&ts_recv.as_nanos().to_le_bytes());
}

/// A frame message: appends it to `out`.
pub fn encode_frame(out: &mut Vec<u8>, at: Position, ts_recv: UnixNanos, frame: &[u8]) {
    out.reserve(FRAME_PREFIX + frame.len());
    put_header(out, KIND_FRAME, at, ts_recv);
    out.extend_from_slice(frame);
}

/// A snapshot message: appends it to `out`.
pub fn encode_snapshot(
    out: &mut Vec<u8>,
    at: Position,
    ts_recv: UnixNanos,
    symbol: &str,
    body: &[u8],
) {
    out.reserve(FRAME_PREFIX + 2 + symbol.len() + body.len());
    put_header(out, KIND_SNAPSHOT, at, ts_recv);
    let mut len = symbol.len() as u64;
    while len >= 0x80 {
        out.push((len as u8) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(symbol.as_bytes());
    out.extend_from_slice(body);
}

fn u64_at(buf: &[u8], at: usize, what: &'static str) -> Result<u64, CodecError> {
    let bytes = buf.get(at..at + 8).ok_or(CodecError::Truncated {
        at: buf.len(),
        what,
    })?;
    let mut a = [0u8; 8];
    a.copy_from_slice(bytes);
    Ok(u64::from_le_bytes(a))
}

/// Reads one raw message.
///
/// # Errors
/// [`CodecError`] naming the field and byte: a short message, another schema, a kind other than
/// frame or snapshot, a symbol that is too long or not UTF-8.
pub fn decode(buf: &[u8]) -> Result<RawMessage<'_>, CodecError> {
    let version = *buf.first().ok_or(CodecError::Truncated {
        at: 0,
        what: "schema version",
    })?;
    if version != SCHEMA {
        return Err(CodecError::Schema { got: version });
    }
    let kind = *buf.get(1).ok_or(CodecError::Truncated {
        at: 1,
        what: "kind",
    })?;
    if kind != KIND_FRAME && kind != KIND_SNAPSHOT {
        return Err(CodecError::Bad {
            at: 1,
            what: "kind",
        });
    }
    let position = Position {
        epoch: u64_at(buf, 2, "epoch")?,
        seq: u64_at(buf, 10, "seq")?,
    };
    let ts_recv = UnixNanos::from_nanos(u64_at(buf, HEADER_LEN, "ts_recv")?);
    let mut at = FRAME_PREFIX;
    let kind = if kind == KIND_FRAME {
        RawKind::Frame
    } else {
        let start = at;
        let mut len: u64 = 0;
        let mut shift = 0;
        loop {
            let b = *buf.get(at).ok_or(CodecError::Truncated {
                at,
                what: "symbol length",
            })?;
            at += 1;
            len |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 14 {
                return Err(CodecError::Bad {
                    at: start,
                    what: "symbol length",
                });
            }
        }
        if len == 0 || len > MAX_SYMBOL {
            return Err(CodecError::Bad {
                at: start,
                what: "symbol length",
            });
        }
        let end = at + len as usize;
        let bytes = buf.get(at..end).ok_or(CodecError::Truncated {
            at: buf.len(),
            what: "symbol",
        })?;
        let symbol =
            std::str::from_utf8(bytes).map_err(|_| CodecError::Bad { at, what: "symbol" })?;
        at = end;
        RawKind::Snapshot { symbol }
    };
    Ok(RawMessage {
        position,
        ts_recv,
        kind,
        bytes: &buf[at..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    const AT: Position = Position {
        epoch: 0x0102_0304_0506_0708,
        seq: 42,
    };

    #[test]
    fn frame_round_trips_with_its_bytes_and_time() {
        let mut buf = Vec::new();
        let frame = br#"{"stream":"btcusdt@depth@100ms","data":{"u":7}}"#;
        encode_frame(
            &mut buf,
            AT,
            UnixNanos::from_nanos(1_723_161_253_937_085_768),
            frame,
        );
        assert_eq!(buf.len(), FRAME_PREFIX + frame.len());
        assert_eq!(&buf[..2], &[1, KIND_FRAME]);
        let m = decode(&buf).unwrap();
        assert_eq!(m.position, AT);
        assert_eq!(m.ts_recv.as_nanos(), 1_723_161_253_937_085_768);
        assert_eq!(m.kind, RawKind::Frame);
        assert_eq!(m.bytes, frame);
    }

    #[test]
    fn snapshot_round_trips_with_its_symbol() {
        let mut buf = Vec::new();
        let body = br#"{"lastUpdateId":1,"bids":[],"asks":[]}"#;
        encode_snapshot(&mut buf, AT, UnixNanos::from_nanos(9), "BTC/USD", body);
        let m = decode(&buf).unwrap();
        assert_eq!(m.kind, RawKind::Snapshot { symbol: "BTC/USD" });
        assert_eq!((m.ts_recv.as_nanos(), m.bytes), (9, &body[..]));
    }

    fn snapshot_bytes() -> Vec<u8> {
        let mut buf = Vec::new();
        encode_snapshot(&mut buf, AT, UnixNanos::from_nanos(9), "BTCUSDT", b"{}");
        buf
    }

    #[rstest]
    #[case::empty(vec![], "truncated at byte 0: expected schema version")]
    #[case::other_schema(vec![2, 3], "schema 2")]
    #[case::events_kind(vec![1, 1, 0], "bad kind at byte 1")]
    #[case::short_header(vec![1, 3, 0, 0], "expected epoch")]
    #[case::no_ts_recv(snapshot_bytes()[..20].to_vec(), "expected ts_recv")]
    #[case::no_symbol_length(snapshot_bytes()[..26].to_vec(), "expected symbol length")]
    #[case::symbol_cut(snapshot_bytes()[..29].to_vec(), "expected symbol")]
    #[case::empty_symbol({ let mut b = snapshot_bytes(); b[26] = 0; b }, "bad symbol length at byte 26")]
    #[case::symbol_not_utf8({ let mut b = snapshot_bytes(); b[27] = 0xff; b }, "bad symbol at byte 27")]
    fn decode_refuses_bad_messages_naming_the_field(#[case] buf: Vec<u8>, #[case] expected: &str) {
        let e = decode(&buf).unwrap_err().to_string();
        assert!(e.contains(expected), "{e}");
    }

    proptest! {
        #[test]
        fn decode_never_panics_and_round_trips(
            frame in proptest::collection::vec(any::<u8>(), 0..64),
            seq in any::<u64>(),
            garble in proptest::collection::vec((0usize..96, any::<u8>()), 0..4),
        ) {
            let at = Position { epoch: 7, seq };
            let mut buf = Vec::new();
            encode_frame(&mut buf, at, UnixNanos::from_nanos(seq ^ 5), &frame);
            let m = decode(&buf).unwrap();
            prop_assert_eq!(m.bytes, &frame[..]);
            prop_assert_eq!(m.position, at);
            for (i, b) in garble {
                if let Some(x) = buf.get_mut(i) {
                    *x = b;
                }
            }
            let _ = decode(&buf);
            for cut in 0..buf.len().min(40) {
                let _ = decode(&buf[..cut]);
            }
        }
    }
}
