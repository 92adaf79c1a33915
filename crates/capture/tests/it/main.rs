//! Integration tests of the capture crate: link-layer parsers on hand-built bytes, containers built in
//! the test, golden decoding of every real capture in the shared data folder, and no-panic properties.

mod ble_e2e;
mod build;
mod containers;
mod golden;
mod link;
mod props;
