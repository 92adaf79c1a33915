//! HCI LE Advertising Report events, as host-side captures (btsnoop, Linux HCI monitor) carry them.
//!
//! [`Reports`] iterates over the reports of an LE Meta event (event code 0x3E) with subevent 0x02 (LE
//! Advertising Report, legacy) or 0x0D (LE Extended Advertising Report), giving [`Report`]: address,
//! RSSI, PHYs and the AdvData bytes for [`super::odid_service_data`]. Reports are read one after the
//! other (event type, address type, address, ..., data), as the Linux kernel reads them.
//!
//! Layouts: Bluetooth Core Specification Vol 4 Part E §7.7.65.2 and §7.7.65.13; `remoteid.md` §2.5.

use super::Address;
use crate::{Error, Result};

/// HCI event code of LE Meta events.
pub const EVENT_LE_META: u8 = 0x3E;
/// LE Meta subevent: LE Advertising Report.
pub const SUBEVENT_ADVERTISING_REPORT: u8 = 0x02;
/// LE Meta subevent: LE Extended Advertising Report.
pub const SUBEVENT_EXTENDED_ADVERTISING_REPORT: u8 = 0x0D;

/// A PHY code in an extended report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phy {
    /// 0: no packet on that PHY (secondary PHY of a legacy PDU).
    None,
    Le1M,
    Le2M,
    LeCoded,
    Unknown(u8),
}

impl From<u8> for Phy {
    fn from(v: u8) -> Self {
        match v {
            0 => Phy::None,
            1 => Phy::Le1M,
            2 => Phy::Le2M,
            3 => Phy::LeCoded,
            other => Phy::Unknown(other),
        }
    }
}

/// One advertising report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Report<'a> {
    /// Legacy reports: the 8-bit event type (0 ADV_IND … 4 SCAN_RSP); extended: the 16-bit field.
    pub event_type: u16,
    pub address_type: u8,
    pub address: Address,
    /// Legacy reports are always LE 1M.
    pub primary_phy: Phy,
    pub secondary_phy: Phy,
    /// Advertising SID; `None` when 0xFF (no ADI) or in legacy reports.
    pub sid: Option<u8>,
    /// dBm; `None` when 127 (not available) or in legacy reports.
    pub tx_power: Option<i8>,
    /// dBm; `None` when 127 (not available).
    pub rssi: Option<i8>,
    pub data: &'a [u8],
}

/// Iterator over the reports of one event. Yields `Err` once and ends on a truncated report.
#[derive(Debug, Clone)]
pub struct Reports<'a> {
    extended: bool,
    remaining: u8,
    rest: &'a [u8],
}

impl<'a> Reports<'a> {
    /// Reads LE Meta event parameters, starting at the subevent code.
    ///
    /// # Errors
    ///
    /// [`Error::NotApplicable`] for other subevents, [`Error::Truncated`] without the report count.
    pub fn from_le_meta(params: &'a [u8]) -> Result<Reports<'a>> {
        let (sub, count, rest) = match params {
            [sub, count, rest @ ..] => (*sub, *count, rest),
            _ => {
                return Err(Error::Truncated {
                    field: "hci.le_meta",
                    need: 2,
                    have: params.len(),
                })
            }
        };
        let extended = match sub {
            SUBEVENT_ADVERTISING_REPORT => false,
            SUBEVENT_EXTENDED_ADVERTISING_REPORT => true,
            _ => return Err(Error::NotApplicable),
        };
        Ok(Reports {
            extended,
            remaining: count,
            rest,
        })
    }

    /// Reads an HCI event packet starting at the event code (`3E len subevent ...`; strip the H4
    /// packet-type byte 0x04 first).
    ///
    /// # Errors
    ///
    /// [`Error::NotApplicable`] for other events and subevents; [`Error::Truncated`] when the
    /// parameters are shorter than the declared length.
    pub fn from_event(event: &'a [u8]) -> Result<Reports<'a>> {
        match event {
            [EVENT_LE_META, len, rest @ ..] => {
                let params = rest.get(..usize::from(*len)).ok_or(Error::Truncated {
                    field: "hci.event",
                    need: usize::from(*len),
                    have: rest.len(),
                })?;
                Self::from_le_meta(params)
            }
            [_, ..] => Err(Error::NotApplicable),
            [] => Err(Error::Truncated {
                field: "hci.event",
                need: 2,
                have: 0,
            }),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let (a, b) = self.rest.split_at_checked(n).ok_or(Error::Truncated {
            field: "hci.report",
            need: n,
            have: self.rest.len(),
        })?;
        self.rest = b;
        Ok(a)
    }

    fn next_report(&mut self) -> Result<Report<'a>> {
        let not_available = |v: u8| (v != 127).then_some(v as i8);
        if self.extended {
            // Event type 2, address type 1, address 6, primary PHY 1, secondary PHY 1, SID 1,
            // TX power 1, RSSI 1, periodic interval 2, direct address type 1 + address 6, length 1.
            let h = self.take(24)?;
            let g = |i: usize| h.get(i).copied().unwrap_or(0);
            let len = usize::from(g(23));
            let data = self.take(len)?;
            Ok(Report {
                event_type: u16::from_le_bytes([g(0), g(1)]),
                address_type: g(2),
                address: h.get(3..9).and_then(Address::read).unwrap_or_default(),
                primary_phy: Phy::from(g(9)),
                secondary_phy: Phy::from(g(10)),
                sid: (g(11) != 0xFF).then_some(g(11)),
                tx_power: not_available(g(12)),
                rssi: not_available(g(13)),
                data,
            })
        } else {
            // Event type 1, address type 1, address 6, length 1, data, RSSI 1.
            let h = self.take(9)?;
            let g = |i: usize| h.get(i).copied().unwrap_or(0);
            let data = self.take(usize::from(g(8)))?;
            let rssi = self.take(1)?.first().copied().unwrap_or(127);
            Ok(Report {
                event_type: u16::from(g(0)),
                address_type: g(1),
                address: h.get(2..8).and_then(Address::read).unwrap_or_default(),
                primary_phy: Phy::Le1M,
                secondary_phy: Phy::None,
                sid: None,
                tx_power: None,
                rssi: not_available(rssi),
                data,
            })
        }
    }
}

impl<'a> Iterator for Reports<'a> {
    type Item = Result<Report<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let r = self.next_report();
        if r.is_err() {
            self.remaining = 0;
        }
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_and_extended_reports() {
        // Hand-built from the spec layouts: one legacy report, ADV_NONCONN_IND (3), random address
        // c0:01:02:03:04:05, 3 data bytes, RSSI -60.
        let ev = [
            0x3E, 15, 0x02, 1, 0x03, 0x01, 5, 4, 3, 2, 1, 0xC0, 3, 0x02, 0x01, 0x06, 0xC4,
        ];
        let r: alloc::vec::Vec<_> = Reports::from_event(&ev).unwrap().collect();
        assert_eq!(r.len(), 1);
        let r = r[0].unwrap();
        assert_eq!(r.address, Address([0xC0, 1, 2, 3, 4, 5]));
        assert_eq!(
            (r.event_type, r.rssi, r.data),
            (3, Some(-60), &[2, 1, 6][..])
        );

        // Extended report, coded/coded PHY, SID 0, TX power n/a, RSSI -80, 2 data bytes.
        let mut p = alloc::vec![0x0D, 1, 0x00, 0x00, 0x01, 5, 4, 3, 2, 1, 0xC0, 3, 3, 0, 127, 0xB0];
        p.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0xAA, 0xBB]);
        let r = Reports::from_le_meta(&p).unwrap().next().unwrap().unwrap();
        assert_eq!(
            (r.primary_phy, r.secondary_phy),
            (Phy::LeCoded, Phy::LeCoded)
        );
        assert_eq!((r.sid, r.tx_power, r.rssi), (Some(0), None, Some(-80)));
        assert_eq!(r.data, &[0xAA, 0xBB]);
        // Truncated data: one error, then the iterator ends.
        let mut it = Reports::from_le_meta(&p[..p.len() - 1]).unwrap();
        assert_eq!(
            it.next(),
            Some(Err(Error::Truncated {
                field: "hci.report",
                need: 2,
                have: 1
            }))
        );
        assert_eq!(it.next(), None);
    }
}
