//! Integration tests of the `wire` crate, one module per codec.

mod dji;
mod odid;
mod walkers;
