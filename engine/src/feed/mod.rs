//! Venue feeds: wire decoders and sequencers, one folder per venue.
