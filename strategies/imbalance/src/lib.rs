//! Example strategy: order-book imbalance. Built as a `cdylib` the engine loads at run time and
//! as an `rlib` for static linking in tests.
