//! The flags of reading raw frames back from the bus, shared by `ladder replay nats://...` and
//! `ladder record --source nats://...`: `--subject`, `--from`, `--to`.

use crate::bus::SourceConfig;
use crate::bus::replay::{ReadOptions, Window, parse_time};
use crate::config::Config;
use std::time::Duration;

/// The default subject: every venue's raw frames.
pub(super) const DEFAULT_SUBJECT: &str = "ladder.raw.>";

/// `--subject`, `--from`, `--to`.
#[derive(Debug, Clone, Default, clap::Args)]
pub(super) struct BusReadArgs {
    /// With a nats:// source: the raw-frame subjects to read (`ladder.raw.>`, the default, or
    /// `ladder.raw.<venue>.>`), as `ladder feed --raw` publishes them. The normalized events
    /// (`ladder.md.>`) are no capture and are refused.
    #[arg(long, value_name = "SUBJECT")]
    pub(super) subject: Option<String>,
    /// With a nats:// source: only frames received at or after TIME. TIME is an RFC 3339 time
    /// (`2024-08-08T13:00:00Z`, `2024-08-08T15:00:00.25+02:00`) or Unix nanoseconds
    /// (`1723122000000000000`); it is compared with each frame's receive time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub(super) from: Option<u64>,
    /// With a nats:// source: only frames received before TIME (RFC 3339 or Unix nanoseconds,
    /// as --from).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub(super) to: Option<u64>,
}

/// True when `s` names a NATS server rather than a file.
pub(super) fn is_bus_url(s: &str) -> bool {
    s.starts_with("nats://") || s.starts_with("tls://")
}

impl BusReadArgs {
    /// True when any of the flags was given.
    pub(super) fn given(&self) -> bool {
        self.subject.is_some() || self.from.is_some() || self.to.is_some()
    }

    /// What to read from `url` (credentials from `[source]` of the config and `LADDER_NATS_*`).
    pub(super) fn read_options(
        &self,
        url: &str,
        config: &Config,
        follow: bool,
        duration: Option<Duration>,
    ) -> anyhow::Result<ReadOptions> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from >= to
        {
            anyhow::bail!("--from ({from} ns) must be before --to ({to} ns)");
        }
        let mut source: SourceConfig = config.source.clone().unwrap_or_default();
        source.url = Some(url.to_owned());
        let subject = self
            .subject
            .clone()
            .unwrap_or_else(|| DEFAULT_SUBJECT.to_owned());
        crate::bus::replay::check_subject(&subject)?;
        Ok(ReadOptions {
            source: source.with_env(),
            subject,
            window: Window {
                from: self.from,
                to: self.to,
            },
            follow,
            duration,
        })
    }
}
