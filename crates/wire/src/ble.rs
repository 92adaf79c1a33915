//! Bluetooth LE advertising as it carries Remote ID.
//!
//! - [`Pdu`]: zero-copy view of a link-layer advertising-channel PDU (2-byte header: PDU type,
//!   ChSel/TxAdd/RxAdd, length; then the payload). The caller strips the access address, the coded-PHY
//!   coding indicator and the CRC.
//! - [`Advertisement::parse`]: AdvA and AdvData of legacy PDUs (ADV_IND, ADV_NONCONN_IND,
//!   ADV_SCAN_IND, SCAN_RSP, ADV_DIRECT_IND) and of extended PDUs (type 7: ADV_EXT_IND, AUX_ADV_IND,
//!   AUX_CHAIN_IND...) through the Common Extended Advertising Payload ([`ExtHeader`]).
//! - [`AdStructures`]: the AD structure walker, by length fields.
//! - [`odid_service_data`]: the Remote ID counter and payload of an AdvData (Service Data, UUID
//!   0xFFFA, application code 0x0D), wherever it sits among the AD structures.
//! - [`LegacyAdvRepr`], [`ExtAdvRepr`] and [`emit_odid_ad`] build PDUs for fixtures.
//! - [`hci`]: HCI LE Advertising Report events, as in btsnoop / HCI captures.
//!
//! Sources: Bluetooth Core Specification v5.x Vol 6 Part B §2.3 (PDU formats) and Vol 3 Part C §11
//! (AD structures); `remoteid.md` §2.1–2.2 and §2.5.

use crate::{Error, Result};
use core::fmt;

pub mod hci;

/// A Bluetooth device address, in display order (most significant byte first). On air and in HCI
/// it is sent least significant byte first; [`Address::from_le`] / [`Address::to_le`] convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Address(pub [u8; 6]);

impl Address {
    /// From the on-air (little-endian) byte order.
    pub fn from_le(b: [u8; 6]) -> Address {
        let mut a = b;
        a.reverse();
        Address(a)
    }

    /// To the on-air (little-endian) byte order.
    pub fn to_le(self) -> [u8; 6] {
        let mut b = self.0;
        b.reverse();
        b
    }

    fn read(b: &[u8]) -> Option<Address> {
        b.get(..6)?.try_into().ok().map(Address::from_le)
    }
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

/// Advertising-channel PDU types (header bits 3..0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PduType {
    AdvInd,
    AdvDirectInd,
    AdvNonconnInd,
    ScanReq,
    ScanRsp,
    ConnectInd,
    AdvScanInd,
    /// Type 7: ADV_EXT_IND on primary channels; AUX_ADV_IND, AUX_SCAN_RSP, AUX_SYNC_IND and
    /// AUX_CHAIN_IND on secondary channels (told apart by channel and context, not by the header).
    AdvExt,
    AuxConnectRsp,
    Unknown(u8),
}

impl From<u8> for PduType {
    fn from(v: u8) -> Self {
        match v {
            0 => PduType::AdvInd,
            1 => PduType::AdvDirectInd,
            2 => PduType::AdvNonconnInd,
            3 => PduType::ScanReq,
            4 => PduType::ScanRsp,
            5 => PduType::ConnectInd,
            6 => PduType::AdvScanInd,
            7 => PduType::AdvExt,
            8 => PduType::AuxConnectRsp,
            other => PduType::Unknown(other),
        }
    }
}

impl From<PduType> for u8 {
    fn from(t: PduType) -> u8 {
        match t {
            PduType::AdvInd => 0,
            PduType::AdvDirectInd => 1,
            PduType::AdvNonconnInd => 2,
            PduType::ScanReq => 3,
            PduType::ScanRsp => 4,
            PduType::ConnectInd => 5,
            PduType::AdvScanInd => 6,
            PduType::AdvExt => 7,
            PduType::AuxConnectRsp => 8,
            PduType::Unknown(v) => v & 0x0F,
        }
    }
}

/// Zero-copy view of an advertising-channel PDU (header + payload).
#[derive(Debug, Clone, Copy)]
pub struct Pdu<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Pdu<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Pdu { buffer }
    }

    /// Wraps a buffer after checking that the payload announced by the header is present.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when the buffer is shorter than 2 + length.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        let have = p.buffer.as_ref().len();
        let need = if have < 2 {
            2
        } else {
            2 + usize::from(p.length())
        };
        if have < need {
            return Err(Error::Truncated {
                field: "ble.pdu",
                need,
                have,
            });
        }
        Ok(p)
    }

    fn byte(&self, i: usize) -> u8 {
        self.buffer.as_ref().get(i).copied().unwrap_or(0)
    }

    pub fn pdu_type(&self) -> PduType {
        PduType::from(self.byte(0) & 0x0F)
    }

    /// ChSel bit (channel selection algorithm #2 supported).
    pub fn ch_sel(&self) -> bool {
        self.byte(0) & 0x20 != 0
    }

    /// TxAdd: the advertiser address is random.
    pub fn tx_add(&self) -> bool {
        self.byte(0) & 0x40 != 0
    }

    /// RxAdd: the target address is random.
    pub fn rx_add(&self) -> bool {
        self.byte(0) & 0x80 != 0
    }

    /// Payload length from the header.
    pub fn length(&self) -> u8 {
        self.byte(1)
    }

    /// The payload, limited to the header length and to the bytes present.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = (2 + usize::from(self.length())).min(b.len());
        b.get(2..end).unwrap_or(&[])
    }
}

/// AdvMode of the Common Extended Advertising Payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdvMode {
    NonConnectableNonScannable,
    Connectable,
    Scannable,
    Unknown(u8),
}

impl From<u8> for AdvMode {
    fn from(v: u8) -> Self {
        match v {
            0 => AdvMode::NonConnectableNonScannable,
            1 => AdvMode::Connectable,
            2 => AdvMode::Scannable,
            other => AdvMode::Unknown(other),
        }
    }
}

impl From<AdvMode> for u8 {
    fn from(m: AdvMode) -> u8 {
        match m {
            AdvMode::NonConnectableNonScannable => 0,
            AdvMode::Connectable => 1,
            AdvMode::Scannable => 2,
            AdvMode::Unknown(v) => v & 0x03,
        }
    }
}

/// Advertising Data Info: advertising set ID and data ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Adi {
    /// 12 bits.
    pub did: u16,
    /// 4 bits.
    pub sid: u8,
}

impl Adi {
    fn from_le(v: u16) -> Adi {
        Adi {
            did: v & 0x0FFF,
            sid: (v >> 12) as u8,
        }
    }
    fn to_le(self) -> [u8; 2] {
        ((self.did & 0x0FFF) | (u16::from(self.sid & 0x0F) << 12)).to_le_bytes()
    }
}

/// Pointer to the auxiliary packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuxPtr {
    /// Secondary channel index, 6 bits.
    pub channel: u8,
    /// Clock accuracy bit.
    pub ca: bool,
    /// Offset units: false = 30 µs, true = 300 µs.
    pub offset_units_300us: bool,
    /// 13 bits.
    pub aux_offset: u16,
    /// 3 bits: 0 LE 1M, 1 LE 2M, 2 LE Coded.
    pub aux_phy: u8,
}

impl AuxPtr {
    fn from_bytes(b: [u8; 3]) -> AuxPtr {
        let v = u16::from_le_bytes([b[1], b[2]]);
        AuxPtr {
            channel: b[0] & 0x3F,
            ca: b[0] & 0x40 != 0,
            offset_units_300us: b[0] & 0x80 != 0,
            aux_offset: v & 0x1FFF,
            aux_phy: (v >> 13) as u8,
        }
    }
    fn to_bytes(self) -> [u8; 3] {
        let b0 = (self.channel & 0x3F)
            | if self.ca { 0x40 } else { 0 }
            | if self.offset_units_300us { 0x80 } else { 0 };
        let v = (self.aux_offset & 0x1FFF) | (u16::from(self.aux_phy & 0x07) << 13);
        let [l, h] = v.to_le_bytes();
        [b0, l, h]
    }
}

/// Extended header flag bits.
pub mod ext_flags {
    pub const ADV_A: u8 = 0x01;
    pub const TARGET_A: u8 = 0x02;
    pub const CTE_INFO: u8 = 0x04;
    pub const ADI: u8 = 0x08;
    pub const AUX_PTR: u8 = 0x10;
    pub const SYNC_INFO: u8 = 0x20;
    pub const TX_POWER: u8 = 0x40;
}

/// Length of the SyncInfo field.
pub const SYNC_INFO_LEN: usize = 18;

/// The extended header of a Common Extended Advertising Payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtHeader<'a> {
    pub adv_mode: AdvMode,
    pub adv_a: Option<Address>,
    pub target_a: Option<Address>,
    pub cte_info: Option<u8>,
    pub adi: Option<Adi>,
    pub aux_ptr: Option<AuxPtr>,
    pub sync_info: Option<&'a [u8]>,
    /// dBm.
    pub tx_power: Option<i8>,
    /// Additional Controller Advertising Data: the rest of the extended header.
    pub acad: &'a [u8],
    /// The flags byte when present (bit 7 is reserved and kept for round trips).
    pub flags: Option<u8>,
}

impl<'a> ExtHeader<'a> {
    /// A header of the given mode with no optional field and no flags byte.
    pub fn new(adv_mode: AdvMode) -> ExtHeader<'a> {
        ExtHeader {
            adv_mode,
            adv_a: None,
            target_a: None,
            cte_info: None,
            adi: None,
            aux_ptr: None,
            sync_info: None,
            tx_power: None,
            acad: &[],
            flags: None,
        }
    }

    /// Parses a Common Extended Advertising Payload; returns the header and the AdvData after it.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when the payload is shorter than the header length, or a flagged field
    /// does not fit in the header.
    pub fn parse(payload: &'a [u8]) -> Result<(ExtHeader<'a>, &'a [u8])> {
        let (&b0, rest) = payload.split_first().ok_or(Error::Truncated {
            field: "ble.ext.header_len",
            need: 1,
            have: 0,
        })?;
        let hlen = usize::from(b0 & 0x3F);
        let (mut h, adv_data) = rest.split_at_checked(hlen).ok_or(Error::Truncated {
            field: "ble.ext.header",
            need: hlen,
            have: rest.len(),
        })?;
        let mut e = ExtHeader::new(AdvMode::from(b0 >> 6));
        if let Some((&flags, fields)) = h.split_first() {
            e.flags = Some(flags);
            h = fields;
            let mut take = |bit: u8, n: usize, field: &'static str| -> Result<Option<&'a [u8]>> {
                if flags & bit == 0 {
                    return Ok(None);
                }
                let (a, b) = h.split_at_checked(n).ok_or(Error::Truncated {
                    field,
                    need: n,
                    have: h.len(),
                })?;
                h = b;
                Ok(Some(a))
            };
            e.adv_a = take(ext_flags::ADV_A, 6, "ble.ext.adv_a")?.and_then(Address::read);
            e.target_a = take(ext_flags::TARGET_A, 6, "ble.ext.target_a")?.and_then(Address::read);
            e.cte_info =
                take(ext_flags::CTE_INFO, 1, "ble.ext.cte_info")?.and_then(|b| b.first().copied());
            e.adi = take(ext_flags::ADI, 2, "ble.ext.adi")?
                .and_then(|b| b.try_into().ok())
                .map(|b: [u8; 2]| Adi::from_le(u16::from_le_bytes(b)));
            e.aux_ptr = take(ext_flags::AUX_PTR, 3, "ble.ext.aux_ptr")?
                .and_then(|b| b.try_into().ok())
                .map(AuxPtr::from_bytes);
            e.sync_info = take(ext_flags::SYNC_INFO, SYNC_INFO_LEN, "ble.ext.sync_info")?;
            e.tx_power = take(ext_flags::TX_POWER, 1, "ble.ext.tx_power")?
                .and_then(|b| b.first().map(|&v| v as i8));
            e.acad = h;
        }
        Ok((e, adv_data))
    }

    /// The flags byte implied by the options (plus the reserved bit 7 of [`Self::flags`]).
    pub fn flags_byte(&self) -> u8 {
        let mut f = self.flags.unwrap_or(0) & 0x80;
        let bits = [
            (self.adv_a.is_some(), ext_flags::ADV_A),
            (self.target_a.is_some(), ext_flags::TARGET_A),
            (self.cte_info.is_some(), ext_flags::CTE_INFO),
            (self.adi.is_some(), ext_flags::ADI),
            (self.aux_ptr.is_some(), ext_flags::AUX_PTR),
            (self.sync_info.is_some(), ext_flags::SYNC_INFO),
            (self.tx_power.is_some(), ext_flags::TX_POWER),
        ];
        for (present, bit) in bits {
            if present {
                f |= bit;
            }
        }
        f
    }

    /// Extended header length (without the length/AdvMode byte).
    pub fn header_len(&self) -> usize {
        let fields = self.adv_a.map_or(0, |_| 6)
            + self.target_a.map_or(0, |_| 6)
            + self.cte_info.map_or(0, |_| 1)
            + self.adi.map_or(0, |_| 2)
            + self.aux_ptr.map_or(0, |_| 3)
            + self.sync_info.map_or(0, |_| SYNC_INFO_LEN)
            + self.tx_power.map_or(0, |_| 1)
            + self.acad.len();
        if fields == 0 && self.flags.is_none() {
            0
        } else {
            1 + fields
        }
    }

    /// Writes the length/AdvMode byte and the extended header; returns the bytes written.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is too short; [`Error::Malformed`] when the header exceeds
    /// 63 bytes or SyncInfo is not 18 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let hlen = self.header_len();
        if hlen > 0x3F {
            return Err(Error::Malformed {
                field: "ble.ext.header_len",
            });
        }
        let mut w = crate::ieee80211::nan::Writer::new(buf);
        w.put(&[hlen as u8 | (u8::from(self.adv_mode) << 6)])?;
        if hlen == 0 {
            return Ok(w.pos);
        }
        w.put(&[self.flags_byte()])?;
        if let Some(a) = self.adv_a {
            w.put(&a.to_le())?;
        }
        if let Some(a) = self.target_a {
            w.put(&a.to_le())?;
        }
        if let Some(c) = self.cte_info {
            w.put(&[c])?;
        }
        if let Some(a) = self.adi {
            w.put(&a.to_le())?;
        }
        if let Some(p) = self.aux_ptr {
            w.put(&p.to_bytes())?;
        }
        if let Some(s) = self.sync_info {
            if s.len() != SYNC_INFO_LEN {
                return Err(Error::Malformed {
                    field: "ble.ext.sync_info",
                });
            }
            w.put(s)?;
        }
        if let Some(t) = self.tx_power {
            w.put(&[t as u8])?;
        }
        w.put(self.acad)?;
        Ok(w.pos)
    }
}

/// AdvA and AdvData of an advertising PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Advertisement<'a> {
    pub pdu_type: PduType,
    /// TxAdd: the advertiser address is random.
    pub tx_add: bool,
    pub adv_a: Option<Address>,
    pub adv_data: &'a [u8],
    /// The extended header of type-7 PDUs.
    pub ext: Option<ExtHeader<'a>>,
}

impl<'a> Advertisement<'a> {
    /// Parses an advertising-channel PDU (header first, no access address or CRC).
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when the PDU or its fields are cut; [`Error::NotApplicable`] for PDU
    /// types that carry no advertising data (SCAN_REQ, CONNECT_IND, AUX_CONNECT_RSP, reserved).
    pub fn parse(pdu: &'a [u8]) -> Result<Advertisement<'a>> {
        let p = Pdu::new_checked(pdu)?;
        let end = 2 + usize::from(p.length());
        let payload = pdu.get(2..end).unwrap_or(&[]);
        let pdu_type = p.pdu_type();
        let tx_add = p.tx_add();
        let short = |need: usize| Error::Truncated {
            field: "ble.adv_a",
            need,
            have: payload.len(),
        };
        match pdu_type {
            PduType::AdvInd | PduType::AdvNonconnInd | PduType::AdvScanInd | PduType::ScanRsp => {
                let (a, data) = payload.split_at_checked(6).ok_or(short(6))?;
                Ok(Advertisement {
                    pdu_type,
                    tx_add,
                    adv_a: Address::read(a),
                    adv_data: data,
                    ext: None,
                })
            }
            PduType::AdvDirectInd => {
                let a = payload.get(..12).ok_or(short(12))?;
                Ok(Advertisement {
                    pdu_type,
                    tx_add,
                    adv_a: Address::read(a),
                    adv_data: &[],
                    ext: None,
                })
            }
            PduType::AdvExt => {
                let (ext, data) = ExtHeader::parse(payload)?;
                Ok(Advertisement {
                    pdu_type,
                    tx_add,
                    adv_a: ext.adv_a,
                    adv_data: data,
                    ext: Some(ext),
                })
            }
            _ => Err(Error::NotApplicable),
        }
    }
}

/// AD type: Flags.
pub const AD_FLAGS: u8 = 0x01;
/// AD type: Complete Local Name.
pub const AD_COMPLETE_NAME: u8 = 0x09;
/// AD type: Service Data - 16-bit UUID.
pub const AD_SERVICE_DATA_16: u8 = 0x16;
/// ASTM Remote ID service UUID.
pub const ODID_UUID: u16 = 0xFFFA;
/// Application code "Open Drone ID" after the UUID.
pub const ODID_APP_CODE: u8 = 0x0D;

/// One AD structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdStructure<'a> {
    pub ad_type: u8,
    pub data: &'a [u8],
}

/// Iterator over AD structures. A zero length byte ends the list (it is the padding of short
/// AdvData); a length past the end yields `Err` once and ends.
#[derive(Debug, Clone)]
pub struct AdStructures<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> AdStructures<'a> {
    pub fn new(adv_data: &'a [u8]) -> Self {
        AdStructures {
            rest: adv_data,
            failed: false,
        }
    }
}

impl<'a> Iterator for AdStructures<'a> {
    type Item = Result<AdStructure<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let (&len, tail) = self.rest.split_first()?;
        if len == 0 {
            self.rest = &[];
            return None;
        }
        let item = match tail.split_at_checked(usize::from(len)) {
            Some((s, rest)) => {
                self.rest = rest;
                s.split_first()
                    .map(|(&ad_type, data)| AdStructure { ad_type, data })
            }
            None => None,
        };
        match item {
            Some(ad) => Some(Ok(ad)),
            None => {
                self.failed = true;
                Some(Err(Error::Truncated {
                    field: "ble.ad_structure",
                    need: usize::from(len),
                    have: tail.len(),
                }))
            }
        }
    }
}

/// The Remote ID counter and payload (one 25-byte message for BT4, a Message Pack for BT5) of an
/// AdvData: the first Service Data AD with UUID 0xFFFA and application code 0x0D. Every AD is
/// walked, so a Flags AD before it (some ADV_IND transmitters) is fine; the walk stops at a
/// malformed AD.
pub fn odid_service_data(adv_data: &[u8]) -> Option<(u8, &[u8])> {
    AdStructures::new(adv_data)
        .map_while(|r| r.ok())
        .find_map(|ad| match (ad.ad_type, ad.data) {
            (AD_SERVICE_DATA_16, [0xFA, 0xFF, ODID_APP_CODE, counter, payload @ ..]) => {
                Some((*counter, payload))
            }
            _ => None,
        })
}

/// Writes the Remote ID Service Data AD structure `len | 16 | FA FF | 0D | counter | payload`.
///
/// # Errors
///
/// [`Error::Truncated`] when `buf` is too short, [`Error::Malformed`] when the payload is longer
/// than 250 bytes.
pub fn emit_odid_ad(counter: u8, payload: &[u8], buf: &mut [u8]) -> Result<usize> {
    let len = u8::try_from(5 + payload.len()).map_err(|_| Error::Malformed {
        field: "ble.ad_length",
    })?;
    let mut w = crate::ieee80211::nan::Writer::new(buf);
    let [u0, u1] = ODID_UUID.to_le_bytes();
    w.put(&[len, AD_SERVICE_DATA_16, u0, u1, ODID_APP_CODE, counter])?;
    w.put(payload)?;
    Ok(w.pos)
}

fn pdu_header(
    w: &mut crate::ieee80211::nan::Writer<'_>,
    t: PduType,
    tx_add: bool,
    len: usize,
) -> Result<()> {
    let len = u8::try_from(len).map_err(|_| Error::Malformed {
        field: "ble.pdu_length",
    })?;
    w.put(&[u8::from(t) | if tx_add { 0x40 } else { 0 }, len])
}

/// A legacy advertising PDU with AdvA and AdvData (ADV_IND, ADV_NONCONN_IND, ADV_SCAN_IND, SCAN_RSP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LegacyAdvRepr<'a> {
    pub pdu_type: PduType,
    pub tx_add: bool,
    pub adv_a: Address,
    /// At most 31 bytes.
    pub adv_data: &'a [u8],
}

impl LegacyAdvRepr<'_> {
    pub fn buffer_len(&self) -> usize {
        2 + 6 + self.adv_data.len()
    }

    /// Writes the PDU (header first) and returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is too short, [`Error::Malformed`] when AdvData exceeds 31
    /// bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        if self.adv_data.len() > 31 {
            return Err(Error::Malformed {
                field: "ble.adv_data",
            });
        }
        let mut w = crate::ieee80211::nan::Writer::new(buf);
        pdu_header(&mut w, self.pdu_type, self.tx_add, 6 + self.adv_data.len())?;
        w.put(&self.adv_a.to_le())?;
        w.put(self.adv_data)?;
        Ok(w.pos)
    }
}

/// An extended advertising PDU (type 7) with its extended header and AdvData.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtAdvRepr<'a> {
    pub tx_add: bool,
    pub header: ExtHeader<'a>,
    pub adv_data: &'a [u8],
}

impl ExtAdvRepr<'_> {
    pub fn buffer_len(&self) -> usize {
        2 + 1 + self.header.header_len() + self.adv_data.len()
    }

    /// Writes the PDU (header first) and returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is too short, [`Error::Malformed`] when the payload exceeds
    /// 255 bytes or the extended header is invalid (see [`ExtHeader::emit`]).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = crate::ieee80211::nan::Writer::new(buf);
        pdu_header(&mut w, PduType::AdvExt, self.tx_add, self.buffer_len() - 2)?;
        let mut h = [0u8; 64];
        let n = self.header.emit(&mut h)?;
        w.put(h.get(..n).unwrap_or(&[]))?;
        w.put(self.adv_data)?;
        Ok(w.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // BT4 Basic ID payload of a real BlueMark DroneBeacon (sutt0n/depin-open-droneid fixture,
    // `vectors/sutt0n_fixture_vectors.txt`): app code 0d, counter 4d, then the 25-byte message.
    const BASIC_ID: [u8; 27] = [
        0x0d, 0x4d, 0x02, 0x12, b'1', b'7', b'8', b'7', b'F', b'0', b'4', b'B', b'M', b'2', b'4',
        b'0', b'1', b'0', b'0', b'1', b'1', b'0', b'3', b'9', 0, 0, 0,
    ];

    #[test]
    fn adv_ind_with_flags_first() {
        // ADV_IND (connectable) with a Flags AD before the service data, as some transmitters send
        // (wireshark-dissector issue #23). With Flags, 31 bytes leave room for 22 payload bytes only.
        let mut data = [0u8; 31];
        data[..3].copy_from_slice(&[0x02, AD_FLAGS, 0x06]);
        let msg = &BASIC_ID[2..24];
        let n = emit_odid_ad(0x4d, msg, &mut data[3..]).unwrap();
        assert_eq!(n, 28);
        let adv = LegacyAdvRepr {
            pdu_type: PduType::AdvInd,
            tx_add: true,
            adv_a: Address([0xC0, 1, 2, 3, 4, 5]),
            adv_data: &data[..3 + n],
        };
        let mut pdu = [0u8; 39];
        let len = adv.emit(&mut pdu).unwrap();
        // Header: type 0 | TxAdd, length 6 + 31; AdvA on air is little-endian.
        assert_eq!(&pdu[..4], &[0x40, 37, 5, 4]);
        let a = Advertisement::parse(&pdu[..len]).unwrap();
        assert_eq!(a.adv_a, Some(Address([0xC0, 1, 2, 3, 4, 5])));
        assert_eq!(odid_service_data(a.adv_data), Some((0x4d, msg)));
    }

    #[test]
    fn truncated_and_not_applicable() {
        assert_eq!(
            Advertisement::parse(&[0x02, 0x10, 1, 2]),
            Err(Error::Truncated {
                field: "ble.pdu",
                need: 18,
                have: 4
            })
        );
        assert_eq!(
            Advertisement::parse(&[0x03, 0x00]),
            Err(Error::NotApplicable)
        );
        let mut it = AdStructures::new(&[0x05, 0x16, 0xfa]);
        assert_eq!(
            it.next(),
            Some(Err(Error::Truncated {
                field: "ble.ad_structure",
                need: 5,
                have: 2
            }))
        );
        assert_eq!(it.next(), None);
    }
}
