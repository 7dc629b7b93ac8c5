//! The Bybit and OKX simulators over real sockets: a raw WebSocket client subscribes,
//! unsubscribes and pings and gets each venue's replies; the frames it receives go through the
//! real books (`VenueBooks`) with no fault; a bad subscription gets the venue's error reply;
//! the REST instruments and book endpoints answer in the venue's JSON.

use super::*;
use ladder_engine::feed::VenueBooks;
use ladder_engine::feed::books::{Discard, FeedBooks};

fn venue_config(venue: Venue) -> SimConfig {
    SimConfig {
        messages_per_sec: 400.0,
        seed: 3,
        ..SimConfig::for_venue(venue).unwrap()
    }
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text.to_owned())).await.unwrap();
}

/// The next text frame, parsed, within 3 s.
async fn next_json(ws: &mut Ws) -> Value {
    let t = next_text(ws, Duration::from_secs(3))
        .await
        .expect("a frame within 3 s");
    serde_json::from_str(&t).unwrap_or_else(|e| panic!("{e}: {t}"))
}

/// Feeds every frame of `ws` for `run` into `books`; returns the frames seen.
async fn feed_for(ws: &mut Ws, books: &mut VenueBooks, registry: &Registry, run: Duration) -> u64 {
    let end = Instant::now() + run;
    let mut n = 0;
    while let Some(t) = next_text(ws, end.saturating_duration_since(Instant::now())).await {
        let f = books
            .on_frame(
                registry,
                UnixNanos::from_nanos(1),
                t.as_bytes(),
                &mut Discard,
            )
            .unwrap_or_else(|e| panic!("{e}: {t}"));
        assert!(f.fault.is_none(), "{t}");
        n += 1;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bybit_linear_acks_pongs_snapshots_and_deltas_sync_the_real_books() {
    let config = venue_config(Venue::BybitLinear);
    let registry = registry(Venue::BybitLinear, &config.symbols);
    let sim = sim::start(config).await.unwrap();
    let e = sim.endpoints();
    assert!(e.ws_book.ends_with("/v5/public/linear"), "{}", e.ws_book);
    let mut ws = connect_async(&e.ws_book).await.unwrap().0;
    send(&mut ws, r#"{"req_id":"100001","op":"ping"}"#).await;
    let pong = next_json(&mut ws).await;
    assert_eq!(pong["ret_msg"], "pong");
    assert_eq!(
        (&pong["op"], &pong["req_id"]),
        (&"ping".into(), &"100001".into())
    );
    send(
        &mut ws,
        r#"{"req_id":"s1","op":"subscribe","args":["orderbook.50.BTCUSDT","publicTrade.BTCUSDT"]}"#,
    )
    .await;
    let ack = next_text(&mut ws, Duration::from_secs(3)).await.unwrap();
    assert!(
        ack.starts_with(r#"{"success":true,"ret_msg":"","conn_id":""#)
            && ack.ends_with(r#"","req_id":"s1","op":"subscribe"}"#),
        "{ack}"
    );
    let snap = next_json(&mut ws).await;
    assert_eq!(snap["topic"], "orderbook.50.BTCUSDT");
    assert_eq!(snap["type"], "snapshot");
    let u0 = snap["data"]["u"].as_u64().unwrap();
    let mut books = VenueBooks::new(Venue::BybitLinear, &registry);
    books
        .on_frame(
            &registry,
            UnixNanos::from_nanos(1),
            snap.to_string().as_bytes(),
            &mut Discard,
        )
        .unwrap();
    let n = feed_for(&mut ws, &mut books, &registry, Duration::from_secs(2)).await;
    assert!(n > 20, "only {n} frames in 2 s");
    let id = registry.find("bybit-linear:BTCUSDT").unwrap().id;
    let view = books.view(id).unwrap();
    assert_eq!(view.state, ladder_sdk::BookState::Synced);
    assert_eq!(view.stats.faults.total(), 0);
    assert!(view.stats.applied > 10, "{:?}", view.stats);
    // Resync as the live side does: unsubscribe, subscribe, a new snapshot continuing `u`.
    send(
        &mut ws,
        r#"{"op":"unsubscribe","args":["orderbook.50.BTCUSDT"]}"#,
    )
    .await;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":["orderbook.50.BTCUSDT"]}"#,
    )
    .await;
    let mut saw_snapshot = false;
    for _ in 0..200 {
        let v = next_json(&mut ws).await;
        if v["topic"] == "orderbook.50.BTCUSDT" && v["type"] == "snapshot" {
            assert!(v["data"]["u"].as_u64().unwrap() > u0);
            saw_snapshot = true;
            break;
        }
    }
    assert!(saw_snapshot, "a resubscription starts with a snapshot");
    // A second subscribe of the same topic and an unknown symbol are refused.
    send(
        &mut ws,
        r#"{"req_id":"dup","op":"subscribe","args":["orderbook.50.BTCUSDT"]}"#,
    )
    .await;
    send(
        &mut ws,
        r#"{"req_id":"bad","op":"subscribe","args":["orderbook.50.DOGEUSDT"]}"#,
    )
    .await;
    let mut refusals = Vec::new();
    for _ in 0..400 {
        let v = next_json(&mut ws).await;
        if v["success"] == false {
            refusals.push(v["ret_msg"].as_str().unwrap().to_owned());
            if refusals.len() == 2 {
                break;
            }
        }
    }
    assert_eq!(
        refusals,
        [
            "error:already subscribed,topic:orderbook.50.BTCUSDT",
            "Invalid symbol :[orderbook.50.DOGEUSDT]"
        ]
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bybit_spot_acks_without_req_id_and_refuses_more_than_10_args() {
    let sim = sim::start(venue_config(Venue::BybitSpot)).await.unwrap();
    let mut ws = connect_async(&sim.endpoints().ws_book).await.unwrap().0;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":["publicTrade.BTCUSDT"]}"#,
    )
    .await;
    let ack = next_text(&mut ws, Duration::from_secs(3)).await.unwrap();
    assert!(
        ack.starts_with(r#"{"success":true,"ret_msg":"subscribe","conn_id":""#)
            && ack.ends_with(r#"","op":"subscribe"}"#)
            && !ack.contains("req_id"),
        "{ack}"
    );
    send(&mut ws, r#"{"op":"ping"}"#).await;
    let args: Vec<String> = (0..11)
        .map(|_| "\"publicTrade.ETHUSDT\"".to_owned())
        .collect();
    send(
        &mut ws,
        &format!(r#"{{"op":"subscribe","args":[{}]}}"#, args.join(",")),
    )
    .await;
    let mut seen = (false, false);
    for _ in 0..400 {
        let v = next_json(&mut ws).await;
        if v["ret_msg"] == "pong" {
            assert!(v.get("req_id").is_none(), "{v}");
            seen.0 = true;
        }
        if v["success"] == false {
            assert_eq!(v["ret_msg"], "args size >10");
            seen.1 = true;
        }
        if seen == (true, true) {
            break;
        }
    }
    assert_eq!(seen, (true, true));
    assert!(
        connect_async(format!("{}/v5/public/linear", sim.ws_url))
            .await
            .is_err()
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okx_acks_pongs_snapshots_and_updates_sync_the_real_books_with_checksums() {
    let config = venue_config(Venue::Okx);
    let registry = registry(Venue::Okx, &config.symbols);
    let sim = sim::start(config).await.unwrap();
    let e = sim.endpoints();
    assert!(e.ws_book.ends_with("/ws/v5/public"), "{}", e.ws_book);
    let mut ws = connect_async(&e.ws_book).await.unwrap().0;
    send(&mut ws, "ping").await;
    assert_eq!(
        next_text(&mut ws, Duration::from_secs(3)).await.unwrap(),
        "pong"
    );
    send(
        &mut ws,
        r#"{"id":"7","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT-SWAP"},{"channel":"trades","instId":"BTC-USDT-SWAP"}]}"#,
    )
    .await;
    for ch in ["books", "trades"] {
        let ack = next_text(&mut ws, Duration::from_secs(3)).await.unwrap();
        let want = format!(
            r#"{{"id":"7","event":"subscribe","arg":{{"channel":"{ch}","instId":"BTC-USDT-SWAP"}},"connId":""#
        );
        assert!(ack.starts_with(&want), "{ack}");
    }
    let snap = next_json(&mut ws).await;
    assert_eq!(snap["action"], "snapshot");
    assert_eq!(snap["data"][0]["prevSeqId"], -1);
    assert_ne!(snap["data"][0]["checksum"], 0);
    let mut books = VenueBooks::new(Venue::Okx, &registry);
    books
        .on_frame(
            &registry,
            UnixNanos::from_nanos(1),
            snap.to_string().as_bytes(),
            &mut Discard,
        )
        .unwrap();
    let n = feed_for(&mut ws, &mut books, &registry, Duration::from_secs(2)).await;
    assert!(n > 10, "only {n} frames in 2 s");
    let id = registry.find("okx:BTC-USDT-SWAP").unwrap().id;
    let view = books.view(id).unwrap();
    assert_eq!(view.state, ladder_sdk::BookState::Synced);
    assert_eq!(view.stats.faults.total(), 0);
    assert!(view.stats.checksums > 10, "{:?}", view.stats);
    // Errors: an unknown instrument, an unknown channel, a request that is not JSON.
    send(
        &mut ws,
        r#"{"id":"8","op":"subscribe","args":[{"channel":"books","instId":"DOGE-USDT"}]}"#,
    )
    .await;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"}]}"#,
    )
    .await;
    send(&mut ws, "hello").await;
    let mut codes = Vec::new();
    for _ in 0..400 {
        let v = next_json(&mut ws).await;
        if v["event"] == "error" {
            codes.push(v["code"].as_str().unwrap().to_owned());
            if codes.len() == 1 {
                assert_eq!(v["id"], "8");
                assert!(
                    v["msg"]
                        .as_str()
                        .unwrap()
                        .contains("channel:books,instId:DOGE-USDT doesn't exist"),
                    "{v}"
                );
            }
            if codes.len() == 3 {
                break;
            }
        }
    }
    assert_eq!(codes, ["60018", "60018", "60012"]);
    send(
        &mut ws,
        r#"{"op":"unsubscribe","args":[{"channel":"books","instId":"BTC-USDT-SWAP"}]}"#,
    )
    .await;
    let mut unsubscribed = false;
    for _ in 0..400 {
        let v = next_json(&mut ws).await;
        if v["event"] == "unsubscribe" {
            assert_eq!(v["arg"]["channel"], "books");
            unsubscribed = true;
            break;
        }
    }
    assert!(unsubscribed);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okx_and_bybit_rest_answer_instruments_and_books_in_the_venues_json() {
    let sim = sim::start(venue_config(Venue::Okx)).await.unwrap();
    let r = get(&sim.rest_url, "/api/v5/public/instruments?instType=SWAP").await;
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["code"], "0");
    let list = v["data"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (&list[0]["instId"], &list[0]["tickSz"], &list[0]["lotSz"]),
        (&"BTC-USDT-SWAP".into(), &"0.1".into(), &"0.01".into())
    );
    let r = get(&sim.rest_url, "/api/v5/public/instruments").await;
    assert!(r.body.contains(r#""code":"50014""#), "{}", r.body);
    let r = get(&sim.rest_url, "/api/v5/market/books?instId=BTC-USDT&sz=5").await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    let book = &v["data"][0];
    assert_eq!(book["bids"].as_array().unwrap().len(), 5);
    assert_eq!(book["asks"][0].as_array().unwrap().len(), 4);
    assert!(book["seqId"].as_u64().unwrap() > 0);
    let r = get(&sim.rest_url, "/api/v5/market/books?instId=NOPE-USDT").await;
    assert!(r.body.contains(r#""code":"51001""#), "{}", r.body);
    sim.shutdown().await;

    let sim = sim::start(venue_config(Venue::BybitLinear)).await.unwrap();
    let r = get(
        &sim.rest_url,
        "/v5/market/instruments-info?category=linear&symbol=BTCUSDT",
    )
    .await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!((&v["retCode"], &v["retMsg"]), (&0.into(), &"OK".into()));
    let i = &v["result"]["list"][0];
    assert_eq!(
        (
            &i["symbol"],
            &i["priceFilter"]["tickSize"],
            &i["lotSizeFilter"]["qtyStep"]
        ),
        (&"BTCUSDT".into(), &"0.10".into(), &"0.001".into())
    );
    let r = get(&sim.rest_url, "/v5/market/instruments-info?category=spot").await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["result"]["list"].as_array().unwrap().len(), 0);
    let r = get(&sim.rest_url, "/v5/market/instruments-info").await;
    assert!(r.body.contains(r#""retCode":10001"#), "{}", r.body);
    sim.shutdown().await;
}

#[test]
fn sim_connection_resolves_okx_and_bybit_endpoints_and_instruments() {
    let okx = sim::SimConnection::start(venue_config(Venue::Okx)).unwrap();
    assert_eq!(okx.venue, Venue::Okx);
    assert!(okx.endpoints.ws_book.ends_with("/ws/v5/public"));
    assert!(okx.endpoints.rest.starts_with("http://127.0.0.1:"));
    let swap = okx.registry.find("okx:BTC-USDT-SWAP").unwrap();
    assert_eq!(swap.spec.lot_size().to_string(), "0.01");
    okx.running.stop();
    let bybit = sim::SimConnection::start(venue_config(Venue::BybitInverse)).unwrap();
    assert!(bybit.endpoints.ws_book.ends_with("/v5/public/inverse"));
    assert!(bybit.registry.find("bybit-inverse:BTCUSD").is_ok());
    bybit.running.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okx_without_stream_snapshots_sends_updates_only_and_the_rest_book_joins_them() {
    let config = SimConfig {
        stream_snapshots: false,
        ..venue_config(Venue::Okx)
    };
    let registry = registry(Venue::Okx, &config.symbols);
    let sim = sim::start(config).await.unwrap();
    let mut ws = connect_async(&sim.endpoints().ws_book).await.unwrap().0;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}"#,
    )
    .await;
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["event"], "subscribe");
    let first = next_text(&mut ws, Duration::from_secs(3)).await.unwrap();
    assert!(first.contains(r#""action":"update""#), "{first}");
    let mut books = VenueBooks::new(Venue::Okx, &registry);
    let id = registry.find("okx:BTC-USDT").unwrap().id;
    let ts = UnixNanos::from_nanos(1);
    books
        .on_frame(&registry, ts, first.as_bytes(), &mut Discard)
        .unwrap();
    assert!(books.needs_snapshot(id) && books.has_pending(id));
    let r = get(&sim.rest_url, "/api/v5/market/books?instId=BTC-USDT&sz=400").await;
    books
        .on_snapshot_body(&registry, id, ts, r.body.as_bytes(), &mut Discard)
        .unwrap();
    feed_for(&mut ws, &mut books, &registry, Duration::from_secs(2)).await;
    let view = books.view(id).unwrap();
    assert_eq!(view.state, ladder_sdk::BookState::Synced);
    assert_eq!(view.stats.faults.total(), 0);
    assert!(view.stats.applied > 10, "{:?}", view.stats);
    sim.shutdown().await;
}
