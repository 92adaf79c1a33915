//! Radio protocol codecs for drone broadcasts.
//!
//! Every module follows smoltcp's wire layer: a zero-copy view over bytes with accessors for raw fields,
//! and a `Repr` that speaks physical units with `parse` and `emit`. Code points are enums with an
//! `Unknown(raw)` variant. Nothing here allocates per byte, does I/O, or panics on any input.
//!
//! - [`odid`]: ASTM F3411 / ASD-STAN EN 4709-002 Remote ID messages (protocol versions 0, 1, 2) and the
//!   Message Pack.
//! - [`dji`]: the DJI DroneID record (flight telemetry 0x10, flight purpose 0x11), independent of the
//!   Wi-Fi or OcuSync framing that carries it.
//! - [`fr`]: the French "signalement électronique" beacon TLVs.
//! - [`ieee80211`]: 802.11 management frames, the IE walker, vendor IE classification, NAN service
//!   discovery frames.
//! - [`ble`]: BLE link-layer advertising PDUs (legacy and extended) and the AD structure walker.
#![no_std]
#![forbid(unsafe_code)]
extern crate alloc;

pub mod ble;
pub mod dji;
mod error;
pub mod fr;
pub mod ieee80211;
pub mod odid;

pub use error::{Error, Result};
