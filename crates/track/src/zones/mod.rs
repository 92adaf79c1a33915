//! Zones: [`Zone`] (a [`Geometry`] with an [`AltitudeBand`], a [`Schedule`] and a [`Restriction`]) and
//! [`ZoneIndex`], which answers "which zones contain this point" in time that does not grow with the
//! number of zones: an R-tree (`rstar`) of bounding boxes in degrees picks candidates, then an exact test
//! decides (great-circle distance for circles, point-in-polygon with `geo` for polygons).
//!
//! Importers for GeoJSON, ED-269, ED-318 and airport lists are in [`import`].
//!
//! # Altitudes
//!
//! A band limit is compared with the aircraft value of the same reference ([`Altitudes`]): AGL limits
//! with the height above ground, or — when the aircraft only gives height above take-off — with that,
//! since take-off is normally from the ground; AMSL and WGS-84 limits with the geodetic altitude (WGS-84
//! ellipsoid height, which differs from AMSL by the geoid undulation, about +50 m over Switzerland) or, when
//! missing, the pressure altitude. When the aircraft does not give the value a limit needs, that limit is
//! taken as met: a zone alert is better than a missed one.
//!
//! # Geometry limits
//!
//! Circles are exact on the sphere (haversine on the GRS80 mean radius), including across the antimeridian
//! and around the poles. Polygons are tested in plain longitude/latitude (a polygon edge is a straight line
//! in degrees, as in GeoJSON), and must not cross the antimeridian.

pub mod import;

use std::fmt;

use geo::{BoundingRect, Distance, Haversine, Intersects, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use crate::observation::{HeightRef, LatLon, Position};
use crate::time::UnixMs;

/// A zone's id (the source's identifier, e.g. `LSZB003` or an airport's ICAO code).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZoneId(pub String);

impl fmt::Display for ZoneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A zone's horizontal extent.
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    /// All points within `radius_m` metres (great-circle) of `center`.
    Circle {
        /// Centre.
        center: LatLon,
        /// Radius, metres.
        radius_m: f64,
    },
    /// One or more polygons (with holes), coordinates x = longitude, y = latitude.
    Polygon(MultiPolygon<f64>),
}

impl Geometry {
    /// Whether `p` is inside (boundary included).
    pub fn contains(&self, p: LatLon) -> bool {
        match self {
            Geometry::Circle { center, radius_m } => {
                let d = Haversine
                    .distance(Point::new(center.lon, center.lat), Point::new(p.lon, p.lat));
                d <= *radius_m
            }
            Geometry::Polygon(mp) => mp.intersects(&Point::new(p.lon, p.lat)),
        }
    }

    /// Bounding boxes `[[lon_min, lat_min], [lon_max, lat_max]]`; two for a circle across the antimeridian.
    /// Empty for a geometry with no valid extent.
    fn boxes(&self) -> Vec<[[f64; 2]; 2]> {
        match self {
            Geometry::Circle { center, radius_m } => circle_boxes(*center, *radius_m),
            Geometry::Polygon(mp) => match mp.bounding_rect() {
                Some(r) if r.min().x.is_finite() && r.max().y.is_finite() => {
                    vec![[[r.min().x, r.min().y], [r.max().x, r.max().y]]]
                }
                _ => Vec::new(),
            },
        }
    }
}

/// Bounding boxes of a spherical cap. The longitude half-width `asin(sin r / cos lat)` is exact for a
/// cap that does not reach a pole; a cap that does spans all longitudes.
fn circle_boxes(c: LatLon, radius_m: f64) -> Vec<[[f64; 2]; 2]> {
    if !c.is_valid() || !radius_m.is_finite() || radius_m < 0.0 {
        return Vec::new();
    }
    // A margin of ~1 cm keeps the box conservative against rounding; the exact test decides.
    const MARGIN_DEG: f64 = 1e-7;
    let ang = radius_m / Haversine.radius();
    if ang >= core::f64::consts::PI {
        return vec![[[-180.0, -90.0], [180.0, 90.0]]];
    }
    let dlat = ang.to_degrees() + MARGIN_DEG;
    let lat_min = c.lat - dlat;
    let lat_max = c.lat + dlat;
    if lat_max >= 90.0 || lat_min <= -90.0 {
        return vec![[[-180.0, lat_min.max(-90.0)], [180.0, lat_max.min(90.0)]]];
    }
    let s = ang.sin() / c.lat.to_radians().cos();
    if s >= 1.0 {
        return vec![[[-180.0, lat_min], [180.0, lat_max]]];
    }
    let dlon = s.asin().to_degrees() + MARGIN_DEG;
    let (lo, hi) = (c.lon - dlon, c.lon + dlon);
    if lo < -180.0 {
        vec![
            [[lo + 360.0, lat_min], [180.0, lat_max]],
            [[-180.0, lat_min], [hi, lat_max]],
        ]
    } else if hi > 180.0 {
        vec![
            [[lo, lat_min], [180.0, lat_max]],
            [[-180.0, lat_min], [hi - 360.0, lat_max]],
        ]
    } else {
        vec![[[lo, lat_min], [hi, lat_max]]]
    }
}

/// The vertical reference of an altitude limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AltitudeRef {
    /// Above ground level.
    Agl,
    /// Above mean sea level.
    Amsl,
    /// Above the WGS-84 ellipsoid.
    Wgs84,
    /// Any other reference name; compared like AMSL.
    Unknown(String),
}

impl AltitudeRef {
    /// From the ED-269/ED-318 names (`AGL`, `AMSL`, `WGS84`), case-insensitive.
    pub fn parse(s: &str) -> AltitudeRef {
        match s.to_ascii_uppercase().as_str() {
            "AGL" | "SFC" => AltitudeRef::Agl,
            "AMSL" | "MSL" => AltitudeRef::Amsl,
            "WGS84" => AltitudeRef::Wgs84,
            _ => AltitudeRef::Unknown(s.to_owned()),
        }
    }
}

/// One altitude limit, metres.
#[derive(Debug, Clone, PartialEq)]
pub struct AltitudeLimit {
    /// Metres above `reference`.
    pub metres: f64,
    /// What it is measured from.
    pub reference: AltitudeRef,
}

/// The vertical extent of a zone; a missing limit is unbounded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AltitudeBand {
    /// Floor (inclusive).
    pub lower: Option<AltitudeLimit>,
    /// Ceiling (inclusive).
    pub upper: Option<AltitudeLimit>,
}

/// The aircraft's altitudes in the references zones use.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Altitudes {
    /// Height above ground (or above take-off), metres.
    pub agl_m: Option<f64>,
    /// Altitude above sea level (geodetic, else pressure), metres.
    pub amsl_m: Option<f64>,
}

impl Altitudes {
    /// What a broadcast position offers (see the module docs for the approximations).
    pub fn of(p: &Position) -> Altitudes {
        let agl_m = match p.height_ref {
            Some(HeightRef::AboveGround | HeightRef::AboveTakeoff) => p.height_m,
            None => None,
        };
        Altitudes {
            agl_m,
            amsl_m: p.alt_geo_m.or(p.alt_baro_m),
        }
    }

    fn get(&self, r: &AltitudeRef) -> Option<f64> {
        match r {
            AltitudeRef::Agl => self.agl_m,
            _ => self.amsl_m,
        }
    }
}

impl AltitudeBand {
    /// Whether the aircraft is inside the band; a limit whose reference the aircraft does not give is
    /// taken as met.
    pub fn contains(&self, alt: &Altitudes) -> bool {
        let above_floor = self
            .lower
            .as_ref()
            .met_or_unknown(|l| alt.get(&l.reference).map(|v| v >= l.metres));
        let below_ceiling = self
            .upper
            .as_ref()
            .met_or_unknown(|l| alt.get(&l.reference).map(|v| v <= l.metres));
        above_floor && below_ceiling
    }
}

/// `None` limit, or a limit whose value is unknown, counts as met.
trait LimitMet<T> {
    fn met_or_unknown(self, f: impl FnOnce(T) -> Option<bool>) -> bool;
}

impl<T> LimitMet<T> for Option<T> {
    fn met_or_unknown(self, f: impl FnOnce(T) -> Option<bool>) -> bool {
        match self {
            None => true,
            Some(l) => f(l).unwrap_or(true),
        }
    }
}

/// How restrictive a zone is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restriction {
    /// No flight (ED-269/318 `PROHIBITED`).
    Prohibited,
    /// Flight needs an authorisation (`REQ_AUTHORISATION` / `REQ_AUTHORIZATION`).
    AuthRequired,
    /// Flight under conditions (`CONDITIONAL`, `RESTRICTED`).
    Restricted,
    /// Information only (`NO_RESTRICTION`, `INFO`).
    Info,
    /// Any other value, kept as given.
    Unknown(String),
}

impl Restriction {
    /// From the ED-269/ED-318 names (also our own `prohibited`, `auth-required`, `restricted`, `info`).
    pub fn parse(s: &str) -> Restriction {
        match s.to_ascii_uppercase().replace('-', "_").as_str() {
            "PROHIBITED" => Restriction::Prohibited,
            "REQ_AUTHORISATION" | "REQ_AUTHORIZATION" | "AUTH_REQUIRED" => {
                Restriction::AuthRequired
            }
            "CONDITIONAL" | "RESTRICTED" => Restriction::Restricted,
            "NO_RESTRICTION" | "INFO" => Restriction::Info,
            _ => Restriction::Unknown(s.to_owned()),
        }
    }
}

/// Days of the week as a bit set, bit 0 = Monday … bit 6 = Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(pub u8);

impl Weekdays {
    /// Every day.
    pub const ALL: Weekdays = Weekdays(0x7F);

    /// Whether day `d` (0 = Monday) is in the set.
    pub fn has(self, d: u8) -> bool {
        d < 7 && self.0 & (1 << d) != 0
    }
}

/// A daily time window on some weekdays, in a fixed UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyWindow {
    /// The days the window starts on.
    pub days: Weekdays,
    /// Start, minutes after local midnight (inclusive).
    pub start_min: u16,
    /// End, minutes after local midnight (exclusive). Equal to `start_min`: the whole day; smaller: the
    /// window runs past midnight into the next day.
    pub end_min: u16,
    /// Offset of local time from UTC, minutes.
    pub utc_offset_min: i16,
}

impl DailyWindow {
    fn contains(&self, at: UnixMs) -> bool {
        let local_min =
            at.0.div_euclid(60_000)
                .saturating_add(i64::from(self.utc_offset_min));
        let day = local_min.div_euclid(1440);
        let minute = local_min.rem_euclid(1440);
        // 1970-01-01 was a Thursday (day 3 when Monday is 0).
        let weekday = |d: i64| (d + 3).rem_euclid(7) as u8;
        let (s, e) = (i64::from(self.start_min), i64::from(self.end_min));
        if s == e {
            self.days.has(weekday(day))
        } else if s < e {
            self.days.has(weekday(day)) && minute >= s && minute < e
        } else {
            (self.days.has(weekday(day)) && minute >= s)
                || (self.days.has(weekday(day - 1)) && minute < e)
        }
    }
}

/// One applicability period: a validity interval, optionally narrowed to daily windows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Period {
    /// Valid from (inclusive); `None`: since ever.
    pub start: Option<UnixMs>,
    /// Valid until (exclusive); `None`: for ever.
    pub end: Option<UnixMs>,
    /// Daily windows; empty: all day.
    pub windows: Vec<DailyWindow>,
}

/// When a zone applies: any of its periods; no period at all means permanently.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schedule {
    /// The periods.
    pub periods: Vec<Period>,
}

impl Schedule {
    /// Whether the zone applies at `at`.
    pub fn is_active(&self, at: UnixMs) -> bool {
        self.periods.is_empty()
            || self.periods.iter().any(|p| {
                p.start.is_none_or(|s| at >= s)
                    && p.end.is_none_or(|e| at < e)
                    && (p.windows.is_empty() || p.windows.iter().any(|w| w.contains(at)))
            })
    }
}

/// A geographical zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Its id.
    pub id: ZoneId,
    /// Display name.
    pub name: String,
    /// Horizontal extent.
    pub geometry: Geometry,
    /// Vertical extent.
    pub band: AltitudeBand,
    /// When it applies.
    pub schedule: Schedule,
    /// How restrictive it is.
    pub restriction: Restriction,
}

impl Zone {
    /// A permanent circle with no altitude limits.
    pub fn circle(id: &str, center: LatLon, radius_m: f64, restriction: Restriction) -> Zone {
        Zone {
            id: ZoneId(id.to_owned()),
            name: id.to_owned(),
            geometry: Geometry::Circle { center, radius_m },
            band: AltitudeBand::default(),
            schedule: Schedule::default(),
            restriction,
        }
    }
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Zones with a spatial index; immutable once built (rebuild to change the set: bulk loading is fast).
#[derive(Debug, Clone)]
pub struct ZoneIndex {
    zones: Vec<Zone>,
    tree: RTree<Entry>,
}

impl ZoneIndex {
    /// Builds the index. Zones with no valid extent (NaN coordinates, negative radius, empty polygon) are
    /// kept in [`ZoneIndex::zones`] but never match.
    pub fn new(zones: Vec<Zone>) -> ZoneIndex {
        let mut entries = Vec::with_capacity(zones.len());
        for (i, z) in zones.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            for [lo, hi] in z.geometry.boxes() {
                entries.push(GeomWithData::new(Rectangle::from_corners(lo, hi), i));
            }
        }
        ZoneIndex {
            zones,
            tree: RTree::bulk_load(entries),
        }
    }

    /// All zones, in the order given.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Whether there are no zones.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// The zones whose horizontal extent contains `p`, whatever the altitude or time. No zone for an
    /// invalid point.
    pub fn containing(&self, p: LatLon) -> impl Iterator<Item = &Zone> + '_ {
        let valid = p.is_valid();
        self.tree
            .locate_all_at_point(&[p.lon, p.lat])
            .filter(move |_| valid)
            .filter_map(move |e| self.zones.get(e.data as usize))
            .filter(move |z| z.geometry.contains(p))
    }

    /// The zones that apply to an aircraft at `p` with altitudes `alt` at time `at`: horizontal extent,
    /// altitude band and schedule.
    pub fn matching<'a>(
        &'a self,
        p: LatLon,
        alt: &'a Altitudes,
        at: UnixMs,
    ) -> impl Iterator<Item = &'a Zone> + 'a {
        self.containing(p)
            .filter(move |z| z.band.contains(alt) && z.schedule.is_active(at))
    }
}
