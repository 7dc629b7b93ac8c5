//! `ladder feed [--nats URL] [--venue V --symbol S...] [--sim] [--duration D] [--raw]`: run the
//! venue connectors headless and publish their normalized events, book images and status changes
//! to NATS JetStream (`docs/bus.md`), for `ladder paper --source nats://...` on other hosts. With
//! `--raw` every raw venue frame too (`ladder.raw.<venue>.<conn>`, stream `ladder-raw`), for
//! `ladder record --source` and `ladder replay nats://...`.

use super::args::{ConfigArg, MarketArgs};
use super::common::markets;
use super::paper::parse_duration;
use crate::bus::feed::{FeedOptions, run_feed};
use crate::bus::publish::PublishOptions;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `ladder feed`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    config: ConfigArg,
    #[command(flatten)]
    market: MarketArgs,
    /// The NATS server (`nats://HOST:PORT`, `tls://HOST:PORT`); default: `[source] url` of
    /// --config, else nats://127.0.0.1:4222. Credentials: `[source]` or `LADDER_NATS_*`.
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
    /// Stop after this long (`90s`, `10m`, `1h`); default: at Ctrl-C.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Stream retention by age (`1h`, `24h`).
    #[arg(long, value_parser = parse_duration, default_value = "1h")]
    max_age: Duration,
    /// Stream retention by size, in MiB.
    #[arg(long, default_value_t = 1024)]
    max_mib: i64,
    /// How often each changed book's image is written to the bucket.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    snapshot_every: Duration,
    /// Seconds between status lines on stderr (0: none).
    #[arg(long, default_value_t = 5.0)]
    status_every: f64,
    /// Serve Prometheus metrics on `/metrics` at this address (`HOST:PORT`, or `PORT` for
    /// 127.0.0.1); overrides `[metrics] listen`.
    #[arg(long, value_name = "ADDR", value_parser = super::paper::parse_metrics)]
    metrics: Option<String>,
    /// Also publish every raw venue frame (exactly what `ladder record` writes) on
    /// `ladder.raw.<venue>.<conn>` in the stream `ladder-raw` (same retention limits), for
    /// `ladder record --source nats://...` and `ladder replay nats://...`.
    #[arg(long)]
    raw: bool,
    /// Directory of `feed.json` (counters and final books).
    #[arg(long, default_value = "ladder-reports/feed")]
    report: PathBuf,
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (config, _) = args.config.load()?;
    let mut source = config.source.clone().unwrap_or_default();
    if let Some(url) = &args.nats {
        source.url = Some(url.clone());
    }
    let source = source.with_env();
    let markets = markets(&args.market, &config)?;
    if !(args.status_every.is_finite() && args.status_every >= 0.0) {
        anyhow::bail!("--status-every must be zero or more seconds");
    }
    if args.max_mib <= 0 {
        anyhow::bail!("--max-mib must be positive");
    }
    // Bound before anything starts: a bad or busy address fails at once.
    let metrics = match args.metrics.as_ref().or(config.metrics.listen.as_ref()) {
        Some(listen) => {
            let addr = crate::metrics::parse_listen(listen).map_err(anyhow::Error::msg)?;
            Some(crate::metrics::MetricsListener::bind(addr)?)
        }
        None => None,
    };
    let summary = run_feed(FeedOptions {
        markets,
        instruments: config.instruments.clone(),
        publish: PublishOptions {
            source,
            max_age: args.max_age,
            max_bytes: args.max_mib.saturating_mul(1 << 20),
            snapshot_every: args.snapshot_every,
        },
        duration: args.duration,
        status_every: Duration::from_secs_f64(args.status_every),
        report_dir: args.report.clone(),
        metrics,
        raw: args.raw,
    })?;
    println!(
        "published {} messages ({} events), {} acked, {} failed, {} images to {}",
        summary.published,
        summary.events,
        summary.acked,
        summary.failed,
        summary.images,
        summary.url
    );
    let raw_lost = summary.raw.map_or(0, |r| {
        println!(
            "published {} raw frames ({} bytes), {} acked, {} failed, {} refused",
            r.published, r.bytes, r.acked, r.failed, r.refused
        );
        r.failed + r.refused
    });
    println!("report: {}", args.report.join("feed.json").display());
    if raw_lost > 0 {
        eprintln!(
            "error: {raw_lost} raw frames did not reach the bus; a capture recorded from it has holes"
        );
    }
    Ok(if summary.failed == 0 && raw_lost == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
