//! The domain: detections, tracks, identity binding, zones and alert rules.
//!
//! The crate is pure: it keeps no clock (every function that needs the time takes it as an argument),
//! opens no socket or file (importers take `&str`), and knows no SQL or HTTP. Domain types are plain data and
//! are deliberately not `Serialize`: the `store` and `server` crates convert them at their boundary.
//!
//! - [`Observation`] ([`observation`]) is one decoded broadcast heard by one sensor: transport, transmitter
//!   MAC, RSSI and the facts it carries ([`Identity`] values, position, pilot position, ...).
//! - [`Tracker`] ([`tracker`]) binds observations to [`Track`]s (one per aircraft) with the identity rules
//!   documented in that module, and moves tracks through [`TrackState`] on timeouts. It reports what it did
//!   as [`TrackEvent`]s.
//! - [`zones::Zone`] and [`zones::ZoneIndex`] answer "which zones contain this point, at this altitude, now";
//!   [`zones::import`] reads GeoJSON, EUROCAE ED-269 and ED-318 files and airport lists.
//! - [`AlertEngine`] ([`rules`]) turns track state and zones into [`Alert`]s (zone enter/exit/dwell,
//!   unknown aircraft, watchlist), honouring an allowlist and cooldowns.
//!
//! Time is [`UnixMs`] everywhere: milliseconds since the Unix epoch, UTC.

pub mod observation;
pub mod rules;
pub mod time;
pub mod tracker;
pub mod zones;

pub use observation::{
    AuthPage, HeightRef, Identity, LatLon, LinkLayer, Mac, Observation, PilotKind, PilotPosition,
    Position, ReportedTime, SensorId, Transport, UaType, Velocity,
};
pub use rules::{Alert, AlertConfig, AlertEngine, AlertKind};
pub use time::UnixMs;
pub use tracker::{
    HistoryPoint, MergeReason, SensorSeen, Track, TrackEvent, TrackId, TrackState, Tracker,
    TrackerConfig,
};
