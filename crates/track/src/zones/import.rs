//! Zone importers. Each takes the file's text and returns [`Zone`]s; none touches the file system.
//!
//! - [`geojson`]: plain GeoJSON (FeatureCollection or Feature) with our property names.
//! - [`ed269`]: EUROCAE ED-269 JSON (`UASZoneList`).
//! - [`ed318`]: EUROCAE ED-318 GeoJSON (FeatureCollection with `layer` limits and `limitedApplicability`).
//! - [`airports_csv`]: airport lists (`airportsdata` or OurAirports columns) as circles.
//!
//! All coordinates are read as GeoJSON `[longitude, latitude]`. That includes ED-269, whose sample
//! (`cis_source_sample_ed269.json`, Geneva at 46.2° N 6.2° E) stores `[6.166…, 46.217…]`: longitude first,
//! unlike the latitude-first order of the rest of the aviation world (AIXM/ICAO), which is the quirk to
//! remember when writing ED-269 by hand.

use geo::{LineString, MultiPolygon, Polygon};
use serde::Deserialize;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{
    AltitudeBand, AltitudeLimit, AltitudeRef, DailyWindow, Geometry, Period, Restriction, Schedule,
    Weekdays, Zone, ZoneId,
};
use crate::observation::LatLon;
use crate::time::UnixMs;

mod schedule;
pub use schedule::schedule_json;

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The text is not JSON of the expected shape.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The CSV is malformed.
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// One item (feature, zone or row, counted from 0) is unusable.
    #[error("{format} item {index}: {reason}")]
    Item {
        /// Which importer.
        format: &'static str,
        /// The item's position in the file.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The file as a whole is not of the expected kind (e.g. missing CSV columns).
    #[error("{0}")]
    Format(String),
}

fn item(format: &'static str, index: usize, reason: impl Into<String>) -> ImportError {
    ImportError::Item {
        format,
        index,
        reason: reason.into(),
    }
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum GeomJson {
    Point {
        coordinates: Vec<f64>,
    },
    Polygon {
        coordinates: Vec<Vec<Vec<f64>>>,
    },
    MultiPolygon {
        coordinates: Vec<Vec<Vec<Vec<f64>>>>,
    },
    /// ED-269 circle: `center` `[lon, lat]`, `radius` in the zone's unit.
    Circle {
        center: Vec<f64>,
        radius: f64,
    },
    #[serde(other)]
    Other,
}

fn lonlat(c: &[f64]) -> Option<LatLon> {
    match c {
        [lon, lat, ..] => Some(LatLon::new(*lat, *lon)).filter(LatLon::is_valid),
        _ => None,
    }
}

fn ring(r: &[Vec<f64>]) -> Option<LineString<f64>> {
    let pts: Option<Vec<(f64, f64)>> = r
        .iter()
        .map(|c| lonlat(c).map(|p| (p.lon, p.lat)))
        .collect();
    let pts = pts?;
    (pts.len() >= 3).then(|| LineString::from(pts))
}

fn polygon(rings: &[Vec<Vec<f64>>]) -> Option<Polygon<f64>> {
    let (outer, holes) = rings.split_first()?;
    let holes: Option<Vec<_>> = holes.iter().map(|h| ring(h)).collect();
    Some(Polygon::new(ring(outer)?, holes?))
}

/// Geometry of a GeoJSON-like object; `radius_m` is required for points.
fn geometry(g: &GeomJson, radius_m: Option<f64>) -> Result<Geometry, String> {
    match g {
        GeomJson::Point { coordinates } => {
            let center = lonlat(coordinates).ok_or("bad point coordinates")?;
            let radius_m = radius_m
                .filter(|r| r.is_finite() && *r >= 0.0)
                .ok_or("a Point needs a radius")?;
            Ok(Geometry::Circle { center, radius_m })
        }
        GeomJson::Circle { center, radius } => {
            let center = lonlat(center).ok_or("bad circle centre")?;
            let radius_m = radius_m.unwrap_or(*radius);
            if !(radius_m.is_finite() && radius_m >= 0.0) {
                return Err("bad circle radius".into());
            }
            Ok(Geometry::Circle { center, radius_m })
        }
        GeomJson::Polygon { coordinates } => polygon(coordinates)
            .map(|p| Geometry::Polygon(MultiPolygon::new(vec![p])))
            .ok_or_else(|| "bad polygon coordinates".into()),
        GeomJson::MultiPolygon { coordinates } => {
            let ps: Option<Vec<_>> = coordinates.iter().map(|p| polygon(p)).collect();
            ps.map(|ps| Geometry::Polygon(MultiPolygon::new(ps)))
                .ok_or_else(|| "bad multipolygon coordinates".into())
        }
        GeomJson::Other => Err("unsupported geometry type".into()),
    }
}

/// A number given as JSON number or numeric string; `None` for null/absent.
fn number(v: Option<&Value>) -> Result<Option<f64>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| format!("not a number: {s:?}")),
        Some(other) => Err(format!("not a number: {other}")),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Metres per unit of an ED-269/ED-318 unit of measure.
fn metres_per(uom: Option<&str>) -> Result<f64, String> {
    match uom.map(str::to_ascii_uppercase).as_deref() {
        None | Some("M") => Ok(1.0),
        Some("FT") => Ok(0.3048),
        Some(other) => Err(format!("unsupported unit {other:?}")),
    }
}

fn limit(value: Option<f64>, reference: Option<&str>, scale: f64) -> Option<AltitudeLimit> {
    value.map(|v| AltitudeLimit {
        metres: v * scale,
        reference: reference.map_or(AltitudeRef::Agl, AltitudeRef::parse),
    })
}

/// Parses an RFC 3339 date-time (`2024-11-15T00:00:00+01:00`).
fn datetime(v: Option<&Value>) -> Result<Option<UnixMs>, String> {
    let Some(s) = text(v) else { return Ok(None) };
    let t = OffsetDateTime::parse(&s, &Rfc3339).map_err(|e| format!("date-time {s:?}: {e}"))?;
    let ms = t.unix_timestamp_nanos() / 1_000_000;
    i64::try_from(ms)
        .map(|ms| Some(UnixMs(ms)))
        .map_err(|_| format!("date-time {s:?} out of range"))
}

/// Parses a time of day with optional offset: `08:30`, `08:30:00`, `00:00:00.00+01:00`, `17:00Z`.
/// Written by hand because the sources vary in precision and offset form, which one fixed `time` format
/// description does not cover. Returns (minutes after midnight, offset minutes).
fn time_of_day(s: &str) -> Result<(u16, i16), String> {
    let bad = || format!("time of day {s:?}");
    let s = s.trim();
    let (clock, offset) = if let Some(c) = s.strip_suffix('Z') {
        (c, 0i16)
    } else if let Some(pos) = s.rfind(['+', '-']) {
        let (c, o) = s.split_at(pos);
        let sign: i16 = if o.starts_with('-') { -1 } else { 1 };
        let o = o.get(1..).ok_or_else(bad)?;
        let (oh, om) = o.split_once(':').unwrap_or((o, "0"));
        let oh: i16 = oh.parse().map_err(|_| bad())?;
        let om: i16 = om.parse().map_err(|_| bad())?;
        if oh > 23 || om > 59 {
            return Err(bad());
        }
        (c, sign * (oh * 60 + om))
    } else {
        (s, 0)
    };
    let mut parts = clock.split(':');
    let h: u16 = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
    let m: u16 = parts.next().unwrap_or("0").parse().map_err(|_| bad())?;
    // ED-269 allows 24:00 as the end of the day.
    if h > 24 || m > 59 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(((h * 60 + m) % 1440, offset))
}

/// Days from ED-269/ED-318 names (`MON` … `SUN`, `ANY`). An empty list or an unknown name gives all days:
/// a zone that applies too often is safer than one that never does.
fn weekdays(v: Option<&Value>) -> Weekdays {
    let Some(Value::Array(days)) = v else {
        return Weekdays::ALL;
    };
    let mut set = 0u8;
    for d in days {
        let bit = match d.as_str().map(str::to_ascii_uppercase).as_deref() {
            Some("MON") => 0,
            Some("TUE") => 1,
            Some("WED") => 2,
            Some("THU") => 3,
            Some("FRI") => 4,
            Some("SAT") => 5,
            Some("SUN") => 6,
            _ => return Weekdays::ALL,
        };
        set |= 1 << bit;
    }
    if set == 0 {
        Weekdays::ALL
    } else {
        Weekdays(set)
    }
}

/// Daily windows from `[{day, startTime, endTime}]`; entries without times are "all day".
fn windows(v: Option<&Value>) -> Result<Vec<DailyWindow>, String> {
    let Some(Value::Array(list)) = v else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for w in list {
        let days = weekdays(w.get("day"));
        let start = text(w.get("startTime"));
        let end = text(w.get("endTime"));
        let (start_min, end_min, utc_offset_min) = match (start, end) {
            (Some(s), Some(e)) => {
                let (s, off) = time_of_day(&s)?;
                let (e, _) = time_of_day(&e)?;
                (s, e, off)
            }
            (None, None) => (0, 0, 0),
            _ => return Err("a daily period needs both startTime and endTime".into()),
        };
        out.push(DailyWindow {
            days,
            start_min,
            end_min,
            utc_offset_min,
        });
    }
    // A list made only of all-day, all-week windows is no restriction at all.
    if out
        .iter()
        .all(|w| w.start_min == w.end_min && w.days == Weekdays::ALL)
    {
        out.clear();
    }
    Ok(out)
}

/// ED-318 `name`: a string or `[{text, lang}]`; English preferred.
fn localized(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(list) => {
            let texts: Vec<(&str, &str)> = list
                .iter()
                .filter_map(|e| {
                    Some((
                        e.get("text")?.as_str()?,
                        e.get("lang")?.as_str().unwrap_or(""),
                    ))
                })
                .collect();
            texts
                .iter()
                .find(|(_, l)| l.starts_with("en"))
                .or(texts.first())
                .map(|(t, _)| (*t).to_owned())
        }
        _ => None,
    }
}

#[derive(Deserialize)]
struct Feature {
    #[serde(default)]
    id: Option<Value>,
    geometry: Option<FeatureGeometry>,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct FeatureGeometry {
    #[serde(flatten)]
    shape: GeomJson,
    /// ED-318 vertical limits.
    #[serde(default)]
    layer: Option<Map<String, Value>>,
    /// ED-318 circle: a Point with `extent: {subType: "Circle", radius}` (metres).
    #[serde(default)]
    extent: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum Document {
    FeatureCollection { features: Vec<Feature> },
    Feature(Feature),
}

fn features(s: &str) -> Result<Vec<Feature>, ImportError> {
    Ok(match serde_json::from_str::<Document>(s)? {
        Document::FeatureCollection { features } => features,
        Document::Feature(f) => vec![f],
    })
}

/// Reads plain GeoJSON: a FeatureCollection or a single Feature with Point (+ `radius_m` property),
/// Polygon or MultiPolygon geometry. Optional properties: `id` (else the feature `id`, else the index),
/// `name`, `restriction` (see [`Restriction::parse`]; default `Unknown("")`), `lower_m`/`upper_m` with
/// `lower_ref`/`upper_ref` (`AGL` default, `AMSL`, `WGS84`), `schedule` (periods with optional start, end
/// and weekly windows; see [`schedule_json`] and the `schedule` module docs; absent: permanent).
///
/// # Errors
///
/// [`ImportError::Json`] for text that is not a GeoJSON Feature(Collection); [`ImportError::Item`] for a
/// feature with missing or unsupported geometry, a Point without radius, a non-numeric limit, or a
/// schedule that is not exactly of the documented shape (the reason names the field, e.g.
/// `schedule[1].windows[0].from`).
pub fn geojson(s: &str) -> Result<Vec<Zone>, ImportError> {
    const F: &str = "geojson";
    let mut zones = Vec::new();
    for (i, f) in features(s)?.into_iter().enumerate() {
        let props = f.properties.unwrap_or_default();
        let g = f.geometry.ok_or_else(|| item(F, i, "no geometry"))?;
        let radius = number(props.get("radius_m")).map_err(|e| item(F, i, e))?;
        let geometry = geometry(&g.shape, radius).map_err(|e| item(F, i, e))?;
        let id = text(props.get("id"))
            .or_else(|| text(f.id.as_ref()))
            .unwrap_or_else(|| i.to_string());
        let lower = number(props.get("lower_m")).map_err(|e| item(F, i, e))?;
        let upper = number(props.get("upper_m")).map_err(|e| item(F, i, e))?;
        let lower_ref = props.get("lower_ref").and_then(Value::as_str);
        let upper_ref = props.get("upper_ref").and_then(Value::as_str);
        let schedule = schedule::parse(props.get("schedule")).map_err(|e| item(F, i, e))?;
        zones.push(Zone {
            name: text(props.get("name")).unwrap_or_else(|| id.clone()),
            id: ZoneId(id),
            geometry,
            band: AltitudeBand {
                lower: limit(lower, lower_ref, 1.0),
                upper: limit(upper, upper_ref, 1.0),
            },
            schedule,
            restriction: Restriction::parse(
                props
                    .get("restriction")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
            ),
        });
    }
    Ok(zones)
}

/// Reads EUROCAE ED-318 GeoJSON: one zone per feature; `identifier`, localized `name` (English
/// preferred), `type` as restriction, Polygon/MultiPolygon geometry or a Point with
/// `extent: {subType: "Circle", radius}` (metres), `geometry.layer` limits (`uom` m or ft), and
/// `limitedApplicability` periods (date-time interval and/or weekly `schedule`).
///
/// # Errors
///
/// As [`geojson`]; also [`ImportError::Item`] for a bad date-time, time of day or unit.
pub fn ed318(s: &str) -> Result<Vec<Zone>, ImportError> {
    const F: &str = "ed318";
    let mut zones = Vec::new();
    for (i, f) in features(s)?.into_iter().enumerate() {
        let props = f.properties.unwrap_or_default();
        let g = f.geometry.ok_or_else(|| item(F, i, "no geometry"))?;
        let extent = g.extent.unwrap_or_default();
        let radius = number(extent.get("radius")).map_err(|e| item(F, i, e))?;
        let geometry = geometry(&g.shape, radius).map_err(|e| item(F, i, e))?;
        let layer = g.layer.unwrap_or_default();
        let scale =
            metres_per(layer.get("uom").and_then(Value::as_str)).map_err(|e| item(F, i, e))?;
        let lower = number(layer.get("lower")).map_err(|e| item(F, i, e))?;
        let upper = number(layer.get("upper")).map_err(|e| item(F, i, e))?;
        let band = AltitudeBand {
            lower: limit(
                lower,
                layer.get("lowerReference").and_then(Value::as_str),
                scale,
            ),
            upper: limit(
                upper,
                layer.get("upperReference").and_then(Value::as_str),
                scale,
            ),
        };
        let mut periods = Vec::new();
        if let Some(Value::Array(list)) = props.get("limitedApplicability") {
            for a in list {
                periods.push(Period {
                    start: datetime(a.get("startDateTime")).map_err(|e| item(F, i, e))?,
                    end: datetime(a.get("endDateTime")).map_err(|e| item(F, i, e))?,
                    windows: windows(a.get("schedule")).map_err(|e| item(F, i, e))?,
                });
            }
        }
        let id = text(props.get("identifier")).unwrap_or_else(|| i.to_string());
        zones.push(Zone {
            name: localized(props.get("name")).unwrap_or_else(|| id.clone()),
            id: ZoneId(id),
            geometry,
            band,
            schedule: Schedule { periods },
            restriction: Restriction::parse(
                props.get("type").and_then(Value::as_str).unwrap_or(""),
            ),
        });
    }
    Ok(zones)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ed269Doc {
    #[serde(rename = "UASZoneList")]
    uas_zone_list: Vec<Ed269Zone>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ed269Zone {
    identifier: Option<String>,
    name: Option<String>,
    restriction: Option<String>,
    #[serde(default)]
    applicability: Vec<Map<String, Value>>,
    #[serde(default)]
    geometry: Vec<Ed269Volume>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ed269Volume {
    uom_dimensions: Option<String>,
    lower_limit: Option<Value>,
    lower_vertical_reference: Option<String>,
    upper_limit: Option<Value>,
    upper_vertical_reference: Option<String>,
    horizontal_projection: GeomJson,
}

/// Reads EUROCAE ED-269 JSON (`UASZoneList`). A zone with several `geometry` volumes becomes one [`Zone`]
/// per volume, with ids `IDENT`, `IDENT#1`, …; `applicability` entries become schedule periods
/// (`permanent: "YES"` means always).
///
/// # Errors
///
/// [`ImportError::Json`] when there is no `UASZoneList`; [`ImportError::Item`] (index = zone) for an
/// unusable volume, limit, date-time or time of day.
pub fn ed269(s: &str) -> Result<Vec<Zone>, ImportError> {
    const F: &str = "ed269";
    let doc: Ed269Doc = serde_json::from_str(s)?;
    let mut zones = Vec::new();
    for (i, z) in doc.uas_zone_list.into_iter().enumerate() {
        let ident = z.identifier.clone().unwrap_or_else(|| i.to_string());
        let mut periods = Vec::new();
        let mut permanent = false;
        for a in &z.applicability {
            if a.get("permanent").and_then(Value::as_str) == Some("YES") {
                permanent = true;
            }
            periods.push(Period {
                start: datetime(a.get("startDateTime")).map_err(|e| item(F, i, e))?,
                end: datetime(a.get("endDateTime")).map_err(|e| item(F, i, e))?,
                windows: windows(a.get("dailyPeriod")).map_err(|e| item(F, i, e))?,
            });
        }
        if permanent {
            periods.clear();
        }
        let restriction = Restriction::parse(z.restriction.as_deref().unwrap_or(""));
        for (k, v) in z.geometry.iter().enumerate() {
            let scale = metres_per(v.uom_dimensions.as_deref()).map_err(|e| item(F, i, e))?;
            let radius = match &v.horizontal_projection {
                GeomJson::Circle { radius, .. } => Some(radius * scale),
                _ => None,
            };
            let geometry = geometry(&v.horizontal_projection, radius).map_err(|e| item(F, i, e))?;
            let lower = number(v.lower_limit.as_ref()).map_err(|e| item(F, i, e))?;
            let upper = number(v.upper_limit.as_ref()).map_err(|e| item(F, i, e))?;
            let id = if k == 0 {
                ident.clone()
            } else {
                format!("{ident}#{k}")
            };
            zones.push(Zone {
                id: ZoneId(id),
                name: z.name.clone().unwrap_or_else(|| ident.clone()),
                geometry,
                band: AltitudeBand {
                    lower: limit(lower, v.lower_vertical_reference.as_deref(), scale),
                    upper: limit(upper, v.upper_vertical_reference.as_deref(), scale),
                },
                schedule: Schedule {
                    periods: periods.clone(),
                },
                restriction: restriction.clone(),
            });
        }
    }
    Ok(zones)
}

/// Reads an airport list as circles of `radius_m` around each airport, with no altitude limit and
/// restriction [`Restriction::Restricted`] (flying near aerodromes is restricted in most countries; this is
/// a warning layer, not the legal zone).
///
/// Accepts the `airportsdata` columns (`icao, iata, name, city, subd, country, elevation, lat, lon, tz,
/// lid`; id = `icao`) and the OurAirports columns (`ident, type, name, latitude_deg, longitude_deg, …`;
/// id = `ident`; rows of type `closed` are skipped).
///
/// # Errors
///
/// [`ImportError::Format`] when the header has neither column set; [`ImportError::Csv`] for malformed CSV;
/// [`ImportError::Item`] (index = data row) for a non-numeric or out-of-range coordinate.
pub fn airports_csv(s: &str, radius_m: f64) -> Result<Vec<Zone>, ImportError> {
    airports_csv_of_types(s, radius_m, None)
}

/// As [`airports_csv`], keeping only the rows whose `type` column (OurAirports: `large_airport`,
/// `medium_airport`, `small_airport`, `heliport`, …) is one of `types` when it is given.
///
/// # Errors
///
/// As [`airports_csv`]; also [`ImportError::Format`] when `types` is given and the list has no `type`
/// column (the `airportsdata` list has none).
pub fn airports_csv_of_types(
    s: &str,
    radius_m: f64,
    types: Option<&[&str]>,
) -> Result<Vec<Zone>, ImportError> {
    const F: &str = "airports";
    let mut rdr = csv::Reader::from_reader(s.as_bytes());
    let headers = rdr.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (id_c, lat_c, lon_c, type_c) = if let (Some(i), Some(la), Some(lo)) =
        (col("icao"), col("lat"), col("lon"))
    {
        (i, la, lo, None)
    } else if let (Some(i), Some(la), Some(lo)) =
        (col("ident"), col("latitude_deg"), col("longitude_deg"))
    {
        (i, la, lo, col("type"))
    } else {
        return Err(ImportError::Format(
            "airport CSV needs columns icao,lat,lon (airportsdata) or ident,latitude_deg,longitude_deg (OurAirports)".into(),
        ));
    };
    if types.is_some() && type_c.is_none() {
        return Err(ImportError::Format(
            "airport CSV has no type column to filter on (types= needs the OurAirports list)"
                .into(),
        ));
    }
    let name_c = col("name");
    let mut zones = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec?;
        let kind = type_c.and_then(|c| rec.get(c));
        if kind == Some("closed") {
            continue;
        }
        if let (Some(types), Some(kind)) = (types, kind) {
            if !types.contains(&kind) {
                continue;
            }
        }
        let coord = |c: usize| -> Result<f64, ImportError> {
            rec.get(c)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| item(F, i, "bad coordinate"))
        };
        let center = LatLon::new(coord(lat_c)?, coord(lon_c)?);
        if !center.is_valid() {
            return Err(item(F, i, "coordinate out of range"));
        }
        let id = rec.get(id_c).unwrap_or("").to_owned();
        let name = name_c.and_then(|c| rec.get(c)).unwrap_or("").to_owned();
        zones.push(Zone {
            id: ZoneId(id),
            name,
            geometry: Geometry::Circle { center, radius_m },
            band: AltitudeBand::default(),
            schedule: Schedule::default(),
            restriction: Restriction::Restricted,
        });
    }
    Ok(zones)
}
