//! Where a live receiver listens: the known DroneID centre frequencies and the sweep that walks them,
//! dwelling on each and staying where bursts are heard (a drone sends about 20 bursts before it hops,
//! `ocusync.md` §1.1). Pure scheduling, so it is tested without a radio; the `soapy` module (cargo feature `soapy`) drives the radio.

use std::time::Duration;

/// DroneID centre frequencies in MHz seen in public sources (`ocusync.md` §1.1): the 2.4 GHz 15 MHz raster and
/// the 5.8 GHz list of Bender 2022, Table II.
pub const DRONEID_CHANNELS_MHZ: &[f64] = &[
    2399.5, 2414.5, 2429.5, 2444.5, 2459.5, 5741.5, 5756.5, 5771.5, 5776.5, 5786.5, 5796.5, 5801.5,
    5816.5, 5831.5,
];

/// The channel schedule: which centre frequency to listen on, given what was heard. Pure, so it is tested
/// without a radio.
#[derive(Debug, Clone)]
pub struct Sweep {
    channels: Vec<f64>,
    index: usize,
    dwell: Duration,
    hold: Duration,
    /// When the radio must move on, relative to the start of the current dwell.
    deadline: Duration,
}

impl Sweep {
    /// A sweep over `channels` (Hz), starting on the first.
    ///
    /// # Panics
    ///
    /// Never; an empty channel list is replaced by the DroneID list.
    pub fn new(channels: &[f64], dwell: Duration, hold: Duration) -> Self {
        let channels = if channels.is_empty() {
            DRONEID_CHANNELS_MHZ.iter().map(|m| m * 1e6).collect()
        } else {
            channels.to_vec()
        };
        Sweep {
            channels,
            index: 0,
            dwell,
            hold,
            deadline: dwell,
        }
    }

    /// The centre frequency to listen on now, in Hz.
    pub fn current(&self) -> f64 {
        self.channels[self.index % self.channels.len()]
    }

    /// A burst was heard `elapsed` after the dwell started: stay at least `hold` longer.
    pub fn heard(&mut self, elapsed: Duration) {
        self.deadline = self.deadline.max(elapsed + self.hold);
    }

    /// `elapsed` into the dwell: returns the next frequency when it is time to move, else `None`.
    pub fn poll(&mut self, elapsed: Duration) -> Option<f64> {
        if elapsed < self.deadline {
            return None;
        }
        self.index = (self.index + 1) % self.channels.len();
        self.deadline = self.dwell;
        Some(self.current())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_moves_on_after_the_dwell_and_holds_where_bursts_are_heard() {
        let ms = Duration::from_millis;
        let mut s = Sweep::new(&[1.0, 2.0, 3.0], ms(100), ms(1000));
        assert_eq!(s.current(), 1.0);
        assert_eq!(s.poll(ms(50)), None);
        assert_eq!(s.poll(ms(100)), Some(2.0));
        // A burst at 80 ms keeps the radio here until 1,080 ms.
        s.heard(ms(80));
        assert_eq!(s.poll(ms(500)), None);
        assert_eq!(s.poll(ms(1079)), None);
        assert_eq!(s.poll(ms(1080)), Some(3.0));
        // The hold does not carry over to the next channel, and the list wraps.
        assert_eq!(s.poll(ms(100)), Some(1.0));
    }

    #[test]
    fn empty_channel_list_falls_back_to_droneid_channels() {
        let s = Sweep::new(&[], Duration::from_millis(1), Duration::from_millis(1));
        assert_eq!(s.current(), 2399.5e6);
    }
}
