use super::*;
use crate::bus::codec::Position;
use crate::bus::raw::codec::{encode_frame, encode_snapshot};
use ladder_sdk::UnixNanos;
use rstest::rstest;

#[rstest]
#[case::unix_ns("1723161253937085768", 1_723_161_253_937_085_768)]
#[case::rfc3339_utc("2024-08-08T23:54:13Z", 1_723_161_253_000_000_000)]
#[case::rfc3339_fraction_offset("2024-08-09T01:54:13.5+02:00", 1_723_161_253_500_000_000)]
#[case::epoch("0", 0)]
fn parse_time_reads_rfc3339_and_unix_ns(#[case] s: &str, #[case] ns: u64) {
    assert_eq!(parse_time(s), Ok(ns));
}

#[rstest]
#[case::words("yesterday", "neither an RFC 3339 time")]
#[case::date_only("2024-08-08", "neither an RFC 3339 time")]
#[case::too_large("99999999999999999999", "too large")]
#[case::before_1970("1969-12-31T23:59:59Z", "before 1970")]
fn parse_time_refuses_other_forms_naming_the_value(#[case] s: &str, #[case] msg: &str) {
    let e = parse_time(s).unwrap_err();
    assert!(e.contains(msg) && e.contains(s), "{e}");
}

#[rstest]
#[case::all_raw("ladder.raw.>", true)]
#[case::one_venue("ladder.raw.binance-spot.>", true)]
#[case::one_conn("ladder.raw.kraken.0", true)]
#[case::normalized("ladder.md.>", false)]
#[case::one_instrument("ladder.md.binance-spot.BTCUSDT", false)]
#[case::everything(">", false)]
#[case::prefix_only("ladder.raw.", false)]
#[case::other("foo.bar", false)]
fn check_subject_takes_raw_subjects_only(#[case] subject: &str, #[case] ok: bool) {
    match check_subject(subject) {
        Ok(()) => assert!(ok, "{subject} taken"),
        Err(e) => {
            assert!(!ok, "{subject}: {e}");
            let e = e.to_string();
            assert!(e.contains(subject) && e.contains("ladder.raw.>"), "{e}");
        }
    }
}

#[test]
fn window_keeps_from_inclusive_to_exclusive() {
    let w = Window {
        from: Some(10),
        to: Some(20),
    };
    assert!(!w.contains(9) && w.contains(10) && w.contains(19) && !w.contains(20));
    assert!(Window::default().contains(0) && Window::default().contains(u64::MAX));
}

#[derive(Default)]
struct Lines(Vec<(Venue, String)>);

impl LineSink for Lines {
    fn start(&mut self, _: &[Venue]) -> Result<(), BusError> {
        Ok(())
    }
    fn line(&mut self, venue: Venue, line: Vec<u8>) -> Result<(), BusError> {
        self.0.push((venue, String::from_utf8(line).unwrap()));
        Ok(())
    }
}

fn frame(epoch: u64, seq: u64, ts: u64, text: &str) -> Vec<u8> {
    let mut b = Vec::new();
    encode_frame(
        &mut b,
        Position { epoch, seq },
        UnixNanos::from_nanos(ts),
        text.as_bytes(),
    );
    b
}

fn opts(window: Window) -> ReadOptions {
    ReadOptions {
        source: SourceConfig::default(),
        subject: "ladder.raw.>".into(),
        window,
        follow: false,
        duration: None,
    }
}

#[test]
fn messages_become_the_lines_record_writes_and_holes_are_counted() {
    let (mut sink, mut counts, mut last) =
        (Lines::default(), ReadCounts::default(), BTreeMap::new());
    let o = opts(Window::default());
    let spot = "ladder.raw.binance-spot.0";
    let mut snap = Vec::new();
    encode_snapshot(
        &mut snap,
        Position { epoch: 1, seq: 1 },
        UnixNanos::from_nanos(5),
        "BTCUSDT",
        b"{\"lastUpdateId\":1}",
    );
    let msgs: Vec<(&str, Vec<u8>)> = vec![
        (spot, snap),
        (spot, frame(1, 2, 6, "{\"a\":\n1}")),
        (spot, frame(1, 4, 7, "{}")), // number 3 missing: a gap
        ("ladder.raw.okx.0", frame(9, 1, 8, "{}")), // another subject: its own numbers
        (spot, frame(2, 1, 9, "{}")), // a new epoch: a restart
        ("ladder.raw.nosuch.0", frame(1, 1, 9, "{}")), // no venue
        (spot, vec![1, 9]),           // undecodable
    ];
    for (subject, payload) in &msgs {
        on_message(subject, payload, &o, &mut sink, &mut counts, &mut last).unwrap();
    }
    assert_eq!(
        sink.0[..2],
        [
            (
                Venue::BinanceSpot,
                "5 {\"stream\":\"btcusdt@depthSnapshot\",\"data\":{\"lastUpdateId\":1}}\n".into()
            ),
            (Venue::BinanceSpot, "6 {\"a\": 1}\n".into()),
        ]
    );
    assert_eq!(sink.0[3].0, Venue::Okx);
    assert_eq!(
        (
            counts.frames,
            counts.snapshots,
            counts.gaps,
            counts.restarts,
            counts.decode_errors
        ),
        (5, 1, 1, 1, 2)
    );
    assert_eq!(counts.per_venue.get("binance-spot"), Some(&4));
}

#[test]
fn frames_outside_the_window_are_counted_and_left_out() {
    let (mut sink, mut counts, mut last) =
        (Lines::default(), ReadCounts::default(), BTreeMap::new());
    let o = opts(Window {
        from: Some(20),
        to: Some(40),
    });
    for (seq, ts) in [(1, 10), (2, 20), (3, 30), (4, 40), (5, 50)] {
        let p = frame(1, seq, ts, "{}");
        on_message(
            "ladder.raw.binance-usdm.0",
            &p,
            &o,
            &mut sink,
            &mut counts,
            &mut last,
        )
        .unwrap();
    }
    let stamps: Vec<&str> = sink.0.iter().map(|(_, l)| &l[..2]).collect();
    assert_eq!(stamps, ["20", "30"]);
    assert_eq!((counts.frames, counts.outside, counts.gaps), (2, 3, 0));
}
