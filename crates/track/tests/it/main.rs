//! Integration tests of the `track` crate (one binary, one module per area).

mod identity;
mod import;
mod props;
mod rules;
mod states;
mod zones;

use track::{Identity, Mac, Observation, Position, Transport, UnixMs};

/// An observation at `t` seconds from `transport` (contract name) with an optional MAC and identities.
pub fn obs(t: i64, transport: &str, mac: Option<&str>, ids: &[Identity]) -> Observation {
    let mut o = Observation::new("s1", UnixMs(t * 1000), Transport::parse(transport));
    o.mac = mac.map(|m| m.parse::<Mac>().expect("test MAC"));
    o.identities = ids.to_vec();
    o
}

/// The same observation with a position.
pub fn at(mut o: Observation, lat: f64, lon: f64) -> Observation {
    o.position = Some(Position::at(lat, lon));
    o
}

pub fn serial(s: &str) -> Identity {
    Identity::Serial(s.into())
}
