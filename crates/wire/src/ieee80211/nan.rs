//! Wi-Fi Aware (NAN) pieces used by Remote ID: the Service Discovery Frame body, its attribute list,
//! and the Service Descriptor (0x03) and Service Descriptor Extension (0x0E) attributes.
//!
//! F3411-22a sends each Message Pack as the service info of a Service Descriptor whose service ID is
//! `sha256("org.opendroneid.remoteid")[:6]`: `counter | pack` (`remoteid.md` §2.4). We walk the
//! attribute list instead of matching one exact frame, because sniffers see variants.
//!
//! - [`sdf_attributes`] checks the public action header `04 09 50 6F 9A 13` and returns an
//!   [`Attributes`] iterator (attribute `id(1) len(2, LE) body`).
//! - [`ServiceDescriptor`] and [`ServiceDescriptorExt`] parse and emit their attributes.
//! - [`odid_service_info`] finds the ODID `counter` and pack in an attribute list.

use crate::{Error, Result};

/// Wi-Fi Alliance OUI.
pub const WFA_OUI: [u8; 3] = [0x50, 0x6F, 0x9A];
/// OUI type of NAN (vendor IE in sync beacons, and the SDF action frame).
pub const NAN_OUI_TYPE: u8 = 0x13;
/// NAN service ID of Open Drone ID: the first 6 bytes of SHA-256("org.opendroneid.remoteid").
pub const ODID_SERVICE_ID: [u8; 6] = [0x88, 0x69, 0x19, 0x9D, 0x92, 0x09];
/// Destination of NAN Service Discovery Frames (the NAN network ID).
pub const NAN_NETWORK_ID: [u8; 6] = [0x51, 0x6F, 0x9A, 0x01, 0x00, 0x00];
/// The NAN cluster ID that F3411-22a fixes.
pub const ODID_CLUSTER_ID: [u8; 6] = [0x50, 0x6F, 0x9A, 0x01, 0x00, 0xFF];
/// Public action category.
pub const CATEGORY_PUBLIC: u8 = 0x04;
/// Public action "vendor specific".
pub const ACTION_VENDOR_SPECIFIC: u8 = 0x09;

/// The action frame body header of a NAN Service Discovery Frame.
pub const SDF_HEADER: [u8; 6] = [
    CATEGORY_PUBLIC,
    ACTION_VENDOR_SPECIFIC,
    WFA_OUI[0],
    WFA_OUI[1],
    WFA_OUI[2],
    NAN_OUI_TYPE,
];

/// A NAN attribute ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeId {
    MasterIndication,
    Cluster,
    ServiceIdList,
    ServiceDescriptor,
    ServiceDescriptorExtension,
    Unknown(u8),
}

impl From<u8> for AttributeId {
    fn from(v: u8) -> Self {
        match v {
            0x00 => AttributeId::MasterIndication,
            0x01 => AttributeId::Cluster,
            0x02 => AttributeId::ServiceIdList,
            0x03 => AttributeId::ServiceDescriptor,
            0x0E => AttributeId::ServiceDescriptorExtension,
            other => AttributeId::Unknown(other),
        }
    }
}

impl From<AttributeId> for u8 {
    fn from(a: AttributeId) -> u8 {
        match a {
            AttributeId::MasterIndication => 0x00,
            AttributeId::Cluster => 0x01,
            AttributeId::ServiceIdList => 0x02,
            AttributeId::ServiceDescriptor => 0x03,
            AttributeId::ServiceDescriptorExtension => 0x0E,
            AttributeId::Unknown(v) => v,
        }
    }
}

/// One NAN attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attribute<'a> {
    pub id: u8,
    pub body: &'a [u8],
}

/// Iterator over NAN attributes; yields `Err` once and ends when a length runs past the buffer.
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Attributes<'a> {
    /// Walks `attrs`, a bare attribute list.
    pub fn new(attrs: &'a [u8]) -> Self {
        Attributes {
            rest: attrs,
            failed: false,
        }
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<Attribute<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let item = match self.rest {
            [id, l0, l1, tail @ ..] => {
                let len = usize::from(u16::from_le_bytes([*l0, *l1]));
                match tail.split_at_checked(len) {
                    Some((body, rest)) => {
                        self.rest = rest;
                        Ok(Attribute { id: *id, body })
                    }
                    None => Err(Error::Truncated {
                        field: "nan.attribute.body",
                        need: len,
                        have: tail.len(),
                    }),
                }
            }
            _ => Err(Error::Truncated {
                field: "nan.attribute.header",
                need: 3,
                have: self.rest.len(),
            }),
        };
        self.failed = item.is_err();
        Some(item)
    }
}

/// The attributes of a NAN Service Discovery Frame, given the action frame body.
///
/// # Errors
///
/// [`Error::NotApplicable`] when the body does not start with [`SDF_HEADER`].
pub fn sdf_attributes(action_body: &[u8]) -> Result<Attributes<'_>> {
    match action_body.split_at_checked(SDF_HEADER.len()) {
        Some((h, rest)) if h == SDF_HEADER => Ok(Attributes::new(rest)),
        _ => Err(Error::NotApplicable),
    }
}

/// Service control bits of the Service Descriptor attribute.
pub mod control {
    /// Bits 1..0: 0 publish, 1 subscribe, 2 follow-up.
    pub const TYPE_MASK: u8 = 0x03;
    pub const PUBLISH: u8 = 0x00;
    pub const MATCHING_FILTER: u8 = 0x04;
    pub const RESPONSE_FILTER: u8 = 0x08;
    pub const SERVICE_INFO: u8 = 0x10;
    pub const RANGE_LIMITED: u8 = 0x20;
    pub const BINDING_BITMAP: u8 = 0x40;
}

/// The Service Descriptor attribute (0x03). Optional fields follow the control byte in the order
/// binding bitmap, matching filter, service response filter, service info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceDescriptor<'a> {
    pub service_id: [u8; 6],
    pub instance_id: u8,
    pub requestor_instance_id: u8,
    /// Control byte with the presence bits of the optional fields cleared; [`Self::emit`] sets them
    /// from the options.
    pub control: u8,
    pub binding_bitmap: Option<u16>,
    pub matching_filter: Option<&'a [u8]>,
    pub response_filter: Option<&'a [u8]>,
    pub service_info: Option<&'a [u8]>,
}

const PRESENCE: u8 = control::MATCHING_FILTER
    | control::RESPONSE_FILTER
    | control::SERVICE_INFO
    | control::BINDING_BITMAP;

fn take<'a>(rest: &mut &'a [u8], n: usize, field: &'static str) -> Result<&'a [u8]> {
    let (a, b) = rest.split_at_checked(n).ok_or(Error::Truncated {
        field,
        need: n,
        have: rest.len(),
    })?;
    *rest = b;
    Ok(a)
}

fn take_u8(rest: &mut &[u8], field: &'static str) -> Result<u8> {
    take(rest, 1, field).map(|b| b.first().copied().unwrap_or(0))
}

fn take_u16(rest: &mut &[u8], field: &'static str) -> Result<u16> {
    let b = take(rest, 2, field)?;
    Ok(u16::from_le_bytes([
        b.first().copied().unwrap_or(0),
        b.get(1).copied().unwrap_or(0),
    ]))
}

impl<'a> ServiceDescriptor<'a> {
    /// Parses the attribute body.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when a field announced by the control byte is missing.
    pub fn parse(body: &'a [u8]) -> Result<ServiceDescriptor<'a>> {
        let mut r = body;
        let service_id = take(&mut r, 6, "nan.sda.service_id")?
            .try_into()
            .map_err(|_| Error::Malformed {
                field: "nan.sda.service_id",
            })?;
        let instance_id = take_u8(&mut r, "nan.sda.instance_id")?;
        let requestor_instance_id = take_u8(&mut r, "nan.sda.requestor")?;
        let ctrl = take_u8(&mut r, "nan.sda.control")?;
        let binding_bitmap = if ctrl & control::BINDING_BITMAP != 0 {
            Some(take_u16(&mut r, "nan.sda.binding_bitmap")?)
        } else {
            None
        };
        let mut opt = |bit: u8, field: &'static str| -> Result<Option<&'a [u8]>> {
            if ctrl & bit == 0 {
                return Ok(None);
            }
            let n = take_u8(&mut r, field)?;
            take(&mut r, usize::from(n), field).map(Some)
        };
        let matching_filter = opt(control::MATCHING_FILTER, "nan.sda.matching_filter")?;
        let response_filter = opt(control::RESPONSE_FILTER, "nan.sda.response_filter")?;
        let service_info = opt(control::SERVICE_INFO, "nan.sda.service_info")?;
        Ok(ServiceDescriptor {
            service_id,
            instance_id,
            requestor_instance_id,
            control: ctrl & !PRESENCE,
            binding_bitmap,
            matching_filter,
            response_filter,
            service_info,
        })
    }

    /// The control byte with presence bits set from the options.
    pub fn control_byte(&self) -> u8 {
        let mut c = self.control & !PRESENCE;
        if self.binding_bitmap.is_some() {
            c |= control::BINDING_BITMAP;
        }
        if self.matching_filter.is_some() {
            c |= control::MATCHING_FILTER;
        }
        if self.response_filter.is_some() {
            c |= control::RESPONSE_FILTER;
        }
        if self.service_info.is_some() {
            c |= control::SERVICE_INFO;
        }
        c
    }

    /// Bytes of the attribute body [`Self::emit`] writes (without the 3-byte attribute header).
    pub fn buffer_len(&self) -> usize {
        let opt = |o: Option<&[u8]>| o.map_or(0, |b| 1 + b.len());
        9 + self.binding_bitmap.map_or(0, |_| 2)
            + opt(self.matching_filter)
            + opt(self.response_filter)
            + opt(self.service_info)
    }

    /// Writes the attribute body and returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is too short; [`Error::Malformed`] when a variable field is
    /// longer than 255 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = Writer::new(buf);
        w.put(&self.service_id)?;
        w.put(&[
            self.instance_id,
            self.requestor_instance_id,
            self.control_byte(),
        ])?;
        if let Some(b) = self.binding_bitmap {
            w.put(&b.to_le_bytes())?;
        }
        for o in [
            self.matching_filter,
            self.response_filter,
            self.service_info,
        ]
        .into_iter()
        .flatten()
        {
            let n = u8::try_from(o.len()).map_err(|_| Error::Malformed {
                field: "nan.sda.length",
            })?;
            w.put(&[n])?;
            w.put(o)?;
        }
        Ok(w.pos)
    }
}

/// SDEA control bit: a 4-byte range limit follows.
pub const SDEA_RANGE_LIMIT: u16 = 0x0100;
/// SDEA control bit: a 1-byte service update indicator follows.
pub const SDEA_SERVICE_UPDATE_INDICATOR: u16 = 0x0200;

/// The Service Descriptor Extension attribute (0x0E). ODID transmitters put the message counter in
/// the service update indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceDescriptorExt<'a> {
    pub instance_id: u8,
    /// Control field with the range-limit and update-indicator presence bits cleared.
    pub control: u16,
    pub range_limit: Option<[u8; 4]>,
    pub service_update_indicator: Option<u8>,
    /// Service info (after a 2-byte length), when the attribute continues.
    pub service_info: Option<&'a [u8]>,
}

impl<'a> ServiceDescriptorExt<'a> {
    /// Parses the attribute body.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when a field announced by the control field is missing.
    pub fn parse(body: &'a [u8]) -> Result<ServiceDescriptorExt<'a>> {
        let mut r = body;
        let instance_id = take_u8(&mut r, "nan.sdea.instance_id")?;
        let ctrl = take_u16(&mut r, "nan.sdea.control")?;
        let range_limit = if ctrl & SDEA_RANGE_LIMIT != 0 {
            let b = take(&mut r, 4, "nan.sdea.range_limit")?;
            Some(b.try_into().map_err(|_| Error::Malformed {
                field: "nan.sdea.range_limit",
            })?)
        } else {
            None
        };
        let service_update_indicator = if ctrl & SDEA_SERVICE_UPDATE_INDICATOR != 0 {
            Some(take_u8(&mut r, "nan.sdea.sui")?)
        } else {
            None
        };
        let service_info = if r.is_empty() {
            None
        } else {
            let n = take_u16(&mut r, "nan.sdea.service_info")?;
            Some(take(&mut r, usize::from(n), "nan.sdea.service_info")?)
        };
        Ok(ServiceDescriptorExt {
            instance_id,
            control: ctrl & !(SDEA_RANGE_LIMIT | SDEA_SERVICE_UPDATE_INDICATOR),
            range_limit,
            service_update_indicator,
            service_info,
        })
    }

    /// Bytes of the attribute body [`Self::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        3 + self.range_limit.map_or(0, |_| 4)
            + self.service_update_indicator.map_or(0, |_| 1)
            + self.service_info.map_or(0, |s| 2 + s.len())
    }

    /// Writes the attribute body and returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is too short, [`Error::Malformed`] for service info longer
    /// than 65535 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let mut ctrl = self.control & !(SDEA_RANGE_LIMIT | SDEA_SERVICE_UPDATE_INDICATOR);
        if self.range_limit.is_some() {
            ctrl |= SDEA_RANGE_LIMIT;
        }
        if self.service_update_indicator.is_some() {
            ctrl |= SDEA_SERVICE_UPDATE_INDICATOR;
        }
        let mut w = Writer::new(buf);
        w.put(&[self.instance_id])?;
        w.put(&ctrl.to_le_bytes())?;
        if let Some(r) = self.range_limit {
            w.put(&r)?;
        }
        if let Some(s) = self.service_update_indicator {
            w.put(&[s])?;
        }
        if let Some(s) = self.service_info {
            let n = u16::try_from(s.len()).map_err(|_| Error::Malformed {
                field: "nan.sdea.service_info",
            })?;
            w.put(&n.to_le_bytes())?;
            w.put(s)?;
        }
        Ok(w.pos)
    }
}

/// The ODID message counter and Message Pack bytes of a NAN attribute list: the service info of the
/// first Service Descriptor with [`ODID_SERVICE_ID`].
///
/// # Errors
///
/// The first malformed attribute or Service Descriptor stops the walk with its error; `Ok(None)`
/// when the list is well-formed but carries no ODID service info.
pub fn odid_service_info(attrs: Attributes<'_>) -> Result<Option<(u8, &[u8])>> {
    for a in attrs {
        let a = a?;
        if a.id != u8::from(AttributeId::ServiceDescriptor) {
            continue;
        }
        let sd = ServiceDescriptor::parse(a.body)?;
        if sd.service_id != ODID_SERVICE_ID {
            continue;
        }
        if let Some((&counter, pack)) = sd.service_info.and_then(|s| s.split_first()) {
            return Ok(Some((counter, pack)));
        }
    }
    Ok(None)
}

/// A bounds-checked cursor for emitters.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    pub(crate) pos: usize,
}

impl<'b> Writer<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<()> {
        let end = self.pos.saturating_add(bytes.len());
        let have = self.buf.len();
        let dst = self.buf.get_mut(self.pos..end).ok_or(Error::Truncated {
            field: "emit",
            need: end,
            have,
        })?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sda_round_trip_and_truncation() {
        let sd = ServiceDescriptor {
            service_id: ODID_SERVICE_ID,
            instance_id: 1,
            requestor_instance_id: 0,
            control: control::PUBLISH,
            binding_bitmap: Some(0x1234),
            matching_filter: Some(b"mf"),
            response_filter: None,
            service_info: Some(&[7, 0xf2, 0x19, 0]),
        };
        let mut buf = [0u8; 32];
        let n = sd.emit(&mut buf).unwrap();
        assert_eq!(n, sd.buffer_len());
        // control = publish | matching filter | service info | binding bitmap.
        assert_eq!(buf[8], 0x54);
        assert_eq!(ServiceDescriptor::parse(&buf[..n]), Ok(sd));
        assert_eq!(
            ServiceDescriptor::parse(&buf[..n - 1]),
            Err(Error::Truncated {
                field: "nan.sda.service_info",
                need: 4,
                have: 3
            })
        );
    }

    #[test]
    fn attribute_walk_stops_on_overrun() {
        let mut it = Attributes::new(&[0x03, 0x01, 0x00, 0xAA, 0x0E, 0x05, 0x00, 0x01]);
        assert_eq!(
            it.next(),
            Some(Ok(Attribute {
                id: 3,
                body: &[0xAA]
            }))
        );
        assert_eq!(
            it.next(),
            Some(Err(Error::Truncated {
                field: "nan.attribute.body",
                need: 5,
                have: 1
            }))
        );
        assert_eq!(it.next(), None);
    }
}
