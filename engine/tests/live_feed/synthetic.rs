//! The synthetic futures venue: sync, disconnects, gaps, stale snapshots, overflow and
//! resync requests.

use super::*;

#[test]
fn synthetic_feed_syncs_and_matches_server_book() {
    let run = synth_feed(
        SynthOpts {
            diffs: 120,
            ..SynthOpts::default()
        },
        Collect::new(),
        |_| {},
    );
    let (run, c) = run.finish_in_sync();
    assert_eq!((c.gaps, c.reconnects, c.snapshots, c.resyncs), (0, 0, 1, 0));
    assert_eq!(run.out.inner.lock().unwrap().trades, 120);
    assert!(run.feed.shutdown());
}

#[test]
fn disconnect_mid_stream_goes_stale_then_resyncs_from_new_snapshot() {
    let opts = SynthOpts {
        diffs: 200,
        close_first_after: Some(60),
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::new(), |_| {}).finish_in_sync();
    assert_eq!(c.reconnects, 1, "{c:?}");
    assert_eq!(c.snapshots, 2, "{c:?}");
    assert_eq!(c.resyncs, 1, "{c:?}");
    assert_eq!(c.gaps, 0);
    let states = run.out.states();
    let stale = position(&states, (BookState::Stale, Some(StaleReason::Disconnected)))
        .expect("stale on disconnect");
    let first_sync = position(&states, (BookState::Synced, None)).unwrap();
    assert!(first_sync < stale);
    assert_eq!(
        states[stale..],
        [
            (BookState::Stale, Some(StaleReason::Disconnected)),
            (BookState::Connecting, None),
            (BookState::Resyncing, None),
            (BookState::Synced, None),
        ]
    );
    assert_eq!(run.out.inner.lock().unwrap().snapshots, 2);
    let conns = run.feed.status.connections();
    assert_eq!(conns[0].connects, 2);
    assert!(run.feed.shutdown());
}

#[test]
fn dropped_diff_is_a_gap_then_new_snapshot_and_synced_again() {
    let opts = SynthOpts {
        diffs: 150,
        drop_diff: Some(50),
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::new(), |_| {}).finish_in_sync();
    assert_eq!(
        (c.gaps, c.snapshots, c.resyncs, c.reconnects),
        (1, 2, 1, 0),
        "{c:?}"
    );
    let states = run.out.states();
    let stale = position(&states, (BookState::Stale, Some(StaleReason::SequenceGap)))
        .expect("stale on gap");
    assert_eq!(
        states[stale + 1..],
        [(BookState::Resyncing, None), (BookState::Synced, None)]
    );
    assert!(
        last_error(&run.feed.status).contains("sequence gap on BTCUSDT"),
        "{:?}",
        run.feed.status.last_error()
    );
    assert_eq!(run.feed.status.instruments()[0].gaps, 1);
    assert!(run.feed.shutdown());
}

#[test]
fn snapshot_older_than_buffered_diffs_is_fetched_again_unseen() {
    let opts = SynthOpts {
        diffs: 150,
        old_snapshot_first: true,
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::new(), |_| {}).finish_in_sync();
    assert_eq!(
        (c.stale_snapshots, c.snapshots, c.gaps, c.resyncs),
        (1, 1, 0, 0),
        "{c:?}"
    );
    assert_eq!(run.synth.depth_times.lock().unwrap().len(), 2);
    assert_eq!(
        run.out.inner.lock().unwrap().snapshots,
        1,
        "the old snapshot never reached the output"
    );
    assert_eq!(
        run.out.states(),
        [
            (BookState::Connecting, None),
            (BookState::Syncing, None),
            (BookState::Synced, None)
        ]
    );
    assert!(run.feed.shutdown());
}

#[test]
fn full_output_marks_stale_and_resyncs() {
    // Pushes 40..45 are refused: a ring that was full for a moment.
    let opts = SynthOpts {
        diffs: 150,
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::refusing(40, 45), |_| {}).finish_in_sync();
    assert_eq!(c.overflows, 1, "{c:?}");
    assert!(c.undelivered >= 1);
    assert_eq!((c.snapshots, c.resyncs, c.gaps), (2, 1, 0), "{c:?}");
    let states = run.out.states();
    let stale = position(
        &states,
        (BookState::Stale, Some(StaleReason::QueueOverflow)),
    )
    .expect("stale marker delivered");
    assert_eq!(
        states[stale + 1..],
        [(BookState::Resyncing, None), (BookState::Synced, None)]
    );
    assert!(run.feed.shutdown());
}

#[test]
fn resync_request_from_outside_takes_a_new_snapshot() {
    let opts = SynthOpts {
        diffs: 250,
        ..SynthOpts::default()
    };
    let run = synth_feed(opts, Collect::new(), |_| {});
    let st = Arc::clone(&run.feed.status);
    assert!(wait_until(Duration::from_secs(5), || st.all_synced()));
    let id = st.instruments()[0].instrument;
    assert!(run.feed.resync_requester().request(id));
    assert!(
        !run.feed.request_resync(ladder_sdk::InstrumentId::new(42)),
        "not carried"
    );
    let (run, c) = run.finish_in_sync();
    assert_eq!(
        (c.resync_requests, c.snapshots, c.resyncs),
        (1, 2, 1),
        "{c:?}"
    );
    assert!(
        position(
            &run.out.states(),
            (BookState::Stale, Some(StaleReason::QueueOverflow))
        )
        .is_some()
    );
    assert!(run.feed.shutdown());
}
