//! DJI DroneID over OcuSync: IQ samples in, CRC-checked DroneID frames out, and the transmit chain that
//! makes test signals.
//!
//! - [`iq`]: sample sources (raw cf32/ci16/ci8/cu8 files, SigMF, standard input), streamed with bounded memory.
//! - [`phy`]: channelisation, resampling to 15.36 MSps, burst detection, timing and frequency synchronisation,
//!   OFDM demodulation, channel estimation and soft demapping to log-likelihood ratios.
//! - [`fec`]: Gold descrambling, LTE rate (de)matching, the LTE turbo code (encoder and max-log-MAP decoder),
//!   CRC24A.
//! - [`frame`]: the OcuSync DroneID frame inside a transport block: length byte, DJI CRC16, dispatch on the
//!   frame type (telemetry, info, encrypted variants) to `wire::dji`.
//! - [`rx`]: the streaming receiver that ties them together ([`decode_file`] for a whole file);
//!   [`tx`]: the transmit chain with impairments.
//! - [`sweep`]: the DroneID channel list and the dwell/hold schedule of a live receiver; `soapy` (cargo
//!   feature `soapy`): the SoapySDR radio adapter over the same [`rx::Receiver`].
#![forbid(unsafe_code)]

pub mod fec;
pub mod frame;
pub mod iq;
pub mod phy;
pub mod rx;
#[cfg(feature = "soapy")]
pub mod soapy;
pub mod sweep;
pub mod tx;

pub use rx::{decode_file, Bursts};
