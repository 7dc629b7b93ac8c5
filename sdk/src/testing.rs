//! A stand-in engine for a strategy's unit tests (feature `testing`): [`TestInit`] registers
//! signals and resolves instrument names as the engine would, and [`TestHost`] lends a
//! [`Context`] for one call, carrying order ids and positions across calls and returning what
//! the call emitted. Both example strategies test their rules with it.
//!
//! ```
//! use ladder_sdk::testing::{TestHost, TestInit};
//! use ladder_sdk::{InitContext, InstrumentId};
//!
//! let mut init = TestInit::new(&["binance-usdm:BTCUSDT"]);
//! let ctx = InitContext::new(&mut init);
//! # let _ = ctx;
//! let mut host = TestHost::new(1);
//! let out = host.call(|ctx| {
//!     let _ = ctx.emit(ladder_sdk::SignalId::new(0), 1.5);
//! });
//! assert_eq!(out.signals.len(), 1);
//! assert_eq!(init.instrument_id("binance-usdm:BTCUSDT"), Some(InstrumentId::new(0)));
//! ```

use crate::abi::{Context, ContextParts, InitHost, RegisterError};
use crate::strategy::{ClientOrderId, OrderRequest, RequestKind, SignalId, SignalValue};
use crate::{InstrumentId, Side, UnixNanos};

/// Signal registration and instrument names at a strategy's creation.
#[derive(Debug, Default, Clone)]
pub struct TestInit {
    /// Signal names, in registration order.
    pub names: Vec<String>,
    instruments: Vec<String>,
}

impl TestInit {
    /// Instruments named `venue:SYMBOL`, with ids in the order given.
    pub fn new(instruments: &[&str]) -> Self {
        Self {
            names: Vec::new(),
            instruments: instruments.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// The id `name` resolves to: the exact name, or a bare symbol only one instrument has.
    pub fn instrument_id(&self, name: &str) -> Option<InstrumentId> {
        let symbol = |n: &str| n.split_once(':').map_or(n, |(_, s)| s).to_owned();
        let found: Vec<usize> = (0..self.instruments.len())
            .filter(|&k| {
                let i = &self.instruments[k];
                i == name || (!name.contains(':') && symbol(i) == name)
            })
            .collect();
        match found[..] {
            [k] => u32::try_from(k).ok().map(InstrumentId::new),
            _ => None,
        }
    }
}

impl InitHost for TestInit {
    fn register_signal(&mut self, name: &str) -> Result<SignalId, RegisterError> {
        if self.names.iter().any(|n| n == name) {
            return Err(RegisterError::Duplicate);
        }
        self.names.push(name.to_owned());
        u32::try_from(self.names.len() - 1)
            .map(SignalId::new)
            .map_err(|_| RegisterError::TooMany)
    }

    fn instrument(&self, symbol: &str) -> Option<InstrumentId> {
        self.instrument_id(symbol)
    }
}

/// The engine's side of the calls: order ids and positions carried across calls.
#[derive(Debug, Clone)]
pub struct TestHost {
    /// The next client order id the strategy gets.
    pub next_id: u64,
    /// Position in lots per instrument (by id index).
    pub positions: Vec<i64>,
    /// The time of every call.
    pub now: UnixNanos,
}

/// What one call emitted.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Signal values, in order.
    pub signals: Vec<SignalValue>,
    /// Order requests, in order.
    pub orders: Vec<OrderRequest>,
}

impl Output {
    /// The new orders as `(side, price ticks)`.
    pub fn news(&self) -> Vec<(Side, i64)> {
        self.orders
            .iter()
            .filter(|o| o.kind == RequestKind::New)
            .map(|o| (o.side, o.price.ticks()))
            .collect()
    }

    /// The ids of the cancels.
    pub fn cancels(&self) -> Vec<u64> {
        self.orders
            .iter()
            .filter(|o| o.kind == RequestKind::Cancel)
            .map(|o| o.id.get())
            .collect()
    }
}

impl TestHost {
    /// A host for `instruments` instruments, all flat, order ids from 1, time 1 ns.
    pub fn new(instruments: usize) -> Self {
        Self {
            next_id: 1,
            positions: vec![0; instruments],
            now: UnixNanos::from_nanos(1),
        }
    }

    /// Runs `f` with a context of 16 signal and 16 order slots, and returns what it emitted.
    pub fn call(&mut self, f: impl FnOnce(&mut Context<'_>)) -> Output {
        let mut signals = [SignalValue::default(); 16];
        let mut orders = [OrderRequest::cancel(ClientOrderId::new(0)); 16];
        let mut ctx = Context::new(ContextParts {
            now: self.now,
            timer: None,
            next_order_id: self.next_id,
            signals: &mut signals,
            orders: &mut orders,
            positions: &self.positions,
            open_orders: &[],
            open_order_ranges: &[],
        });
        f(&mut ctx);
        self.next_id = ctx.next_order_id();
        Output {
            signals: ctx.signals().to_vec(),
            orders: ctx.orders().to_vec(),
        }
    }
}
