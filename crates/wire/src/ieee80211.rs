//! 802.11 management frames as they carry drone broadcasts.
//!
//! - [`Frame`]: zero-copy view of a management frame (no radiotap, no FCS): frame control, the three
//!   addresses, the body after the 24-byte header (28 with the +HTC/Order bit).
//! - [`BeaconFields`]: the 12 fixed bytes of beacons and probe responses; [`Ies`] walks the
//!   information elements after them, yielding [`Ie`] and stopping with an error on a malformed list.
//! - [`VendorIe::classify`]: recognises the vendor IEs of interest ([`Vendor`]): ASTM Remote ID
//!   (Wi-Fi Beacon), DJI DroneID, the French beacon, NAN synchronisation beacons.
//! - [`nan`]: NAN Service Discovery Frames (Remote ID over Wi-Fi NAN).
//! - [`scan`]: the one call the capture layer makes per frame; it returns a [`Scan`] with the frame
//!   kind, addresses, SSID and every drone payload found ([`Found`]), without allocating.
//! - [`OdidBeaconRepr`] and [`OdidNanRepr`] build complete frames carrying a Message Pack, for fixtures;
//!   they reproduce opendroneid-core-c's `odid_wifi_build_message_pack_{beacon,nan_action}_frame`.
//!
//! Walking by length fields (never fixed offsets) is deliberate: the Lua dissector's fixed offsets
//! missed most beacons of one real transmitter (`remoteid.md` §2.5).

use crate::{dji, fr, Error, Result};
use core::fmt;

pub mod nan;

use nan::Writer;

/// A MAC address in transmission order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Address(pub [u8; 6]);

impl Address {
    pub const BROADCAST: Address = Address([0xFF; 6]);
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// Frame type, bits 3..2 of the first frame-control byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    Management,
    Control,
    Data,
    Extension,
}

/// Management frame subtypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManagementSubtype {
    AssociationRequest,
    AssociationResponse,
    ReassociationRequest,
    ReassociationResponse,
    ProbeRequest,
    ProbeResponse,
    TimingAdvertisement,
    Beacon,
    Atim,
    Disassociation,
    Authentication,
    Deauthentication,
    Action,
    ActionNoAck,
    Unknown(u8),
}

impl From<u8> for ManagementSubtype {
    fn from(v: u8) -> Self {
        use ManagementSubtype::*;
        match v {
            0 => AssociationRequest,
            1 => AssociationResponse,
            2 => ReassociationRequest,
            3 => ReassociationResponse,
            4 => ProbeRequest,
            5 => ProbeResponse,
            6 => TimingAdvertisement,
            8 => Beacon,
            9 => Atim,
            10 => Disassociation,
            11 => Authentication,
            12 => Deauthentication,
            13 => Action,
            14 => ActionNoAck,
            other => Unknown(other),
        }
    }
}

impl From<ManagementSubtype> for u8 {
    fn from(s: ManagementSubtype) -> u8 {
        use ManagementSubtype::*;
        match s {
            AssociationRequest => 0,
            AssociationResponse => 1,
            ReassociationRequest => 2,
            ReassociationResponse => 3,
            ProbeRequest => 4,
            ProbeResponse => 5,
            TimingAdvertisement => 6,
            Beacon => 8,
            Atim => 9,
            Disassociation => 10,
            Authentication => 11,
            Deauthentication => 12,
            Action => 13,
            ActionNoAck => 14,
            Unknown(v) => v,
        }
    }
}

/// Management header length without the HT Control field.
pub const HEADER_LEN: usize = 24;
/// Frame-control byte 1 flag: Order / +HTC, adds a 4-byte HT Control field to management headers.
pub const FLAG_ORDER: u8 = 0x80;
/// Frame-control byte 1 flag: protected (encrypted body).
pub const FLAG_PROTECTED: u8 = 0x40;

/// Zero-copy view of an 802.11 management frame, starting at frame control, FCS removed.
#[derive(Debug, Clone, Copy)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wraps a buffer without checks; accessors fall back to zeros/empty on short buffers.
    pub fn new_unchecked(buffer: T) -> Self {
        Frame { buffer }
    }

    /// Wraps a buffer after checking it holds a full management header.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when shorter than [`Frame::header_len`].
    pub fn new_checked(buffer: T) -> Result<Self> {
        let f = Self::new_unchecked(buffer);
        f.check_len()?;
        Ok(f)
    }

    /// Checks that the buffer holds the frame control and a management header.
    ///
    /// # Errors
    ///
    /// As [`Frame::new_checked`].
    pub fn check_len(&self) -> Result<()> {
        let have = self.buffer.as_ref().len();
        let need = if have < 2 { 2 } else { self.header_len() };
        if have < need {
            return Err(Error::Truncated {
                field: "ieee80211.header",
                need,
                have,
            });
        }
        Ok(())
    }

    fn byte(&self, i: usize) -> u8 {
        self.buffer.as_ref().get(i).copied().unwrap_or(0)
    }

    /// Frame control, as the little-endian 16-bit value.
    pub fn frame_control(&self) -> u16 {
        u16::from_le_bytes([self.byte(0), self.byte(1)])
    }

    /// Protocol version, bits 1..0 (0 for every current frame).
    pub fn protocol_version(&self) -> u8 {
        self.byte(0) & 0x03
    }

    pub fn frame_type(&self) -> FrameType {
        match (self.byte(0) >> 2) & 0x03 {
            0 => FrameType::Management,
            1 => FrameType::Control,
            2 => FrameType::Data,
            _ => FrameType::Extension,
        }
    }

    /// Raw subtype, bits 7..4.
    pub fn subtype(&self) -> u8 {
        self.byte(0) >> 4
    }

    /// The subtype of a management frame.
    pub fn management_subtype(&self) -> ManagementSubtype {
        ManagementSubtype::from(self.subtype())
    }

    pub fn flags(&self) -> u8 {
        self.byte(1)
    }

    pub fn order(&self) -> bool {
        self.flags() & FLAG_ORDER != 0
    }

    pub fn protected(&self) -> bool {
        self.flags() & FLAG_PROTECTED != 0
    }

    /// Management header length: 24, or 28 with the Order flag.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + if self.order() { 4 } else { 0 }
    }

    fn addr(&self, at: usize) -> Address {
        let mut a = [0u8; 6];
        if let Some(s) = self.buffer.as_ref().get(at..at + 6) {
            a.copy_from_slice(s);
        }
        Address(a)
    }

    /// Receiver / destination address.
    pub fn addr1(&self) -> Address {
        self.addr(4)
    }

    /// Transmitter / source address.
    pub fn addr2(&self) -> Address {
        self.addr(10)
    }

    /// BSSID (NAN: cluster ID).
    pub fn addr3(&self) -> Address {
        self.addr(16)
    }

    pub fn sequence_control(&self) -> u16 {
        u16::from_le_bytes([self.byte(22), self.byte(23)])
    }

    /// The frame body after the header (empty when the buffer is shorter).
    pub fn body(&self) -> &[u8] {
        self.buffer.as_ref().get(self.header_len()..).unwrap_or(&[])
    }
}

/// The fixed fields at the start of beacon and probe response bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BeaconFields {
    /// TSF timer, µs.
    pub timestamp: u64,
    /// Beacon interval in time units (1024 µs).
    pub interval: u16,
    pub capability: u16,
}

/// Length of [`BeaconFields`].
pub const BEACON_FIELDS_LEN: usize = 12;

impl BeaconFields {
    /// Splits a beacon / probe response body into its fixed fields and IE bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when the body is shorter than 12 bytes.
    pub fn parse(body: &[u8]) -> Result<(BeaconFields, &[u8])> {
        let (f, ies) = body
            .split_at_checked(BEACON_FIELDS_LEN)
            .ok_or(Error::Truncated {
                field: "ieee80211.beacon_fields",
                need: BEACON_FIELDS_LEN,
                have: body.len(),
            })?;
        let mut ts = [0u8; 8];
        ts.copy_from_slice(f.get(..8).unwrap_or(&[0; 8]));
        let u16_at = |i: usize| {
            u16::from_le_bytes([
                f.get(i).copied().unwrap_or(0),
                f.get(i + 1).copied().unwrap_or(0),
            ])
        };
        Ok((
            BeaconFields {
                timestamp: u64::from_le_bytes(ts),
                interval: u16_at(8),
                capability: u16_at(10),
            },
            ies,
        ))
    }

    /// Writes the 12 bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is shorter than 12 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = Writer::new(buf);
        w.put(&self.timestamp.to_le_bytes())?;
        w.put(&self.interval.to_le_bytes())?;
        w.put(&self.capability.to_le_bytes())?;
        Ok(w.pos)
    }
}

/// Element ID of the SSID IE.
pub const IE_SSID: u8 = 0;
/// Element ID of the supported rates IE.
pub const IE_RATES: u8 = 1;
/// Element ID of vendor-specific IEs.
pub const IE_VENDOR: u8 = 221;

/// One information element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ie<'a> {
    pub id: u8,
    pub data: &'a [u8],
}

/// Iterator over information elements; yields `Err` once and ends when a length runs past the
/// buffer (real fixtures with a wrong HT Operation length exist).
#[derive(Debug, Clone)]
pub struct Ies<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Ies<'a> {
    /// Walks `ies`, the bytes after the fixed fields.
    pub fn new(ies: &'a [u8]) -> Self {
        Ies {
            rest: ies,
            failed: false,
        }
    }
}

impl<'a> Iterator for Ies<'a> {
    type Item = Result<Ie<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let item = match self.rest {
            [id, len, tail @ ..] => match tail.split_at_checked(usize::from(*len)) {
                Some((data, rest)) => {
                    self.rest = rest;
                    Ok(Ie { id: *id, data })
                }
                None => Err(Error::Malformed {
                    field: "ieee80211.ie_list",
                }),
            },
            _ => Err(Error::Malformed {
                field: "ieee80211.ie_list",
            }),
        };
        self.failed = item.is_err();
        Some(item)
    }
}

/// The SSID of an IE list (first SSID IE), if the walk reaches one.
pub fn ssid(ies: &[u8]) -> Option<&[u8]> {
    Ies::new(ies)
        .map_while(|r| r.ok())
        .find(|ie| ie.id == IE_SSID)
        .map(|ie| ie.data)
}

/// ASD-STAN OUI of Remote ID vendor IEs.
pub const ODID_OUI: [u8; 3] = [0xFA, 0x0B, 0xBC];
/// Parrot OUI, used with the same payload by older Parrot firmware.
pub const PARROT_OUI: [u8; 3] = [0x90, 0x3A, 0xE6];
/// Vendor type of Remote ID vendor IEs.
pub const ODID_VENDOR_TYPE: u8 = 0x0D;

/// A vendor-specific IE split into OUI and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VendorIe<'a> {
    pub oui: [u8; 3],
    pub body: &'a [u8],
}

/// A vendor IE this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vendor<'a> {
    /// ASTM F3411 Wi-Fi Beacon: `counter | message pack` (OUI FA:0B:BC or 90:3A:E6, type 0x0D).
    OpenDroneId { counter: u8, payload: &'a [u8] },
    /// DJI DroneID: the record bytes after `58 62 13`, for [`dji::Record::parse`].
    DjiDroneId(&'a [u8]),
    /// French beacon: the TLV bytes after vendor type 1, for [`fr::BeaconRepr::parse`].
    FrenchBeacon(&'a [u8]),
    /// NAN synchronisation beacon IE (WFA OUI, type 0x13): its attributes. Carries no drone data.
    NanSync(&'a [u8]),
}

impl<'a> VendorIe<'a> {
    /// Splits the data of a vendor IE (element 221).
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when shorter than the 3-byte OUI.
    pub fn parse(data: &'a [u8]) -> Result<VendorIe<'a>> {
        let (oui, body) = data.split_at_checked(3).ok_or(Error::Truncated {
            field: "ieee80211.vendor_oui",
            need: 3,
            have: data.len(),
        })?;
        let mut o = [0u8; 3];
        o.copy_from_slice(oui);
        Ok(VendorIe { oui: o, body })
    }

    /// Recognises the data of a vendor IE (element 221, OUI first); `None` for other vendors.
    pub fn classify(data: &'a [u8]) -> Option<Vendor<'a>> {
        let v = VendorIe::parse(data).ok()?;
        let (&vtype, rest) = v.body.split_first()?;
        if (v.oui == ODID_OUI || v.oui == PARROT_OUI) && vtype == ODID_VENDOR_TYPE {
            let (&counter, payload) = rest.split_first()?;
            return Some(Vendor::OpenDroneId { counter, payload });
        }
        if dji::wifi::is_droneid_oui(&v.oui) {
            return dji::wifi::record_bytes(v.body).ok().map(Vendor::DjiDroneId);
        }
        if v.oui == fr::OUI && vtype == fr::VENDOR_TYPE {
            return Some(Vendor::FrenchBeacon(rest));
        }
        if v.oui == nan::WFA_OUI && vtype == nan::NAN_OUI_TYPE {
            return Some(Vendor::NanSync(rest));
        }
        None
    }
}

/// What kind of frame [`scan`] looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    Beacon,
    ProbeResponse,
    /// A public action frame with the NAN Service Discovery header.
    NanAction,
    /// Any other management frame (raw subtype).
    OtherManagement(u8),
}

/// A drone payload found in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Found<'a> {
    /// Remote ID in a beacon / probe response vendor IE: counter and Message Pack bytes.
    OdidBeacon { counter: u8, payload: &'a [u8] },
    /// Remote ID in a NAN Service Descriptor: counter and Message Pack bytes.
    OdidNan { counter: u8, payload: &'a [u8] },
    /// DJI DroneID record bytes, for [`dji::Record::parse`].
    Dji(&'a [u8]),
    /// French beacon TLV bytes, for [`fr::BeaconRepr::parse`].
    French(&'a [u8]),
}

/// How many payloads one [`Scan`] keeps; further ones are counted in [`Scan::dropped`].
pub const MAX_FOUND: usize = 4;

/// The result of [`scan`] on one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan<'a> {
    pub kind: FrameKind,
    /// addr2.
    pub transmitter: Address,
    /// addr1.
    pub destination: Address,
    /// addr3 (BSSID, or NAN cluster ID).
    pub bssid: Address,
    pub sequence_control: u16,
    /// Beacon / probe response fixed fields.
    pub beacon: Option<BeaconFields>,
    pub ssid: Option<&'a [u8]>,
    /// The frame carried a NAN synchronisation IE.
    pub nan_sync: bool,
    /// The IE or attribute list was malformed; payloads before the fault are still reported.
    pub error: Option<Error>,
    /// After a malformed IE list, a Remote ID vendor IE was recovered by searching for its signature
    /// (`DD len FA 0B BC 0D`) rather than by the walk.
    pub resynced: bool,
    /// Payloads beyond [`MAX_FOUND`].
    pub dropped: u8,
    found: [Option<Found<'a>>; MAX_FOUND],
}

impl<'a> Scan<'a> {
    fn new<T: AsRef<[u8]>>(f: &Frame<T>, kind: FrameKind) -> Self {
        Scan {
            kind,
            transmitter: f.addr2(),
            destination: f.addr1(),
            bssid: f.addr3(),
            sequence_control: f.sequence_control(),
            beacon: None,
            ssid: None,
            nan_sync: false,
            error: None,
            resynced: false,
            dropped: 0,
            found: [None; MAX_FOUND],
        }
    }

    fn push(&mut self, x: Found<'a>) {
        match self.found.iter_mut().find(|s| s.is_none()) {
            Some(slot) => *slot = Some(x),
            None => self.dropped = self.dropped.saturating_add(1),
        }
    }

    fn has_payload_at(&self, p: *const u8) -> bool {
        self.found.iter().flatten().any(|f| match f {
            Found::OdidBeacon { payload, .. } => core::ptr::eq(payload.as_ptr(), p),
            _ => false,
        })
    }

    /// The drone payloads found, in frame order.
    pub fn found(&self) -> impl Iterator<Item = Found<'a>> + '_ {
        self.found.iter().flatten().copied()
    }
}

/// Looks at one 802.11 frame (no radiotap, FCS removed) for drone payloads.
///
/// Beacons and probe responses: the IE list is walked and vendor IEs classified; NAN public action
/// frames: the attribute list is walked for the ODID Service Descriptor. A malformed IE or
/// attribute list is reported in [`Scan::error`], not as `Err`, so that the transmitter is still
/// known; after a malformed IE list, Remote ID vendor IEs are searched by signature (see
/// [`Scan::resynced`]).
///
/// # Errors
///
/// [`Error::NotApplicable`] for control, data and extension frames and for protected management
/// frames; [`Error::Truncated`] when the header or the beacon fixed fields are cut.
pub fn scan(frame: &[u8]) -> Result<Scan<'_>> {
    let f = Frame::new_unchecked(frame);
    if frame.len() < 2 || f.frame_type() != FrameType::Management || f.protected() {
        return Err(Error::NotApplicable);
    }
    f.check_len()?;
    // Sliced from `frame` rather than `f.body()` so the borrow outlives the view.
    let body = frame.get(f.header_len()..).unwrap_or(&[]);
    match f.management_subtype() {
        ManagementSubtype::Beacon | ManagementSubtype::ProbeResponse => {
            let kind = if f.management_subtype() == ManagementSubtype::Beacon {
                FrameKind::Beacon
            } else {
                FrameKind::ProbeResponse
            };
            let mut s = Scan::new(&f, kind);
            let (fields, ies) = BeaconFields::parse(body)?;
            s.beacon = Some(fields);
            scan_ies(&mut s, ies);
            Ok(s)
        }
        ManagementSubtype::Action | ManagementSubtype::ActionNoAck => {
            match nan::sdf_attributes(body) {
                Ok(attrs) => {
                    let mut s = Scan::new(&f, FrameKind::NanAction);
                    scan_nan(&mut s, attrs);
                    Ok(s)
                }
                Err(_) => Ok(Scan::new(&f, FrameKind::OtherManagement(f.subtype()))),
            }
        }
        _ => Ok(Scan::new(&f, FrameKind::OtherManagement(f.subtype()))),
    }
}

fn scan_ies<'a>(s: &mut Scan<'a>, ies: &'a [u8]) {
    for ie in Ies::new(ies) {
        let ie = match ie {
            Ok(ie) => ie,
            Err(e) => {
                s.error = Some(e);
                resync_odid(s, ies);
                return;
            }
        };
        match ie.id {
            IE_SSID if s.ssid.is_none() => s.ssid = Some(ie.data),
            IE_VENDOR => match VendorIe::classify(ie.data) {
                Some(Vendor::OpenDroneId { counter, payload }) => {
                    s.push(Found::OdidBeacon { counter, payload })
                }
                Some(Vendor::DjiDroneId(r)) => s.push(Found::Dji(r)),
                Some(Vendor::FrenchBeacon(t)) => s.push(Found::French(t)),
                Some(Vendor::NanSync(_)) => s.nan_sync = true,
                None => {}
            },
            _ => {}
        }
    }
}

/// After a malformed IE list, looks for `DD len OUI 0D counter` with an ODID OUI whose length fits
/// in the remaining bytes. A 4-byte signature plus the length bound makes false hits unlikely, and
/// it only runs on frames already known to be damaged.
fn resync_odid<'a>(s: &mut Scan<'a>, ies: &'a [u8]) {
    for start in 0..ies.len() {
        let Some(w) = ies.get(start..) else { break };
        let [IE_VENDOR, len, o0, o1, o2, ODID_VENDOR_TYPE, ..] = *w else {
            continue;
        };
        let oui = [o0, o1, o2];
        if oui != ODID_OUI && oui != PARROT_OUI {
            continue;
        }
        let Some(data) = w.get(2..2 + usize::from(len)) else {
            continue;
        };
        if let Some(Vendor::OpenDroneId { counter, payload }) = VendorIe::classify(data) {
            if !s.has_payload_at(payload.as_ptr()) {
                s.push(Found::OdidBeacon { counter, payload });
                s.resynced = true;
            }
        }
    }
}

fn scan_nan<'a>(s: &mut Scan<'a>, attrs: nan::Attributes<'a>) {
    for a in attrs {
        let a = match a {
            Ok(a) => a,
            Err(e) => {
                s.error = Some(e);
                return;
            }
        };
        if a.id != u8::from(nan::AttributeId::ServiceDescriptor) {
            continue;
        }
        match nan::ServiceDescriptor::parse(a.body) {
            Ok(sd) if sd.service_id == nan::ODID_SERVICE_ID => {
                if let Some((&counter, payload)) = sd.service_info.and_then(|i| i.split_first()) {
                    s.push(Found::OdidNan { counter, payload });
                }
            }
            Ok(_) => {}
            Err(e) => s.error = Some(e),
        }
    }
}

fn header(
    w: &mut Writer<'_>,
    fc: [u8; 2],
    a1: Address,
    a2: Address,
    a3: Address,
    seq: u16,
) -> Result<()> {
    w.put(&fc)?;
    w.put(&[0, 0])?; // duration
    w.put(&a1.0)?;
    w.put(&a2.0)?;
    w.put(&a3.0)?;
    w.put(&seq.to_le_bytes())
}

fn ie(w: &mut Writer<'_>, id: u8, parts: &[&[u8]]) -> Result<()> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let len = u8::try_from(len).map_err(|_| Error::Malformed {
        field: "ieee80211.ie_length",
    })?;
    w.put(&[id, len])?;
    for p in parts {
        w.put(p)?;
    }
    Ok(())
}

/// A Remote ID Wi-Fi Beacon frame, as opendroneid-core-c builds it: broadcast, BSSID = source,
/// SSID IE, one supported-rate IE (6 Mb/s), then the ODID vendor IE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OdidBeaconRepr<'a> {
    pub source: Address,
    pub sequence_control: u16,
    pub fields: BeaconFields,
    pub ssid: &'a [u8],
    pub counter: u8,
    /// The Message Pack bytes.
    pub pack: &'a [u8],
}

impl OdidBeaconRepr<'_> {
    /// Frame length [`Self::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + BEACON_FIELDS_LEN + 2 + self.ssid.len() + 3 + 2 + 5 + self.pack.len()
    }

    /// Writes the frame (no FCS) and returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is too short, [`Error::Malformed`] when the SSID or the pack
    /// does not fit in one IE.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = Writer::new(buf);
        header(
            &mut w,
            [0x80, 0x00],
            Address::BROADCAST,
            self.source,
            self.source,
            self.sequence_control,
        )?;
        let mut fixed = [0u8; BEACON_FIELDS_LEN];
        self.fields.emit(&mut fixed)?;
        w.put(&fixed)?;
        ie(&mut w, IE_SSID, &[self.ssid])?;
        ie(&mut w, IE_RATES, &[&[0x8C]])?;
        ie(
            &mut w,
            IE_VENDOR,
            &[&ODID_OUI, &[ODID_VENDOR_TYPE, self.counter], self.pack],
        )?;
        Ok(w.pos)
    }
}

/// A Remote ID NAN Service Discovery Frame, as opendroneid-core-c builds it: to the NAN network ID,
/// a Service Descriptor (publish, service info = `counter | pack`) and a Service Descriptor
/// Extension whose update indicator is the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OdidNanRepr<'a> {
    pub source: Address,
    /// NAN cluster ID (addr3); F3411-22a fixes [`nan::ODID_CLUSTER_ID`].
    pub cluster: Address,
    pub sequence_control: u16,
    pub instance_id: u8,
    pub counter: u8,
    pub pack: &'a [u8],
}

impl OdidNanRepr<'_> {
    /// Frame length [`Self::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + nan::SDF_HEADER.len() + 3 + 10 + 1 + self.pack.len() + 3 + 4
    }

    /// Writes the frame (no FCS) and returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is too short, [`Error::Malformed`] when the pack is longer
    /// than 254 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = Writer::new(buf);
        header(
            &mut w,
            [0xD0, 0x00],
            Address(nan::NAN_NETWORK_ID),
            self.source,
            self.cluster,
            self.sequence_control,
        )?;
        w.put(&nan::SDF_HEADER)?;
        // The service info is `counter | pack`; assemble it in place after the SDA header.
        let info_len = 1 + self.pack.len();
        let si_len = u8::try_from(info_len).map_err(|_| Error::Malformed {
            field: "nan.sda.service_info",
        })?;
        let attr_len = u16::try_from(10 + info_len).map_err(|_| Error::Malformed {
            field: "nan.sda.length",
        })?;
        w.put(&[u8::from(nan::AttributeId::ServiceDescriptor)])?;
        w.put(&attr_len.to_le_bytes())?;
        w.put(&nan::ODID_SERVICE_ID)?;
        w.put(&[
            self.instance_id,
            0,
            nan::control::PUBLISH | nan::control::SERVICE_INFO,
            si_len,
            self.counter,
        ])?;
        w.put(self.pack)?;
        let sdea = nan::ServiceDescriptorExt {
            instance_id: self.instance_id,
            control: 0,
            range_limit: None,
            service_update_indicator: Some(self.counter),
            service_info: None,
        };
        let mut body = [0u8; 4];
        let n = sdea.emit(&mut body)?;
        w.put(&[u8::from(nan::AttributeId::ServiceDescriptorExtension)])?;
        w.put(&(n as u16).to_le_bytes())?;
        w.put(body.get(..n).unwrap_or(&[]))?;
        Ok(w.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A beacon from a DJI drone carrying the French IE (Wireshark MR 1705 via scapy-uas-remoteid,
    // `vectors/french_beacon_vector.txt`): 80 00 beacon | DA broadcast | SA = BSSID 60:60:1f:09:73:68
    // | seq | TSF | interval 0x0002 | capability | SSID "DJI-1581E0M6DF7700119BY" | vendor IE 6a5c35 01.
    const FRENCH: &str = "80000000ffffffffffff60601f09736860601f09736800002ae9350200000000800220040017444a492d3135383145304d364446373730303131394259dd436a5c350101010103133135383145304d364446373730303131394259040400430fd5050400075a4f0602002507020011080400430fde090400075a570a01010b02014b";

    fn hex(s: &str) -> alloc::vec::Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn scan_french_beacon() {
        let frame = hex(FRENCH);
        let s = scan(&frame).unwrap();
        assert_eq!(s.kind, FrameKind::Beacon);
        assert_eq!(s.transmitter, Address([0x60, 0x60, 0x1f, 0x09, 0x73, 0x68]));
        assert_eq!(s.destination, Address::BROADCAST);
        assert_eq!(s.ssid, Some(&b"DJI-1581E0M6DF7700119BY"[..]));
        assert_eq!(s.error, None);
        let found: alloc::vec::Vec<_> = s.found().collect();
        let [Found::French(tlvs)] = found[..] else {
            panic!("{found:?}")
        };
        let r = fr::BeaconRepr::parse(tlvs).unwrap();
        assert_eq!(r.course, Some(331));
        assert_eq!(alloc::format!("{}", s.transmitter), "60:60:1f:09:73:68");
    }

    #[test]
    fn header_checks() {
        assert_eq!(scan(&[]), Err(Error::NotApplicable));
        // Data frame (type 2).
        assert_eq!(scan(&[0x08, 0x00, 0, 0]), Err(Error::NotApplicable));
        assert_eq!(
            scan(&[0x80, 0x00, 0, 0]),
            Err(Error::Truncated {
                field: "ieee80211.header",
                need: 24,
                have: 4
            })
        );
        // Order flag: the header is 28 bytes.
        let mut f = [0u8; 40];
        f[0] = 0x80;
        f[1] = FLAG_ORDER;
        let fr = Frame::new_checked(&f[..]).unwrap();
        assert_eq!((fr.header_len(), fr.body().len()), (28, 12));
        let s = scan(&f).unwrap();
        assert_eq!(s.beacon.map(|b| b.timestamp), Some(0));
    }
}
