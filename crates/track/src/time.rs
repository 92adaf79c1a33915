//! [`UnixMs`], the one time type of the domain, and the resolution of the partial timestamps that Remote ID
//! broadcasts carry.

use core::fmt;

/// Milliseconds since 1970-01-01 00:00:00 UTC.
///
/// Both the received time (the sensor's clock) and the reported time (the aircraft's clock, from the
/// broadcast) use this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMs(pub i64);

/// One hour in milliseconds.
const HOUR_MS: i64 = 3_600_000;

/// The ASTM F3411 epoch (2019-01-01 00:00:00 UTC) as Unix seconds; System and Authentication timestamps
/// count seconds from it.
pub const ODID_EPOCH_UNIX_S: i64 = 1_546_300_800;

impl UnixMs {
    /// The time `ms` milliseconds later, saturating instead of overflowing on absurd inputs.
    #[must_use]
    pub fn saturating_add(self, ms: i64) -> UnixMs {
        UnixMs(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self` (negative when `earlier` is later), saturating.
    #[must_use]
    pub fn since(self, earlier: UnixMs) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Resolves a Location timestamp ("tenths of seconds since the start of the current UTC hour", 0..=36000)
    /// against the time it was received.
    ///
    /// The broadcast gives only minutes and seconds, so the hour comes from `received`. The candidate within
    /// the received hour is moved one hour back or forward when it lies more than half an hour from
    /// `received`: a message stamped 59:59.5 and received at 00:00.2 of the next hour belongs to the previous
    /// hour (roll-over), and vice versa for a receiver clock slightly behind. Returns `None` for the "unknown"
    /// sentinel 0xFFFF and other values above 36000.
    #[must_use]
    pub fn from_tenths_after_hour(tenths: u16, received: UnixMs) -> Option<UnixMs> {
        if tenths > 36_000 {
            return None;
        }
        let hour_start = received
            .0
            .checked_div_euclid(HOUR_MS)?
            .checked_mul(HOUR_MS)?;
        let candidate = hour_start.checked_add(i64::from(tenths) * 100)?;
        let half = HOUR_MS / 2;
        let delta = candidate.checked_sub(received.0)?;
        let resolved = if delta > half {
            candidate.checked_sub(HOUR_MS)?
        } else if delta < -half {
            candidate.checked_add(HOUR_MS)?
        } else {
            candidate
        };
        Some(UnixMs(resolved))
    }

    /// Converts seconds since the ASTM F3411 epoch (2019-01-01, used by System and Authentication messages).
    #[must_use]
    pub fn from_odid_epoch_seconds(secs: u32) -> UnixMs {
        UnixMs((ODID_EPOCH_UNIX_S + i64::from(secs)) * 1000)
    }
}

impl fmt::Display for UnixMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_after_hour_resolve_with_roll_over() {
        // 2024-10-04 15:00:00 UTC (the bk_wireless capture's hour).
        let h = 1_728_054_000_000i64;
        let cases: &[(u16, i64, Option<i64>)] = &[
            // 06:00.5 received at 15:06:01.2: this hour.
            (3605, h + 361_200, Some(h + 360_500)),
            // The bk_wireless test transmitter always stamps 06:00.5; received at 15:45:19 the nearest
            // instant with that stamp is 16:06:00.5: a frozen clock gives a meaningless reported time.
            (3605, h + 2_719_009, Some(h + 3_600_000 + 360_500)),
            // Stamped 59:59.5, received 00:00.2 of the next hour: previous hour.
            (35_995, h + 200, Some(h - 500)),
            // Stamped 00:00.3, received 59:59.9 (receiver clock behind): next hour.
            (3, h - 100, Some(h + 300)),
            (36_000, h + 3_599_000, Some(h + 3_600_000)),
            (0xFFFF, h, None),
            (36_001, h, None),
        ];
        for &(tenths, received, want) in cases {
            let got = UnixMs::from_tenths_after_hour(tenths, UnixMs(received)).map(|t| t.0);
            assert_eq!(got, want, "tenths {tenths} received {received}");
        }
        // Extremes of the clock do not overflow.
        assert_eq!(
            UnixMs::from_tenths_after_hour(36_000, UnixMs(i64::MAX)),
            None
        );
        assert_eq!(UnixMs::from_tenths_after_hour(0, UnixMs(i64::MIN)), None);
    }

    #[test]
    fn odid_epoch_seconds() {
        // bk_wireless System timestamp 28056789 s after 2019-01-01 = 2019-11-21T17:33:09Z.
        assert_eq!(
            UnixMs::from_odid_epoch_seconds(28_056_789),
            UnixMs(1_574_357_589_000)
        );
        assert_eq!(
            UnixMs::from_odid_epoch_seconds(0),
            UnixMs(1_546_300_800_000)
        );
    }
}
