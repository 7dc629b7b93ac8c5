//! The bench report: a table on stdout, JSON with the machine description.

use super::Placement;
use super::hiccup::{HiccupReport, curve};
use crate::clock::tsc::{TscScale, invariant_tsc};
use crate::hot::stamps::{LatencyRecorder, Stage, StrategyStage, Summary};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// One pass over the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassReport {
    /// Frames fed.
    pub frames: u64,
    /// Events the hot thread processed.
    pub events: u64,
    /// From the feed's start to the hot thread's drain.
    pub wall_s: f64,
}

/// Where the numbers were measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// Cores this process may use.
    pub cores: usize,
    /// `uname -r` (/proc/sys/kernel/osrelease).
    pub kernel: String,
    /// /proc/version.
    pub proc_version: String,
    /// rustc that built ladder.
    pub rustc: String,
    /// `release` or `debug`.
    pub profile: String,
    /// TSC frequency in GHz (calibrated).
    pub tsc_ghz: f64,
    /// `constant_tsc` and `nonstop_tsc` present.
    pub invariant_tsc: Option<bool>,
}

impl Machine {
    fn detect(cores: usize, scale: TscScale) -> Self {
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "unknown".into())
        };
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        Self {
            cpu_model,
            cores,
            kernel: read("/proc/sys/kernel/osrelease"),
            proc_version: read("/proc/version"),
            rustc: ladder_sdk::abi::RUSTC_VERSION.to_owned(),
            profile: if cfg!(debug_assertions) {
                "debug".into()
            } else {
                "release".into()
            },
            tsc_ghz: scale.ticks_per_ns(),
            invariant_tsc: invariant_tsc(),
        }
    }
}

/// Everything a report is built from.
pub(crate) struct Parts {
    pub(crate) mode: &'static str,
    pub(crate) source: String,
    pub(crate) venue: String,
    pub(crate) rate: Option<f64>,
    pub(crate) in_flight: u32,
    pub(crate) duration_s: Option<f64>,
    pub(crate) scale: TscScale,
    pub(crate) place: Placement,
    pub(crate) strategies: Vec<String>,
    pub(crate) libraries: Vec<String>,
    pub(crate) latency: LatencyRecorder,
    pub(crate) passes: Vec<PassReport>,
    pub(crate) hiccups_other: Option<HiccupReport>,
    pub(crate) hiccups_hot: HiccupReport,
    pub(crate) threshold_ns: u64,
    pub(crate) full_waits: u64,
    pub(crate) decode_errors: u64,
    pub(crate) gaps: u64,
    pub(crate) records: u64,
    pub(crate) strategy_calls: u64,
    pub(crate) disabled: Vec<Option<String>>,
    pub(crate) ring_capacity: usize,
}

/// A finished bench.
pub struct BenchReport {
    parts: Parts,
    /// Where it ran.
    pub machine: Machine,
}

impl std::fmt::Debug for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BenchReport")
            .field("mode", &self.parts.mode)
            .field("machine", &self.machine)
            .finish_non_exhaustive()
    }
}

/// A named latency line of the report.
#[derive(Debug, Clone)]
pub struct Line {
    /// Strategy name, for per-strategy stages.
    pub strategy: Option<String>,
    /// Stage name.
    pub name: &'static str,
    /// Stamps it spans.
    pub span: &'static str,
    /// Percentiles (ns).
    pub summary: Summary,
    /// Percentile curve `(quantile, ns)`.
    pub curve: Vec<(f64, f64)>,
}

fn summary_json(s: &Summary) -> Value {
    json!({
        "count": s.count, "min": s.min, "mean": s.mean, "p50": s.p50, "p90": s.p90,
        "p99": s.p99, "p99_9": s.p999, "p99_99": s.p9999, "max": s.max,
    })
}

fn hiccup_json(h: &HiccupReport) -> Value {
    json!({
        "threshold_ns": h.threshold_ns,
        "observed_s": h.observed_s,
        "gaps_ns": summary_json(&h.gaps),
        "gaps_over_1ms": h.gaps_over_1ms,
        "max_gap_ns": h.max_gap_ns,
        "lost_ns": h.lost_ns,
        "lost_pct": h.lost_pct,
    })
}

impl BenchReport {
    pub(crate) fn build(parts: Parts) -> Self {
        let machine = Machine::detect(parts.place.cores, parts.scale);
        Self { parts, machine }
    }

    /// The pipeline stages (over all frames), in order; stages with no sample are left out.
    pub fn stages(&self) -> Vec<Line> {
        let p = &self.parts;
        Stage::ALL
            .iter()
            .map(|&s| {
                let h = p.latency.stage(s);
                Line {
                    strategy: None,
                    name: s.name(),
                    span: s.span(),
                    summary: Summary::of(h, p.scale),
                    curve: curve(h, p.scale),
                }
            })
            .filter(|l| l.summary.count > 0)
            .collect()
    }

    /// Per-strategy stages (end-to-end ones included); empty ones are left out.
    pub fn strategy_stages(&self) -> Vec<Line> {
        let p = &self.parts;
        let mut out = Vec::new();
        for (k, name) in p.strategies.iter().enumerate() {
            for &st in &StrategyStage::ALL {
                if let Some(h) = p.latency.strategy(k, st) {
                    let summary = Summary::of(h, p.scale);
                    if summary.count > 0 {
                        out.push(Line {
                            strategy: Some(name.clone()),
                            name: st.name(),
                            span: st.span(),
                            summary,
                            curve: curve(h, p.scale),
                        });
                    }
                }
            }
        }
        out
    }

    fn totals(&self) -> (u64, u64, f64) {
        let p = &self.parts;
        let frames = p.passes.iter().map(|x| x.frames).sum();
        let events = p.passes.iter().map(|x| x.events).sum();
        let wall = p.passes.iter().map(|x| x.wall_s).sum();
        (frames, events, wall)
    }

    /// The hiccup meters: the other core's thread, and the hot core's idle polls.
    pub fn hiccups(&self) -> (Option<&HiccupReport>, &HiccupReport) {
        (self.parts.hiccups_other.as_ref(), &self.parts.hiccups_hot)
    }

    /// The whole report as JSON.
    pub fn to_json(&self) -> Value {
        let p = &self.parts;
        let m = &self.machine;
        let (frames, events, wall) = self.totals();
        let line = |l: &Line| {
            let mut v = json!({ "stage": l.name, "span": l.span, "ns": summary_json(&l.summary) });
            if let (Some(s), Some(o)) = (&l.strategy, v.as_object_mut()) {
                o.insert("strategy".into(), json!(s));
            }
            v
        };
        let (st, per): (Vec<Line>, Vec<Line>) = (self.stages(), self.strategy_stages());
        let e2e: Vec<Value> = per
            .iter()
            .filter(|l| l.name.starts_with("read_to"))
            .map(line)
            .collect();
        json!({
            "ladder_bench": 1,
            "mode": p.mode,
            "input": {
                "source": p.source,
                "venue": p.venue,
                "rate_per_s": p.rate,
                "duration_s": p.duration_s,
                "passes": p.passes.len(),
                "in_flight": if p.in_flight == 0 { json!("unbounded") } else { json!(p.in_flight) },
                "coordinated_omission": if p.rate.is_some() && p.mode == "capture" {
                    "corrected: end-to-end latency starts at each frame's scheduled send time"
                } else if p.mode == "sim" {
                    "open loop: the simulated venue sends on its own schedule; latency starts at the socket read"
                } else if p.in_flight > 0 {
                    "none needed: closed loop at full speed, a new frame is read as soon as fewer than in_flight frames are unfinished"
                } else {
                    "none: full speed, unbounded in flight, so latency past the hand-off is queueing in the ring"
                },
            },
            "strategies": p.strategies.iter().zip(&p.libraries).zip(&p.disabled)
                .map(|((n, l), d)| json!({ "name": n, "library": l, "disabled": d }))
                .collect::<Vec<_>>(),
            "machine": {
                "cpu_model": m.cpu_model,
                "cores": m.cores,
                "kernel": m.kernel,
                "proc_version": m.proc_version,
                "rustc": m.rustc,
                "profile": m.profile,
                "tsc_ghz": m.tsc_ghz,
                "invariant_tsc": m.invariant_tsc,
                "pinning": {
                    "hot_core": p.place.hot,
                    "feed_core": p.place.other,
                    "hiccup_meter_core": p.place.other,
                    "hiccup_meter_policy": "SCHED_IDLE (shares its core with the feed thread without delaying it)",
                    "hot_wait": "busy-spin",
                },
            },
            "throughput": {
                "frames": frames,
                "events": events,
                "wall_s": wall,
                "frames_per_s": frames as f64 / wall.max(1e-9),
                "events_per_s": events as f64 / wall.max(1e-9),
                "passes": p.passes.iter().map(|x| json!({
                    "frames": x.frames, "events": x.events, "wall_s": x.wall_s,
                    "events_per_s": x.events as f64 / x.wall_s.max(1e-9),
                })).collect::<Vec<_>>(),
            },
            "frames_measured": p.latency.frames(),
            "stages": st.iter().map(line).collect::<Vec<_>>(),
            "strategy_stages": per.iter().map(line).collect::<Vec<_>>(),
            "end_to_end": e2e,
            "hiccups": {
                "other_core_thread": p.hiccups_other.as_ref().map(hiccup_json),
                "hot_core_idle_polls": hiccup_json(&p.hiccups_hot),
            },
            "pipeline": {
                "ring_capacity": p.ring_capacity,
                "ring_full_waits": p.full_waits,
                "decode_errors": p.decode_errors,
                "sequence_gaps": p.gaps,
                "output_records": p.records,
                "strategy_calls": p.strategy_calls,
            },
        })
    }

    /// A human-readable table.
    pub fn to_human(&self) -> String {
        let p = &self.parts;
        let m = &self.machine;
        let (frames, events, wall) = self.totals();
        let mut s = String::new();
        let _ = writeln!(
            s,
            "ladder bench ({}): {} on {} ({} cores, kernel {}, {} build, TSC {:.3} GHz)",
            p.mode, p.source, m.cpu_model, m.cores, m.kernel, m.profile, m.tsc_ghz
        );
        let _ = writeln!(
            s,
            "pinning: hot thread core {}, feed + hiccup meter core {}; rate {}; {} pass(es)",
            p.place.hot.map_or("none".into(), |c| c.to_string()),
            p.place.other.map_or("none".into(), |c| c.to_string()),
            match (p.rate, p.in_flight) {
                (Some(r), _) if p.mode == "sim" => format!("{r} events/s (open loop)"),
                (Some(r), _) => format!("{r}/s (CO-corrected)"),
                (None, 0) => "full speed, unbounded in flight".into(),
                (None, n) => format!("full speed, {n} frame(s) in flight"),
            },
            p.passes.len()
        );
        let _ = writeln!(
            s,
            "throughput: {frames} frames, {events} events in {wall:.3} s = {:.0} frames/s, {:.0} events/s; ring full waits {}",
            frames as f64 / wall.max(1e-9),
            events as f64 / wall.max(1e-9),
            p.full_waits
        );
        let header = format!(
            "{:<40} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>11}",
            "stage (ns)", "span", "count", "min", "p50", "p90", "p99", "p99.9", "max"
        );
        let row = |label: String, l: &Line| {
            let x = &l.summary;
            format!(
                "{label:<40} {:>10} {:>9} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>10.0} {:>11.0}",
                l.span, x.count, x.min, x.p50, x.p90, x.p99, x.p999, x.max
            )
        };
        let _ = writeln!(s, "{header}");
        for l in self.stages() {
            let _ = writeln!(s, "{}", row(l.name.to_owned(), &l));
        }
        for l in self.strategy_stages() {
            let label = format!("{} {}", l.strategy.as_deref().unwrap_or(""), l.name);
            let _ = writeln!(s, "{}", row(label, &l));
        }
        let hic = |name: &str, h: &HiccupReport| {
            format!(
                "hiccups {name}: observed {:.2} s, gaps > {:.0} ns: {} (p50 {:.0} ns, p99 {:.0} ns), > 1 ms: {}, max {:.0} ns, lost {:.3} %",
                h.observed_s,
                h.threshold_ns,
                h.gaps.count,
                h.gaps.p50,
                h.gaps.p99,
                h.gaps_over_1ms,
                h.max_gap_ns,
                h.lost_pct
            )
        };
        if let Some(h) = &p.hiccups_other {
            let _ = writeln!(s, "{}", hic("other core (SCHED_IDLE thread)", h));
        }
        let _ = writeln!(s, "{}", hic("hot core (idle polls)", &p.hiccups_hot));
        let _ = p.threshold_ns;
        s
    }
}
