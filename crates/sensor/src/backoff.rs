//! Reconnection delays: exponential backoff with full jitter (the delay is uniform between zero and
//! `min(max, base × 2^attempt)`), so that many sensors behind one flaky link do not retry in step.

use rand::Rng;
use std::time::Duration;

/// The state of one retry loop.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Backoff {
        Backoff {
            base,
            max: max.max(base),
            attempt: 0,
        }
    }

    /// The ceiling of the next delay (before jitter).
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The next delay, drawn from `rng`, and one more failed attempt counted.
    pub fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.gen_range(0..=nanos))
    }

    /// A success: the next failure starts from `base` again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Failed attempts since the last success.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ceilings_double_up_to_the_maximum_and_reset() {
        let mut b = Backoff::new(Duration::from_millis(250), Duration::from_secs(5));
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut ceilings = Vec::new();
        for _ in 0..8 {
            ceilings.push(b.ceiling().as_millis());
            b.next_delay(&mut rng);
        }
        assert_eq!(ceilings, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
        for _ in 0..100 {
            b.next_delay(&mut rng);
        }
        assert_eq!(b.ceiling(), Duration::from_secs(5), "no overflow");
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(250));
    }

    proptest::proptest! {
        #[test]
        fn delays_stay_within_zero_and_the_ceiling(seed: u64, attempts in 0u32..80) {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(30));
            let mut sum = Duration::ZERO;
            for _ in 0..attempts {
                let c = b.ceiling();
                let d = b.next_delay(&mut rng);
                proptest::prop_assert!(d <= c);
                sum += d;
            }
            proptest::prop_assert!(sum <= Duration::from_secs(30) * attempts.max(1));
        }
    }

    #[test]
    fn jitter_spreads_delays() {
        // Full jitter: over many draws at one ceiling, both halves of the range are used.
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let (mut low, mut high) = (0, 0);
        for _ in 0..1000 {
            let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(1));
            if b.next_delay(&mut rng) < Duration::from_millis(500) {
                low += 1;
            } else {
                high += 1;
            }
        }
        assert!(low > 400 && high > 400, "{low} / {high}");
    }
}
