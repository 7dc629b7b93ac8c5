//! The Coinbase Advanced Trade simulator over real sockets: a raw WebSocket client subscribes
//! one channel a message and gets `subscriptions` acks, `level2` snapshots and updates,
//! `market_trades` and heartbeats that the real books (`VenueBooks`) take with no fault, each
//! connection numbering its messages `sequence_num` 0, 1, 2, ... on its own; the skip fault
//! leaves out one number every Nth message, a fault of every book on the connection; a bad
//! product gets the venue's error; the products endpoint answers in the venue's JSON.

use super::*;
use ladder_engine::feed::VenueBooks;
use ladder_engine::feed::books::{Discard, FeedBooks};

fn coinbase(faults: FaultConfig) -> SimConfig {
    SimConfig {
        messages_per_sec: 400.0,
        seed: 3,
        faults,
        ..SimConfig::for_venue(Venue::Coinbase).unwrap()
    }
}

/// Connects and subscribes `level2`, `market_trades` and `heartbeats` for BTC-USD and ETH-USD.
async fn subscribed(sim: &sim::SimHandle) -> Ws {
    let mut ws = connect_async(&sim.endpoints().ws_book).await.unwrap().0;
    for channel in ["level2", "market_trades", "heartbeats"] {
        let text = format!(
            r#"{{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"{channel}"}}"#
        );
        ws.send(Message::text(text)).await.unwrap();
    }
    ws
}

/// Every text frame of `ws` for `run`, parsed.
async fn frames(ws: &mut Ws, run: Duration) -> Vec<(String, Value)> {
    let end = Instant::now() + run;
    let mut out = Vec::new();
    while let Some(t) = next_text(ws, end.saturating_duration_since(Instant::now())).await {
        let v: Value = serde_json::from_str(&t).unwrap_or_else(|e| panic!("{e}: {t}"));
        out.push((t, v));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_frames_number_each_connection_from_0_and_sync_the_real_books() {
    let config = coinbase(FaultConfig::default());
    let registry = registry(Venue::Coinbase, &config.symbols);
    let sim = sim::start(config).await.unwrap();
    let (mut a, mut b) = (subscribed(&sim).await, subscribed(&sim).await);
    let (fa, fb) = tokio::join!(
        frames(&mut a, Duration::from_millis(2500)),
        frames(&mut b, Duration::from_millis(2500))
    );
    for got in [&fa, &fb] {
        let numbers: Vec<u64> = got
            .iter()
            .map(|(_, v)| v["sequence_num"].as_u64().unwrap())
            .collect();
        assert_eq!(
            numbers,
            (0..numbers.len() as u64).collect::<Vec<_>>(),
            "one count per connection, from 0"
        );
        let count = |channel: &str| got.iter().filter(|(_, v)| v["channel"] == channel).count();
        assert_eq!(got[0].1["channel"], "subscriptions");
        assert_eq!(count("subscriptions"), 3, "one ack per subscribe message");
        assert!(count("heartbeats") >= 2, "a heartbeat a second");
        assert!(count("l2_data") > 10 && count("market_trades") > 0);
        let snapshots = got
            .iter()
            .filter(|(_, v)| v["events"][0]["type"] == "snapshot" && v["channel"] == "l2_data")
            .count();
        assert_eq!(snapshots, 2, "one snapshot per product");
        let mut books = VenueBooks::new(Venue::Coinbase, &registry);
        for (t, _) in got {
            let f = books
                .on_frame(
                    &registry,
                    UnixNanos::from_nanos(1),
                    t.as_bytes(),
                    &mut Discard,
                )
                .unwrap_or_else(|e| panic!("{e}: {t}"));
            assert!(f.fault.is_none(), "{t}");
        }
        for &id in books.instruments() {
            let v = books.view(id).unwrap();
            assert_eq!(v.state, ladder_sdk::BookState::Synced);
            assert!(v.stats.applied > 0);
        }
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_seq_break_skips_one_number_every_nth_message_a_fault_of_both_books() {
    let config = coinbase(FaultConfig {
        seq_break_every: Some(10),
        ..FaultConfig::default()
    });
    let registry = registry(Venue::Coinbase, &config.symbols);
    let sim = sim::start(config).await.unwrap();
    let mut ws = subscribed(&sim).await;
    let got = frames(&mut ws, Duration::from_millis(2000)).await;
    assert!(got.len() >= 40, "{} frames", got.len());
    let numbers: Vec<u64> = got
        .iter()
        .map(|(_, v)| v["sequence_num"].as_u64().unwrap())
        .collect();
    for (k, pair) in numbers.windows(2).enumerate() {
        // Message k + 2 (1-based) is the 10th, 20th, ...: one number left out before it.
        let step = if (k + 2) % 10 == 0 { 2 } else { 1 };
        assert_eq!(pair[1], pair[0] + step, "message {}: {numbers:?}", k + 2);
    }
    let mut books = VenueBooks::new(Venue::Coinbase, &registry);
    let mut connection_faults = 0;
    for (t, _) in &got {
        let f = books
            .on_frame(
                &registry,
                UnixNanos::from_nanos(1),
                t.as_bytes(),
                &mut Discard,
            )
            .unwrap();
        if f.fault.is_some() {
            assert_eq!(
                f.instrument, None,
                "a fault of the connection, not one book"
            );
            connection_faults += 1;
        }
    }
    assert_eq!(connection_faults, (got.len() as u64) / 10);
    for &id in books.instruments() {
        let gaps = books.view(id).unwrap().stats.gaps;
        assert_eq!(gaps, connection_faults, "every book counts every skip");
    }
    assert!(sim.stats().faults.seq_breaks >= connection_faults);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_bad_product_is_the_venues_error_and_products_endpoint_answers() {
    let sim = sim::start(coinbase(FaultConfig::default())).await.unwrap();
    let mut ws = connect_async(&sim.endpoints().ws_book).await.unwrap().0;
    let text = r#"{"type":"subscribe","product_ids":["BTC-USD","NOPE-USD"],"channel":"level2"}"#;
    ws.send(Message::text(text)).await.unwrap();
    let reply = next_text(&mut ws, Duration::from_secs(3)).await.unwrap();
    let v: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(
        (v["type"].as_str(), v["message"].as_str()),
        (Some("error"), Some("failure to subscribe")),
        "{reply}"
    );
    assert!(
        next_text(&mut ws, Duration::from_millis(400))
            .await
            .is_none(),
        "one bad product subscribes none"
    );
    let r = get(&sim.rest_url, "/api/v3/brokerage/market/products/BTC-USD").await;
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        (
            &v["product_id"],
            &v["price_increment"],
            &v["base_increment"]
        ),
        (&"BTC-USD".into(), &"0.01".into(), &"0.00000001".into())
    );
    let r = get(&sim.rest_url, "/api/v3/brokerage/market/products/NOPE-USD").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("NOT_FOUND"), "{}", r.body);
    sim.shutdown().await;
}
