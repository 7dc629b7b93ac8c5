//! OKX encoder tests.
