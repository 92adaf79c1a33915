//! Wi-Fi monitor-mode capture (cargo feature `wifi`): libpcap on a named interface, radiotap frames out
//! as [`Item::Frame`]s, channel hopping along a [`plan::HopSchedule`] through nl80211.
//!
//! [`open`] checks what can be checked before the first frame — the interface exists, it is in monitor
//! mode (radiotap data link, 127), the process may capture — and says how to fix each. [`WifiSource`] is
//! generic over the libpcap handle, so the tests drive the same code with `pcap::Capture::from_file` on
//! recorded radiotap captures; only the device open and the nl80211 socket are left untested here.
//!
//! Configuration ([`WifiConfig`], TOML/JSON through serde):
//!
//! ```toml
//! channels = [6, { channel = 149, dwell_ms = 500 }]   # default [6, 149]
//! dwell_ms = 1000                                      # default dwell
//! hop = true                                           # false: never touch the channel
//! ```

pub mod nl80211;
pub mod plan;

pub use super::settings::{ChannelDwell, ChannelEntry, WifiConfig};
use super::{Item, Source, SourceError};
use plan::{Channel, HopSchedule};
use std::path::Path;
use std::time::{Duration, Instant};

/// `LINKTYPE_IEEE802_11_RADIOTAP`.
pub const DLT_RADIOTAP: i32 = 127;

impl WifiConfig {
    /// The hop schedule of this configuration.
    ///
    /// # Errors
    ///
    /// A message naming the bad entry: an unknown channel number, a zero dwell, an empty list.
    pub fn schedule(&self) -> Result<HopSchedule, String> {
        let plan = self
            .channels
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let (number, dwell) = match *e {
                    ChannelEntry::Number(n) => (n, self.dwell_ms),
                    ChannelEntry::WithDwell(c) => (c.channel, c.dwell_ms),
                };
                let ch = Channel::from_number(number).map_err(|m| format!("channels[{i}]: {m}"))?;
                Ok((ch, Duration::from_millis(dwell)))
            })
            .collect::<Result<Vec<_>, String>>()?;
        HopSchedule::new(plan)
    }
}

/// Sets the radio's channel. [`nl80211::Nl80211Tuner`] on a device; tests record the calls.
pub trait Tuner: Send {
    /// Tunes to `channel`.
    ///
    /// # Errors
    ///
    /// A message saying why the channel could not be set.
    fn tune(&mut self, channel: Channel) -> Result<(), String>;
}

impl Tuner for nl80211::Nl80211Tuner {
    fn tune(&mut self, channel: Channel) -> Result<(), String> {
        nl80211::Nl80211Tuner::tune(self, channel)
    }
}

/// What [`WifiSource`] needs of a libpcap handle: `pcap::Capture` of a live device or of a file, or a
/// test double (a silent device whose reads time out).
pub trait Handle: Send {
    /// The capture's data link type.
    fn datalink(&self) -> pcap::Linktype;
    /// The next packet; `Err(pcap::Error::TimeoutExpired)` when the read timeout passed without one.
    ///
    /// # Errors
    ///
    /// As `pcap::Capture::next_packet`.
    fn next_packet(&mut self) -> Result<pcap::Packet<'_>, pcap::Error>;
}

impl<T: pcap::Activated + ?Sized> Handle for pcap::Capture<T> {
    fn datalink(&self) -> pcap::Linktype {
        self.get_datalink()
    }

    fn next_packet(&mut self) -> Result<pcap::Packet<'_>, pcap::Error> {
        pcap::Capture::next_packet(self)
    }
}

/// A radiotap capture as a [`Source`], generic over the libpcap handle (a live device or a file).
pub struct WifiSource<H: Handle> {
    name: String,
    capture: H,
    /// Timestamps are nanoseconds (the handle was opened with nanosecond precision) or microseconds.
    nanos: bool,
    hopping: Option<(HopSchedule, Box<dyn Tuner>)>,
    started: Instant,
    hop_started: bool,
    /// Tuning errors so far (a failed hop is reported once per channel change and the capture goes on).
    pub tune_errors: u64,
}

impl<H: Handle> WifiSource<H> {
    /// Wraps an opened capture. `nanos` says whether it was opened with `pcap::Precision::Nano`. With
    /// `hopping`, the first channel is tuned at the first [`Source::next`].
    ///
    /// # Errors
    ///
    /// The capture's data link is not radiotap: the message says how to put the interface in monitor
    /// mode.
    pub fn new(
        name: impl Into<String>,
        capture: H,
        nanos: bool,
        hopping: Option<(HopSchedule, Box<dyn Tuner>)>,
    ) -> Result<Self, SourceError> {
        let name = name.into();
        let link = capture.datalink();
        if link.0 != DLT_RADIOTAP {
            let iface = name.strip_prefix("wifi:").unwrap_or(&name);
            let link_name = link.get_name().unwrap_or_else(|_| "unknown".into());
            return Err(fatal(
                &name,
                format!(
                    "data link is {link_name} ({}), not 802.11 radiotap (127): the interface is not \
                     in monitor mode; set it with `ip link set {iface} down && iw dev {iface} set type \
                     monitor && ip link set {iface} up`",
                    link.0
                ),
            ));
        }
        Ok(WifiSource {
            name,
            capture,
            nanos,
            hopping,
            started: Instant::now(),
            hop_started: false,
            tune_errors: 0,
        })
    }

    /// Tunes when the schedule says so (the first channel at the first call); a failed tune is returned
    /// once, not fatal, and the capture goes on on whatever channel the radio is.
    fn hop(&mut self) -> Result<(), SourceError> {
        let Some((schedule, tuner)) = &mut self.hopping else {
            return Ok(());
        };
        let now = self.started.elapsed();
        let due = if self.hop_started {
            schedule.poll(now)
        } else {
            self.hop_started = true;
            Some(schedule.start(now))
        };
        match due {
            Some(ch) => tuner.tune(ch).map_err(|m| {
                self.tune_errors += 1;
                not_fatal(&self.name, m)
            }),
            None => Ok(()),
        }
    }
}

impl<H: Handle> Source for WifiSource<H> {
    fn name(&self) -> &str {
        &self.name
    }

    fn next(&mut self) -> Result<Option<Item>, SourceError> {
        self.hop()?;
        match self.capture.next_packet() {
            Ok(p) => {
                let ts = p.header.ts;
                // time_t and suseconds_t are 32-bit on some targets (32-bit ARM field boxes).
                #[allow(clippy::unnecessary_cast)]
                let (sec, frac_units) = (ts.tv_sec as i64, ts.tv_usec as i64);
                let frac = if self.nanos { 1 } else { 1000 };
                let time = sec
                    .saturating_mul(1_000_000_000)
                    .saturating_add(frac_units.saturating_mul(frac));
                Ok(Some(Item::Frame {
                    link: capture::LinkType::Radiotap,
                    time,
                    data: p.data.to_vec(),
                }))
            }
            // Nothing heard within the read timeout: hand control back (the pipeline may be
            // stopping); the next call hops if a hop is due. The timeout also bounds how late a hop is.
            Err(pcap::Error::TimeoutExpired) => Ok(Some(Item::Idle)),
            Err(pcap::Error::NoMorePackets) => Ok(None),
            Err(e) => Err(fatal(&self.name, format!("capture: {e}"))),
        }
    }
}

fn fatal(name: &str, message: String) -> SourceError {
    SourceError {
        source_name: name.to_owned(),
        message,
        fatal: true,
    }
}

fn not_fatal(name: &str, message: String) -> SourceError {
    SourceError {
        source_name: name.to_owned(),
        message,
        fatal: false,
    }
}

/// libpcap read timeout: the longest a channel hop can be late, and a silent interface's `next` takes
/// to return [`Item::Idle`] (well under [`super::POLL`]).
const READ_TIMEOUT_MS: i32 = 20;

/// Opens monitor-mode capture on `iface`, named `wifi:IFACE`.
///
/// # Errors
///
/// Fatal [`SourceError`]s that say what to do: the interface does not exist (the wireless interfaces
/// present are listed), it is not in monitor mode, the process lacks CAP_NET_RAW/CAP_NET_ADMIN, the
/// configuration is invalid, the nl80211 socket cannot be opened.
pub fn open(iface: &str, cfg: &WifiConfig) -> Result<Box<dyn Source>, SourceError> {
    let name = format!("wifi:{iface}");
    let schedule = cfg.schedule().map_err(|m| fatal(&name, m))?;
    let sys = Path::new("/sys/class/net").join(iface);
    if iface.is_empty() || iface.contains('/') || !sys.exists() {
        return Err(fatal(
            &name,
            format!(
                "no network interface named {iface:?} (wireless interfaces here: {})",
                wireless_interfaces()
            ),
        ));
    }
    // ARPHRD_IEEE80211_RADIOTAP (803) is the hardware type of an interface in monitor mode.
    if let Ok(t) = std::fs::read_to_string(sys.join("type")) {
        if t.trim() != "803" {
            return Err(fatal(
                &name,
                format!(
                    "{iface} is not in monitor mode (ARPHRD type {}); set it with `ip link set {iface} \
                     down && iw dev {iface} set type monitor && ip link set {iface} up`",
                    t.trim()
                ),
            ));
        }
    }
    let inactive = pcap::Capture::from_device(iface)
        .map_err(|e| fatal(&name, format!("libpcap: {e}")))?
        .snaplen(cfg.snaplen)
        .timeout(READ_TIMEOUT_MS)
        .immediate_mode(true)
        .precision(pcap::Precision::Nano);
    let capture = inactive
        .open()
        .map_err(|e| fatal(&name, describe_open_error(iface, &e)))?;
    let hopping = if cfg.hop {
        let ifindex = std::fs::read_to_string(sys.join("ifindex"))
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .ok_or_else(|| {
                fatal(
                    &name,
                    format!("{iface}: cannot read its ifindex from sysfs"),
                )
            })?;
        let tuner = nl80211::Nl80211Tuner::new(iface, ifindex).map_err(|m| fatal(&name, m))?;
        Some((schedule, Box::new(tuner) as Box<dyn Tuner>))
    } else {
        None
    };
    Ok(Box::new(WifiSource::new(name, capture, true, hopping)?))
}

/// libpcap's open error, with the fix when it is a permission problem.
fn describe_open_error(iface: &str, e: &pcap::Error) -> String {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        format!(
            "{iface}: permission denied ({text}): run the sensor as root or give it CAP_NET_RAW and \
             CAP_NET_ADMIN (setcap cap_net_raw,cap_net_admin+eip BINARY)"
        )
    } else {
        format!("{iface}: libpcap cannot open it: {text}")
    }
}

/// The wireless interfaces present (those with a `phy80211` link in sysfs), for error messages.
fn wireless_interfaces() -> String {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("phy80211").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests;
