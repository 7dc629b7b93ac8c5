//! `ladder sim`: run the built-in simulated venue on its own, serving one venue's wire format
//! (`--venue`, default binance-spot; the choices are the venues of `Venue::ALL` the simulator
//! has an encoder for).
//!
//! Prints the WebSocket and REST URLs, then a status line every few seconds; stops on Ctrl-C
//! or after `--duration`.

use crate::feed::Venue;
use crate::sim::{self, FaultConfig, SimConfig, Stall};
use anyhow::Context as _;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// `--venue` of the simulator: the names of [`Venue::ALL`] it serves.
pub(super) fn sim_venue_parser() -> impl clap::builder::TypedValueParser<Value = Venue> {
    let names: Vec<&'static str> = Venue::ALL
        .into_iter()
        .filter(|v| sim::serves(*v))
        .map(Venue::name)
        .collect();
    PossibleValuesParser::new(names).try_map(|s| s.parse::<Venue>())
}

/// Arguments of `ladder sim`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The venue whose wire format to serve.
    #[arg(long, value_parser = sim_venue_parser(), default_value = "binance-spot")]
    venue: Venue,
    /// Symbols: the venue's presets (Binance spot: BTCUSDT, ETHUSDT, SOLUSDT, BNBUSDT,
    /// XRPUSDT; USD-M: BTCUSDT, ETHUSDT; Bybit spot: BTCUSDT, ETHUSDT, SOLUSDT; linear:
    /// BTCUSDT, ETHUSDT, XRPUSDT; inverse: BTCUSD, ETHUSD; OKX: BTC-USDT, BTC-USDT-SWAP,
    /// ETH-USDT, ETH-USDT-SWAP; Kraken: BTC/USD, ETH/USD, SOL/USD) or SYMBOL:TICK:LOT:PRICE.
    /// Default: the first two.
    #[arg(long, value_delimiter = ',')]
    symbols: Vec<String>,
    /// Book events per second over all symbols.
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Seed of the order-flow models.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// WebSocket port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    ws_port: u16,
    /// REST port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    rest_port: u16,
    /// Drop every Nth diff-depth message of each connection.
    #[arg(long, value_name = "N")]
    drop_every: Option<u64>,
    /// Send every Nth diff-depth message twice.
    #[arg(long, value_name = "N")]
    duplicate_every: Option<u64>,
    /// Swap every Nth diff-depth message with the next one of its stream.
    #[arg(long, value_name = "N")]
    reorder_every: Option<u64>,
    /// Close each connection this many seconds after it opened.
    #[arg(long, value_name = "SECS")]
    disconnect_every: Option<f64>,
    /// Stall each connection this many seconds after it opened...
    #[arg(long, value_name = "SECS", requires = "stall_for")]
    stall_after: Option<f64>,
    /// ... for this many seconds (no data; the socket stays open).
    #[arg(long, value_name = "SECS", requires = "stall_after")]
    stall_for: Option<f64>,
    /// Answer every Nth REST request with HTTP 429.
    #[arg(long, value_name = "N")]
    rest_429_every: Option<u64>,
    /// Bybit: every Nth book message of a topic is a `u = 1` restart snapshot.
    #[arg(long, value_name = "N")]
    restart_every: Option<u64>,
    /// OKX and Kraken: every Nth book message of a channel carries a wrong checksum.
    #[arg(long, value_name = "N")]
    bad_checksum_every: Option<u64>,
    /// OKX: every Nth book message of a channel breaks the `prevSeqId` chain; Coinbase: every
    /// Nth message of a connection skips one `sequence_num`.
    #[arg(long, value_name = "N")]
    seq_break_every: Option<u64>,
    /// OKX: no snapshot in the stream on the incremental channels (as OKX announced for 2026):
    /// clients join the updates to `/api/v5/market/books`.
    #[arg(long)]
    no_stream_snapshots: bool,
    /// REST request weight allowed per window (default: the venue's; Binance spot 6000 and
    /// USD-M 2400 per minute, Bybit 600 per 5 s, OKX 40 per 2 s, Kraken 15 per 15 s).
    #[arg(long)]
    weight_limit: Option<u32>,
    /// Stop after this long (`90s`, `5m`, `1h`, `500ms`; a bare number is seconds).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Seconds between status lines.
    #[arg(long, default_value_t = 5.0)]
    report_every: f64,
}

/// `"90s"`, `"5m"`, `"1h"`, `"500ms"` or `"12.5"` (seconds).
pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| c.is_ascii_alphabetic())
        .map_or((s, "s"), |i| s.split_at(i));
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 90s, 5m, 1h or 500ms"))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" => v * 60.0,
        "h" => v * 3600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?}; use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{s:?} is not a valid duration"))
}

fn secs(what: &str, v: Option<f64>) -> anyhow::Result<Option<Duration>> {
    v.map(|s| {
        Duration::try_from_secs_f64(s)
            .map_err(|_| anyhow::anyhow!("--{what} {s} is not a valid number of seconds"))
    })
    .transpose()
}

fn config(args: &Args) -> anyhow::Result<SimConfig> {
    let base = SimConfig::for_venue(args.venue)?.with_symbols(&args.symbols)?;
    let stall = match (
        secs("stall-after", args.stall_after)?,
        secs("stall-for", args.stall_for)?,
    ) {
        (Some(after), Some(duration)) => Some(Stall { after, duration }),
        _ => None,
    };
    Ok(SimConfig {
        messages_per_sec: args.rate,
        seed: args.seed,
        ws_port: args.ws_port,
        rest_port: args.rest_port,
        weight_limit: args.weight_limit.unwrap_or(base.weight_limit),
        stream_snapshots: !args.no_stream_snapshots,
        faults: FaultConfig {
            drop_every: args.drop_every,
            duplicate_every: args.duplicate_every,
            reorder_every: args.reorder_every,
            disconnect_every: secs("disconnect-every", args.disconnect_every)?,
            stall,
            rest_429_every: args.rest_429_every,
            rest_418_every: None,
            restart_every: args.restart_every,
            bad_checksum_every: args.bad_checksum_every,
            seq_break_every: args.seq_break_every,
        },
        ..base
    })
}

/// The venue faults injected so far, for the status line (empty when none).
fn venue_faults(f: &sim::FaultStats) -> String {
    let mut out = String::new();
    for (tag, n) in [
        ("restart", f.restarts),
        ("badsum", f.bad_checksums),
        ("seqbreak", f.seq_breaks),
    ] {
        if n > 0 {
            out.push_str(&format!(" {tag}{n}"));
        }
    }
    out
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let config = config(args)?;
    let report_every = Duration::try_from_secs_f64(args.report_every)
        .ok()
        .filter(|d| !d.is_zero())
        .context("--report-every must be a positive number of seconds")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ladder-sim")
        .enable_all()
        .build()
        .context("cannot start the sim's runtime")?;
    runtime.block_on(async move {
        let names: Vec<String> = config.symbols.iter().map(|s| s.symbol.clone()).collect();
        let handle = sim::start(config).await?;
        let urls = handle.urls();
        println!("ladder sim: simulated {} venue for {}", handle.venue(), names.join(", "));
        println!("  websocket  {}", urls.book_stream);
        println!("             {}", urls.trade_stream);
        println!("  rest       {}", urls.depth_snapshot);
        println!("             {}", urls.exchange_info);
        println!("  stop with Ctrl-C{}", args.duration.map_or(String::new(), |d| format!(" (or after {d:?})")));
        let started = Instant::now();
        let deadline = args.duration.map(|d| tokio::time::Instant::now() + d);
        let mut ticker = tokio::time::interval(report_every);
        ticker.tick().await;
        let mut last_sent = 0;
        loop {
            let until_end = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = ticker.tick() => {
                    let s = handle.stats();
                    let rate = (s.messages_sent - last_sent) as f64 / report_every.as_secs_f64();
                    last_sent = s.messages_sent;
                    let tops: Vec<String> = s
                        .symbols
                        .iter()
                        .map(|y| format!("{} {}/{}", y.symbol, y.best_bid, y.best_ask))
                        .collect();
                    println!(
                        "[{:>6.1}s] events {} | sent {} ({rate:.0}/s) | clients {} | rest {} | faults d{} u{} r{} x{} s{}{} | {}",
                        started.elapsed().as_secs_f64(),
                        s.events,
                        s.messages_sent,
                        s.clients,
                        s.rest_requests,
                        s.faults.dropped,
                        s.faults.duplicated,
                        s.faults.reordered,
                        s.faults.disconnects,
                        s.faults.stalls,
                        venue_faults(&s.faults),
                        tops.join(" | "),
                    );
                }
                _ = until_end => break,
                r = tokio::signal::ctrl_c() => {
                    r.context("cannot listen for Ctrl-C")?;
                    break;
                }
            }
        }
        let s = handle.stats();
        handle.shutdown().await;
        println!(
            "ladder sim: stopped after {:.1}s: {} events, {} messages sent, {} connections",
            started.elapsed().as_secs_f64(),
            s.events,
            s.messages_sent,
            s.connections
        );
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn sim_venue_defaults_to_spot_and_refuses_venues_without_an_encoder() {
        let c = Cli::try_parse_from(["sim"]).unwrap();
        assert_eq!(c.args.venue, Venue::BinanceSpot);
        let cfg = config(&c.args).unwrap();
        assert_eq!((cfg.venue, cfg.weight_limit), (Venue::BinanceSpot, 6_000));
        let c = Cli::try_parse_from(["sim", "--venue", "binance-usdm", "--symbols", "ethusdt"])
            .unwrap();
        let cfg = config(&c.args).unwrap();
        assert_eq!((cfg.venue, cfg.weight_limit), (Venue::BinanceUsdm, 2_400));
        assert_eq!(cfg.symbols[0].lot_size.to_string(), "0.001");
        let err = Cli::try_parse_from(["sim", "--venue", "binance-coinm"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "[possible values: binance-spot, binance-usdm, bybit-spot, bybit-linear, \
                 bybit-inverse, okx, coinbase, kraken]"
            ),
            "{err}"
        );
    }

    #[test]
    fn parse_duration_reads_units_and_bare_seconds() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2.5"), Ok(Duration::from_millis(2500)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1").is_err());
    }
}
