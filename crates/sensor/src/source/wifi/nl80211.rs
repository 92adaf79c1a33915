//! Channel changes through nl80211 (generic netlink), with `wl-nl80211` from the rust-netlink project.
//!
//! The request is `NL80211_CMD_SET_WIPHY` with `NL80211_ATTR_IFINDEX`, `NL80211_ATTR_WIPHY_FREQ` and
//! `NL80211_ATTR_WIPHY_CHANNEL_TYPE` = `NL80211_CHAN_NO_HT` (20 MHz): what `iw dev IFACE set channel N`
//! asks for, and the form the kernel documents for setting a monitor interface's channel. The attribute
//! list is built by [`channel_attrs`], shared by the live [`Nl80211Tuner`] and the byte-level test.
//!
//! wl-nl80211 is async; the tuner owns a current-thread tokio runtime that only runs while a request is
//! in flight, on the capture thread, so no other thread is started.

use super::plan::Channel;
use wl_nl80211::{Nl80211Attr, Nl80211Channel, Nl80211HtWiphyChannelType};

/// The attributes of a channel change of interface `ifindex` to `channel` (20 MHz, no HT).
pub fn channel_attrs(ifindex: u32, channel: Channel) -> Vec<Nl80211Attr> {
    Nl80211Channel::new(ifindex)
        .frequency(channel.freq_mhz)
        .channel_type(Nl80211HtWiphyChannelType::NoHt)
        .build()
}

/// The complete netlink message of a channel change: netlink header (the nl80211 family id resolved at
/// run time, flags REQUEST|ACK, sequence number `seq`), generic netlink header and attributes. The live
/// path hands the same [`channel_attrs`] to wl-nl80211, which frames them the same way.
pub fn set_channel_message(family_id: u16, seq: u32, ifindex: u32, channel: Channel) -> Vec<u8> {
    use wl_nl80211::packet_core::{NetlinkMessage, NLM_F_ACK, NLM_F_REQUEST};
    use wl_nl80211::packet_generic::GenlMessage;
    use wl_nl80211::{Nl80211Command, Nl80211Message};
    let mut genl = GenlMessage::from_payload(Nl80211Message {
        cmd: Nl80211Command::SetWiphy,
        attributes: channel_attrs(ifindex, channel),
    });
    genl.set_resolved_family_id(family_id);
    let mut msg = NetlinkMessage::from(genl);
    msg.header.flags = NLM_F_REQUEST | NLM_F_ACK;
    msg.header.sequence_number = seq;
    msg.finalize();
    let mut buf = vec![0u8; msg.buffer_len()];
    msg.serialize(&mut buf);
    buf
}

/// Sets the channel of a monitor interface. Blocking.
pub struct Nl80211Tuner {
    iface: String,
    ifindex: u32,
    runtime: tokio::runtime::Runtime,
    handle: wl_nl80211::Nl80211Handle,
}

impl Nl80211Tuner {
    /// Opens a generic netlink socket for the nl80211 family.
    ///
    /// # Errors
    ///
    /// The runtime or the socket cannot be created (a message naming the interface).
    pub fn new(iface: &str, ifindex: u32) -> Result<Nl80211Tuner, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| format!("{iface}: tokio runtime for nl80211: {e}"))?;
        let handle = runtime.block_on(async {
            let (connection, handle, _) = wl_nl80211::new_connection()
                .map_err(|e| format!("{iface}: nl80211 netlink socket: {e}"))?;
            // The connection task runs whenever the runtime is driven (during each `tune`).
            tokio::spawn(connection);
            Ok::<_, String>(handle)
        })?;
        Ok(Nl80211Tuner {
            iface: iface.to_owned(),
            ifindex,
            runtime,
            handle,
        })
    }

    /// Tunes the interface to `channel` and waits for the kernel's acknowledgement.
    ///
    /// # Errors
    ///
    /// The kernel refused: a message that names the interface and channel and, for the usual causes
    /// (missing CAP_NET_ADMIN, another interface of the same radio in use), says what to do.
    pub fn tune(&mut self, channel: Channel) -> Result<(), String> {
        use futures_util::TryStreamExt;
        let attrs = channel_attrs(self.ifindex, channel);
        let handle = self.handle.clone();
        let result = self.runtime.block_on(async move {
            let mut replies = handle.wireless_physic().set(attrs).execute().await;
            while replies.try_next().await?.is_some() {}
            Ok::<(), wl_nl80211::Nl80211Error>(())
        });
        result.map_err(|e| describe_error(&self.iface, channel, &e))
    }
}

/// A tuning failure in words, with the fix for the usual causes.
fn describe_error(iface: &str, channel: Channel, e: &wl_nl80211::Nl80211Error) -> String {
    let what = format!(
        "{iface}: setting channel {} ({} MHz) through nl80211",
        channel.number, channel.freq_mhz
    );
    let errno = match e {
        wl_nl80211::Nl80211Error::NetlinkError(m) => m.code.map(|c| -c.get()),
        _ => None,
    };
    match errno {
        Some(1) | Some(13) => format!(
            "{what}: permission denied: run the sensor as root or give it CAP_NET_ADMIN \
             (setcap cap_net_raw,cap_net_admin+eip BINARY)"
        ),
        Some(16) => format!(
            "{what}: device busy: another interface of the same radio is up (a managed wlan \
             interface or NetworkManager); take it down or let the monitor interface own the radio"
        ),
        Some(22) => format!(
            "{what}: the radio refuses this channel (not supported, or disabled by the regulatory domain)"
        ),
        _ => format!("{what}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_channel_message_bytes() {
        // Channel 149 on ifindex 7, family id 0x1c, sequence 5. Layout: linux/netlink.h (nlmsghdr),
        // linux/genetlink.h (genlmsghdr), linux/nl80211.h (command and attribute numbers); all
        // integers in host (little-endian) order.
        let ch = Channel::from_number(149).unwrap();
        let got = set_channel_message(0x1c, 5, 7, ch);
        #[rustfmt::skip]
        let want: Vec<u8> = vec![
            // nlmsghdr: length 44, type = nl80211 family id, flags REQUEST (1) | ACK (4), seq 5, pid 0
            44, 0, 0, 0,   0x1c, 0,   0x05, 0,   5, 0, 0, 0,   0, 0, 0, 0,
            // genlmsghdr: cmd NL80211_CMD_SET_WIPHY (2), version 1, reserved
            2, 1, 0, 0,
            // NL80211_ATTR_IFINDEX (3), u32 7
            8, 0, 3, 0,   7, 0, 0, 0,
            // NL80211_ATTR_WIPHY_FREQ (38), u32 5745
            8, 0, 38, 0,  0x71, 0x16, 0, 0,
            // NL80211_ATTR_WIPHY_CHANNEL_TYPE (39), u32 NL80211_CHAN_NO_HT (0)
            8, 0, 39, 0,  0, 0, 0, 0,
        ];
        assert_eq!(got, want);
        // Channel 6 changes only the frequency attribute: 2437 = 0x0985.
        let got6 = set_channel_message(0x1c, 5, 7, Channel::from_number(6).unwrap());
        assert_eq!(&got6[32..36], &[0x85, 0x09, 0, 0]);
        assert_eq!(got6[..32], want[..32]);
    }

    #[test]
    fn kernel_refusals_say_what_to_do() {
        use wl_nl80211::packet_core::ErrorMessage;
        let ch = Channel::from_number(6).unwrap();
        let nack = |errno: i32| {
            let mut m = ErrorMessage::default();
            m.code = std::num::NonZeroI32::new(-errno);
            wl_nl80211::Nl80211Error::NetlinkError(m)
        };
        let cases: &[(i32, &str)] = &[
            (1, "CAP_NET_ADMIN"),
            (16, "another interface of the same radio is up"),
            (22, "refuses this channel"),
            (19, "wlan1: setting channel 6 (2437 MHz) through nl80211: "),
        ];
        for &(errno, want) in cases {
            let msg = describe_error("wlan1", ch, &nack(errno));
            assert!(
                msg.starts_with("wlan1: setting channel 6 (2437 MHz)"),
                "{msg}"
            );
            assert!(msg.contains(want), "errno {errno}: {msg}");
        }
    }
}
