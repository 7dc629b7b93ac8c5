//! `ladder-fuzz`: the stable-toolchain fuzzer of the feed pipeline (decoder, sequencer, book)
//! for as long as asked; prints execs/s, mutation counts and findings, writes each finding's
//! input as a capture file, and replays one exec with `--repro`. `scripts/fuzz.sh` runs it.
//! Exits 1 when something was found.

use clap::Parser;
use ladder_tests::fuzz::corpus::{CorpusOptions, Recordings, TARGETS, Target, standard_target};
use ladder_tests::fuzz::mutate::Mutation;
use ladder_tests::fuzz::pipeline::{Counts, Pipeline};
use ladder_tests::fuzz::{self, Budget, Stats, kraken, okx};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Fuzz the Binance, Bybit, OKX and Kraken decoders, sequencers and books with mutated real frames.
#[derive(Debug, Parser)]
#[command(name = "ladder-fuzz")]
struct Args {
    /// Targets to run, one after the other (default: all).
    #[arg(long = "target", value_name = "NAME", value_parser = ALL_TARGETS)]
    targets: Vec<String>,
    /// Execs per target.
    #[arg(long, default_value_t = 1_000_000)]
    execs: u64,
    /// Stop each target after this long (`90s`, `10m`, `1h`), whatever `--execs` says.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Seed of the run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Corpus from the first-1000-line vectors instead of the full captures.
    #[arg(long)]
    vectors: bool,
    /// Replay exec N of `--seed` on the (one) target: print its mutations, input and outcome.
    #[arg(long, value_name = "N")]
    repro: Option<u64>,
    /// Where to write each finding's input (a capture file).
    #[arg(long, default_value = "target/fuzz-findings")]
    out: PathBuf,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 90s, 10m or 1h"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("`{s}` is not a duration like 90s, 10m or 1h")),
    };
    Ok(Duration::from_secs(secs))
}

/// The Binance targets, `okx` and `kraken` (built from `../shared/vectors/` in either mode).
const ALL_TARGETS: [&str; 5] = [TARGETS[0], TARGETS[1], TARGETS[2], okx::NAME, kraken::NAME];

fn main() -> ExitCode {
    let args = Args::parse();
    let targets: Vec<&str> = if args.targets.is_empty() {
        ALL_TARGETS.to_vec()
    } else {
        args.targets.iter().map(String::as_str).collect()
    };
    let recordings = if args.vectors {
        Recordings::Vectors
    } else {
        Recordings::Captures
    };
    fuzz::quiet_panics();
    let mut found = false;
    for name in targets {
        if name == okx::NAME || name == kraken::NAME {
            let run = if name == okx::NAME {
                run_okx(&args)
            } else {
                run_kraken(&args)
            };
            match run {
                Some(f) => found |= f,
                None => return ExitCode::FAILURE,
            }
            continue;
        }
        let target = match standard_target(name, recordings, CorpusOptions::default()) {
            Ok(Some(t)) => t,
            Ok(None) => {
                eprintln!("error: {name}: the shared data is missing (see above)");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Some(exec) = args.repro {
            found |= repro(&target, args.seed, exec);
            continue;
        }
        println!(
            "{name}: {} scenarios, {} instruments, seed {}",
            target.scenarios.len(),
            target.registry.len(),
            args.seed
        );
        let budget = Budget {
            execs: args.execs,
            time: args.duration,
        };
        let stats = fuzz::run(&target, args.seed, budget);
        found |= report(&target, &stats, &args);
    }
    if found {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The OKX target: a run, or `--repro`. `None` when it cannot be built.
fn run_okx(args: &Args) -> Option<bool> {
    let target = match okx::okx_target(CorpusOptions::default()) {
        Ok(Some(t)) => t,
        Ok(None) => {
            eprintln!("error: okx: the shared data is missing (see above)");
            return None;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return None;
        }
    };
    if let Some(exec) = args.repro {
        let (lines, applied) = okx::input(&target, args.seed, exec);
        let names: Vec<&str> = applied.iter().map(|m| m.as_str()).collect();
        println!(
            "okx seed {} exec {exec}: mutations [{}]",
            args.seed,
            names.join(", ")
        );
        for line in &lines {
            println!("{}", String::from_utf8_lossy(line));
        }
        let mut pipeline = okx::OkxPipeline::new(&target.registry);
        return Some(match okx::check(&target, &mut pipeline, &lines) {
            Ok(()) => {
                println!("=> ok: no invariant broken");
                false
            }
            Err(v) => {
                println!("=> [{}] {}", v.invariant, v.detail);
                true
            }
        });
    }
    println!(
        "okx: {} scenarios, {} instruments, seed {}",
        target.scenarios.len(),
        target.registry.len(),
        args.seed
    );
    let budget = Budget {
        execs: args.execs,
        time: args.duration,
    };
    let (stats, c) = okx::run(&target, args.seed, budget);
    println!(
        "okx: {} execs in {:.1} s = {:.0} execs/s ({} unmutated)",
        stats.execs,
        stats.elapsed.as_secs_f64(),
        stats.execs_per_sec(),
        stats.unmutated
    );
    println!(
        "  lines {}  line errors {}  decode errors {}  updates {}  snapshots {}  faults {} \
         (checksum {})  synced-book checks {}",
        c.lines,
        c.line_errors,
        c.decode_errors,
        c.updates,
        c.snapshots,
        c.faults,
        c.checksum_faults,
        c.synced_checks
    );
    Some(findings(okx::NAME, &stats, args))
}

/// The Kraken target: a run, or `--repro`. `None` when it cannot be built.
fn run_kraken(args: &Args) -> Option<bool> {
    let target = match kraken::kraken_target(CorpusOptions::default()) {
        Ok(Some(t)) => t,
        Ok(None) => {
            eprintln!("error: kraken: the shared data is missing (see above)");
            return None;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return None;
        }
    };
    if let Some(exec) = args.repro {
        let (lines, applied) = kraken::input(&target, args.seed, exec);
        let names: Vec<&str> = applied.iter().map(|m| m.as_str()).collect();
        println!(
            "kraken seed {} exec {exec}: mutations [{}]",
            args.seed,
            names.join(", ")
        );
        for line in &lines {
            println!("{}", String::from_utf8_lossy(line));
        }
        let mut pipeline = kraken::KrakenPipeline::new(&target.registry);
        return Some(match kraken::check(&target, &mut pipeline, &lines) {
            Ok(()) => {
                println!("=> ok: no invariant broken");
                false
            }
            Err(v) => {
                println!("=> [{}] {}", v.invariant, v.detail);
                true
            }
        });
    }
    println!(
        "kraken: {} scenarios, {} instruments, seed {}",
        target.scenarios.len(),
        target.registry.len(),
        args.seed
    );
    let budget = Budget {
        execs: args.execs,
        time: args.duration,
    };
    let (stats, c) = kraken::run(&target, args.seed, budget);
    println!(
        "kraken: {} execs in {:.1} s = {:.0} execs/s ({} unmutated)",
        stats.execs,
        stats.elapsed.as_secs_f64(),
        stats.execs_per_sec(),
        stats.unmutated
    );
    println!(
        "  lines {}  line errors {}  decode errors {}  updates {}  snapshots {}  faults {} \
         (checksum {})  synced-book checks {}",
        c.lines,
        c.line_errors,
        c.decode_errors,
        c.updates,
        c.snapshots,
        c.faults,
        c.checksum_faults,
        c.synced_checks
    );
    Some(findings(kraken::NAME, &stats, args))
}

fn report(target: &Target, stats: &Stats, args: &Args) -> bool {
    let c = &stats.counts;
    println!(
        "{}: {} execs in {:.1} s = {:.0} execs/s ({} unmutated)",
        target.name,
        stats.execs,
        stats.elapsed.as_secs_f64(),
        stats.execs_per_sec(),
        stats.unmutated
    );
    println!(
        "  lines {}  line errors {}  decode errors {}  diffs {}  applied {}  gaps {}  \
         snapshots {}  other frames {}  synced-book checks {}",
        c.lines,
        c.line_errors,
        c.decode_errors,
        c.depth,
        c.applied,
        c.gaps,
        c.snapshots,
        c.other,
        c.synced_checks
    );
    findings(&target.name, stats, args)
}

/// Prints the mutation counts and findings, writing each finding's input; true if any.
fn findings(name: &str, stats: &Stats, args: &Args) -> bool {
    let kinds: Vec<String> = Mutation::ALL
        .iter()
        .map(|m| format!("{} {}", m.as_str(), stats.mutations[*m as usize]))
        .collect();
    println!("  mutations: {}", kinds.join("  "));
    println!("  findings: {}", stats.findings.len());
    for f in &stats.findings {
        println!(
            "  [{}] {} execs; first: exec {}: {}",
            f.invariant, f.count, f.exec, f.detail
        );
        println!(
            "    reproduce: scripts/fuzz.sh --target {name} --seed {} --repro {}",
            f.seed, f.exec
        );
        let path = args.out.join(format!(
            "{name}-{}-seed{}-exec{}.txt",
            f.invariant, f.seed, f.exec
        ));
        let written = std::fs::create_dir_all(&args.out)
            .and_then(|()| std::fs::write(&path, f.input.join(&b'\n')));
        match written {
            Ok(()) => println!("    input: {}", path.display()),
            Err(e) => println!("    input not written to {}: {e}", path.display()),
        }
    }
    !stats.findings.is_empty()
}

fn repro(target: &Target, seed: u64, exec: u64) -> bool {
    let (lines, applied) = fuzz::input(target, seed, exec);
    let names: Vec<&str> = applied.iter().map(|m| m.as_str()).collect();
    println!(
        "{} seed {seed} exec {exec}: mutations [{}]",
        target.name,
        names.join(", ")
    );
    for line in &lines {
        println!("{}", String::from_utf8_lossy(line));
    }
    let mut pipeline = Pipeline::new(&target.registry, target.venue);
    match fuzz::check(target, &mut pipeline, &lines, &mut Counts::default()) {
        Ok(()) => {
            println!("=> ok: no invariant broken");
            false
        }
        Err(v) => {
            println!("=> [{}] {}", v.invariant, v.detail);
            true
        }
    }
}
