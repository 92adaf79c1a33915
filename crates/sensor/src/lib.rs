//! The sensor agent, built as a pipeline (see STYLE.md): **sources** ([`source`], file replays in
//! [`replay`]) produce raw frames or decoded detections → **decode** (`capture::decode_frame`, `dsp::rx`;
//! counted by [`events`]) → **durable spool** ([`spool`]) → **uplink** ([`uplink`]) to the server, with
//! heartbeats and a local status ([`health`]). [`topology::run`] wires them from a [`config::Config`].
//!
//! Every detection is on disk before it is sent; delivery is at-least-once with the sensor's sequence
//! numbers, which the server uses to store each detection once.

pub mod backoff;
pub mod config;
pub mod events;
pub mod health;
pub mod replay;
pub mod source;
pub mod spool;
pub mod topology;
pub mod uplink;

pub use config::{Config, SourceSpec};
pub use topology::{run, Outcome, RunError};
