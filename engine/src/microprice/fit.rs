//! Stoikov's estimator (`docs/signals.md` §3.3–3.4): discrete states `(spread, imbalance
//! bucket)`, one-row-ahead transitions over the kept rows, symmetrisation, and
//! `G1 = (I − Q)⁻¹ R1 K`, `B = (I − Q)⁻¹ R2`, `G6 = Σ_{k<6} B^k G1`, `G* = Σ_k B^k G1`.
//!
//! **Unvisited states** (no transition starts there) get zero rows in Q, R1 and R2, so their row
//! of `I − Q` is the identity and their G1, G6, G* are 0 (PR #2's choice); [`Fit::unvisited`]
//! lists them so the command can say so. K holds only the moves actually observed, so an
//! unobserved move size needs no special case.

use super::FitError;
use super::bucket::{self, Bucketing};
use super::input::Quote;
use super::linalg::{Matrix, solve};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The G* series stops once the largest term is below this (the reference outputs use 1e-15).
pub const G_STAR_EPSILON: f64 = 1e-15;
/// Terms of the G6 sum.
pub const G6_TERMS: usize = 6;
/// The G* series gives up after this many terms.
pub const MAX_G_STAR_TERMS: usize = 20_000;

/// Estimator settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitConfig {
    /// The instrument tick, exact.
    pub tick: Decimal,
    /// Number of imbalance buckets `n_imb`.
    pub imbalance_buckets: usize,
    /// Largest spread kept, in ticks (`n_spread`); rows with spreads `1..=n_spread` are kept.
    pub spread_ticks: usize,
    /// Edge convention and Q booking.
    pub bucketing: Bucketing,
}

/// A state of the chain: spread in ticks and imbalance bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    /// Spread, ticks (1-based).
    pub spread_ticks: usize,
    /// Imbalance bucket (0-based).
    pub bucket: usize,
}

/// The fitted model. State index `x = (spread_ticks − 1)·n_imb + bucket`; prices in price units.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The settings used.
    pub config: FitConfig,
    /// The tick as `f64`.
    pub tick: f64,
    /// The `n_imb + 1` bucket edges.
    pub edges: Vec<f64>,
    /// Observed non-zero mid moves, sorted, price units.
    pub k: Vec<f64>,
    /// Transitions from each state after symmetrisation.
    pub counts: Vec<u64>,
    /// No-move transition probabilities.
    pub q: Matrix,
    /// Move-size probabilities, columns as `k`.
    pub r1: Matrix,
    /// Post-move state probabilities.
    pub r2: Matrix,
    /// `B = (I − Q)⁻¹ R2`.
    pub b: Matrix,
    /// `G1` per state.
    pub g1: Vec<f64>,
    /// `G6` per state.
    pub g6: Vec<f64>,
    /// `G*` per state.
    pub g_star: Vec<f64>,
    /// Terms summed for `G*`.
    pub g_star_terms: usize,
    /// Rows kept (spread in range, non-zero size).
    pub rows_used: usize,
    /// Rows dropped for a spread outside `1..=n_spread`.
    pub rows_dropped_spread: usize,
    /// Rows dropped for `bid_size + ask_size = 0`.
    pub rows_dropped_size: usize,
    /// Transitions before symmetrisation (after the one-tick filter).
    pub transitions: usize,
    /// Transitions dropped for a mid move above one tick.
    pub transitions_dropped_jump: usize,
    /// States no transition starts from (G = 0 there).
    pub unvisited: Vec<State>,
}

impl Fit {
    /// Number of states.
    pub fn n_states(&self) -> usize {
        self.counts.len()
    }

    /// Per-state values reshaped as `[spread − 1][bucket]`.
    pub fn by_spread<T: Copy>(&self, per_state: &[T]) -> Vec<Vec<T>> {
        per_state
            .chunks(self.config.imbalance_buckets)
            .map(<[T]>::to_vec)
            .collect()
    }
}

struct Row {
    spread: usize,
    /// `(bid + ask)/tick`: twice the mid in ticks.
    mid2: Decimal,
    bucket: usize,
}

/// Fits the model to `quotes` (in time order, one per sampling instant).
///
/// # Errors
/// Invalid settings, too few rows, duplicate quantile edges, a singular `I − Q`, or a G* series
/// that does not converge.
pub fn fit(quotes: &[Quote], config: FitConfig) -> Result<Fit, FitError> {
    let n_imb = config.imbalance_buckets;
    let n_spread = config.spread_ticks;
    if config.tick <= Decimal::ZERO {
        return Err(FitError::InvalidArgument(format!(
            "--tick must be positive, got {}",
            config.tick
        )));
    }
    if n_imb == 0 || n_spread == 0 {
        return Err(FitError::InvalidArgument(
            "--imbalance-buckets and --spread-ticks must be at least 1".into(),
        ));
    }
    let tick = config.tick.to_f64().unwrap_or(f64::NAN);
    let n_states = n_imb * n_spread;

    // 1–2. Integer spreads, imbalance, kept rows.
    let (mut dropped_spread, mut dropped_size) = (0, 0);
    let mut kept: Vec<(usize, Decimal, f64)> = Vec::with_capacity(quotes.len());
    for q in quotes {
        let s = ((q.ask - q.bid) / config.tick)
            .round()
            .to_i64()
            .unwrap_or(-1);
        if s < 1 || s as u64 > n_spread as u64 {
            dropped_spread += 1;
            continue;
        }
        let total = q.bid_size + q.ask_size;
        if total <= 0.0 {
            dropped_size += 1;
            continue;
        }
        kept.push((
            s as usize,
            (q.bid + q.ask) / config.tick,
            q.bid_size / total,
        ));
    }
    if kept.len() < 2 {
        return Err(FitError::NotEnoughRows {
            kept: kept.len(),
            n_spread,
        });
    }
    let imbalances: Vec<f64> = kept.iter().map(|k| k.2).collect();
    let edges = bucket::edges(&imbalances, n_imb, config.bucketing)?;
    let rows: Vec<Row> = kept
        .iter()
        .map(|&(spread, mid2, i)| Row {
            spread,
            mid2,
            bucket: bucket::bucket_of(&edges, i),
        })
        .collect();

    // 3. One-row-ahead transitions over the kept rows, moves in half ticks, at most one tick.
    let mut moves: Vec<(usize, i64, usize, usize)> = Vec::with_capacity(rows.len()); // (x, dM, S', b')
    let mut dropped_jump = 0;
    for w in rows.windows(2) {
        let (now, next) = (&w[0], &w[1]);
        let half_ticks = (next.mid2 - now.mid2).round().to_i64().unwrap_or(i64::MAX);
        if half_ticks.abs() > 2 {
            dropped_jump += 1;
            continue;
        }
        let x = (now.spread - 1) * n_imb + now.bucket;
        moves.push((x, half_ticks, next.spread, next.bucket));
    }
    let transitions = moves.len();

    // 4–7. Symmetrise, K, counts.
    let mirror = |b: usize| n_imb - 1 - b;
    let mut all = Vec::with_capacity(2 * moves.len());
    for &(x, dm, s1, b1) in &moves {
        let (s0, b0) = (x / n_imb + 1, x % n_imb);
        all.push((s0, b0, dm, s1, b1));
        all.push((s0, mirror(b0), -dm, s1, mirror(b1)));
    }
    let mut k_half: Vec<i64> = all.iter().map(|t| t.2).filter(|&d| d != 0).collect();
    k_half.sort_unstable();
    k_half.dedup();
    let mut counts = vec![0_u64; n_states];
    let mut q = Matrix::zeros(n_states, n_states);
    let mut r1 = Matrix::zeros(n_states, k_half.len());
    let mut r2 = Matrix::zeros(n_states, n_states);
    for &(s0, b0, dm, s1, b1) in &all {
        let x = (s0 - 1) * n_imb + b0;
        let next = (s1 - 1) * n_imb + b1;
        counts[x] += 1;
        if dm == 0 {
            let target = match config.bucketing {
                Bucketing::Quantile => (s0 - 1) * n_imb + b1,
                Bucketing::Symmetric => next,
            };
            q[(x, target)] += 1.0;
        } else {
            let col = k_half.binary_search(&dm).unwrap_or_default();
            r1[(x, col)] += 1.0;
            r2[(x, next)] += 1.0;
        }
    }
    let mut unvisited = Vec::new();
    for (x, &c) in counts.iter().enumerate() {
        if c == 0 {
            unvisited.push(State {
                spread_ticks: x / n_imb + 1,
                bucket: x % n_imb,
            });
            continue;
        }
        let total = c as f64;
        for j in 0..n_states {
            q[(x, j)] /= total;
            r2[(x, j)] /= total;
        }
        for j in 0..k_half.len() {
            r1[(x, j)] /= total;
        }
    }
    let k: Vec<f64> = k_half.iter().map(|&h| h as f64 * tick / 2.0).collect();

    // 8. G1, B, G6, G*.
    let mut a = Matrix::identity(n_states);
    let mut rhs = Matrix::zeros(n_states, 1 + n_states);
    let r1k = r1.mul_vec(&k);
    for i in 0..n_states {
        for j in 0..n_states {
            a[(i, j)] -= q[(i, j)];
            rhs[(i, 1 + j)] = r2[(i, j)];
        }
        rhs[(i, 0)] = r1k[i];
    }
    let sol = solve(&a, &rhs).map_err(|e| FitError::Singular {
        state: e.column,
        spread_ticks: e.column / n_imb + 1,
        bucket: e.column % n_imb,
    })?;
    let g1: Vec<f64> = (0..n_states).map(|i| sol[(i, 0)]).collect();
    let mut b = Matrix::zeros(n_states, n_states);
    for i in 0..n_states {
        for j in 0..n_states {
            b[(i, j)] = sol[(i, 1 + j)];
        }
    }
    let mut g6 = vec![0.0; n_states];
    let mut term = g1.clone();
    for _ in 0..G6_TERMS {
        g6.iter_mut().zip(&term).for_each(|(g, t)| *g += t);
        term = b.mul_vec(&term);
    }
    let mut g_star = vec![0.0; n_states];
    let mut term = g1.clone();
    let mut g_star_terms = 0;
    loop {
        g_star.iter_mut().zip(&term).for_each(|(g, t)| *g += t);
        g_star_terms += 1;
        let largest = term.iter().fold(0.0_f64, |m, t| m.max(t.abs()));
        if largest < G_STAR_EPSILON {
            break;
        }
        if !largest.is_finite() || g_star_terms >= MAX_G_STAR_TERMS {
            return Err(FitError::NoConvergence {
                terms: g_star_terms,
                last: largest,
            });
        }
        term = b.mul_vec(&term);
    }

    Ok(Fit {
        config,
        tick,
        edges,
        k,
        counts,
        q,
        r1,
        r2,
        b,
        g1,
        g6,
        g_star,
        g_star_terms,
        rows_used: rows.len(),
        rows_dropped_spread: dropped_spread,
        rows_dropped_size: dropped_size,
        transitions,
        transitions_dropped_jump: dropped_jump,
        unvisited,
    })
}

#[cfg(test)]
mod tests;
