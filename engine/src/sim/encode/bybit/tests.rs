//! Bybit encoder tests.
