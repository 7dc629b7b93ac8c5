//! Binance REST as the simulator serves it, under `/api/v3` (spot) or `/fapi/v1` (USD-M):
//!
//! | path | weight | body |
//! |---|---|---|
//! | `ping` | 1 | `{}` |
//! | `time` | 1 | `{"serverTime":..}` |
//! | `depth?symbol=S&limit=N` | the feed's table (`docs/venues.md` §1.3, §2.2) | spot `{"lastUpdateId","bids","asks"}`; USD-M adds `"E"`, `"T"` |
//! | `exchangeInfo` | the feed's (spot 20, USD-M 1) | the real shape, abridged; spot filters by `symbol` / `symbols`, USD-M lists every symbol |
//! | `ticker/bookTicker?symbol=S` | 2 (USD-M without a symbol: 5) | `{"symbol","bidPrice","bidQty","askPrice","askQty"}`; USD-M adds `"time"` |
//!
//! Limits: spot 1-5000 (default 100); USD-M 5, 10, 20, 50, 100, 500, 1000 (default 500). An
//! unknown symbol is HTTP 400 `{"code":-1121,"msg":"Invalid symbol."}`.

use super::wire::{self, SnapshotTimes};
use super::{Binance, Sides};
use crate::feed::binance::endpoints::{
    depth_weight, exchange_info_weight, rest_paths, valid_depth_limit,
};
use crate::sim::rest::{Reply, reply};
use crate::sim::{Shared, SimSymbol, SymbolMarket, now_ms};
use ladder_sdk::Side;
use serde_json::{Value, json};

fn api_error(status: u16, code: i64, msg: &str) -> Reply {
    reply(status, json!({"code": code, "msg": msg}).to_string())
}

/// HTTP 429, as past the weight limit.
pub(crate) fn too_many_requests(limit: u32, retry_after: u64) -> Reply {
    let mut r = api_error(
        429,
        -1003,
        &format!(
            "Too much request weight used; current limit is {limit} request weight per 1 MINUTE. \
             Please use WebSocket Streams for live updates to avoid polling the API."
        ),
    );
    r.retry_after = Some(retry_after);
    r
}

/// HTTP 418, as for a banned IP.
pub(crate) fn banned(until_ms: u64) -> Reply {
    let mut r = api_error(
        418,
        -1003,
        &format!(
            "Way too much request weight used; IP banned until {until_ms}. Please use WebSocket \
             Streams for live updates to avoid bans."
        ),
    );
    r.retry_after = Some(120);
    r
}

fn param<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
    query.iter().find(|q| q.0 == key).map(|q| q.1.as_str())
}

impl Binance {
    /// `/api/v3` or `/fapi/v1`, from the feed's REST paths.
    fn base(self) -> &'static str {
        let depth = rest_paths(self.venue).depth;
        depth.strip_suffix("/depth").unwrap_or(depth)
    }

    fn default_limit(self) -> u32 {
        if self.futures { 500 } else { 100 }
    }

    pub(crate) fn rest_weight(
        self,
        method: &str,
        path: &str,
        query: &[(String, String)],
    ) -> Result<u32, Reply> {
        if method != "GET" {
            return Err(api_error(
                405,
                -1000,
                "Only GET is supported by the simulated venue.",
            ));
        }
        let paths = rest_paths(self.venue);
        let Some(tail) = path.strip_prefix(self.base()) else {
            return Err(api_error(404, -1000, &format!("Unknown endpoint {path}.")));
        };
        Ok(match tail {
            "/ping" | "/time" => 1,
            "/ticker/bookTicker" if self.futures && param(query, "symbol").is_none() => 5,
            "/ticker/bookTicker" => 2,
            _ if path == paths.exchange_info => exchange_info_weight(self.venue),
            _ if path == paths.depth => {
                let limit = param(query, "limit").and_then(|l| l.parse().ok());
                depth_weight(self.venue, limit.unwrap_or(self.default_limit()))
            }
            _ => return Err(api_error(404, -1000, &format!("Unknown endpoint {path}."))),
        })
    }

    pub(crate) fn weight_headers(self, used: u32) -> Vec<(&'static str, String)> {
        if self.futures {
            vec![("X-MBX-USED-WEIGHT-1M", used.to_string())]
        } else {
            vec![
                ("X-MBX-USED-WEIGHT-1m", used.to_string()),
                ("X-MBX-USED-WEIGHT", used.to_string()),
            ]
        }
    }

    pub(crate) fn rest_answer(
        self,
        shared: &Shared,
        path: &str,
        query: &[(String, String)],
    ) -> Reply {
        let market = |symbol: Option<&str>| -> Result<&SymbolMarket, Reply> {
            let Some(s) = symbol.filter(|s| !s.is_empty()) else {
                return Err(api_error(
                    400,
                    -1102,
                    "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
                ));
            };
            shared
                .markets
                .iter()
                .find(|m| m.wire.symbol == s)
                .ok_or_else(|| api_error(400, -1121, "Invalid symbol."))
        };
        let paths = rest_paths(self.venue);
        let answer = match path.strip_prefix(self.base()).unwrap_or(path) {
            "/ping" => Ok(reply(200, "{}".into())),
            "/time" => Ok(reply(200, json!({"serverTime": now_ms()}).to_string())),
            "/ticker/bookTicker" => {
                market(param(query, "symbol")).map(|m| self.book_ticker_body(m))
            }
            _ if path == paths.depth => market(param(query, "symbol"))
                .and_then(|m| self.depth_body(m, param(query, "limit"))),
            _ if path == paths.exchange_info => self.exchange_info_body(shared, query, &market),
            _ => Err(api_error(404, -1000, "Unknown endpoint.")),
        };
        answer.unwrap_or_else(|r| r)
    }

    fn depth_body(self, m: &SymbolMarket, limit: Option<&str>) -> Result<Reply, Reply> {
        let limit = match limit.map(str::parse::<u32>) {
            None => self.default_limit(),
            Some(Ok(l)) if self.futures && valid_depth_limit(self.venue, l) => l,
            Some(Ok(l)) if !self.futures && (1..=5000).contains(&l) => l,
            Some(_) if self.futures => {
                return Err(api_error(
                    400,
                    -1130,
                    "Data sent for parameter 'limit' is not valid.",
                ));
            }
            Some(_) => {
                return Err(api_error(
                    400,
                    -1100,
                    "Illegal characters found in parameter 'limit'; legal range is '1'-'5000'.",
                ));
            }
        };
        Ok(reply(200, self.depth_text(m, limit as usize, now_ms())))
    }

    /// The depth body of `m` with `limit` levels per side, taken under the model's lock (so it
    /// sits between two events), answered at `now_ms`.
    pub(crate) fn depth_text(self, m: &SymbolMarket, limit: usize, now_ms: u64) -> String {
        let (id, bids, asks) = {
            let model = m.model();
            (
                self.wire_id(model.update_id()),
                model.levels(Side::Buy, limit),
                model.levels(Side::Sell, limit),
            )
        };
        let mut body = String::with_capacity(64 + 48 * (bids.len() + asks.len()));
        let book = Sides {
            bids: &bids,
            asks: &asks,
        };
        if self.futures {
            let times = SnapshotTimes {
                event_ms: now_ms,
                tx_ms: now_ms,
            };
            wire::futures_depth_snapshot(&mut body, &m.wire.fmt, id, times, book);
        } else {
            wire::depth_snapshot(&mut body, &m.wire.fmt, id, book);
        }
        body
    }

    fn book_ticker_body(self, m: &SymbolMarket) -> Reply {
        let (bid, ask) = {
            let model = m.model();
            (model.best_bid(), model.best_ask())
        };
        let (bp, bq) = bid.unwrap_or((0, 0));
        let (ap, aq) = ask.unwrap_or((0, 0));
        let f = &m.wire.fmt;
        let mut body = json!({
            "symbol": m.wire.symbol,
            "bidPrice": f.price_text(bp),
            "bidQty": f.qty_text(bq),
            "askPrice": f.price_text(ap),
            "askQty": f.qty_text(aq),
        });
        if self.futures {
            body["time"] = json!(now_ms());
        }
        reply(200, body.to_string())
    }

    fn exchange_info_body<'s>(
        self,
        shared: &'s Shared,
        query: &[(String, String)],
        market: &dyn Fn(Option<&str>) -> Result<&'s SymbolMarket, Reply>,
    ) -> Result<Reply, Reply> {
        let all = || shared.markets.iter().map(|m| &m.symbol).collect::<Vec<_>>();
        if self.futures {
            // USD-M ignores any filter and lists every symbol.
            let body = futures_exchange_info(&all(), now_ms(), shared.config.weight_limit);
            return Ok(reply(200, body.to_string()));
        }
        let wanted: Vec<String> = match (param(query, "symbol"), param(query, "symbols")) {
            (Some(s), _) => vec![s.to_owned()],
            (None, Some(list)) => serde_json::from_str::<Vec<String>>(list).map_err(|_| {
                api_error(
                    400,
                    -1100,
                    "Illegal characters found in parameter 'symbols'; legal range is \
                     '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.",
                )
            })?,
            (None, None) => all().iter().map(|s| s.symbol.clone()).collect(),
        };
        let symbols = wanted
            .iter()
            .map(|w| market(Some(w)).map(|m| &m.symbol))
            .collect::<Result<Vec<_>, _>>()?;
        let body = spot_exchange_info(&symbols, now_ms(), shared.config.weight_limit);
        Ok(reply(200, body.to_string()))
    }
}

/// `value` as a string with exactly 8 decimals (spot's exchangeInfo numbers).
fn e8(value: rust_decimal::Decimal) -> String {
    let mut v = value.normalize();
    if v.scale() > 8 {
        return "0.00000000".to_owned();
    }
    v.rescale(8);
    v.to_string()
}

/// The spot `GET /api/v3/exchangeInfo` body for `symbols` (abridged to the fields a
/// market-data client reads, plus the common static ones).
fn spot_exchange_info(symbols: &[&SimSymbol], server_time_ms: u64, weight_limit: u32) -> Value {
    let list: Vec<Value> = symbols
        .iter()
        .map(|s| {
            let tick = e8(s.tick_size);
            let step = e8(s.lot_size);
            json!({
                "symbol": s.symbol,
                "status": "TRADING",
                "baseAsset": s.base_asset,
                "baseAssetPrecision": 8,
                "quoteAsset": s.quote_asset,
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8,
                "quoteCommissionPrecision": 8,
                "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                               "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
                "icebergAllowed": true,
                "ocoAllowed": true,
                "otoAllowed": true,
                "quoteOrderQtyMarketAllowed": true,
                "allowTrailingStop": true,
                "cancelReplaceAllowed": true,
                "isSpotTradingAllowed": true,
                "isMarginTradingAllowed": false,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000",
                     "tickSize": tick},
                    {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000.00000000",
                     "stepSize": step},
                    {"filterType": "MIN_NOTIONAL", "minNotional": "5.00000000",
                     "applyMinToMarket": true, "avgPriceMins": 5},
                    {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
                ],
                "permissions": [],
                "permissionSets": [["SPOT"]],
                "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
                "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
            })
        })
        .collect();
    json!({
        "timezone": "UTC",
        "serverTime": server_time_ms,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
             "limit": weight_limit},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5,
             "limit": 61000},
        ],
        "exchangeFilters": [],
        "symbols": list,
    })
}

/// The USD-M `GET /fapi/v1/exchangeInfo` body (abridged likewise): perpetual contracts, grids
/// written with the venue's precision (`"tickSize":"0.10"`, `"pricePrecision":2`).
fn futures_exchange_info(symbols: &[&SimSymbol], server_time_ms: u64, weight_limit: u32) -> Value {
    let list: Vec<Value> = symbols
        .iter()
        .map(|s| {
            let tick = s.tick_size.to_string();
            let step = s.lot_size.to_string();
            json!({
                "symbol": s.symbol,
                "pair": s.symbol,
                "contractType": "PERPETUAL",
                "deliveryDate": 4_133_404_800_000u64,
                "onboardDate": 1_569_398_400_000u64,
                "status": "TRADING",
                "baseAsset": s.base_asset,
                "quoteAsset": s.quote_asset,
                "marginAsset": s.quote_asset,
                "pricePrecision": s.tick_size.scale(),
                "quantityPrecision": s.lot_size.scale(),
                "baseAssetPrecision": 8,
                "quotePrecision": 8,
                "underlyingType": "COIN",
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000",
                     "tickSize": tick},
                    {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "1000",
                     "stepSize": step},
                    {"filterType": "MARKET_LOT_SIZE", "minQty": step, "maxQty": "120",
                     "stepSize": step},
                    {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                    {"filterType": "MIN_NOTIONAL", "notional": "100"},
                ],
                "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT",
                               "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
                "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
            })
        })
        .collect();
    json!({
        "timezone": "UTC",
        "serverTime": server_time_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
             "limit": weight_limit},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
        ],
        "exchangeFilters": [],
        "symbols": list,
    })
}
