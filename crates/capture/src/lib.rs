//! Capture files and link layers → drone broadcast detections.
//!
//! [`open`] (or [`Decoder::new`] over any `Read`) streams a pcap, pcapng or btsnoop file and yields one
//! [`Event`] per frame: [`Event::Detection`] for every transport on which the frame carried a broadcast,
//! [`Event::Dropped`] with a [`DropReason`] for frames that could not be used (bad FCS, bad CRC, truncated...),
//! [`Event::Other`] for frames without a broadcast. [`Decoder::stats`] keeps the [`Stats`] of the run
//! (frames, detections by [`Transport`], drops by reason, bytes consumed against the file size).
//!
//! A [`Detection`] carries the receive time, frame index, transport, transmitter address, radio metadata and
//! the decoded [`Message`]s, which are `wire` types (`wire::odid::Message`) or owned copies of borrowed ones
//! ([`DjiRecord`], [`FrenchBeacon`]).
//!
//! Layers, each with its own public entry point (fuzz targets call them directly):
//! - `container` (private): pcap / pcapng through `pcap-parser`, btsnoop by hand; format chosen by magic.
//! - [`link`]: [`link::decode_frame`] strips radiotap, Nordic BLE, LE LL pseudo-header and HCI framings.
//! - [`decode_frame`]: link layer + `wire` decoding of one record into detections.
//! - [`Records`]: the raw records of a file without decoding (benchmarks, fuzz corpora).
//!
//! **Invariant:** a malformed frame inside a readable file is counted, never fatal; an unreadable file is
//! an [`Error`] naming the file and the byte offset. Nothing here panics on any input.

mod container;
mod decode;
mod error;
pub mod link;
mod model;
mod payload;

pub use decode::{decode_frame, open, Decoder, FrameOutcome, RawRecord, Records};
pub use error::{Error, ErrorKind};
pub use link::LinkType;
pub use model::{Detection, DjiRecord, DropReason, Event, FrenchBeacon, Message, Stats, Transport};
