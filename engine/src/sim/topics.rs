//! Book topics of one symbol: the images the venue last sent on each topic
//! ([`StreamKind::Book`](super::stream::StreamKind)) and the messages that keep them.
//!
//! A topic is tracked while somebody subscribes to it. Its first subscriber starts the image
//! from the model's current book; every `every_ms` the market task takes the model's top
//! `depth` levels again and, if they changed, publishes the delta (every level whose size
//! changed, levels that left the window as size 0) or, on a full topic, the whole image. A
//! subscription's snapshot is the image last sent, with the sequence id it was sent with, so
//! the snapshot and the deltas that follow it always chain, whichever connection asks.
//!
//! A venue that re-sends an unchanged image after a quiet spell (Bybit `orderbook.1`, every
//! ~3 s, with the same `u`) gets that too.
//!
//! Messages are numbered per topic in publish order (`published`): a connection that took a
//! snapshot at number `n` skips the deltas up to `n` still queued for it.
//!
//! The venues' own faults are decided here, per topic and message (every Nth): a restart
//! snapshot (Bybit `u = 1`), a wrong checksum or a broken `prevSeqId` chain (OKX).

use super::encode::{BookFault, BookMsg, Encoder, Frame, Sides, SymbolWire};
use super::faults::{FaultConfig, FaultCounters, bump};
use super::model::Model;
use super::stream::{BOOK_TOPICS, BookTopic};
use ladder_sdk::Side;

/// The top levels of both sides, best first: `(price ticks, qty lots)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Image {
    pub(crate) bids: Vec<(i64, i64)>,
    pub(crate) asks: Vec<(i64, i64)>,
}

impl Image {
    /// The model's top `depth` levels.
    pub(crate) fn of(model: &Model, depth: usize) -> Self {
        Self {
            bids: model.levels(Side::Buy, depth),
            asks: model.levels(Side::Sell, depth),
        }
    }

    pub(crate) fn sides(&self) -> Sides<'_> {
        Sides {
            bids: &self.bids,
            asks: &self.asks,
        }
    }
}

/// One topic's state.
#[derive(Debug, Default)]
struct TopicState {
    /// The image last sent; `None` while nobody subscribes.
    image: Option<Image>,
    /// The venue's sequence id of the last message (0: none yet).
    seq: u64,
    /// Messages published so far (the per-topic publish number).
    published: u64,
    /// Deltas published (what "every Nth" faults count).
    deltas: u64,
    /// Times and model id of the last message.
    event_ms: u64,
    engine_ms: u64,
    model_id: u64,
}

/// The book topics of one symbol.
#[derive(Debug, Default)]
pub(crate) struct Topics {
    states: [TopicState; BOOK_TOPICS.len()],
}

/// A message published on a topic: its frame and its publish number.
#[derive(Debug)]
pub(crate) struct TopicFrame {
    pub(crate) frame: Frame,
    pub(crate) number: u64,
    /// A delta (the shared depth faults apply), not a snapshot.
    pub(crate) delta: bool,
}

/// What a topic message is built from besides the model.
pub(crate) struct Ctx<'a> {
    pub(crate) encoder: &'a Encoder,
    pub(crate) wire: &'a SymbolWire,
    pub(crate) event_ms: u64,
    pub(crate) engine_ms: u64,
}

impl Topics {
    /// The snapshot a new subscription of `topic` starts with, and the publish number it is
    /// at. Starts tracking the topic if nobody did.
    pub(crate) fn snapshot(
        &mut self,
        model: &Model,
        topic: BookTopic,
        ctx: &Ctx<'_>,
    ) -> TopicFrame {
        let st = &mut self.states[topic.slot()];
        if st.image.is_none() {
            st.image = Some(Image::of(model, topic.depth.into()));
            st.seq = ctx.encoder.next_book_seq(st.seq, model.update_id());
            st.event_ms = ctx.event_ms;
            st.engine_ms = ctx.engine_ms;
            st.model_id = model.update_id();
        }
        let image = st.image.as_ref().map(Image::sides).unwrap_or(Sides {
            bids: &[],
            asks: &[],
        });
        let msg = BookMsg {
            topic,
            snapshot: true,
            levels: image,
            image,
            seq: st.seq,
            prev: None,
            model_id: st.model_id,
            event_ms: st.event_ms,
            engine_ms: st.engine_ms,
            fault: None,
        };
        TopicFrame {
            frame: ctx.encoder.book(ctx.wire, &msg),
            number: st.published,
            delta: false,
        }
    }

    /// Stops tracking `topic` (nobody subscribes any more); its sequence id carries on.
    pub(crate) fn forget(&mut self, topic: BookTopic) {
        self.states[topic.slot()].image = None;
    }

    /// True while `topic` is tracked.
    pub(crate) fn tracked(&self, topic: BookTopic) -> bool {
        self.states[topic.slot()].image.is_some()
    }

    /// The image last sent on the first tracked topic of `topics` with its sequence id (the
    /// REST book that joins that topic's deltas).
    pub(crate) fn last_image(&self, topics: &[BookTopic]) -> Option<(&Image, u64)> {
        topics.iter().find_map(|t| {
            let st = &self.states[t.slot()];
            st.image.as_ref().map(|i| (i, st.seq))
        })
    }

    /// The message of `topic` at the close of its interval, if its image changed.
    pub(crate) fn update(
        &mut self,
        model: &Model,
        topic: BookTopic,
        ctx: &Ctx<'_>,
        faults: (&FaultConfig, &FaultCounters),
    ) -> Option<TopicFrame> {
        let st = &mut self.states[topic.slot()];
        let old = st.image.as_ref()?;
        let new = Image::of(model, topic.depth.into());
        if *old == new {
            return Self::resend(st, topic, model.update_id(), ctx);
        }
        let (config, counters) = faults;
        st.deltas += 1;
        let hit = |every: Option<u64>| every.is_some_and(|n| st.deltas.is_multiple_of(n));
        let model_id = model.update_id();
        let restart = hit(config.restart_every);
        let changed = if topic.full || restart {
            new.clone()
        } else {
            diff(old, &new)
        };
        let (seq, prev, fault) = if restart {
            bump(&counters.restarts);
            (1, None, None)
        } else {
            let fault = if hit(config.bad_checksum_every) {
                bump(&counters.bad_checksums);
                Some(BookFault::BadChecksum)
            } else if hit(config.seq_break_every) {
                bump(&counters.seq_breaks);
                Some(BookFault::SeqBreak)
            } else {
                None
            };
            let seq = ctx.encoder.next_book_seq(st.seq, model_id);
            (seq, Some(st.seq), fault)
        };
        let msg = BookMsg {
            topic,
            snapshot: restart,
            levels: changed.sides(),
            image: new.sides(),
            seq,
            prev,
            model_id,
            event_ms: ctx.event_ms,
            engine_ms: ctx.engine_ms,
            fault,
        };
        let frame = ctx.encoder.book(ctx.wire, &msg);
        st.seq = seq;
        st.published += 1;
        st.event_ms = ctx.event_ms;
        st.engine_ms = ctx.engine_ms;
        st.model_id = model_id;
        st.image = Some(new);
        Some(TopicFrame {
            frame,
            number: st.published,
            delta: !restart,
        })
    }
}

impl Topics {
    /// An unchanged image sent again with the same sequence id, if the venue does that after
    /// a quiet spell (Bybit `orderbook.1`: every ~3 s).
    fn resend(
        st: &mut TopicState,
        topic: BookTopic,
        model_id: u64,
        ctx: &Ctx<'_>,
    ) -> Option<TopicFrame> {
        let after = ctx.encoder.resend_after_ms(topic)?;
        if ctx.event_ms < st.event_ms.saturating_add(after) {
            return None;
        }
        let image = st.image.as_ref()?;
        let msg = BookMsg {
            topic,
            snapshot: true,
            levels: image.sides(),
            image: image.sides(),
            seq: st.seq,
            prev: None,
            model_id,
            event_ms: ctx.event_ms,
            engine_ms: st.engine_ms,
            fault: None,
        };
        let frame = ctx.encoder.book(ctx.wire, &msg);
        st.published += 1;
        st.event_ms = ctx.event_ms;
        st.model_id = model_id;
        Some(TopicFrame {
            frame,
            number: st.published,
            delta: true,
        })
    }
}

/// The levels of `new` that differ from `old` (size 0: gone), best first per side.
pub(crate) fn diff(old: &Image, new: &Image) -> Image {
    Image {
        bids: side_diff(&old.bids, &new.bids, |a, b| b.cmp(&a)),
        asks: side_diff(&old.asks, &new.asks, |a, b| a.cmp(&b)),
    }
}

/// Merges two sides sorted best first by `order`.
fn side_diff(
    old: &[(i64, i64)],
    new: &[(i64, i64)],
    order: impl Fn(i64, i64) -> std::cmp::Ordering,
) -> Vec<(i64, i64)> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(&(po, qo)), Some(&(pn, qn))) => match order(po, pn) {
                Less => {
                    out.push((po, 0));
                    i += 1;
                }
                Greater => {
                    out.push((pn, qn));
                    j += 1;
                }
                Equal => {
                    if qo != qn {
                        out.push((pn, qn));
                    }
                    i += 1;
                    j += 1;
                }
            },
            (Some(&(po, _)), None) => {
                out.push((po, 0));
                i += 1;
            }
            (None, Some(&l)) => {
                out.push(l);
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_sends_changed_new_and_gone_levels_best_first() {
        let old = Image {
            bids: vec![(100, 5), (99, 3), (97, 1)],
            asks: vec![(101, 2), (103, 4)],
        };
        let new = Image {
            bids: vec![(100, 5), (98, 7), (97, 2)],
            asks: vec![(102, 1), (103, 4), (104, 9)],
        };
        let d = diff(&old, &new);
        assert_eq!(d.bids, [(99, 0), (98, 7), (97, 2)]);
        assert_eq!(d.asks, [(101, 0), (102, 1), (104, 9)]);
        assert_eq!(diff(&new, &new), Image::default());
    }
}
