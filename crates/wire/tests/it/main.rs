//! Integration tests of the `wire` crate, one module per codec.

mod odid;
mod dji;
mod walkers;
