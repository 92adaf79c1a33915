//! How decoded detections are shown: JSON lines for machines, a fixed-width table for people, and the
//! per-file summary.

use capture::Detection;
use contract::{DetectionLine, Message};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use wire::dji::Record;
use wire::odid;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line (the default when stdout is not a terminal).
    Jsonl,
    /// A readable table (the default on a terminal).
    Table,
}

/// The identity a detection gives its aircraft, if any: the UAS ID of a Basic ID, the DJI serial, the
/// French ID or serial. Borrowed where the decoded message holds it as text.
pub fn identity(d: &Detection) -> Option<Cow<'_, str>> {
    d.messages.iter().find_map(|m| match m {
        capture::Message::Odid(odid::Message::BasicId(b)) => {
            b.uas_id_str().filter(|s| !s.is_empty()).map(Cow::Borrowed)
        }
        capture::Message::Dji(r) => match r.record().ok()? {
            Record::Telemetry(t) => Some(t.serial().to_string()),
            Record::FlightPurpose(i) => Some(i.serial().to_string()),
            _ => None,
        }
        .filter(|s| !s.is_empty())
        .map(Cow::Owned),
        capture::Message::French(f) => {
            let b = wire::fr::BeaconRepr::parse(f.tlvs()).ok()?;
            b.ansi_serial_str()
                .map(str::to_string)
                .or_else(|| {
                    b.french_id.as_ref().map(|id| {
                        format!(
                            "{}{}{}",
                            id.manufacturer_str(),
                            id.model_str(),
                            id.serial_str()
                        )
                    })
                })
                .map(Cow::Owned)
        }
        _ => None,
    })
}

/// Writes detections as table rows, with a header line first.
pub struct TableWriter {
    header_done: bool,
}

impl TableWriter {
    pub fn new() -> TableWriter {
        TableWriter { header_done: false }
    }

    /// One row: `d` gives the identity and message kinds, `l` the values as printed in JSON.
    pub fn write(
        &mut self,
        out: &mut impl Write,
        d: &Detection,
        l: &DetectionLine,
    ) -> io::Result<()> {
        if !self.header_done {
            self.header_done = true;
            writeln!(
                out,
                "{:<27} {:>7} {:<14} {:<17} {:>5} {:<24} {:>11} {:>12} {:>8} {:>6} {:>11} {:>12}",
                "TIME (UTC)",
                "FRAME",
                "TRANSPORT",
                "MAC",
                "dBm",
                "ID",
                "LAT",
                "LON",
                "ALT m",
                "m/s",
                "PILOT LAT",
                "PILOT LON"
            )?;
        }
        let time = l
            .time
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut pos: (Option<f64>, Option<f64>, Option<f64>, Option<f64>) =
            (None, None, None, None);
        let mut pilot: (Option<f64>, Option<f64>) = (None, None);
        for m in &l.messages {
            match m {
                Message::Location(x) => {
                    pos = (x.lat, x.lon, x.alt_geo_m.or(x.alt_baro_m), x.speed_mps)
                }
                Message::System(s) => pilot = (s.operator_lat, s.operator_lon),
                Message::DjiTelemetry(t) => {
                    pos = (t.lat, t.lon, t.altitude_m, t.speed_mps);
                    pilot = (t.operator_lat, t.operator_lon);
                }
                Message::FrBeacon(f) => {
                    pos = (f.lat, f.lon, f.alt_msl_m, f.speed_mps);
                    pilot = (f.takeoff_lat, f.takeoff_lon);
                }
                _ => {}
            }
        }
        let id = match identity(d) {
            Some(id) => id.into_owned(),
            None => {
                let kinds: Vec<&str> = d.messages.iter().map(message_kind).collect();
                format!("({})", kinds.join(","))
            }
        };
        writeln!(
            out,
            "{:<27} {:>7} {:<14} {:<17} {:>5} {:<24} {:>11} {:>12} {:>8} {:>6} {:>11} {:>12}",
            time,
            l.frame,
            l.transport,
            l.mac.as_deref().unwrap_or("-"),
            opt(l.rssi_dbm, 0),
            truncate(&id, 24),
            opt(pos.0, 7),
            opt(pos.1, 7),
            opt(pos.2, 1),
            opt(pos.3, 2),
            opt(pilot.0, 7),
            opt(pilot.1, 7),
        )
    }
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map(|x| format!("{x:.decimals$}"))
        .unwrap_or_else(|| "-".into())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// The contract's name of a decoded message's type.
fn message_kind(m: &capture::Message) -> &'static str {
    match m {
        capture::Message::Odid(m) => match m {
            odid::Message::BasicId(_) => "basic-id",
            odid::Message::Location(_) => "location",
            odid::Message::Auth(_) => "auth",
            odid::Message::SelfId(_) => "self-id",
            odid::Message::System(_) => "system",
            odid::Message::OperatorId(_) => "operator-id",
            odid::Message::Unknown { .. } => "unknown",
        },
        capture::Message::Dji(r) => match r.record() {
            Ok(Record::Telemetry(_)) => "dji-telemetry",
            Ok(Record::FlightPurpose(_)) => "dji-info",
            Ok(Record::Encrypted { .. }) => "dji-encrypted",
            Ok(Record::Blank { .. }) => "dji-blank",
            _ => "unknown",
        },
        capture::Message::French(_) => "fr-beacon",
    }
}

/// What `--summary` reports for one file.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub file: String,
    pub frames_read: u64,
    pub frames_with_broadcasts: u64,
    pub by_transport: BTreeMap<&'static str, u64>,
    pub messages: BTreeMap<&'static str, u64>,
    pub aircraft: Vec<String>,
    pub dropped: BTreeMap<String, u64>,
    pub seconds: f64,
    #[serde(skip)]
    ids: BTreeSet<String>,
    #[serde(skip)]
    macs_without_id: BTreeSet<[u8; 6]>,
    #[serde(skip)]
    macs_with_id: BTreeSet<[u8; 6]>,
}

impl Summary {
    pub fn new(file: &str) -> Summary {
        Summary {
            file: file.to_string(),
            ..Summary::default()
        }
    }

    pub fn add(&mut self, d: &Detection) {
        self.frames_with_broadcasts += 1;
        *self.by_transport.entry(d.transport.as_str()).or_default() += 1;
        for m in &d.messages {
            *self.messages.entry(message_kind(m)).or_default() += 1;
        }
        match (identity(d), d.mac) {
            (Some(id), mac) => {
                if let Some(mac) = mac {
                    self.macs_with_id.insert(mac);
                }
                if !self.ids.contains(id.as_ref()) {
                    self.ids.insert(id.into_owned());
                }
            }
            (None, Some(mac)) => {
                self.macs_without_id.insert(mac);
            }
            (None, None) => {}
        }
    }

    /// Aircraft seen: every distinct identity, plus every transmitter address that never sent one (an aircraft
    /// whose Basic ID was not heard is still an aircraft).
    pub fn finish(&mut self) {
        let mut all: Vec<String> = self.ids.iter().cloned().collect();
        all.extend(
            self.macs_without_id
                .difference(&self.macs_with_id)
                .map(|m| format!("mac {}", contract::format_mac(m))),
        );
        self.aircraft = all;
    }

    pub fn write_table(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "{}", self.file)?;
        writeln!(out, "  frames read             {}", self.frames_read)?;
        writeln!(
            out,
            "  frames with broadcasts  {}",
            self.frames_with_broadcasts
        )?;
        for (t, n) in &self.by_transport {
            writeln!(out, "    {t:<22}{n}")?;
        }
        writeln!(out, "  messages")?;
        for (t, n) in &self.messages {
            writeln!(out, "    {t:<22}{n}")?;
        }
        writeln!(out, "  aircraft seen           {}", self.aircraft.len())?;
        for a in &self.aircraft {
            writeln!(out, "    {a}")?;
        }
        let dropped: u64 = self.dropped.values().sum();
        writeln!(out, "  frames dropped          {dropped}")?;
        for (r, n) in &self.dropped {
            writeln!(out, "    {r:<22}{n}")?;
        }
        writeln!(out, "  decode time             {:.3} s", self.seconds)
    }
}
