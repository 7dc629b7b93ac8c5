//! Injected faults as the feed sees them: dropped, duplicated and reordered depth, stalls,
//! disconnects.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_drop_every_nth_depth_shows_a_gap_to_the_sequencer() {
    let faults = FaultConfig {
        drop_every: Some(50),
        ..FaultConfig::default()
    };
    let (feed, raw, stats) = faulted_feed(faults, Duration::from_millis(800)).await;
    assert!(stats.faults.dropped >= 5, "{:?}", stats.faults);
    let st = feed.seqs[0].stats();
    assert!(st.gaps >= 1, "{st:?}");
    // On the wire: some diff starts more than one id after the previous one ended.
    assert!(raw.windows(2).any(|w| ids(&w[1]).0 > ids(&w[0]).1 + 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_duplicate_depth_is_dropped_as_a_counted_duplicate_without_a_gap() {
    let faults = FaultConfig {
        duplicate_every: Some(10),
        ..FaultConfig::default()
    };
    let (feed, raw, stats) = faulted_feed(faults, Duration::from_millis(800)).await;
    assert!(stats.faults.duplicated >= 10, "{:?}", stats.faults);
    let st = feed.seqs[0].stats();
    assert_eq!(st.gaps, 0, "{st:?}");
    assert!(st.duplicates >= 10, "{st:?}");
    assert!(
        raw.windows(2).any(|w| w[0] == w[1]),
        "no byte-identical repeat"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_reordered_depth_pair_arrives_swapped() {
    let faults = FaultConfig {
        reorder_every: Some(20),
        ..FaultConfig::default()
    };
    let (feed, raw, stats) = faulted_feed(faults, Duration::from_millis(800)).await;
    assert!(stats.faults.reordered >= 5, "{:?}", stats.faults);
    // Swapped pair: the later diff first (a jump), then the earlier one (going back).
    assert!(raw.windows(2).any(|w| ids(&w[1]).1 < ids(&w[0]).0));
    assert!(feed.seqs[0].stats().gaps >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_stall_sends_nothing_for_its_duration_then_resumes_on_the_same_socket() {
    let sim = sim::start(SimConfig {
        faults: FaultConfig {
            stall: Some(Stall {
                after: Duration::from_millis(400),
                duration: Duration::from_millis(1_200),
            }),
            ..FaultConfig::default()
        },
        ..config(1_000.0)
    })
    .await
    .unwrap();
    let mut ws = ws(&sim, "/ws/btcusdt@depth@0ms").await;
    // Judged on the frames' ids and event times, not on arrival times: a loaded machine reads
    // a backlog late, which hides a silence on the wire. Bounded: 20 s at most.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last: Option<((u64, u64), u64)> = None;
    let mut jump: Option<(u64, u64)> = None;
    let mut after_jump = 0;
    while after_jump < 50 && Instant::now() < deadline {
        let Some(text) = next_text(&mut ws, Duration::from_secs(5)).await else {
            break;
        };
        let now = (ids(&text), event_ms(&text));
        if let Some(((_, prev_u), prev_e)) = last {
            if jump.is_some() {
                after_jump += 1;
            } else if now.0.0 > prev_u + 100 {
                jump = Some((now.0.0 - prev_u - 1, now.1 - prev_e));
            }
        }
        last = Some(now);
    }
    let (skipped_ids, silent_ms) = jump.expect("no stall seen: the ids never jumped");
    assert_eq!(after_jump, 50, "did not resume on the same socket");
    // Events made in the stall's last moments may go out after it when the generator wakes
    // late, so half the stall is the bound; without a stall consecutive frames are ~1 ms apart.
    assert!(
        silent_ms >= 600,
        "event time skipped {silent_ms} ms over the stall"
    );
    let f = sim.stats().faults;
    assert_eq!(f.stalls, 1);
    assert!(f.stalled_messages > 200, "{f:?}");
    assert!(
        skipped_ids >= f.stalled_messages,
        "{skipped_ids} ids skipped, {f:?}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_disconnect_fault_closes_the_socket() {
    let sim = sim::start(SimConfig {
        faults: FaultConfig {
            disconnect_every: Some(Duration::from_millis(500)),
            ..FaultConfig::default()
        },
        ..config(200.0)
    })
    .await
    .unwrap();
    let mut ws = ws(&sim, "/ws/btcusdt@depth@0ms").await;
    let start = Instant::now();
    let closed = timeout(Duration::from_secs(3), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                _ => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "socket still open after 3 s");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(450),
        "closed too early: {took:?}"
    );
    assert_eq!(sim.stats().faults.disconnects, 1);
    sim.shutdown().await;
}
