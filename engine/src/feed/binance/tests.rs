//! Decoder and sequencer tests on real recorded Binance messages (`shared/vectors/binance`) and
//! hand-made edge cases.

use super::*;
use crate::capture::{CaptureReader, Next};
use crate::instrument::Registry;
use crate::testutil::shared;
use ladder_sdk::{InstrumentId, InstrumentSpec, Level, Price, Quantity, Side, UnixNanos};
use rstest::rstest;
use rust_decimal::Decimal;
use std::str::FromStr;

fn registry(symbol: &str, tick: &str, lot: &str) -> Registry {
    let mut r = Registry::new();
    let spec = InstrumentSpec::new(
        Decimal::from_str(tick).unwrap(),
        Decimal::from_str(lot).unwrap(),
    )
    .unwrap();
    r.add(symbol, spec).unwrap();
    r
}

fn lvl(p: i64, q: i64) -> Level {
    Level::new(Price::from_ticks(p), Quantity::from_lots(q))
}

const SPOT_DEPTH: &str = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"],["61730.17000000","0.10000000"]],"a":[["61837.64000000","1.54698000"]]}}"#;

#[test]
fn decode_spot_depth_envelope_to_ticks_and_lots() {
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let mut d = Decoder::new();
    let got = d
        .decode(SPOT_DEPTH.as_bytes(), UnixNanos::from_nanos(7), &reg)
        .unwrap();
    let Decoded::Depth(h) = got else {
        panic!("{got:?}")
    };
    assert_eq!(
        (h.first_id, h.last_id, h.prev_last_id),
        (50_093_239_189, 50_093_239_202, None)
    );
    assert_eq!(h.ts_exchange, UnixNanos::from_millis(1_723_161_255_208));
    assert_eq!(h.ts_recv.as_nanos(), 7);
    assert_eq!(d.bids(), &[lvl(6_173_763, 0), lvl(6_173_017, 10_000)]);
    assert_eq!(d.asks(), &[lvl(6_183_764, 154_698)]);
}

#[test]
fn decode_futures_depth_reads_pu_and_transaction_time() {
    let frame = r#"{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5123107832006,"u":5123107837557,"pu":5123107831937,"b":[["58710.20","0.014"]],"a":[]}}"#;
    let reg = registry("BTCUSDT", "0.1", "0.001");
    let Decoded::Depth(h) = Decoder::new()
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(h.prev_last_id, Some(5_123_107_831_937));
    assert_eq!(h.ts_exchange, UnixNanos::from_millis(1_723_161_256_298));
}

#[test]
fn decode_keys_in_any_order_and_raw_stream() {
    // Same message, keys shuffled, no envelope.
    let frame = r#"{"a":[["61837.64","1.54698"]],"u":50093239202,"s":"BTCUSDT","b":[],"U":50093239189,"E":1,"e":"depthUpdate"}"#;
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let mut d = Decoder::new();
    assert!(matches!(
        d.decode(frame.as_bytes(), UnixNanos::ZERO, &reg),
        Ok(Decoded::Depth(_))
    ));
    assert_eq!(d.asks(), &[lvl(6_183_764, 154_698)]);
}

#[rstest]
#[case::spot_trade_taker_sold(r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}"#, Side::Sell, 3_735_683_259)]
#[case::futures_trade_taker_bought(r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61837.63","q":"0.02","X":"MARKET","m":false}}"#, Side::Buy, 5_266_583_935)]
fn decode_trade(#[case] frame: &str, #[case] aggressor: Side, #[case] id: u64) {
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let got = Decoder::new()
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap();
    let Decoded::Trade(t) = got else {
        panic!("{got:?}")
    };
    assert_eq!((t.aggressor, t.trade_id), (aggressor, id));
    assert_eq!((t.price.ticks(), t.qty.lots()), (6_183_763, 2_000));
}

#[test]
fn decode_futures_liquidation_trade_is_special() {
    let frame = r#"{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.00","q":"1","X":"LIQUIDATION","m":false}"#;
    let reg = registry("BTCUSDT", "0.01", "1");
    let got = Decoder::new()
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap();
    assert!(matches!(got, Decoded::SpecialTrade(_)), "{got:?}");
}

#[test]
fn decode_agg_trade_reads_numeric_a_as_id() {
    let frame = r#"{"e":"aggTrade","E":1,"s":"NKNUSDT","a":26129,"p":"0.35170000","q":"100.0","f":100,"l":105,"T":1,"m":false,"M":true}"#;
    let reg = registry("NKNUSDT", "0.0001", "1");
    let Decoded::AggTrade(t) = Decoder::new()
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (t.trade_id, t.price.ticks(), t.qty.lots()),
        (26_129, 3_517, 100)
    );
}

#[rstest]
#[case::spot(r#"{"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#)]
#[case::spot_raw(r#"{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}"#)]
#[case::futures(r#"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":50093239212,"s":"BTCUSDT","b":"61837.63","B":"3.78826","a":"61837.64","A":"1.54698","T":1,"E":1}}"#)]
fn decode_book_ticker(#[case] frame: &str) {
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let Decoded::BookTicker(b) = Decoder::new()
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(b.update_id, 50_093_239_212);
    assert_eq!(
        (b.bid_price.ticks(), b.bid_qty.lots()),
        (6_183_763, 378_826)
    );
    assert_eq!(
        (b.ask_price.ticks(), b.ask_qty.lots()),
        (6_183_764, 154_698)
    );
}

#[rstest]
#[case::kline(r#"{"stream":"nknusdt@kline_1m","data":{"e":"kline","E":1,"s":"NKNUSDT","k":{"t":1,"o":"0.1"}}}"#, Decoded::Ignored)]
#[case::control(r#"{"result":null,"id":1}"#, Decoded::Control)]
#[case::shutdown(
    r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1}}"#,
    Decoded::ServerShutdown
)]
fn decode_non_market_frames(#[case] frame: &str, #[case] want: Decoded) {
    let reg = registry("NKNUSDT", "0.0001", "1");
    assert_eq!(
        Decoder::new()
            .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
            .unwrap(),
        want
    );
}

#[rstest]
#[case::truncated(&SPOT_DEPTH[..120], "malformed frame: truncated JSON")]
#[case::not_json("hello", "malformed frame: unexpected 'h' at byte 0")]
#[case::okx_frame(r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"]],"bids":[],"ts":"1597026383085","checksum":-855196043}]}"#, "not a Binance market-data message")]
#[case::unknown_stream(
    r#"{"stream":"btcusdt@fooBar","data":{"x":1}}"#,
    "unknown stream \"btcusdt@fooBar\""
)]
#[case::unknown_event(r#"{"e":"fooEvent","E":1}"#, "unknown event type \"fooEvent\"")]
#[case::unknown_symbol(
    r#"{"e":"trade","E":1,"s":"ETHUSDT","t":1,"p":"1","q":"1","T":1,"m":true}"#,
    "unknown symbol \"ETHUSDT\""
)]
#[case::off_tick(
    r#"{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"61837.635","q":"1","T":1,"m":true}"#,
    "\"BTCUSDT\" p: value 61837.635 is off the grid of 0.01"
)]
#[case::off_lot_in_depth(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.00","0.000001"]],"a":[]}"#,
    "\"BTCUSDT\" bids: value 0.000001 is off the grid of 0.00001"
)]
#[case::bad_decimal(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1e5","1"]],"a":[]}"#,
    "bids: not a decimal string"
)]
#[case::missing_u(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"b":[],"a":[]}"#,
    "depthUpdate message without its \"u\" field"
)]
#[case::venue_error(
    r#"{"code":2,"msg":"Invalid request"}"#,
    "the venue replied with error code 2"
)]
fn decode_bad_input_is_a_clear_error(#[case] frame: &str, #[case] message: &str) {
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let err = Decoder::new()
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap_err();
    assert!(err.to_string().contains(message), "got {err:?}: {err}");
}

#[test]
fn decode_every_truncation_of_a_real_frame_errors_without_panic() {
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let mut d = Decoder::new();
    for end in 0..SPOT_DEPTH.len() {
        assert!(
            d.decode(&SPOT_DEPTH.as_bytes()[..end], UnixNanos::ZERO, &reg)
                .is_err(),
            "prefix {end}"
        );
    }
}

/// Records what the sequencer decided.
#[derive(Default)]
struct Log {
    snapshots: Vec<u64>,
    applied: Vec<(u64, u64)>,
    gaps: Vec<Gap>,
}

impl SyncSink for Log {
    fn snapshot(&mut self, _: InstrumentId, last: u64, _: &[Level], _: &[Level]) {
        self.snapshots.push(last);
    }
    fn delta(&mut self, h: &DepthHeader, _: &[Level], _: &[Level]) {
        self.applied.push((h.first_id, h.last_id));
    }
    fn gap(&mut self, _: InstrumentId, gap: Gap) {
        self.gaps.push(gap);
    }
}

fn hdr(first: u64, last: u64, pu: Option<u64>) -> DepthHeader {
    DepthHeader {
        instrument: InstrumentId::new(0),
        first_id: first,
        last_id: last,
        prev_last_id: pu,
        ts_exchange: UnixNanos::ZERO,
        ts_recv: UnixNanos::ZERO,
    }
}

#[test]
fn spot_sync_accepts_first_diff_starting_at_l_plus_one() {
    // NKNUSDT case: L = 752; the diff 750..752 is dropped, 753..754 starts at L+1.
    let mut s = Sequencer::new(InstrumentId::new(0), SyncRule::Spot);
    let mut log = Log::default();
    assert_eq!(
        s.on_depth(&hdr(750, 752, None), &[], &[], &mut log),
        DepthOutcome::Buffered
    );
    assert_eq!(s.on_snapshot(752, &[], &[], &mut log), None);
    assert_eq!(
        s.on_depth(&hdr(753, 754, None), &[], &[], &mut log),
        DepthOutcome::Applied
    );
    assert_eq!(
        s.on_depth(&hdr(755, 760, None), &[], &[], &mut log),
        DepthOutcome::Applied
    );
    assert_eq!(
        (s.stats().dropped_stale, s.stats().applied, s.stats().gaps),
        (1, 2, 0)
    );
    assert_eq!(s.state(), ladder_sdk::BookState::Synced);
}

#[test]
fn spot_sync_gap_marks_stale_and_resyncs_from_next_snapshot() {
    let mut s = Sequencer::new(InstrumentId::new(0), SyncRule::Spot);
    let mut log = Log::default();
    s.on_snapshot(100, &[], &[], &mut log);
    assert_eq!(
        s.on_depth(&hdr(95, 105, None), &[], &[], &mut log),
        DepthOutcome::Applied
    );
    let out = s.on_depth(&hdr(107, 110, None), &[], &[], &mut log);
    assert_eq!(
        out,
        DepthOutcome::Gap(Gap {
            expected: 106,
            got: 107,
            ts_recv: UnixNanos::ZERO
        })
    );
    assert_eq!(s.state(), ladder_sdk::BookState::Stale);
    assert!(s.needs_snapshot());
    assert_eq!(
        s.on_depth(&hdr(111, 115, None), &[], &[], &mut log),
        DepthOutcome::Buffered
    );
    // A new snapshot at 112: 107..110 is dropped, 111..115 brackets 113.
    assert_eq!(s.on_snapshot(112, &[], &[], &mut log), None);
    assert_eq!(s.state(), ladder_sdk::BookState::Synced);
    assert_eq!(log.applied, vec![(95, 105), (111, 115)]);
    assert_eq!(s.stats().gaps, 1);
}

#[test]
fn spot_sync_snapshot_too_old_is_a_gap_and_keeps_buffer() {
    let mut s = Sequencer::new(InstrumentId::new(0), SyncRule::Spot);
    let mut log = Log::default();
    s.on_depth(&hdr(200, 210, None), &[], &[], &mut log);
    s.on_depth(&hdr(211, 220, None), &[], &[], &mut log);
    let gap = s
        .on_snapshot(150, &[], &[], &mut log)
        .expect("snapshot older than the buffer");
    assert_eq!((gap.expected, gap.got), (151, 200));
    assert!(s.needs_snapshot());
    assert_eq!(s.pending_range(), Some((200, 220)));
    assert_eq!(s.on_snapshot(205, &[], &[], &mut log), None);
    assert_eq!(log.applied, vec![(200, 210), (211, 220)]);
}

#[test]
fn futures_sync_uses_pu_not_u_plus_one() {
    let mut s = Sequencer::new(InstrumentId::new(0), SyncRule::Futures);
    let mut log = Log::default();
    for (u0, u1, pu) in [(90, 99, 80), (100, 120, 99)] {
        s.on_depth(&hdr(u0, u1, Some(pu)), &[], &[], &mut log);
    }
    // L = 99: the first diff is dropped (u < L is false: 99 == L, U <= L <= u → applied).
    assert_eq!(s.on_snapshot(99, &[], &[], &mut log), None);
    assert_eq!(log.applied, vec![(90, 99), (100, 120)]);
    // U skips ids on futures: 130 != 121 is fine while pu == 120.
    assert_eq!(
        s.on_depth(&hdr(130, 140, Some(120)), &[], &[], &mut log),
        DepthOutcome::Applied
    );
    assert!(matches!(
        s.on_depth(&hdr(150, 160, Some(145)), &[], &[], &mut log),
        DepthOutcome::Gap(_)
    ));
}

#[test]
fn futures_sync_drops_u_below_l_only() {
    let mut s = Sequencer::new(InstrumentId::new(0), SyncRule::Futures);
    let mut log = Log::default();
    s.on_snapshot(100, &[], &[], &mut log);
    assert_eq!(
        s.on_depth(&hdr(80, 99, Some(70)), &[], &[], &mut log),
        DepthOutcome::Dropped
    );
    assert_eq!(
        s.on_depth(&hdr(100, 110, Some(99)), &[], &[], &mut log),
        DepthOutcome::Applied
    );
}

#[test]
fn buffer_overflow_is_counted() {
    let mut s = Sequencer::with_max_pending(InstrumentId::new(0), SyncRule::Spot, 2);
    let mut log = Log::default();
    for i in 0..5 {
        s.on_depth(&hdr(i * 10, i * 10 + 9, None), &[], &[], &mut log);
    }
    assert_eq!(s.stats().buffer_overflows, 3);
    assert_eq!(s.pending_range(), Some((30, 49)));
}

/// Runs a capture vector through decoder and sequencer, returning the stats.
fn replay_vector(rel: &str, rule: SyncRule, tick: &str, lot: &str) -> Option<(SyncStats, u64)> {
    let path = shared(rel)?;
    let reg = registry("BTCUSDT", tick, lot);
    let mut d = Decoder::new();
    let mut s = Sequencer::new(InstrumentId::new(0), rule);
    let mut log = Log::default();
    let mut trades = 0;
    let mut r = CaptureReader::open(path).unwrap();
    while let Some(Next::Line(l)) = r.next_line().unwrap() {
        match d.decode(l.frame, l.ts_recv, &reg).unwrap() {
            Decoded::Depth(h) => {
                s.on_depth(&h, d.bids(), d.asks(), &mut log);
            }
            Decoded::Snapshot(sh) => {
                d.resolve_snapshot(reg.get(InstrumentId::new(0))).unwrap();
                assert_eq!(
                    s.on_snapshot(sh.last_update_id, d.bids(), d.asks(), &mut log),
                    None
                );
            }
            Decoded::Trade(_) => trades += 1,
            _ => {}
        }
    }
    Some((*s.stats(), trades))
}

#[test]
fn spot_vector_syncs_with_zero_gaps() {
    let Some((stats, trades)) = replay_vector(
        "vectors/binance/hftbacktest_spot_btcusdt_20240808_first1000.txt",
        SyncRule::Spot,
        "0.01",
        "0.00001",
    ) else {
        return;
    };
    assert_eq!(
        (stats.dropped_stale, stats.applied, stats.gaps, trades),
        (2, 86, 0, 152)
    );
}

#[test]
fn usdm_vector_syncs_with_zero_pu_gaps() {
    let Some((stats, trades)) = replay_vector(
        "vectors/binance/hftbacktest_usdm_btcusdt_20240808_first1000.txt",
        SyncRule::Futures,
        "0.1",
        "0.001",
    ) else {
        return;
    };
    assert_eq!(
        (stats.dropped_stale, stats.applied, stats.gaps, trades),
        (4, 91, 0, 153)
    );
}

/// The cryptofeed recording: `<ts>: <frame>` lines, four symbols, REST snapshots in a second
/// file. All four must sync with zero gaps; NKNUSDT's first applied diff starts at `L + 1`.
#[test]
fn cryptofeed_spot_vector_four_symbols_sync_including_l_plus_one_edge() {
    let (Some(ws), Some(http)) = (
        shared("vectors/binance/cryptofeed_BINANCE.ws.1.0"),
        shared("vectors/binance/cryptofeed_BINANCE.http.0.0"),
    ) else {
        return;
    };
    let ws = std::fs::read_to_string(ws).unwrap();
    let http = std::fs::read_to_string(http).unwrap();
    // Frames with fractional-second timestamps; REST bodies keyed by symbol.
    let mut frames: Vec<(f64, String, Option<String>)> = Vec::new();
    for line in ws.lines().skip(1) {
        if let Some((ts, frame)) = line.split_once(": ")
            && let Ok(ts) = ts.parse::<f64>()
        {
            frames.push((ts, frame.to_owned(), None));
        }
    }
    for line in http.lines().filter(|l| !l.trim().is_empty()) {
        let (head, body) = line.split_once(": ").unwrap();
        let sym = head
            .split("symbol=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_owned();
        let ts: f64 = head.rsplit(' ').next().unwrap().parse().unwrap();
        frames.push((ts, body.to_owned(), Some(sym)));
    }
    frames.sort_by(|a, b| a.0.total_cmp(&b.0));
    let symbols = ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"];
    let mut reg = Registry::new();
    for s in symbols {
        // Finest grids these symbols use in the recording.
        reg.add(
            s,
            InstrumentSpec::new(Decimal::new(1, 8), Decimal::new(1, 8)).unwrap(),
        )
        .unwrap();
    }
    let mut seqs: Vec<Sequencer> = reg
        .iter()
        .map(|i| Sequencer::new(i.id, SyncRule::Spot))
        .collect();
    let mut d = Decoder::new();
    let mut logs: Vec<Log> = symbols.iter().map(|_| Log::default()).collect();
    for (_, frame, rest_symbol) in &frames {
        match d.decode(frame.as_bytes(), UnixNanos::ZERO, &reg).unwrap() {
            Decoded::Depth(h) => {
                let i = h.instrument.index();
                seqs[i].on_depth(&h, d.bids(), d.asks(), &mut logs[i]);
            }
            Decoded::Snapshot(sh) => {
                let inst = reg
                    .lookup(rest_symbol.as_deref().unwrap().as_bytes())
                    .unwrap()
                    .clone();
                d.resolve_snapshot(&inst).unwrap();
                let i = inst.id.index();
                assert_eq!(
                    seqs[i].on_snapshot(sh.last_update_id, d.bids(), d.asks(), &mut logs[i]),
                    None
                );
            }
            _ => {}
        }
    }
    for (s, log) in seqs.iter().zip(&logs) {
        assert_eq!(s.stats().gaps, 0, "{:?}", s.instrument());
        assert_eq!(s.state(), ladder_sdk::BookState::Synced);
        assert!(s.stats().applied > 0);
        assert_eq!(log.snapshots.len(), 1);
    }
    let nkn = &logs[0];
    assert_eq!(nkn.snapshots[0], 499_869_752);
    assert_eq!(
        nkn.applied[0].0, 499_869_753,
        "first applied NKNUSDT diff starts at L + 1"
    );
}

#[test]
fn snapshot_owner_picks_the_only_instrument_or_the_one_whose_buffer_lines_up() {
    let mut log = Log::default();
    let seq = |i: u32| Sequencer::new(InstrumentId::new(i), SyncRule::Spot);
    let only = [seq(0)];
    assert_eq!(sync::snapshot_owner(5, &only), Some(InstrumentId::new(0)));
    let (mut a, mut b) = (seq(0), seq(1));
    a.on_depth(&hdr(100, 110, None), &[], &[], &mut log);
    let mut h = hdr(5_000, 5_010, None);
    h.instrument = InstrumentId::new(1);
    b.on_depth(&h, &[], &[], &mut log);
    assert_eq!(
        sync::snapshot_owner(105, [&a, &b]),
        Some(InstrumentId::new(0))
    );
    assert_eq!(
        sync::snapshot_owner(5_004, [&a, &b]),
        Some(InstrumentId::new(1))
    );
    assert_eq!(
        sync::snapshot_owner(50, [&a, &b]),
        None,
        "lines up with neither"
    );
    let mut c = seq(2);
    let mut h = hdr(100, 110, None);
    h.instrument = InstrumentId::new(2);
    c.on_depth(&h, &[], &[], &mut log);
    assert_eq!(sync::snapshot_owner(105, [&a, &b, &c]), None, "ambiguous");
}
