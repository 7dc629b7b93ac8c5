//! The Kraken simulator over real sockets: a raw WebSocket client pings, subscribes and
//! unsubscribes and gets Kraken v2's replies (a refusal per symbol naming it); the book frames
//! it receives go through Kraken's real books with every checksum verified; `AssetPairs` gives
//! the live connector's REST client the simulator's grids.

use super::*;
use ladder_engine::feed::books::{Discard, FeedBooks};
use ladder_engine::feed::{VenueBooks, fetch_instruments};
use rust_decimal::Decimal;

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text.to_owned())).await.unwrap();
}

/// The next text frame that is not a book or trade message, parsed, within 3 s.
async fn next_reply(ws: &mut Ws) -> Value {
    loop {
        let t = next_text(ws, Duration::from_secs(3))
            .await
            .expect("a reply within 3 s");
        let v: Value = serde_json::from_str(&t).unwrap_or_else(|e| panic!("{e}: {t}"));
        if v.get("channel").is_none() {
            return v;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_pongs_acks_refuses_per_symbol_and_its_book_frames_verify_in_krakens_books() {
    let config = SimConfig {
        messages_per_sec: 400.0,
        seed: 3,
        ..SimConfig::for_venue(Venue::Kraken).unwrap()
    };
    let registry = registry(Venue::Kraken, &config.symbols);
    let sim = sim::start(config).await.unwrap();
    let e = sim.endpoints();
    assert!(e.ws_book.ends_with("/v2"), "{}", e.ws_book);
    let specs = fetch_instruments(Venue::Kraken, &e, &["btc/usd".to_owned()])
        .await
        .unwrap();
    assert_eq!(specs[0].0, "BTC/USD");
    assert_eq!(
        (specs[0].1.tick_size(), specs[0].1.lot_size()),
        (Decimal::new(1, 1), Decimal::new(1, 8)),
        "AssetPairs' tick_size and lot_decimals"
    );
    let mut ws = connect_async(&e.ws_book).await.unwrap().0;
    send(&mut ws, r#"{"method":"ping","req_id":101}"#).await;
    let pong = next_reply(&mut ws).await;
    assert_eq!(
        (&pong["method"], &pong["req_id"]),
        (&"pong".into(), &101.into())
    );
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD","XYZ/USD"],"depth":25,"snapshot":true},"req_id":1}"#,
    )
    .await;
    let ack = next_reply(&mut ws).await;
    assert_eq!(ack["success"], true, "{ack}");
    assert_eq!(
        ack["result"],
        serde_json::json!({"channel":"book","depth":25,"snapshot":true,"symbol":"BTC/USD"})
    );
    assert_eq!(ack["req_id"], 1);
    let refusal = next_reply(&mut ws).await;
    assert_eq!(
        (&refusal["success"], &refusal["symbol"], &refusal["error"]),
        (
            &false.into(),
            &"XYZ/USD".into(),
            &"Currency pair not supported XYZ/USD".into()
        ),
        "{refusal}"
    );
    let mut books = VenueBooks::new(Venue::Kraken, &registry);
    let id = registry.find("kraken:BTC/USD").unwrap().id;
    if let VenueBooks::Kraken(b) = &mut books {
        b.set_depth(id, 25);
    }
    let end = Instant::now() + Duration::from_secs(2);
    let mut n = 0;
    while let Some(t) = next_text(&mut ws, end.saturating_duration_since(Instant::now())).await {
        let f = books
            .on_frame(
                &registry,
                UnixNanos::from_nanos(1),
                t.as_bytes(),
                &mut Discard,
            )
            .unwrap_or_else(|e| panic!("{e}: {t}"));
        assert!(f.fault.is_none(), "{t}");
        n += 1;
    }
    let view = books.view(id).unwrap();
    assert_eq!(view.state, ladder_sdk::BookState::Synced);
    assert_eq!(view.stats.faults.total(), 0);
    assert!(
        n > 10 && view.stats.checksums + 1 >= n,
        "{n} frames, {:?}",
        view.stats
    );
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":25},"req_id":2}"#,
    )
    .await;
    assert_eq!(next_reply(&mut ws).await["error"], "Already subscribed");
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["ETH/USD"],"depth":50},"req_id":3}"#,
    )
    .await;
    assert_eq!(next_reply(&mut ws).await["error"], "Unsupported depth 50");
    send(
        &mut ws,
        r#"{"method":"unsubscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":25},"req_id":4}"#,
    )
    .await;
    let unsub = next_reply(&mut ws).await;
    assert_eq!(
        (
            &unsub["method"],
            &unsub["success"],
            &unsub["result"]["symbol"]
        ),
        (&"unsubscribe".into(), &true.into(), &"BTC/USD".into()),
        "{unsub}"
    );
    send(&mut ws, "hello").await;
    assert_eq!(next_reply(&mut ws).await["error"], "Malformed request");
    sim.shutdown().await;
}
