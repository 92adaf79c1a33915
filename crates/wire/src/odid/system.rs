//! System message (type 4): operator position, operating area, EU classification and system time.
//!
//! [`Packet`] is the zero-copy view, [`Repr`] the decoded message with [`OperatorLocationType`],
//! [`ClassificationType`], [`EuCategory`] and [`EuClass`]. Layout (remoteid.md §1.5): byte 1 operator
//! location type (bits 1..0) and classification type (bits 4..2); operator latitude/longitude at 2..9;
//! area count (10..11), radius (12, × 10 m), ceiling (13..14) and floor (15..16); EU category/class
//! (17); operator geodetic altitude (18..19, v1+); timestamp (20..23, v2, s since 2019-01-01).

use super::MessageType;
use crate::{Error, Result};

code_enum! {
    /// Where the operator position comes from, byte 1 bits 1..0.
    pub enum OperatorLocationType {
        /// 0: takeoff location.
        Takeoff = 0,
        /// 1: live GNSS position of the operator (dynamic).
        LiveGnss = 1,
        /// 2: fixed location.
        Fixed = 2,
    }
}

code_enum! {
    /// Which classification scheme byte 17 follows, byte 1 bits 4..2.
    pub enum ClassificationType {
        Undeclared = 0,
        /// 1: European Union (byte 17 = EU category and class).
        Eu = 1,
    }
}

code_enum! {
    /// EU operation category, byte 17 bits 7..4.
    pub enum EuCategory {
        Undeclared = 0,
        Open = 1,
        Specific = 2,
        Certified = 3,
    }
}

code_enum! {
    /// EU UA class, byte 17 bits 3..0.
    pub enum EuClass {
        Undeclared = 0,
        C0 = 1,
        C1 = 2,
        C2 = 3,
        C3 = 4,
        C4 = 5,
        C5 = 6,
        C6 = 7,
    }
}

message_packet!(MessageType::System);

impl<T: AsRef<[u8]>> Packet<T> {
    /// Byte 1 bits 1..0.
    pub fn operator_location_type(&self) -> OperatorLocationType {
        OperatorLocationType::from(self.byte(1) & 0x03)
    }

    /// Byte 1 bits 4..2.
    pub fn classification_type(&self) -> ClassificationType {
        ClassificationType::from((self.byte(1) >> 2) & 0x07)
    }

    /// Bytes 2..5, 1e-7 degrees.
    pub fn operator_latitude_raw(&self) -> i32 {
        super::get_i32(self.bytes(), 2)
    }

    /// Bytes 6..9, 1e-7 degrees.
    pub fn operator_longitude_raw(&self) -> i32 {
        super::get_i32(self.bytes(), 6)
    }

    /// Bytes 10..11: number of aircraft in the area (swarms).
    pub fn area_count(&self) -> u16 {
        super::get_u16(self.bytes(), 10)
    }

    /// Byte 12: area radius in 10 m steps.
    pub fn area_radius_raw(&self) -> u8 {
        self.byte(12)
    }

    /// Bytes 13..14: area ceiling, altitude encoding.
    pub fn area_ceiling_raw(&self) -> u16 {
        super::get_u16(self.bytes(), 13)
    }

    /// Bytes 15..16: area floor, altitude encoding.
    pub fn area_floor_raw(&self) -> u16 {
        super::get_u16(self.bytes(), 15)
    }

    /// Byte 17 bits 7..4.
    pub fn eu_category(&self) -> EuCategory {
        EuCategory::from(self.byte(17) >> 4)
    }

    /// Byte 17 bits 3..0.
    pub fn eu_class(&self) -> EuClass {
        EuClass::from(self.byte(17) & 0x0f)
    }

    /// Bytes 18..19: operator geodetic altitude, altitude encoding.
    pub fn operator_altitude_raw(&self) -> u16 {
        super::get_u16(self.bytes(), 18)
    }

    /// Bytes 20..23: seconds since 2019-01-01 00:00:00 UTC.
    pub fn timestamp_raw(&self) -> u32 {
        super::get_u32(self.bytes(), 20)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Writes byte 1 whole (values masked to their widths; reserved bits 7..5 = 0).
    pub fn set_types(
        &mut self,
        location: OperatorLocationType,
        classification: ClassificationType,
    ) {
        let b = (u8::from(location) & 0x03) | ((u8::from(classification) & 0x07) << 2);
        self.set_byte(1, b);
    }

    /// Sets bytes 2..5.
    pub fn set_operator_latitude_raw(&mut self, value: i32) {
        super::set_i32(self.bytes_mut(), 2, value);
    }

    /// Sets bytes 6..9.
    pub fn set_operator_longitude_raw(&mut self, value: i32) {
        super::set_i32(self.bytes_mut(), 6, value);
    }

    /// Sets bytes 10..11.
    pub fn set_area_count(&mut self, value: u16) {
        super::set_u16(self.bytes_mut(), 10, value);
    }

    /// Sets byte 12.
    pub fn set_area_radius_raw(&mut self, value: u8) {
        self.set_byte(12, value);
    }

    /// Sets bytes 13..14.
    pub fn set_area_ceiling_raw(&mut self, value: u16) {
        super::set_u16(self.bytes_mut(), 13, value);
    }

    /// Sets bytes 15..16.
    pub fn set_area_floor_raw(&mut self, value: u16) {
        super::set_u16(self.bytes_mut(), 15, value);
    }

    /// Sets byte 17 (values masked to 4 bits).
    pub fn set_eu(&mut self, category: EuCategory, class: EuClass) {
        let b = ((u8::from(category) & 0x0f) << 4) | (u8::from(class) & 0x0f);
        self.set_byte(17, b);
    }

    /// Sets bytes 18..19.
    pub fn set_operator_altitude_raw(&mut self, value: u16) {
        super::set_u16(self.bytes_mut(), 18, value);
    }

    /// Sets bytes 20..23.
    pub fn set_timestamp_raw(&mut self, value: u32) {
        super::set_u32(self.bytes_mut(), 20, value);
    }

    /// Zeroes the reserved byte 24.
    pub fn clear_reserved(&mut self) {
        self.set_byte(24, 0);
    }
}

/// A decoded System message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Repr {
    /// Protocol version nibble.
    pub version: u8,
    pub operator_location_type: OperatorLocationType,
    pub classification_type: ClassificationType,
    /// Operator (or takeoff) latitude in degrees; `None` with longitude when both raw values are zero.
    pub operator_latitude: Option<f64>,
    /// Operator longitude in degrees.
    pub operator_longitude: Option<f64>,
    /// Number of aircraft in the area (1 for a single UA; some transmitters send 0).
    pub area_count: u16,
    /// Area radius in metres (multiples of 10, max 2550).
    pub area_radius: u16,
    /// Area ceiling in metres; `None` = unknown (−1000 m).
    pub area_ceiling: Option<f32>,
    /// Area floor in metres; `None` = unknown.
    pub area_floor: Option<f32>,
    /// Meaningful only when `classification_type` is [`ClassificationType::Eu`]; kept as sent otherwise.
    pub eu_category: EuCategory,
    /// Meaningful only when `classification_type` is [`ClassificationType::Eu`].
    pub eu_class: EuClass,
    /// Operator geodetic altitude in metres (v1+); `None` = unknown.
    pub operator_altitude: Option<f32>,
    /// Seconds since 2019-01-01 00:00:00 UTC (v2); `None` when zero (earlier versions reserve the bytes).
    pub timestamp: Option<u32>,
}

impl Repr {
    /// Decodes a System message.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] for fewer than 25 bytes, [`Error::NotApplicable`] for another message type.
    #[inline]
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        packet.check_for()?;
        let (operator_latitude, operator_longitude) = super::decode_lat_lon(
            packet.operator_latitude_raw(),
            packet.operator_longitude_raw(),
        );
        Ok(Repr {
            version: packet.version(),
            operator_location_type: packet.operator_location_type(),
            classification_type: packet.classification_type(),
            operator_latitude,
            operator_longitude,
            area_count: packet.area_count(),
            area_radius: u16::from(packet.area_radius_raw()) * 10,
            area_ceiling: super::decode_altitude(packet.area_ceiling_raw()),
            area_floor: super::decode_altitude(packet.area_floor_raw()),
            eu_category: packet.eu_category(),
            eu_class: packet.eu_class(),
            operator_altitude: super::decode_altitude(packet.operator_altitude_raw()),
            timestamp: super::decode_timestamp(packet.timestamp_raw()),
        })
    }

    /// Writes the message; reserved bits are zeroed. The area radius is divided by 10 with truncation
    /// (as the reference encoder does) and capped at 2550 m; altitudes are truncated to 0.5 m.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Packet<&mut T>) {
        packet.set_header(self.version);
        packet.set_types(self.operator_location_type, self.classification_type);
        packet.set_operator_latitude_raw(super::encode_coordinate(self.operator_latitude));
        packet.set_operator_longitude_raw(super::encode_coordinate(self.operator_longitude));
        packet.set_area_count(self.area_count);
        packet.set_area_radius_raw(u8::try_from(self.area_radius / 10).unwrap_or(u8::MAX));
        packet.set_area_ceiling_raw(super::encode_altitude(self.area_ceiling));
        packet.set_area_floor_raw(super::encode_altitude(self.area_floor));
        packet.set_eu(self.eu_category, self.eu_class);
        packet.set_operator_altitude_raw(super::encode_altitude(self.operator_altitude));
        packet.set_timestamp_raw(self.timestamp.unwrap_or(0));
        packet.clear_reserved();
    }

    /// The timestamp in Unix seconds.
    pub fn unix_timestamp(&self) -> Option<u64> {
        self.timestamp.map(super::unix_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// System from vectors/opendroneid-core-c_test_inout.txt ("System:").
    const INOUT: [u8; 25] = [
        0x42, // type 4 System, version 2
        0x04, // classification 1 (EU), operator location type 0 (takeoff)
        0xa6, 0xbf, 0x24, 0x1b, // operator latitude 455393190
        0xd2, 0xd1, 0xb4, 0xb6, // operator longitude -1229663790
        0x23, 0x00, // area count 35
        0x07, // area radius 7 × 10 = 70 m
        0x31, 0x09, // area ceiling 2353 → 176.5 m
        0x23, 0x08, // area floor 2083 → 41.5 m
        0x24, // EU category 2 (specific), class 4 (C3)
        0xf9, 0x07, // operator altitude 2041 → 20.5 m
        0x00, 0x3f, 0xab, 0x01, // timestamp 28000000
        0x00, // reserved
    ];

    /// Real BlueMark DroneBeacon BT4 System (vectors/sutt0n_fixture_vectors.txt, after `0d 45`).
    const DRONEBEACON: [u8; 25] = [
        0x42, // System, version 2
        0x00, // classification 0 (undeclared), location type 0 (takeoff)
        0x0d, 0x0a, 0x57, 0x15, // operator latitude 358025741
        0xe8, 0x9a, 0xee, 0xc9, // operator longitude -907109656
        0x01, 0x00, // area count 1
        0x00, // radius 0
        0x00, 0x00, // ceiling unknown
        0x00, 0x00, // floor unknown
        0x00, // EU category/class undeclared
        0x56, 0x08, // operator altitude 2134 → 67 m
        0xc8, 0x85, 0x55, 0x0a, // timestamp 173376968 (2024-06-29 16:16:08 UTC)
        0x00, // reserved
    ];

    fn parse(bytes: &[u8]) -> Repr {
        Repr::parse(&Packet::new_checked(bytes).unwrap()).unwrap()
    }

    #[test]
    fn construct() {
        let mut out = [0xffu8; 25];
        let mut p = Packet::new_unchecked(&mut out[..]);
        p.set_header(2);
        p.set_types(OperatorLocationType::Takeoff, ClassificationType::Eu);
        p.set_operator_latitude_raw(455_393_190);
        p.set_operator_longitude_raw(-1_229_663_790);
        p.set_area_count(35);
        p.set_area_radius_raw(7);
        p.set_area_ceiling_raw(2353);
        p.set_area_floor_raw(2083);
        p.set_eu(EuCategory::Specific, EuClass::C3);
        p.set_operator_altitude_raw(2041);
        p.set_timestamp_raw(28_000_000);
        p.clear_reserved();
        assert_eq!(out, INOUT);
    }

    #[test]
    fn parse_inout() {
        let r = parse(&INOUT);
        assert_eq!(r.operator_location_type, OperatorLocationType::Takeoff);
        assert_eq!(r.classification_type, ClassificationType::Eu);
        assert!((r.operator_latitude.unwrap() - 45.539319).abs() < 1e-9);
        assert!((r.operator_longitude.unwrap() + 122.966379).abs() < 1e-9);
        assert_eq!(r.area_count, 35);
        assert_eq!(r.area_radius, 70);
        assert_eq!(r.area_ceiling, Some(176.5));
        assert_eq!(r.area_floor, Some(41.5));
        assert_eq!(r.eu_category, EuCategory::Specific);
        assert_eq!(r.eu_class, EuClass::C3);
        assert_eq!(r.operator_altitude, Some(20.5));
        assert_eq!(r.timestamp, Some(28_000_000));
    }

    #[test]
    fn parse_dronebeacon() {
        let r = parse(&DRONEBEACON);
        assert_eq!(r.classification_type, ClassificationType::Undeclared);
        assert!((r.operator_latitude.unwrap() - 35.8025741).abs() < 1e-9);
        assert!((r.operator_longitude.unwrap() + 90.7109656).abs() < 1e-9);
        assert_eq!(r.area_count, 1);
        assert_eq!((r.area_ceiling, r.area_floor), (None, None));
        assert_eq!(r.operator_altitude, Some(67.0));
        // 2024-06-29 16:16:08 UTC.
        assert_eq!(r.unix_timestamp(), Some(1_719_677_768));
    }

    #[test]
    fn emit_reproduces_bytes() {
        for bytes in [&INOUT, &DRONEBEACON] {
            let mut out = [0xffu8; 25];
            parse(bytes).emit(&mut Packet::new_unchecked(&mut out[..]));
            assert_eq!(&out, bytes);
        }
    }

    #[test]
    fn unknown_codes_and_quantisation() {
        let mut bytes = INOUT;
        bytes[1] = 0x1f; // classification 7 (reserved), location type 3 (reserved)
        bytes[17] = 0x9e; // category 9, class 14
        let r = parse(&bytes);
        assert_eq!(r.operator_location_type, OperatorLocationType::Unknown(3));
        assert_eq!(r.classification_type, ClassificationType::Unknown(7));
        assert_eq!(r.eu_category, EuCategory::Unknown(9));
        assert_eq!(r.eu_class, EuClass::Unknown(14));
        let mut out = [0u8; 25];
        r.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, bytes);
        // Inputs from test_inout.c: radius 75 → 7, ceiling 176.9 → 2353, floor 41.7 → 2083.
        let mut r = parse(&INOUT);
        r.area_radius = 75;
        r.area_ceiling = Some(176.9);
        r.area_floor = Some(41.7);
        r.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, INOUT);
    }
}
