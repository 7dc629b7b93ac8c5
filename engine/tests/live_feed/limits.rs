//! Byte and time bounds on what a venue can make the feed take: WebSocket messages over
//! `MAX_WS_MESSAGE_BYTES`, depth snapshot bodies over `MAX_SNAPSHOT_BODY_BYTES` (with and
//! without a `Content-Length`), and a `Retry-After` far beyond any real rate-limit window.

use super::*;
use ladder_engine::feed::live::MAX_SNAPSHOT_BODY_BYTES;
use ladder_engine::feed::live::MAX_WS_MESSAGE_BYTES;

#[test]
fn oversized_websocket_message_is_refused_counted_and_the_book_resyncs_after_reconnect() {
    let opts = SynthOpts {
        diffs: 200,
        oversized_message: Some(MAX_WS_MESSAGE_BYTES + 1),
        ..SynthOpts::default()
    };
    let run = synth_feed(opts, Collect::new(), |_| {});
    let st = Arc::clone(&run.feed.status);
    let want = format!(
        "sent a websocket message of {} bytes, over the limit of {MAX_WS_MESSAGE_BYTES} bytes",
        MAX_WS_MESSAGE_BYTES + 1
    );
    assert!(
        wait_until(Duration::from_secs(5), || last_error(&st).contains(&want)),
        "last error: {:?}",
        st.last_error()
    );
    let text = last_error(&st);
    assert!(
        text.starts_with("ws://127.0.0.1") && text.contains("streams=btcusdt@depth"),
        "{text}"
    );
    let (run, c) = run.finish_in_sync();
    assert_eq!((c.oversized, c.reconnects), (1, 1), "{c:?}");
    let states = run.out.states();
    let stale = position(&states, (BookState::Stale, Some(StaleReason::Disconnected)))
        .expect("stale on the dropped connection");
    assert!(
        states[stale..].contains(&(BookState::Synced, None)),
        "{states:?}"
    );
    assert!(run.feed.shutdown());
}

#[test]
fn oversized_snapshot_body_is_refused_counted_and_fetched_again() {
    let opts = SynthOpts {
        diffs: 300,
        // No length (refused while reading), then a declared length (refused unread).
        oversized_bodies: vec![
            (MAX_SNAPSHOT_BODY_BYTES + 1, false),
            (MAX_SNAPSHOT_BODY_BYTES + 1, true),
        ],
        ..SynthOpts::default()
    };
    let run = synth_feed(opts, Collect::new(), |_| {});
    let st = Arc::clone(&run.feed.status);
    assert!(
        wait_until(Duration::from_secs(5), || st.counters().oversized == 2),
        "{:?}",
        st.counters()
    );
    let text = last_error(&st);
    assert!(
        text.starts_with("the response from http://127.0.0.1")
            && text.contains("/fapi/v1/depth?symbol=BTCUSDT&limit=1000")
            && text.ends_with(&format!(
                "is larger than the limit of {MAX_SNAPSHOT_BODY_BYTES} bytes (content-length {})",
                MAX_SNAPSHOT_BODY_BYTES + 1
            )),
        "{text}"
    );
    let (run, c) = run.finish_in_sync();
    assert_eq!(
        (c.oversized, c.snapshot_failures, c.snapshots),
        (2, 2, 1),
        "{c:?}"
    );
    assert_eq!(c.reconnects, 0, "the websocket is not touched");
    assert_eq!(run.synth.depth_times.lock().unwrap().len(), 3);
    assert!(run.feed.shutdown());
}

#[test]
fn rest_429_with_a_huge_retry_after_is_reported_capped_and_not_retried_at_backoff_speed() {
    let opts = SynthOpts {
        diffs: 300,
        rest_faults: vec![(
            429,
            r#"{"code":-1003,"msg":"Too many requests."}"#,
            Some("999999999"),
        )],
        ..SynthOpts::default()
    };
    let run = synth_feed(opts, Collect::new(), |_| {});
    let st = Arc::clone(&run.feed.status);
    assert!(wait_until(Duration::from_secs(5), || st
        .counters()
        .snapshot_failures
        == 1));
    let text = last_error(&st);
    assert!(
        text.contains("http 429") && text.ends_with("asks to wait 999999999 s, capped at 300 s"),
        "{text}"
    );
    // The backoff alone would have asked again within 50 ms; the capped wait is 5 minutes.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(run.synth.depth_times.lock().unwrap().len(), 1);
    assert_ne!(run.feed.status.instruments()[0].state, BookState::Synced);
    let t0 = Instant::now();
    assert!(run.feed.shutdown());
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "a feed waiting out a retry stops promptly"
    );
}
