//! The `schedule` property of plain GeoJSON zones, read strictly and written back.
//!
//! ```json
//! "schedule": [
//!   { "start": "2026-06-01T08:00:00+02:00", "end": "2026-06-04T00:00:00+02:00" },
//!   { "windows": [ { "days": ["sat"], "from": "14:00", "to": "20:00", "utc_offset_min": 120 } ] }
//! ]
//! ```
//!
//! An array of periods; the zone applies during any of them, and always when the array is empty or the
//! property is absent or null. A period has an optional `start` (inclusive) and `end` (exclusive), both
//! RFC 3339, and optional daily `windows` (absent or empty: all day). A window has `days` (at least one of
//! `mon` … `sun`), `from` and `to` as `HH:MM` local time (`to` may be `24:00`; `to` before `from` runs past
//! midnight into the next day; `from` equal to `to` is the whole day), and `utc_offset_min`, the offset of
//! that local time from UTC in minutes (-720 ..= 840, default 0). Unknown keys are refused, so a typo
//! (`"form"`) is an error rather than a zone that applies at the wrong time.
//!
//! Walked by hand over `serde_json::Value` (not a derived `Deserialize`) so that every error names its
//! path: `schedule[1].windows[0].from: expected "HH:MM", got "25:00"`.

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::time::UnixMs;
use crate::zones::{DailyWindow, Period, Schedule, Weekdays};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Reads the `schedule` property (`None` or null: permanent). Errors start with the path from
/// `schedule`.
pub(super) fn parse(v: Option<&Value>) -> Result<Schedule, String> {
    let list = match v {
        None | Some(Value::Null) => return Ok(Schedule::default()),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(format!(
                "schedule: expected an array of periods, got {other}"
            ))
        }
    };
    let periods = list
        .iter()
        .enumerate()
        .map(|(i, p)| period(p, &format!("schedule[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(Schedule { periods })
}

fn object<'a>(v: &'a Value, path: &str, keys: &[&str]) -> Result<&'a Map<String, Value>, String> {
    let Value::Object(m) = v else {
        return Err(format!("{path}: expected an object, got {v}"));
    };
    if let Some(k) = m.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(format!(
            "{path}.{k}: unknown field (expected one of {})",
            keys.join(", ")
        ));
    }
    Ok(m)
}

fn instant(v: Option<&Value>, path: &str) -> Result<Option<UnixMs>, String> {
    let s = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(format!(
                "{path}: expected an RFC 3339 date-time, got {other}"
            ))
        }
    };
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| format!("{path}: expected an RFC 3339 date-time, got {s:?} ({e})"))?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map(|ms| Some(UnixMs(ms)))
        .map_err(|_| format!("{path}: {s:?} out of range"))
}

fn period(v: &Value, path: &str) -> Result<Period, String> {
    let m = object(v, path, &["start", "end", "windows"])?;
    let start = instant(m.get("start"), &format!("{path}.start"))?;
    let end = instant(m.get("end"), &format!("{path}.end"))?;
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            return Err(format!("{path}.end: must be after start"));
        }
    }
    let windows = match m.get("windows") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(ws)) => ws
            .iter()
            .enumerate()
            .map(|(k, w)| window(w, &format!("{path}.windows[{k}]")))
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(format!(
                "{path}.windows: expected an array of daily windows, got {other}"
            ))
        }
    };
    Ok(Period {
        start,
        end,
        windows,
    })
}

/// `HH:MM`, two digits each, 00:00 ..= 24:00; minutes after midnight (24:00 is 0, the next midnight).
fn clock(v: Option<&Value>, path: &str) -> Result<u16, String> {
    let bad = |got: String| format!("{path}: expected \"HH:MM\" (00:00 to 24:00), got {got}");
    let s = match v {
        Some(Value::String(s)) => s,
        Some(other) => return Err(bad(other.to_string())),
        None => return Err(format!("{path}: required")),
    };
    let b = s.as_bytes();
    let two = |i: usize| -> Option<u16> {
        let (h, l) = (*b.get(i)?, *b.get(i + 1)?);
        (h.is_ascii_digit() && l.is_ascii_digit())
            .then(|| u16::from(h - b'0') * 10 + u16::from(l - b'0'))
    };
    let (h, m) = match (b.len(), b.get(2), two(0), two(3)) {
        (5, Some(b':'), Some(h), Some(m)) => (h, m),
        _ => return Err(bad(format!("{s:?}"))),
    };
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad(format!("{s:?}")));
    }
    Ok((h * 60 + m) % 1440)
}

fn window(v: &Value, path: &str) -> Result<DailyWindow, String> {
    let m = object(v, path, &["days", "from", "to", "utc_offset_min"])?;
    let days_path = format!("{path}.days");
    let Some(Value::Array(days)) = m.get("days") else {
        return Err(match m.get("days") {
            None => format!("{days_path}: required"),
            Some(other) => format!("{days_path}: expected an array of day names, got {other}"),
        });
    };
    let mut set = 0u8;
    for (d, day) in days.iter().enumerate() {
        let name = day.as_str().map(str::to_ascii_lowercase);
        let bit = name
            .as_deref()
            .and_then(|n| DAYS.iter().position(|x| *x == n))
            .ok_or_else(|| format!("{days_path}[{d}]: expected one of mon, tue, wed, thu, fri, sat, sun, got {day}"))?;
        set |= 1 << bit;
    }
    if set == 0 {
        return Err(format!("{days_path}: at least one day"));
    }
    let start_min = clock(m.get("from"), &format!("{path}.from"))?;
    let end_min = clock(m.get("to"), &format!("{path}.to"))?;
    let off_path = format!("{path}.utc_offset_min");
    let utc_offset_min = match m.get("utc_offset_min") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_i64()
            .filter(|o| (-720..=840).contains(o))
            .and_then(|o| i16::try_from(o).ok())
            .ok_or_else(|| {
                format!("{off_path}: expected whole minutes from -720 to 840, got {v}")
            })?,
    };
    Ok(DailyWindow {
        days: Weekdays(set),
        start_min,
        end_min,
        utc_offset_min,
    })
}

fn rfc3339(t: UnixMs) -> Value {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .map_or(Value::Null, Value::String)
}

fn hhmm(min: u16) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// Writes a schedule as the `schedule` property that [`super::geojson`] reads back to the same
/// [`Schedule`] (date-times in UTC, `Z`). Schedules from ED-318 and ED-269 are written the same way, so the
/// API can show every zone's schedule in one form.
pub fn schedule_json(s: &Schedule) -> Value {
    let periods: Vec<Value> = s
        .periods
        .iter()
        .map(|p| {
            let mut o = Map::new();
            if let Some(t) = p.start {
                o.insert("start".into(), rfc3339(t));
            }
            if let Some(t) = p.end {
                o.insert("end".into(), rfc3339(t));
            }
            if !p.windows.is_empty() {
                let ws: Vec<Value> = p
                    .windows
                    .iter()
                    .map(|w| {
                        let days: Vec<&str> = (0..7u8)
                            .filter(|d| w.days.has(*d))
                            .filter_map(|d| DAYS.get(usize::from(d)).copied())
                            .collect();
                        json!({
                            "days": days,
                            "from": hhmm(w.start_min),
                            "to": hhmm(w.end_min),
                            "utc_offset_min": w.utc_offset_min,
                        })
                    })
                    .collect();
                o.insert("windows".into(), Value::Array(ws));
            }
            Value::Object(o)
        })
        .collect();
    Value::Array(periods)
}
