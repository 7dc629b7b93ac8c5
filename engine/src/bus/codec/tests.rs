//! Round trips of every event kind and of book images (proptest), and bad input: truncated,
//! garbled and foreign messages give one error, never a panic.

use super::*;
use proptest::prelude::*;
use rstest::rstest;

const ID: InstrumentId = InstrumentId::new(7);

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn state() -> impl Strategy<Value = BookState> {
    prop_oneof![
        Just(BookState::Connecting),
        Just(BookState::Syncing),
        Just(BookState::Synced),
        Just(BookState::Stale),
        Just(BookState::Resyncing),
    ]
}

fn ns() -> impl Strategy<Value = UnixNanos> {
    any::<u64>().prop_map(UnixNanos::from_nanos)
}

fn lots() -> impl Strategy<Value = Quantity> {
    (0..=i64::MAX).prop_map(Quantity::from_lots)
}

fn marker() -> impl Strategy<Value = BookMarker> {
    (any::<u64>(), ns(), ns()).prop_map(|(u, e, r)| BookMarker {
        instrument: ID,
        update_id: u,
        ts_exchange: e,
        ts_recv: r,
    })
}

fn event() -> impl Strategy<Value = MarketEvent> {
    prop_oneof![
        (
            side(),
            any::<bool>(),
            any::<i64>(),
            lots(),
            any::<u64>(),
            ns(),
            ns()
        )
            .prop_map(|(side, last, p, qty, update_id, ts_exchange, ts_recv)| {
                MarketEvent::BookDelta(BookDelta {
                    instrument: ID,
                    side,
                    last,
                    price: Price::from_ticks(p),
                    qty,
                    update_id,
                    ts_exchange,
                    ts_recv,
                })
            }),
        marker().prop_map(MarketEvent::SnapshotBegin),
        marker().prop_map(MarketEvent::SnapshotEnd),
        (side(), any::<i64>(), lots(), any::<u64>(), ns(), ns()).prop_map(
            |(aggressor, p, qty, trade_id, ts_exchange, ts_recv)| MarketEvent::Trade(Trade {
                instrument: ID,
                aggressor,
                price: Price::from_ticks(p),
                qty,
                trade_id,
                ts_exchange,
                ts_recv,
            })
        ),
        (
            any::<i64>(),
            lots(),
            any::<i64>(),
            lots(),
            any::<u64>(),
            ns()
        )
            .prop_map(
                |(bp, bq, ap, aq, update_id, ts_recv)| MarketEvent::Bbo(Bbo {
                    instrument: ID,
                    bid_price: Price::from_ticks(bp),
                    bid_qty: bq,
                    ask_price: Price::from_ticks(ap),
                    ask_qty: aq,
                    update_id,
                    ts_recv,
                })
            ),
        (state(), 0u8..=5, ns()).prop_map(|(state, r, ts_recv)| MarketEvent::Status(BookStatus {
            instrument: ID,
            state,
            reason: StaleReason::from_u8(r),
            ts_recv,
        })),
    ]
}

fn image() -> impl Strategy<Value = BookImage> {
    let levels = prop::collection::vec((any::<i64>(), 0..=i64::MAX), 0..40);
    (
        (any::<u64>(), any::<u64>(), any::<u64>()),
        (
            "[a-z-]{1,16}",
            "[A-Z/.-]{1,12}",
            "[0-9.]{1,8}",
            "[0-9.]{1,8}",
        ),
        (state(), any::<u64>(), ns(), ns()),
        (levels.clone(), levels),
    )
        .prop_map(
            |((epoch, seq, stream_seq), (venue, symbol, tick_size, lot_size), st, (bids, asks))| {
                BookImage {
                    position: Position { epoch, seq },
                    stream_seq,
                    venue,
                    symbol,
                    tick_size,
                    lot_size,
                    state: st.0,
                    update_id: st.1,
                    ts_exchange: st.2,
                    ts_recv: st.3,
                    bids,
                    asks,
                }
            },
        )
}

proptest! {
    #[test]
    fn events_round_trip_exactly(
        epoch in any::<u64>(),
        seq in any::<u64>(),
        events in prop::collection::vec(event(), 0..50),
    ) {
        let mut buf = Vec::new();
        encode_events(&mut buf, Position { epoch, seq }, &events);
        let mut out = Vec::new();
        let at = decode_events(&buf, ID, &mut out).unwrap();
        prop_assert_eq!(at, Position { epoch, seq });
        prop_assert_eq!(out, events);
    }

    #[test]
    fn images_round_trip_exactly(image in image()) {
        let mut buf = Vec::new();
        encode_image(&mut buf, &image);
        prop_assert_eq!(decode_image(&buf).unwrap(), image);
    }

    #[test]
    fn every_truncation_of_a_message_is_an_error(
        events in prop::collection::vec(event(), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut buf = Vec::new();
        encode_events(&mut buf, Position { epoch: 1, seq: 2 }, &events);
        let cut = cut.index(buf.len());
        let mut out = Vec::new();
        prop_assert!(decode_events(&buf[..cut], ID, &mut out).is_err());
        prop_assert!(out.is_empty());
    }

    #[test]
    fn garbled_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut out = Vec::new();
        let _ = decode_events(&bytes, ID, &mut out);
        let _ = decode_image(&bytes);
    }
}

fn one_delta() -> Vec<u8> {
    let mut buf = Vec::new();
    let d = MarketEvent::BookDelta(BookDelta {
        instrument: ID,
        side: Side::Buy,
        last: true,
        price: Price::from_ticks(6_000_000),
        qty: Quantity::from_lots(15),
        update_id: 42,
        ts_exchange: UnixNanos::from_nanos(1),
        ts_recv: UnixNanos::from_nanos(2),
    });
    encode_events(&mut buf, Position { epoch: 9, seq: 3 }, &[d]);
    buf
}

#[test]
fn one_delta_takes_under_thirty_bytes() {
    // Header 18 + count 1 + tag, side, last 3 + price 4 + qty, id and both times 1 each.
    assert_eq!(one_delta().len(), 30);
}

#[rstest]
#[case::empty(vec![], "bus message truncated at byte 0: expected schema version")]
#[case::other_schema(vec![2, 1], "bus message has schema 2, this build reads schema 1")]
#[case::image_kind(vec![1, 2, 0, 0], "bus message has a bad message kind at byte 1")]
#[case::short_header(vec![1, 1, 0, 0, 0], "bus message truncated at byte 2: expected epoch")]
fn bad_headers_name_what_is_wrong(#[case] bytes: Vec<u8>, #[case] want: &str) {
    let mut out = Vec::new();
    let err = decode_events(&bytes, ID, &mut out).unwrap_err();
    assert_eq!(err.to_string(), want);
}

#[test]
fn a_bad_event_tag_names_its_byte() {
    let mut buf = one_delta();
    buf[HEADER_LEN + 1] = 99;
    let err = decode_events(&buf, ID, &mut Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bus message has a bad event tag at byte 19"
    );
}

#[test]
fn a_negative_quantity_is_refused() {
    let mut buf = Vec::new();
    put_header(&mut buf, KIND_EVENTS, Position { epoch: 1, seq: 1 });
    put_varint(&mut buf, 1);
    buf.extend_from_slice(&[TAG_DELTA, 1, 1]);
    put_signed(&mut buf, 100);
    put_signed(&mut buf, -5);
    put_varint(&mut buf, 1);
    put_varint(&mut buf, 1);
    put_varint(&mut buf, 1);
    let err = decode_events(&buf, ID, &mut Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bus message has a bad delta quantity at byte 24"
    );
}

#[test]
fn trailing_bytes_are_refused() {
    let mut buf = one_delta();
    buf.push(0);
    let err = decode_events(&buf, ID, &mut Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bus message has 1 unexpected bytes after its end at byte 30"
    );
}

#[test]
fn a_huge_event_count_is_refused_before_allocating() {
    let mut buf = Vec::new();
    put_header(&mut buf, KIND_EVENTS, Position { epoch: 1, seq: 1 });
    put_varint(&mut buf, u64::MAX);
    let err = decode_events(&buf, ID, &mut Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bus message has a bad event count at byte 18"
    );
}
