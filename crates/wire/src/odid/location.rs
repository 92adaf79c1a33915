//! Location/Vector message (type 1): where the UA is, how fast it moves, and how good those figures are.
//!
//! [`Packet`] is the zero-copy view, [`Repr`] the decoded message in degrees, metres and m/s, with
//! [`Status`], [`HeightType`], [`HorizontalAccuracy`], [`VerticalAccuracy`] and [`SpeedAccuracy`].
//! Layout and scalings: remoteid.md §1.2 (from `ODID_Location_encoded` and `opendroneid.c`).

use super::MessageType;
use crate::{Error, Result};

code_enum! {
    /// Operational status, byte 1 bits 7..4.
    pub enum Status {
        Undeclared = 0,
        Ground = 1,
        Airborne = 2,
        Emergency = 3,
        /// 4 (version 2): the Remote ID system itself has failed.
        RemoteIdSystemFailure = 4,
    }
}

code_enum! {
    /// What the `height` field is measured from, byte 1 bit 2.
    pub enum HeightType {
        /// 0: height above the takeoff point.
        AboveTakeoff = 0,
        /// 1: height above ground level.
        AboveGround = 1,
    }
}

code_enum! {
    /// Horizontal position accuracy (95 %), byte 19 bits 3..0.
    pub enum HorizontalAccuracy {
        /// 0: ≥ 18.52 km or unknown.
        Unspecified = 0,
        Below10Nm = 1,
        Below4Nm = 2,
        Below2Nm = 3,
        Below1Nm = 4,
        Below0p5Nm = 5,
        Below0p3Nm = 6,
        Below0p1Nm = 7,
        Below0p05Nm = 8,
        Below30m = 9,
        Below10m = 10,
        Below3m = 11,
        Below1m = 12,
    }
}

impl HorizontalAccuracy {
    /// The upper bound in metres, `None` for unspecified or unknown codes. Uses 7408 m for 4 NM (the
    /// reference decoder's 7808 is a typo).
    pub fn metres(self) -> Option<f32> {
        Some(match self {
            Self::Below10Nm => 18_520.0,
            Self::Below4Nm => 7_408.0,
            Self::Below2Nm => 3_704.0,
            Self::Below1Nm => 1_852.0,
            Self::Below0p5Nm => 926.0,
            Self::Below0p3Nm => 555.6,
            Self::Below0p1Nm => 185.2,
            Self::Below0p05Nm => 92.6,
            Self::Below30m => 30.0,
            Self::Below10m => 10.0,
            Self::Below3m => 3.0,
            Self::Below1m => 1.0,
            Self::Unspecified | Self::Unknown(_) => return None,
        })
    }
}

code_enum! {
    /// Vertical accuracy (95 %) of the geodetic altitude (byte 19 bits 7..4) and of the pressure
    /// altitude (byte 20 bits 7..4).
    pub enum VerticalAccuracy {
        /// 0: ≥ 150 m or unknown.
        Unspecified = 0,
        Below150m = 1,
        Below45m = 2,
        Below25m = 3,
        Below10m = 4,
        Below3m = 5,
        Below1m = 6,
    }
}

impl VerticalAccuracy {
    /// The upper bound in metres, `None` for unspecified or unknown codes.
    pub fn metres(self) -> Option<f32> {
        Some(match self {
            Self::Below150m => 150.0,
            Self::Below45m => 45.0,
            Self::Below25m => 25.0,
            Self::Below10m => 10.0,
            Self::Below3m => 3.0,
            Self::Below1m => 1.0,
            Self::Unspecified | Self::Unknown(_) => return None,
        })
    }
}

code_enum! {
    /// Horizontal speed accuracy (95 %), byte 20 bits 3..0.
    pub enum SpeedAccuracy {
        /// 0: ≥ 10 m/s or unknown.
        Unspecified = 0,
        Below10ms = 1,
        Below3ms = 2,
        Below1ms = 3,
        Below0p3ms = 4,
    }
}

impl SpeedAccuracy {
    /// The upper bound in m/s, `None` for unspecified or unknown codes.
    pub fn metres_per_second(self) -> Option<f32> {
        Some(match self {
            Self::Below10ms => 10.0,
            Self::Below3ms => 3.0,
            Self::Below1ms => 1.0,
            Self::Below0p3ms => 0.3,
            Self::Unspecified | Self::Unknown(_) => return None,
        })
    }
}

/// Raw horizontal speed value meaning "unknown" (with the multiplier bit set): 255 m/s.
const SPEED_UNKNOWN: u8 = 255;
/// Raw vertical speed meaning "unknown": 63 m/s.
const VSPEED_UNKNOWN: i8 = 126;
/// Raw direction meaning "unknown" (with the E/W bit set): 361°.
const DIRECTION_UNKNOWN: u8 = 181;
/// Raw timestamp meaning "unknown" (v1.1+; also out of range in version 0).
const TIMESTAMP_UNKNOWN: u16 = 0xffff;

message_packet!(MessageType::Location);

impl<T: AsRef<[u8]>> Packet<T> {
    /// Byte 1 bits 7..4.
    pub fn status(&self) -> Status {
        Status::from(self.byte(1) >> 4)
    }

    /// Byte 1 bit 2.
    pub fn height_type(&self) -> HeightType {
        HeightType::from((self.byte(1) >> 2) & 1)
    }

    /// Byte 1 bit 1: the direction byte counts from 180° instead of 0°.
    pub fn east_west_segment(&self) -> bool {
        self.byte(1) & 0x02 != 0
    }

    /// Byte 1 bit 0: the speed byte uses the 0.75 m/s step above 63.75 m/s.
    pub fn speed_multiplier(&self) -> bool {
        self.byte(1) & 0x01 != 0
    }

    /// Byte 2, degrees within the half selected by [`Packet::east_west_segment`].
    pub fn direction_raw(&self) -> u8 {
        self.byte(2)
    }

    /// Byte 3, in 0.25 or 0.75 m/s steps per [`Packet::speed_multiplier`].
    pub fn speed_raw(&self) -> u8 {
        self.byte(3)
    }

    /// Byte 4, signed, 0.5 m/s steps.
    pub fn vertical_speed_raw(&self) -> i8 {
        i8::from_le_bytes([self.byte(4)])
    }

    /// Bytes 5..8, 1e-7 degrees.
    pub fn latitude_raw(&self) -> i32 {
        super::get_i32(self.bytes(), 5)
    }

    /// Bytes 9..12, 1e-7 degrees.
    pub fn longitude_raw(&self) -> i32 {
        super::get_i32(self.bytes(), 9)
    }

    /// Bytes 13..14, pressure altitude, 0.5 m steps from −1000 m.
    pub fn pressure_altitude_raw(&self) -> u16 {
        super::get_u16(self.bytes(), 13)
    }

    /// Bytes 15..16, geodetic (WGS-84) altitude, 0.5 m steps from −1000 m.
    pub fn geodetic_altitude_raw(&self) -> u16 {
        super::get_u16(self.bytes(), 15)
    }

    /// Bytes 17..18, height, 0.5 m steps from −1000 m.
    pub fn height_raw(&self) -> u16 {
        super::get_u16(self.bytes(), 17)
    }

    /// Byte 19 bits 7..4.
    pub fn vertical_accuracy(&self) -> VerticalAccuracy {
        VerticalAccuracy::from(self.byte(19) >> 4)
    }

    /// Byte 19 bits 3..0.
    pub fn horizontal_accuracy(&self) -> HorizontalAccuracy {
        HorizontalAccuracy::from(self.byte(19) & 0x0f)
    }

    /// Byte 20 bits 7..4.
    pub fn baro_accuracy(&self) -> VerticalAccuracy {
        VerticalAccuracy::from(self.byte(20) >> 4)
    }

    /// Byte 20 bits 3..0.
    pub fn speed_accuracy(&self) -> SpeedAccuracy {
        SpeedAccuracy::from(self.byte(20) & 0x0f)
    }

    /// Bytes 21..22, tenths of a second since the start of the current UTC hour.
    pub fn timestamp_raw(&self) -> u16 {
        super::get_u16(self.bytes(), 21)
    }

    /// Byte 23 bits 3..0, in tenths of a second (0 = unknown).
    pub fn timestamp_accuracy_raw(&self) -> u8 {
        self.byte(23) & 0x0f
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Writes byte 1 whole: status, height type, E/W segment and speed multiplier; reserved bit 3 = 0.
    pub fn set_flags(
        &mut self,
        status: Status,
        height_type: HeightType,
        east_west_segment: bool,
        speed_multiplier: bool,
    ) {
        let b = ((u8::from(status) & 0x0f) << 4)
            | ((u8::from(height_type) & 1) << 2)
            | (u8::from(east_west_segment) << 1)
            | u8::from(speed_multiplier);
        self.set_byte(1, b);
    }

    /// Sets byte 2.
    pub fn set_direction_raw(&mut self, value: u8) {
        self.set_byte(2, value);
    }

    /// Sets byte 3.
    pub fn set_speed_raw(&mut self, value: u8) {
        self.set_byte(3, value);
    }

    /// Sets byte 4.
    pub fn set_vertical_speed_raw(&mut self, value: i8) {
        self.set_byte(4, value.to_le_bytes()[0]);
    }

    /// Sets bytes 5..8.
    pub fn set_latitude_raw(&mut self, value: i32) {
        super::set_i32(self.bytes_mut(), 5, value);
    }

    /// Sets bytes 9..12.
    pub fn set_longitude_raw(&mut self, value: i32) {
        super::set_i32(self.bytes_mut(), 9, value);
    }

    /// Sets bytes 13..14.
    pub fn set_pressure_altitude_raw(&mut self, value: u16) {
        super::set_u16(self.bytes_mut(), 13, value);
    }

    /// Sets bytes 15..16.
    pub fn set_geodetic_altitude_raw(&mut self, value: u16) {
        super::set_u16(self.bytes_mut(), 15, value);
    }

    /// Sets bytes 17..18.
    pub fn set_height_raw(&mut self, value: u16) {
        super::set_u16(self.bytes_mut(), 17, value);
    }

    /// Sets byte 19 (values masked to 4 bits).
    pub fn set_accuracy(&mut self, vertical: VerticalAccuracy, horizontal: HorizontalAccuracy) {
        let b = ((u8::from(vertical) & 0x0f) << 4) | (u8::from(horizontal) & 0x0f);
        self.set_byte(19, b);
    }

    /// Sets byte 20 (values masked to 4 bits).
    pub fn set_baro_speed_accuracy(&mut self, baro: VerticalAccuracy, speed: SpeedAccuracy) {
        let b = ((u8::from(baro) & 0x0f) << 4) | (u8::from(speed) & 0x0f);
        self.set_byte(20, b);
    }

    /// Sets bytes 21..22.
    pub fn set_timestamp_raw(&mut self, value: u16) {
        super::set_u16(self.bytes_mut(), 21, value);
    }

    /// Sets byte 23 (masked to 4 bits; the reserved high nibble is zeroed).
    pub fn set_timestamp_accuracy_raw(&mut self, value: u8) {
        self.set_byte(23, value & 0x0f);
    }

    /// Zeroes the reserved byte 24.
    pub fn clear_reserved(&mut self) {
        self.set_byte(24, 0);
    }
}

/// A decoded Location/Vector message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Repr {
    /// Protocol version nibble.
    pub version: u8,
    pub status: Status,
    /// What [`Repr::height`] is measured from.
    pub height_type: HeightType,
    /// Track over ground, whole degrees clockwise from true north; `None` = unknown (361).
    /// Out-of-range values (360, 362..=435) are kept as sent and re-emitted the same way; senders
    /// should write 0 rather than 360. Degrees 180..=255 sent without the E/W bit are re-emitted with it.
    pub direction: Option<u16>,
    /// Ground speed in m/s; `None` = unknown (255). 63.75 m/s has two encodings; emit uses the
    /// 0.25 m/s step for it.
    pub speed_horizontal: Option<f32>,
    /// Vertical speed in m/s, up positive; `None` = unknown (63).
    pub speed_vertical: Option<f32>,
    /// Degrees; `None` (with longitude) when both raw values are zero.
    pub latitude: Option<f64>,
    /// Degrees; `None` (with latitude) when both raw values are zero.
    pub longitude: Option<f64>,
    /// Pressure altitude in metres (29.92 inHg reference); `None` = unknown (−1000 m).
    pub pressure_altitude: Option<f32>,
    /// Geodetic (WGS-84 HAE) altitude in metres; `None` = unknown.
    pub geodetic_altitude: Option<f32>,
    /// Height in metres above takeoff or ground per [`Repr::height_type`]; `None` = unknown.
    pub height: Option<f32>,
    pub horizontal_accuracy: HorizontalAccuracy,
    pub vertical_accuracy: VerticalAccuracy,
    pub baro_accuracy: VerticalAccuracy,
    pub speed_accuracy: SpeedAccuracy,
    /// Tenths of a second since the start of the current UTC hour; `None` = unknown (0xFFFF). The hour
    /// itself is not sent: the receiver takes it from its own clock.
    pub timestamp: Option<u16>,
    /// Timestamp accuracy in tenths of a second (1..=15); `None` = unknown (0).
    pub timestamp_accuracy: Option<u8>,
}

impl Repr {
    /// Decodes a Location message.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] for fewer than 25 bytes, [`Error::NotApplicable`] for another message type.
    #[inline]
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        packet.check_for()?;
        let ew = packet.east_west_segment();
        let dir = packet.direction_raw();
        let direction = if ew && dir == DIRECTION_UNKNOWN {
            None
        } else {
            Some(u16::from(dir) + if ew { 180 } else { 0 })
        };
        let raw_speed = packet.speed_raw();
        let speed_horizontal = match (packet.speed_multiplier(), raw_speed) {
            (true, SPEED_UNKNOWN) => None,
            (true, raw) => Some(f32::from(raw) * 0.75 + 63.75),
            (false, raw) => Some(f32::from(raw) * 0.25),
        };
        let speed_vertical = match packet.vertical_speed_raw() {
            VSPEED_UNKNOWN => None,
            raw => Some(f32::from(raw) * 0.5),
        };
        let (latitude, longitude) =
            super::decode_lat_lon(packet.latitude_raw(), packet.longitude_raw());
        let timestamp = match packet.timestamp_raw() {
            TIMESTAMP_UNKNOWN => None,
            raw => Some(raw),
        };
        let ts_acc = packet.timestamp_accuracy_raw();
        Ok(Repr {
            version: packet.version(),
            status: packet.status(),
            height_type: packet.height_type(),
            direction,
            speed_horizontal,
            speed_vertical,
            latitude,
            longitude,
            pressure_altitude: super::decode_altitude(packet.pressure_altitude_raw()),
            geodetic_altitude: super::decode_altitude(packet.geodetic_altitude_raw()),
            height: super::decode_altitude(packet.height_raw()),
            horizontal_accuracy: packet.horizontal_accuracy(),
            vertical_accuracy: packet.vertical_accuracy(),
            baro_accuracy: packet.baro_accuracy(),
            speed_accuracy: packet.speed_accuracy(),
            timestamp,
            timestamp_accuracy: (ts_acc != 0).then_some(ts_acc),
        })
    }

    /// Writes the message; reserved bits are zeroed.
    ///
    /// Quantisation follows the reference encoder: speed rounded to the 0.25 m/s step
    /// up to 63.75 m/s, then to 0.75 m/s steps capped at 254.25 m/s; vertical speed truncated to 0.5 m/s
    /// steps and saturated to the int8 range (the spec's range is ±62 m/s); altitudes truncated to 0.5 m;
    /// coordinates rounded to 1e-7°. The buffer must hold 25 bytes (shorter buffers get only what fits).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Packet<&mut T>) {
        packet.set_header(self.version);
        let (ew, dir) = match self.direction {
            None => (true, DIRECTION_UNKNOWN),
            Some(d) if d >= 180 => (true, u8::try_from(d - 180).unwrap_or(u8::MAX)),
            Some(d) => (false, u8::try_from(d).unwrap_or(u8::MAX)),
        };
        let (mult, speed) = match self.speed_horizontal {
            None => (true, SPEED_UNKNOWN),
            Some(v) if v.is_nan() => (true, SPEED_UNKNOWN),
            Some(v) if v <= 63.75 => (
                false,
                super::round_f64(f64::from(v) / 0.25).clamp(0, 255) as u8,
            ),
            Some(v) => (
                true,
                super::round_f64((f64::from(v) - 63.75) / 0.75).clamp(0, 254) as u8,
            ),
        };
        packet.set_flags(self.status, self.height_type, ew, mult);
        packet.set_direction_raw(dir);
        packet.set_speed_raw(speed);
        packet.set_vertical_speed_raw(match self.speed_vertical {
            None => VSPEED_UNKNOWN,
            // Saturating float-to-int cast: truncation as in the reference encoder.
            Some(v) => (v / 0.5) as i8,
        });
        packet.set_latitude_raw(super::encode_coordinate(self.latitude));
        packet.set_longitude_raw(super::encode_coordinate(self.longitude));
        packet.set_pressure_altitude_raw(super::encode_altitude(self.pressure_altitude));
        packet.set_geodetic_altitude_raw(super::encode_altitude(self.geodetic_altitude));
        packet.set_height_raw(super::encode_altitude(self.height));
        packet.set_accuracy(self.vertical_accuracy, self.horizontal_accuracy);
        packet.set_baro_speed_accuracy(self.baro_accuracy, self.speed_accuracy);
        packet.set_timestamp_raw(self.timestamp.unwrap_or(TIMESTAMP_UNKNOWN));
        packet.set_timestamp_accuracy_raw(self.timestamp_accuracy.unwrap_or(0));
        packet.clear_reserved();
    }

    /// The timestamp in seconds since the start of the hour.
    pub fn timestamp_seconds(&self) -> Option<f32> {
        self.timestamp.map(|t| f32::from(t) / 10.0)
    }

    /// The timestamp accuracy in seconds.
    pub fn timestamp_accuracy_seconds(&self) -> Option<f32> {
        self.timestamp_accuracy.map(|t| f32::from(t) / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Location from vectors/opendroneid-core-c_test_inout.txt (inputs: dir 215.7, speed 5.4, vspeed 5.25,
    /// 45.539309 / -122.966389, baro 100, geo 110, AGL 80, ts 360.52).
    const INOUT: [u8; 25] = [
        0x12, // type 1 Location, version 2
        0x26, // status 2 airborne, height type 1 (AGL), E/W 1, multiplier 0
        0x24, // direction 36 + 180 = 216
        0x16, // speed 22 × 0.25 = 5.5 m/s
        0x0a, // vertical speed 10 × 0.5 = 5.0 m/s
        0x42, 0xbf, 0x24, 0x1b, // latitude 455393090
        0x6e, 0xd1, 0xb4, 0xb6, // longitude -1229663890
        0x98, 0x08, // pressure altitude 2200 → 100 m
        0xac, 0x08, // geodetic altitude 2220 → 110 m
        0x70, 0x08, // height 2160 → 80 m
        0x6b, // vertical accuracy 6 (<1 m), horizontal 11 (<3 m)
        0x53, // baro accuracy 5 (<3 m), speed accuracy 3 (<1 m/s)
        0x15, 0x0e, // timestamp 3605 → 360.5 s
        0x02, // timestamp accuracy 0.2 s
        0x00, // reserved
    ];

    /// Real BlueMark DroneBeacon BT4 Location (vectors/sutt0n_fixture_vectors.txt, after `0d 21`).
    const DRONEBEACON: [u8; 25] = [
        0x12, // Location, version 2
        0x10, // status 1 ground, height type 0, E/W 0, multiplier 0
        0x00, // direction 0
        0x00, // speed 0
        0x00, // vertical speed 0
        0x3e, 0x0a, 0x57, 0x15, // latitude 358025790
        0xc5, 0x9a, 0xee, 0xc9, // longitude -907109691
        0x00, 0x00, // pressure altitude unknown
        0x58, 0x08, // geodetic altitude 2136 → 68 m
        0xd2, 0x07, // height 2002 → 1 m
        0x4b, // vertical accuracy 4 (<10 m), horizontal 11 (<3 m)
        0x02, // baro accuracy 0, speed accuracy 2 (<3 m/s)
        0xe5, 0x25, // timestamp 9701 → 970.1 s
        0x01, // timestamp accuracy 0.1 s
        0x00, // reserved
    ];

    fn parse(bytes: &[u8]) -> Repr {
        Repr::parse(&Packet::new_checked(bytes).unwrap()).unwrap()
    }

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&INOUT[..]).unwrap();
        assert_eq!(p.status(), Status::Airborne);
        assert_eq!(p.height_type(), HeightType::AboveGround);
        assert!(p.east_west_segment());
        assert!(!p.speed_multiplier());
        assert_eq!(p.direction_raw(), 36);
        assert_eq!(p.speed_raw(), 22);
        assert_eq!(p.vertical_speed_raw(), 10);
        assert_eq!(p.latitude_raw(), 455_393_090);
        assert_eq!(p.longitude_raw(), -1_229_663_890);
        assert_eq!(p.pressure_altitude_raw(), 2200);
        assert_eq!(p.geodetic_altitude_raw(), 2220);
        assert_eq!(p.height_raw(), 2160);
        assert_eq!(p.timestamp_raw(), 3605);
        assert_eq!(p.timestamp_accuracy_raw(), 2);
    }

    #[test]
    fn construct() {
        let mut out = [0xffu8; 25];
        let mut p = Packet::new_unchecked(&mut out[..]);
        p.set_header(2);
        p.set_flags(Status::Airborne, HeightType::AboveGround, true, false);
        p.set_direction_raw(36);
        p.set_speed_raw(22);
        p.set_vertical_speed_raw(10);
        p.set_latitude_raw(455_393_090);
        p.set_longitude_raw(-1_229_663_890);
        p.set_pressure_altitude_raw(2200);
        p.set_geodetic_altitude_raw(2220);
        p.set_height_raw(2160);
        p.set_accuracy(VerticalAccuracy::Below1m, HorizontalAccuracy::Below3m);
        p.set_baro_speed_accuracy(VerticalAccuracy::Below3m, SpeedAccuracy::Below1ms);
        p.set_timestamp_raw(3605);
        p.set_timestamp_accuracy_raw(2);
        p.clear_reserved();
        assert_eq!(out, INOUT);
    }

    #[test]
    fn parse_inout() {
        let r = parse(&INOUT);
        assert_eq!(r.version, 2);
        assert_eq!(r.status, Status::Airborne);
        assert_eq!(r.direction, Some(216));
        assert_eq!(r.speed_horizontal, Some(5.5));
        assert_eq!(r.speed_vertical, Some(5.0));
        assert!((r.latitude.unwrap() - 45.539309).abs() < 1e-9);
        assert!((r.longitude.unwrap() + 122.966389).abs() < 1e-9);
        assert_eq!(r.pressure_altitude, Some(100.0));
        assert_eq!(r.geodetic_altitude, Some(110.0));
        assert_eq!(r.height, Some(80.0));
        assert_eq!(r.horizontal_accuracy.metres(), Some(3.0));
        assert_eq!(r.vertical_accuracy.metres(), Some(1.0));
        assert_eq!(r.baro_accuracy.metres(), Some(3.0));
        assert_eq!(r.speed_accuracy.metres_per_second(), Some(1.0));
        assert_eq!(r.timestamp_seconds(), Some(360.5));
        assert_eq!(r.timestamp_accuracy_seconds(), Some(0.2));
    }

    #[test]
    fn parse_dronebeacon() {
        let r = parse(&DRONEBEACON);
        assert_eq!(r.status, Status::Ground);
        assert_eq!(r.height_type, HeightType::AboveTakeoff);
        assert_eq!(r.direction, Some(0));
        assert!((r.latitude.unwrap() - 35.802579).abs() < 1e-9);
        assert!((r.longitude.unwrap() + 90.7109691).abs() < 1e-9);
        assert_eq!(r.pressure_altitude, None);
        assert_eq!(r.geodetic_altitude, Some(68.0));
        assert_eq!(r.height, Some(1.0));
        assert_eq!(r.horizontal_accuracy, HorizontalAccuracy::Below3m);
        assert_eq!(r.vertical_accuracy, VerticalAccuracy::Below10m);
        assert_eq!(r.baro_accuracy, VerticalAccuracy::Unspecified);
        assert_eq!(r.speed_accuracy, SpeedAccuracy::Below3ms);
        assert_eq!(r.timestamp, Some(9701));
        assert_eq!(r.timestamp_accuracy, Some(1));
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
    fn sentinels() {
        // Unknown direction (181 + E/W), speed (255 + multiplier), vertical speed (126), position 0/0,
        // altitudes 0, timestamp 0xFFFF, as the BT5 sample's transmitter sends before a fix
        // (odid_bt5_lr_sample.pcapng.txt "first Location decoded").
        let mut bytes = [0u8; 25];
        bytes[0] = 0x10;
        bytes[1] = 0x23;
        bytes[2] = 181;
        bytes[3] = 255;
        bytes[4] = 126;
        bytes[21] = 0xff;
        bytes[22] = 0xff;
        let r = parse(&bytes);
        assert_eq!(r.version, 0);
        assert_eq!(r.direction, None);
        assert_eq!(r.speed_horizontal, None);
        assert_eq!(r.speed_vertical, None);
        assert_eq!((r.latitude, r.longitude), (None, None));
        assert_eq!(
            (r.pressure_altitude, r.geodetic_altitude, r.height),
            (None, None, None)
        );
        assert_eq!(r.timestamp, None);
        assert_eq!(r.timestamp_accuracy, None);
        let mut out = [0u8; 25];
        r.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, bytes);
    }

    #[test]
    fn physical_units_quantise_like_the_reference() {
        // Inputs of vectors/opendroneid-core-c_test_inout.txt and _generated_frames.txt, and the raw values
        // the reference encoder wrote for them.
        let mut r = parse(&INOUT);
        r.direction = Some(271);
        r.speed_horizontal = Some(70.0); // (70 − 63.75) / 0.75 = 8.33 → 8, multiplier 1
        r.speed_vertical = Some(-2.5);
        r.status = Status::RemoteIdSystemFailure;
        let mut out = [0u8; 25];
        r.emit(&mut Packet::new_unchecked(&mut out[..]));
        let p = Packet::new_unchecked(&out[..]);
        assert_eq!((p.east_west_segment(), p.direction_raw()), (true, 91));
        assert_eq!((p.speed_multiplier(), p.speed_raw()), (true, 8));
        assert_eq!(p.vertical_speed_raw(), -5);
        assert_eq!(p.status(), Status::RemoteIdSystemFailure);
        let back = Repr::parse(&p).unwrap();
        assert_eq!(back.speed_horizontal, Some(69.75));
        assert_eq!(back.direction, Some(271));
        // 5.4 m/s rounds to 22 steps (5.5 m/s); 179° stays in the first segment.
        r.speed_horizontal = Some(5.4);
        r.direction = Some(179);
        r.emit(&mut Packet::new_unchecked(&mut out[..]));
        let p = Packet::new_unchecked(&out[..]);
        assert_eq!((p.speed_multiplier(), p.speed_raw()), (false, 22));
        assert_eq!((p.east_west_segment(), p.direction_raw()), (false, 179));
    }

    #[test]
    fn unknown_codes() {
        let mut bytes = INOUT;
        bytes[1] = 0x96; // status 9 (reserved)
        bytes[19] = 0xfe; // vertical 15, horizontal 14 (reserved)
        bytes[20] = 0xef; // baro 14, speed 15 (reserved)
        let r = parse(&bytes);
        assert_eq!(r.status, Status::Unknown(9));
        assert_eq!(r.vertical_accuracy, VerticalAccuracy::Unknown(15));
        assert_eq!(r.horizontal_accuracy, HorizontalAccuracy::Unknown(14));
        assert_eq!(r.horizontal_accuracy.metres(), None);
        assert_eq!(r.baro_accuracy, VerticalAccuracy::Unknown(14));
        assert_eq!(r.speed_accuracy, SpeedAccuracy::Unknown(15));
        let mut out = [0u8; 25];
        r.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, bytes);
    }

    #[test]
    fn truncated() {
        for len in 0..25 {
            assert_eq!(
                Repr::parse(&Packet::new_unchecked(&INOUT[..len])),
                Err(Error::Truncated {
                    field: "odid message",
                    need: 25,
                    have: len
                })
            );
        }
    }
}
