//! The Wi-Fi channel plan: which 802.11 channels the monitor interface listens on, for how long, and in
//! which order. Pure: time comes in as an argument (time since the source started), so the hop schedule
//! is tested without a radio or a clock.

use std::time::Duration;

/// One 802.11 channel: its number and centre frequency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Channel {
    pub number: u16,
    pub freq_mhz: u32,
}

impl Channel {
    /// The channel `number` in the 2.4 GHz band (1–14) or the 5 GHz band (32–177).
    ///
    /// # Errors
    ///
    /// A message naming the number when it is in neither band.
    pub fn from_number(number: u16) -> Result<Channel, String> {
        channel_freq_mhz(number)
            .map(|freq_mhz| Channel { number, freq_mhz })
            .ok_or_else(|| {
                format!("channel {number} is not a 2.4 GHz (1-14) or 5 GHz (32-177) channel")
            })
    }
}

/// Centre frequency in MHz of a 2.4 GHz or 5 GHz 802.11 channel number (IEEE 802.11-2020 §15.4.4.3
/// and §19.3.15.2: 2407 + 5·n, channel 14 at 2484; 5000 + 5·n).
pub fn channel_freq_mhz(number: u16) -> Option<u32> {
    let n = u32::from(number);
    match number {
        1..=13 => Some(2407 + 5 * n),
        14 => Some(2484),
        32..=177 => Some(5000 + 5 * n),
        _ => None,
    }
}

/// The channel number of a 2.4 GHz or 5 GHz centre frequency (the inverse of [`channel_freq_mhz`]).
pub fn freq_channel(freq_mhz: u32) -> Option<u16> {
    let n = match freq_mhz {
        2484 => 14,
        2412..=2472 => (freq_mhz - 2407) / 5,
        5160..=5885 => (freq_mhz - 5000) / 5,
        _ => return None,
    };
    let n = u16::try_from(n).ok()?;
    // Frequencies between channel centres map to no channel.
    (channel_freq_mhz(n) == Some(freq_mhz)).then_some(n)
}

/// The Remote ID channels: 6 (2437 MHz), where F3411 Wi-Fi Beacon and NAN transmitters on 2.4 GHz
/// broadcast, and 149 (5745 MHz), the 5 GHz NAN/beacon channel. Defined with the configuration types,
/// which every build compiles.
pub use crate::source::settings::REMOTE_ID_CHANNELS;

/// The round-robin hop schedule over a channel plan: each channel for its dwell, then the next, wrapping.
#[derive(Debug, Clone)]
pub struct HopSchedule {
    plan: Vec<(Channel, Duration)>,
    index: usize,
    /// When the current dwell ends, in time since the source started; `None` before [`HopSchedule::start`].
    until: Option<Duration>,
}

impl HopSchedule {
    /// A schedule over `plan` (channel, dwell) pairs.
    ///
    /// # Errors
    ///
    /// The plan is empty, or a dwell is zero.
    pub fn new(plan: Vec<(Channel, Duration)>) -> Result<HopSchedule, String> {
        if plan.is_empty() {
            return Err("the channel plan is empty".into());
        }
        if let Some((c, _)) = plan.iter().find(|(_, d)| d.is_zero()) {
            return Err(format!("channel {}: dwell is zero", c.number));
        }
        Ok(HopSchedule {
            plan,
            index: 0,
            until: None,
        })
    }

    /// True when there is only one channel: it is set once and never changed.
    pub fn is_fixed(&self) -> bool {
        self.plan.len() == 1
    }

    /// The channel to listen on now.
    pub fn current(&self) -> Channel {
        self.plan[self.index % self.plan.len()].0
    }

    /// Starts the schedule at `now`: returns the first channel, to be tuned at once.
    pub fn start(&mut self, now: Duration) -> Channel {
        self.index = 0;
        self.until = Some(now + self.plan[0].1);
        self.current()
    }

    /// Returns the channel to tune when the current dwell has ended at `now`, else `None`. A late poll
    /// (the capture was busy) starts the next dwell at `now`, so a channel never gets less than its dwell.
    pub fn poll(&mut self, now: Duration) -> Option<Channel> {
        let until = self.until?;
        if now < until || self.is_fixed() {
            return None;
        }
        self.index = (self.index + 1) % self.plan.len();
        self.until = Some(now + self.plan[self.index].1);
        Some(self.current())
    }

    /// Time left in the current dwell at `now` (zero when a hop is due); `None` for a fixed channel or
    /// before the start.
    pub fn remaining(&self, now: Duration) -> Option<Duration> {
        if self.is_fixed() {
            return None;
        }
        self.until.map(|u| u.saturating_sub(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_numbers_and_frequencies() {
        // (channel, MHz) from the IEEE 802.11 channel tables.
        let cases: &[(u16, Option<u32>)] = &[
            (1, Some(2412)),
            (6, Some(2437)),
            (11, Some(2462)),
            (13, Some(2472)),
            (14, Some(2484)),
            (36, Some(5180)),
            (149, Some(5745)),
            (165, Some(5825)),
            (177, Some(5885)),
            (0, None),
            (15, None),
            (31, None),
            (178, None),
        ];
        for &(ch, freq) in cases {
            assert_eq!(channel_freq_mhz(ch), freq, "channel {ch}");
            if let Some(f) = freq {
                assert_eq!(freq_channel(f), Some(ch), "{f} MHz");
            }
        }
        assert_eq!(freq_channel(2437), Some(6));
        assert_eq!(freq_channel(2438), None);
        assert_eq!(freq_channel(5746), None);
        assert_eq!(freq_channel(900), None);
        assert_eq!(
            Channel::from_number(15).unwrap_err(),
            "channel 15 is not a 2.4 GHz (1-14) or 5 GHz (32-177) channel"
        );
    }

    fn ch(n: u16) -> Channel {
        Channel::from_number(n).unwrap()
    }

    #[test]
    fn hops_round_robin_with_per_channel_dwell() {
        let ms = Duration::from_millis;
        let mut s = HopSchedule::new(vec![(ch(6), ms(1000)), (ch(149), ms(300))]).unwrap();
        assert!(!s.is_fixed());
        assert_eq!(s.poll(ms(0)), None, "not started");
        assert_eq!(s.start(ms(10)), ch(6));
        assert_eq!(s.remaining(ms(10)), Some(ms(1000)));
        assert_eq!(s.poll(ms(1009)), None);
        assert_eq!(s.remaining(ms(1009)), Some(ms(1)));
        assert_eq!(s.poll(ms(1010)), Some(ch(149)));
        assert_eq!(s.current(), ch(149));
        // A late poll starts the next dwell then: 149 still gets its full 300 ms after 1,500.
        assert_eq!(s.poll(ms(1309)), None);
        assert_eq!(s.poll(ms(1500)), Some(ch(6)));
        assert_eq!(s.poll(ms(2499)), None);
        assert_eq!(s.poll(ms(2500)), Some(ch(149)));
        assert_eq!(s.remaining(ms(2600)), Some(ms(200)));
        assert_eq!(s.remaining(ms(9000)), Some(ms(0)));
    }

    #[test]
    fn one_channel_is_set_once() {
        let mut s = HopSchedule::new(vec![(ch(149), Duration::from_millis(5))]).unwrap();
        assert!(s.is_fixed());
        assert_eq!(s.start(Duration::ZERO), ch(149));
        assert_eq!(s.poll(Duration::from_secs(100)), None);
        assert_eq!(s.remaining(Duration::from_secs(100)), None);
    }

    #[test]
    fn bad_plans_are_refused() {
        assert_eq!(
            HopSchedule::new(vec![]).unwrap_err(),
            "the channel plan is empty"
        );
        assert_eq!(
            HopSchedule::new(vec![(ch(6), Duration::ZERO)]).unwrap_err(),
            "channel 6: dwell is zero"
        );
    }
}
