//! `ladder record --venue V --symbol S... [--venue V2 --symbol S2...] --out FILE [--duration D]
//! [--rotate-size BYTES | --rotate-every D] [--sync-every D] [--force] [--sim]`: write what live
//! feeds receive as capture files, one per venue.
//!
//! With `--sim`, or with neither `--venue` nor a `[venue]` section in `--config`, it records the
//! built-in simulated venue started in-process (`--sim --venue V`: in V's wire format, for the
//! venues the simulator serves; one simulator per `--venue`). `--venue` alone records the
//! venue's production endpoints; its `[venue]`/`[[venue]]` entry in the config overrides them
//! (and gives the symbols and watchdog), as for `ladder paper`. Several venues write one capture
//! each, the venue's name before the extension (`--out cap.txt.gz` → `cap.binance-spot.txt.gz`,
//! `cap.binance-usdm.txt.gz`); one venue writes `--out` as given. Stops on Ctrl-C or after `--duration`; prints what it wrote. Exits with
//! status 1 if any line was dropped because the writer fell behind. Refuses to replace an
//! existing `--out` (or numbered rotation file) unless `--force`; syncs the file to the disk
//! every `--sync-every` (default 5 s) and at each rotation.
//!
//! `ladder record --source nats://HOST:PORT [--subject ladder.raw.>] [--from T] [--to T]
//! [--follow] --out FILE` writes the same capture files from the raw frames JetStream retained
//! (`ladder feed --raw`), one per venue; it ends at the end of what was retained, or with
//! `--follow` keeps recording until Ctrl-C or `--duration` (`bus::replay::record`); status 1
//! if frames were missing on the bus (the capture has holes).

use super::args::{ConfigArg, MarketArgs};
use super::bus_args::{BusReadArgs, is_bus_url};
use super::common::markets;
use super::paper::parse_duration;
use crate::bus::replay::record::{BusRecordOptions, record_from_bus};
use crate::record::writer::DEFAULT_SYNC_EVERY;
use crate::record::{RecordOptions, Rotate, WriterConfig, run_record};
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `ladder record`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    config: ConfigArg,
    #[command(flatten)]
    market: MarketArgs,
    /// Capture file: `<ts_recv_unix_ns> <frame>` lines, gzip if it ends in `.gz`. With rotation
    /// the files are numbered before the extension: `cap.txt.gz` -> `cap.0001.txt.gz`, ...
    /// With several venues, one capture per venue, the venue's name before the extension (and
    /// before the rotation number): `cap.binance-spot.txt.gz`, `cap.binance-usdm.txt.gz`.
    #[arg(long)]
    out: PathBuf,
    /// Stop after this long (`90s`, `10m`, `1h`); default: at Ctrl-C.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Start a new file once the current one reaches this size on disk (`500k`, `100M`, `1G`
    /// or bytes). Each new file gets a fresh snapshot of every symbol.
    #[arg(long, value_parser = parse_size, conflicts_with = "rotate_every")]
    rotate_size: Option<u64>,
    /// Start a new file this often (`15m`, `1h`).
    #[arg(long, value_parser = parse_duration)]
    rotate_every: Option<Duration>,
    /// Sync the capture to the disk this often (`5s`, `500ms`, `1m`); it is also synced at each
    /// rotation and at the end. A power loss loses at most this much. Default: 5s.
    #[arg(long, value_parser = parse_duration)]
    sync_every: Option<Duration>,
    /// Overwrite `--out` (and numbered rotation files) if they exist; without it an existing
    /// file is an error.
    #[arg(long)]
    force: bool,
    /// Write each instrument's final book (top `--depth` levels, as the recorder's feed held
    /// it), keyed `venue:SYMBOL`, as JSON to this file.
    #[arg(long)]
    books: Option<PathBuf>,
    /// Levels per side in `--books`.
    #[arg(long, default_value_t = 10)]
    depth: usize,
    /// Seconds between status lines on stderr (0: none).
    #[arg(long, default_value_t = 5.0)]
    status_every: f64,
    /// Record from a NATS server (`nats://HOST:PORT`, `tls://HOST:PORT`) instead of a venue:
    /// the raw frames `ladder feed --raw` published there and JetStream retained.
    #[arg(long, value_name = "URL")]
    source: Option<String>,
    #[command(flatten)]
    bus: BusReadArgs,
    /// With --source: after the end of what was retained, keep recording what arrives until
    /// Ctrl-C or --duration.
    #[arg(long, requires = "source")]
    follow: bool,
}

/// `"500k"`, `"100M"`, `"1G"` (powers of 1024), or a number of bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size like 500k, 100M, 1G or a number of bytes"))?;
    match n.checked_mul(mult) {
        Some(0) => Err("--rotate-size must be more than zero".into()),
        Some(v) => Ok(v),
        None => Err(format!("{s:?} is too large")),
    }
}

/// `ladder record --source nats://...`.
fn run_bus(args: &Args, url: &str, writer: WriterConfig) -> anyhow::Result<ExitCode> {
    let m = &args.market;
    if m.sim || !m.groups.is_empty() || !m.leading.is_empty() {
        anyhow::bail!(
            "--source records the venues on the bus: --venue, --symbol and --sim do not go with it (use --subject ladder.raw.<venue>.>)"
        );
    }
    if args.books.is_some() {
        anyhow::bail!(
            "--books needs a live feed; with --source, `ladder replay` the capture for its books"
        );
    }
    if !is_bus_url(url) {
        anyhow::bail!("--source {url}: expected nats://HOST:PORT or tls://HOST:PORT");
    }
    if args.duration.is_some() && !args.follow {
        anyhow::bail!(
            "--duration with --source needs --follow (without it the recording ends at the end of what was retained)"
        );
    }
    let (config, _) = args.config.load()?;
    let read = args
        .bus
        .read_options(url, &config, args.follow, args.duration)?;
    let summary = record_from_bus(&BusRecordOptions {
        read: read.clone(),
        writer,
    })?;
    print!(
        "{}",
        summary.to_human(&read.source.display_url(), &read.subject)
    );
    if summary.counts.gaps > 0 || summary.counts.decode_errors > 0 {
        // As for a live recording that dropped lines: the capture has holes.
        eprintln!(
            "error: the bus lacked {} run(s) of frames and held {} undecodable message(s); the capture has holes (a replay sees the venue's gaps)",
            summary.counts.gaps, summary.counts.decode_errors
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let rotate = match (args.rotate_size, args.rotate_every) {
        (Some(bytes), _) => Rotate::Size(bytes),
        (None, Some(every)) => Rotate::Every(every),
        (None, None) => Rotate::Never,
    };
    let writer = WriterConfig {
        path: args.out.clone(),
        venue: None,
        rotate,
        flush_every: Duration::from_secs(1),
        sync_every: args.sync_every.unwrap_or(DEFAULT_SYNC_EVERY),
        overwrite: args.force,
    };
    if let Some(url) = &args.source {
        return run_bus(args, url, writer);
    }
    if args.bus.given() {
        anyhow::bail!(
            "--subject, --from and --to read from the bus: they need --source nats://HOST:PORT"
        );
    }
    let (config, _) = args.config.load()?;
    let markets = markets(&args.market, &config)?;
    let status_every = Duration::try_from_secs_f64(args.status_every)
        .map_err(|_| anyhow::anyhow!("--status-every must be a number of seconds"))?;
    let summary = run_record(RecordOptions {
        markets,
        instruments: config.instruments.clone(),
        writer,
        duration: args.duration,
        status_every: (!status_every.is_zero()).then_some(status_every),
        depth: args.depth,
    })?;
    print!("{}", summary.to_human());
    if let Some(path) = &args.books {
        let json = serde_json::to_string_pretty(&summary.books)?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write books to {}", path.display()))?;
    }
    let dropped = summary.dropped();
    if dropped > 0 {
        eprintln!(
            "error: {dropped} lines were dropped because the capture writer fell behind; the capture has holes"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn parse_size_reads_suffixes_and_bytes() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("500k"), Ok(500 * 1024));
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("ten").is_err());
        assert!(parse_size("1.5M").is_err());
    }
}
