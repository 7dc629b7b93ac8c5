//! Host-owned memory a strategy writes into and reads from: [`HostBuffers`] (signal and order
//! buffers lent for each call, positions, open orders, the timer) and the registry of its named
//! signals filled at creation ([`SignalRegistry`]).

use ladder_sdk::abi::{ContextParts, InitHost, OrderRange, RegisterError};
use ladder_sdk::{
    ClientOrderId, Context, InstrumentId, OpenOrder, OrderRequest, SignalId, SignalValue, UnixNanos,
};

/// Sizes of a strategy instance's host buffers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// Signal values one call may emit.
    pub signals_per_call: usize,
    /// Order requests one call may make.
    pub orders_per_call: usize,
    /// Named signals a strategy may register.
    pub max_signals: usize,
    /// Instrument names (`venue:SYMBOL`) by [`InstrumentId`] index, for
    /// `InitContext::instrument`.
    pub instruments: Vec<String>,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            signals_per_call: 64,
            orders_per_call: 64,
            max_signals: 256,
            instruments: Vec::new(),
        }
    }
}

/// The host side of `InitContext`: names the strategy's signals and resolves symbols.
#[derive(Debug)]
pub(super) struct SignalRegistry<'a> {
    pub(super) names: Vec<String>,
    max: usize,
    instruments: &'a [String],
}

impl<'a> SignalRegistry<'a> {
    pub(super) fn new(config: &'a HostConfig) -> Self {
        Self {
            names: Vec::new(),
            max: config.max_signals,
            instruments: &config.instruments,
        }
    }
}

fn valid_signal_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

impl InitHost for SignalRegistry<'_> {
    fn register_signal(&mut self, name: &str) -> Result<SignalId, RegisterError> {
        if !valid_signal_name(name) {
            return Err(RegisterError::InvalidName);
        }
        if self.names.iter().any(|n| n == name) {
            return Err(RegisterError::Duplicate);
        }
        if self.names.len() >= self.max {
            return Err(RegisterError::TooMany);
        }
        let id = u32::try_from(self.names.len()).map_err(|_| RegisterError::TooMany)?;
        self.names.push(name.to_owned());
        Ok(SignalId::new(id))
    }

    /// `venue:SYMBOL` exactly (the symbol in any case), or a bare `SYMBOL` that only one venue
    /// of the session carries.
    fn instrument(&self, symbol: &str) -> Option<InstrumentId> {
        let index = resolve_instrument(self.instruments, symbol)?;
        u32::try_from(index).ok().map(InstrumentId::new)
    }
}

/// The index of the instrument `name` means among `instruments` (`venue:SYMBOL` names): the
/// same venue and symbol (ASCII case ignored), or for a bare symbol, the one instrument with
/// that symbol; `None` if there is none or several.
pub(crate) fn resolve_instrument(instruments: &[String], name: &str) -> Option<usize> {
    let symbol_of = |n: &str| n.split_once(':').map_or(n, |(_, s)| s).to_owned();
    if name.contains(':') {
        let (venue, symbol) = name.split_once(':')?;
        return instruments.iter().position(|i| {
            i.split_once(':')
                .is_some_and(|(v, s)| v == venue && s.eq_ignore_ascii_case(symbol))
        });
    }
    let mut found = instruments
        .iter()
        .enumerate()
        .filter(|(_, i)| symbol_of(i).eq_ignore_ascii_case(name));
    match (found.next(), found.next()) {
        (Some((k, _)), None) => Some(k),
        _ => None,
    }
}

/// What one call produced: signal values and order requests, in the order they were made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallOutput<'a> {
    /// Signal values emitted.
    pub signals: &'a [SignalValue],
    /// Order requests made.
    pub orders: &'a [OrderRequest],
}

/// Memory the host owns and lends a strategy for each call. Allocated when the instance is
/// created; a call only writes into it.
#[derive(Debug)]
pub struct HostBuffers {
    signals: Vec<SignalValue>,
    n_signals: usize,
    orders: Vec<OrderRequest>,
    n_orders: usize,
    positions: Vec<i64>,
    open_orders: Vec<OpenOrder>,
    open_order_ranges: Vec<OrderRange>,
    next_order_id: u64,
    timer: Option<UnixNanos>,
}

impl HostBuffers {
    /// Buffers sized by `config`.
    pub fn new(config: &HostConfig) -> Self {
        let n_instruments = config.instruments.len();
        Self {
            signals: vec![SignalValue::default(); config.signals_per_call],
            n_signals: 0,
            orders: vec![OrderRequest::cancel(ClientOrderId::new(0)); config.orders_per_call],
            n_orders: 0,
            positions: vec![0; n_instruments],
            open_orders: Vec::new(),
            open_order_ranges: vec![OrderRange::default(); n_instruments],
            next_order_id: 1,
            timer: None,
        }
    }

    /// Lends the buffers for one call at time `now`; the output of the previous call is
    /// dropped.
    ///
    /// # Hot path
    /// No allocation: builds a `#[repr(C)]` view of the buffers (a few words).
    #[inline]
    pub fn context(&mut self, now: UnixNanos) -> Context<'_> {
        self.n_signals = 0;
        self.n_orders = 0;
        Context::new(ContextParts {
            now,
            timer: self.timer,
            next_order_id: self.next_order_id,
            signals: &mut self.signals,
            orders: &mut self.orders,
            positions: &self.positions,
            open_orders: &self.open_orders,
            open_order_ranges: &self.open_order_ranges,
        })
    }

    /// Takes back what a call left in the context (counts, order ids, timer).
    #[inline]
    pub(super) fn finish(&mut self, done: Finished) {
        self.n_signals = done.n_signals;
        self.n_orders = done.n_orders;
        self.next_order_id = done.next_order_id;
        self.timer = done.timer;
    }

    /// What the last call produced.
    #[inline]
    pub fn output(&self) -> CallOutput<'_> {
        CallOutput {
            signals: &self.signals[..self.n_signals],
            orders: &self.orders[..self.n_orders],
        }
    }

    /// Forgets the last call's output.
    #[inline]
    pub fn clear_output(&mut self) {
        self.n_signals = 0;
        self.n_orders = 0;
    }

    /// The pending timer.
    #[inline]
    pub fn timer(&self) -> Option<UnixNanos> {
        self.timer
    }

    pub(super) fn clear_timer(&mut self) {
        self.timer = None;
    }

    /// The id the strategy's next order will get.
    pub fn next_order_id(&self) -> u64 {
        self.next_order_id
    }

    /// Sets the strategy's signed position in `instrument` (lots). Grows the table (allocates)
    /// only for an instrument index never seen before.
    pub fn set_position(&mut self, instrument: InstrumentId, lots: i64) {
        let i = instrument.index();
        if i >= self.positions.len() {
            self.positions.resize(i + 1, 0);
        }
        self.positions[i] = lots;
    }

    /// The strategy's signed position in `instrument` (lots).
    pub fn position(&self, instrument: InstrumentId) -> i64 {
        self.positions.get(instrument.index()).copied().unwrap_or(0)
    }

    /// Replaces the strategy's open orders (grouped by instrument for `Context::open_orders`).
    /// Reuses capacity; allocates only to grow.
    pub fn set_open_orders(&mut self, orders: &[OpenOrder]) {
        self.open_orders.clear();
        self.open_orders.extend_from_slice(orders);
        self.open_orders
            .sort_unstable_by_key(|o| (o.instrument, o.id));
        for r in &mut self.open_order_ranges {
            *r = OrderRange::default();
        }
        for (i, o) in self.open_orders.iter().enumerate() {
            let slot = o.instrument.index();
            if slot >= self.open_order_ranges.len() {
                self.open_order_ranges
                    .resize(slot + 1, OrderRange::default());
            }
            let r = &mut self.open_order_ranges[slot];
            if r.len == 0 {
                r.start = u32::try_from(i).unwrap_or(u32::MAX);
            }
            r.len += 1;
        }
    }

    /// Every open order of the strategy, grouped by instrument.
    pub fn open_orders(&self) -> &[OpenOrder] {
        &self.open_orders
    }
}

/// What a call left in its context, read before the context is dropped.
#[derive(Debug, Clone, Copy)]
pub(super) struct Finished {
    pub(super) n_signals: usize,
    pub(super) n_orders: usize,
    pub(super) next_order_id: u64,
    pub(super) timer: Option<UnixNanos>,
}

impl Finished {
    #[inline]
    pub(super) fn of(ctx: &Context<'_>) -> Self {
        Self {
            n_signals: ctx.signals().len(),
            n_orders: ctx.orders().len(),
            next_order_id: ctx.next_order_id(),
            timer: ctx.timer(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ladder_sdk::{OrderType, Price, Quantity, Side, TimeInForce};

    fn open(id: u64, instrument: u32) -> OpenOrder {
        OpenOrder {
            id: ClientOrderId::new(id),
            instrument: InstrumentId::new(instrument),
            side: Side::Buy,
            order_type: OrderType::Limit,
            time_in_force: TimeInForce::Gtc,
            _reserved: 0,
            price: Price::from_ticks(1),
            qty: Quantity::from_lots(1),
            leaves_qty: Quantity::from_lots(1),
        }
    }

    #[test]
    fn set_open_orders_groups_by_instrument_for_the_context() {
        let mut b = HostBuffers::new(&HostConfig::default());
        b.set_open_orders(&[open(5, 2), open(1, 0), open(3, 2)]);
        let ctx = b.context(UnixNanos::ZERO);
        let ids = |i| {
            ctx.open_orders(InstrumentId::new(i))
                .iter()
                .map(|o| o.id.get())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(0), [1]);
        assert!(ids(1).is_empty());
        assert_eq!(ids(2), [3, 5]);
        assert!(ids(7).is_empty());
    }

    #[test]
    fn context_reads_positions_and_finish_keeps_output_and_ids() {
        let config = HostConfig {
            signals_per_call: 1,
            orders_per_call: 1,
            ..HostConfig::default()
        };
        let mut b = HostBuffers::new(&config);
        b.set_position(InstrumentId::new(3), -4);
        let mut ctx = b.context(UnixNanos::from_nanos(5));
        assert_eq!(ctx.position(InstrumentId::new(3)), -4);
        ctx.emit(SignalId::new(0), 1.0).unwrap();
        assert!(ctx.emit(SignalId::new(0), 2.0).is_err(), "capacity 1");
        ctx.market(InstrumentId::new(3), Side::Sell, Quantity::from_lots(1))
            .unwrap();
        assert!(
            ctx.market(InstrumentId::new(3), Side::Sell, Quantity::from_lots(1))
                .is_err()
        );
        ctx.set_timer(UnixNanos::from_nanos(9));
        let done = Finished::of(&ctx);
        b.finish(done);
        assert_eq!(b.output().signals.len(), 1);
        assert_eq!(b.output().orders[0].id, ClientOrderId::new(1));
        assert_eq!(b.next_order_id(), 2);
        assert_eq!(b.timer(), Some(UnixNanos::from_nanos(9)));
        let ctx = b.context(UnixNanos::from_nanos(6));
        assert_eq!(ctx.next_order_id(), 2, "ids continue across calls");
        let _ = ctx;
        assert!(b.output().signals.is_empty(), "a new call starts empty");
    }

    #[test]
    fn instruments_resolve_by_venue_and_symbol_or_by_an_unambiguous_symbol() {
        let names: Vec<String> = [
            "binance-spot:BTCUSDT",
            "binance-usdm:BTCUSDT",
            "binance-usdm:ETHUSDT",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(resolve_instrument(&names, "binance-usdm:btcusdt"), Some(1));
        assert_eq!(resolve_instrument(&names, "binance-spot:BTCUSDT"), Some(0));
        assert_eq!(resolve_instrument(&names, "ETHUSDT"), Some(2));
        assert_eq!(resolve_instrument(&names, "BTCUSDT"), None, "on two venues");
        assert_eq!(resolve_instrument(&names, "binance-coinm:BTCUSDT"), None);
    }

    #[test]
    fn signal_registry_validates_names_and_limits() {
        let config = HostConfig {
            max_signals: 2,
            instruments: vec!["a:X".into()],
            ..HostConfig::default()
        };
        let mut r = SignalRegistry::new(&config);
        assert_eq!(r.register_signal("imb.top"), Ok(SignalId::new(0)));
        assert_eq!(r.register_signal("imb.top"), Err(RegisterError::Duplicate));
        assert_eq!(
            r.register_signal("bad name"),
            Err(RegisterError::InvalidName)
        );
        assert_eq!(r.register_signal(""), Err(RegisterError::InvalidName));
        assert_eq!(r.register_signal("b"), Ok(SignalId::new(1)));
        assert_eq!(r.register_signal("c"), Err(RegisterError::TooMany));
        assert_eq!(r.instrument("a:X"), Some(InstrumentId::new(0)));
        assert_eq!(r.instrument("a:Y"), None);
        assert_eq!(
            r.instrument("x"),
            Some(InstrumentId::new(0)),
            "a bare symbol"
        );
    }
}
