//! A feed's plan: its instruments in the feed's order (the slots of the core and of the
//! status) and the venue's connections for them, checked to carry every book on exactly one.

use crate::feed::live::adapter::{LiveVenue, PlannedConn};
use crate::feed::live::{FeedError, LiveFeedConfig};
use crate::instrument::Registry;
use ladder_sdk::InstrumentId;

/// A feed's instruments (registry id and symbol, in the feed's order) and its connections.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) instruments: Vec<(InstrumentId, String)>,
    pub(crate) conns: Vec<PlannedConn>,
}

impl Plan {
    /// The configured symbols (registry ids, in config order, duplicates removed) on the
    /// venue's connections. `config` must have passed [`LiveFeedConfig::validate`].
    ///
    /// # Errors
    /// [`FeedError::Config`] when the venue's plan does not carry every book on exactly one
    /// connection.
    pub(crate) fn new(
        config: &LiveFeedConfig,
        registry: &Registry,
        venue: &impl LiveVenue,
    ) -> Result<Self, FeedError> {
        let mut instruments: Vec<(InstrumentId, String)> = Vec::new();
        for s in &config.symbols {
            if let Some(i) = registry.lookup(config.venue, s.as_bytes())
                && !instruments.iter().any(|(id, _)| *id == i.id)
            {
                instruments.push((i.id, i.symbol.clone()));
            }
        }
        let conns = venue.connections(&instruments, &config.endpoints);
        for (k, (_, symbol)) in instruments.iter().enumerate() {
            let carriers = conns.iter().filter(|c| c.books.contains(&k)).count();
            if carriers != 1 {
                return Err(FeedError::Config(format!(
                    "the {} connection plan carries the {symbol} book on {carriers} connections \
                     instead of one",
                    config.venue
                )));
            }
        }
        Ok(Self { instruments, conns })
    }

    pub(crate) fn instrument_ids(&self) -> Vec<InstrumentId> {
        self.instruments.iter().map(|(id, _)| *id).collect()
    }

    /// `(url, streams)` of each connection, for the status.
    pub(crate) fn connections(&self) -> Vec<(String, Vec<String>)> {
        self.conns
            .iter()
            .map(|c| (c.base.clone(), c.streams.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::live::{Endpoints, KeepAlive, SnapshotSource, VenueMessage};
    use crate::feed::{Venue, VenueBooks, VenueLive, VenueOptions, VenueRest};
    use ladder_sdk::InstrumentSpec;
    use rust_decimal::Decimal;

    /// Binance USD-M, except that its connections carry the books `carried` says.
    struct Planned {
        carried: Vec<Vec<usize>>,
    }

    impl LiveVenue for Planned {
        type Books = VenueBooks;
        type Rest = VenueRest;

        fn venue(&self) -> Venue {
            Venue::BinanceUsdm
        }

        fn books(&self, registry: &Registry) -> VenueBooks {
            VenueBooks::new(Venue::BinanceUsdm, registry)
        }

        fn connections(&self, _: &[(InstrumentId, String)], e: &Endpoints) -> Vec<PlannedConn> {
            self.carried
                .iter()
                .map(|books| PlannedConn {
                    base: e.ws_book.clone(),
                    url: e.ws_book.clone(),
                    streams: Vec::new(),
                    books: books.clone(),
                    subscribe: Vec::new(),
                    keep_alive: KeepAlive::AnswerPings,
                })
                .collect()
        }

        fn snapshots(&self) -> SnapshotSource {
            SnapshotSource::Request
        }

        fn resubscribe(&self, _: &str) -> Vec<String> {
            Vec::new()
        }

        fn error_frame(&self, _: &[u8]) -> Option<VenueMessage> {
            None
        }

        fn rest(&self, e: &Endpoints) -> Result<VenueRest, FeedError> {
            VenueLive::new(
                Venue::BinanceUsdm,
                &VenueOptions::defaults(Venue::BinanceUsdm),
            )?
            .rest(e)
        }
    }

    #[rstest::rstest]
    #[case::one_each(vec![vec![1], vec![0], vec![]], None)]
    #[case::uncarried(vec![vec![0]], Some("carries the ETHUSDT book on 0 connections"))]
    #[case::twice(vec![vec![0, 1], vec![1]], Some("carries the ETHUSDT book on 2 connections"))]
    fn plan_wants_every_book_on_exactly_one_connection(
        #[case] carried: Vec<Vec<usize>>,
        #[case] refused: Option<&str>,
    ) {
        let mut registry = Registry::new();
        let spec = InstrumentSpec::new(Decimal::new(1, 1), Decimal::new(1, 3)).unwrap();
        for s in ["BTCUSDT", "ETHUSDT"] {
            registry.add(Venue::BinanceUsdm, s, spec).unwrap();
        }
        let config = LiveFeedConfig::new(
            Venue::BinanceUsdm,
            vec!["BTCUSDT".into(), "ETHUSDT".into(), "BTCUSDT".into()],
        );
        match (Plan::new(&config, &registry, &Planned { carried }), refused) {
            (Ok(plan), None) => {
                let symbols: Vec<&str> = plan.instruments.iter().map(|(_, s)| s.as_str()).collect();
                assert_eq!(symbols, ["BTCUSDT", "ETHUSDT"], "config order, no repeats");
                assert_eq!(plan.conns.len(), 3);
            }
            (Err(e), Some(want)) => assert!(e.to_string().contains(want), "{e}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }
}
