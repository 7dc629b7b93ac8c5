//! The REST side: exchangeInfo, weights, 429 with Retry-After, 418, unknown symbols.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_rest_exchange_info_weights_429_418_and_errors() {
    let sim = sim::start(SimConfig {
        weight_limit: 120,
        ..config(100.0)
    })
    .await
    .unwrap();
    let base = sim.rest_url.clone();
    let r = get(&base, "/api/v3/ping").await;
    assert_eq!((r.status, r.body.as_str()), (200, "{}"));
    let r = get(&base, "/api/v3/time").await;
    assert!(
        serde_json::from_str::<Value>(&r.body).unwrap()["serverTime"]
            .as_u64()
            .unwrap()
            > 1_700_000_000_000
    );
    let r = get(&base, "/api/v3/exchangeInfo").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-mbx-used-weight-1m"], "22");
    let v: Value = serde_json::from_str(&r.body).unwrap();
    let syms = v["symbols"].as_array().unwrap();
    assert_eq!(syms.len(), 2);
    let btc = &syms[0];
    assert_eq!(
        (
            &btc["symbol"],
            &btc["status"],
            &btc["baseAsset"],
            &btc["quoteAsset"]
        ),
        (
            &"BTCUSDT".into(),
            &"TRADING".into(),
            &"BTC".into(),
            &"USDT".into()
        )
    );
    let filter = |t: &str| {
        btc["filters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["filterType"] == t)
            .unwrap()
            .clone()
    };
    assert_eq!(filter("PRICE_FILTER")["tickSize"], "0.01000000");
    assert_eq!(filter("LOT_SIZE")["stepSize"], "0.00001000");
    let r = get(&base, "/api/v3/exchangeInfo?symbol=ETHUSDT").await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["symbols"][0]["symbol"], "ETHUSDT");
    assert_eq!(v["symbols"].as_array().unwrap().len(), 1);
    let r = get(
        &base,
        "/api/v3/exchangeInfo?symbols=%5B%22ETHUSDT%22,%22BTCUSDT%22%5D",
    )
    .await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["symbols"][1]["symbol"], "BTCUSDT");
    // Weight so far: 1 + 1 + 20 * 3 = 62.
    let r = get(&base, "/api/v3/depth?symbol=DOGEUSDT").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap(),
        serde_json::json!({"code": -1121, "msg": "Invalid symbol."})
    );
    assert_eq!(r.headers["x-mbx-used-weight-1m"], "67");
    let r = get(&base, "/api/v3/depth?symbol=BTCUSDT&limit=1000").await; // 117
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-mbx-used-weight-1m"], "117");
    let r = get(&base, "/api/v3/depth?symbol=BTCUSDT&limit=1000").await; // 167 > 120
    assert_eq!(r.status, 429, "{}", r.body);
    let retry: u64 = r.headers["retry-after"].parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap()["code"],
        -1003
    );
    assert_eq!(sim.stats().rest_rate_limited, 1);
    // 418 on demand, once.
    sim.fail_next_rest(RestFault::Banned, 1);
    let r = get(&base, "/api/v3/ping").await;
    assert_eq!(r.status, 418);
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(sim.stats().faults.rest_418, 1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_rest_429_every_nth_request() {
    let sim = sim::start(SimConfig {
        faults: FaultConfig {
            rest_429_every: Some(3),
            ..FaultConfig::default()
        },
        ..config(50.0)
    })
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(get(&sim.rest_url, "/api/v3/ping").await.status);
    }
    assert_eq!(statuses, [200, 200, 429, 200, 200, 429]);
    assert_eq!(sim.stats().faults.rest_429, 2);
    sim.shutdown().await;
}
