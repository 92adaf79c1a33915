//! Capture containers: pcap, pcapng and btsnoop, read as a stream of records with bounded memory.
//!
//! pcap and pcapng go through `pcap-parser`'s streaming readers (a circular buffer refilled from any
//! `Read`, grown only up to [`MAX_RECORD`] for an oversized block). btsnoop is read by hand: no maintained
//! crate reads it and it is a 16-byte header plus 24-byte record headers (RFC 1761 style, big-endian).
//! The format is chosen by the file's magic, never by its extension.

use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};

use crate::error::{Error, ErrorKind};
use crate::link::LinkType;

/// Initial size of the read buffer: large reads, few refills.
const BUFFER: usize = 1 << 20;
/// Largest record (pcapng block, pcap or btsnoop record) the reader will grow its buffer for.
pub const MAX_RECORD: usize = 16 << 20;
/// How much of the file is read up front to recognise the format and the first header.
const PREFIX: usize = 64 << 10;

/// Unix time of btsnoop's epoch (midnight, January 1st of year 0) in microseconds, negated.
const BTSNOOP_EPOCH_DELTA_US: i64 = 0x00dc_ddb3_0f2f_8000;

type Input = std::io::Chain<Cursor<Vec<u8>>, Box<dyn Read + Send>>;

/// One record of the capture, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record<'a> {
    pub link: LinkType,
    /// Unix time in nanoseconds.
    pub time: i64,
    pub data: &'a [u8],
}

/// What [`Source::next`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// A record was handed to the callback.
    Record,
    /// A record whose link interface is unknown (an EPB naming a missing IDB).
    BadInterface,
    /// The file ends inside a record.
    Truncated,
    /// End of file.
    Eof,
}

#[derive(Debug, Clone, Copy)]
struct Iface {
    link: LinkType,
    /// Timestamp units per second.
    units: u64,
    /// `if_tsoffset` in seconds.
    offset_s: i64,
    snaplen: u32,
}

struct Ng {
    reader: PcapNGReader<Input>,
    ifaces: Vec<Iface>,
    big_endian: bool,
    last_time: i64,
}

struct Legacy {
    reader: LegacyPcapReader<Input>,
    link: LinkType,
    nanos: bool,
}

struct Btsnoop {
    reader: Box<dyn Read + Send>,
    link_dlt: u32,
    buf: Vec<u8>,
    consumed: u64,
}

enum Kind {
    Legacy(Box<Legacy>),
    Ng(Box<Ng>),
    Btsnoop(Box<Btsnoop>),
}

/// A capture file being read.
pub(crate) struct Source {
    path: PathBuf,
    kind: Kind,
    done: bool,
}

fn io_err(path: &Path, offset: u64, e: &io::Error) -> Error {
    Error::new(path, offset, ErrorKind::Io(e.to_string()))
}

/// Reads until `buf` is full or the input ends; returns the number of bytes read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// pcapng `if_tsresol` → units per second (bit 7 set: a power of two, else a power of ten).
pub(crate) fn ts_units(tsresol: u8) -> Option<u64> {
    let exp = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 != 0 {
        1u64.checked_shl(exp).filter(|_| exp < 64)
    } else {
        10u64.checked_pow(exp)
    }
}

/// A pcapng timestamp in `units` per second plus an offset in seconds → Unix nanoseconds (saturating).
pub(crate) fn ng_time(ts: u64, units: u64, offset_s: i64) -> i64 {
    let units = u128::from(units.max(1));
    let ts = u128::from(ts);
    let ns = (ts / units) * 1_000_000_000 + (ts % units) * 1_000_000_000 / units;
    let total = i128::try_from(ns).unwrap_or(i128::MAX) + i128::from(offset_s) * 1_000_000_000;
    i64::try_from(total).unwrap_or(if total < 0 { i64::MIN } else { i64::MAX })
}

impl Source {
    /// Recognises the format from the first bytes of `reader` and prepares to stream it.
    pub(crate) fn new(path: &Path, mut reader: Box<dyn Read + Send>) -> Result<Source, Error> {
        let mut prefix = vec![0u8; PREFIX];
        let n = read_full(&mut reader, &mut prefix).map_err(|e| io_err(path, 0, &e))?;
        prefix.truncate(n);
        if n == 0 {
            return Err(Error::new(path, 0, ErrorKind::Empty));
        }
        let mut magic = [0u8; 4];
        for (d, s) in magic.iter_mut().zip(&prefix) {
            *d = *s;
        }
        let kind = match magic {
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                let input: Input = Cursor::new(prefix).chain(reader);
                let reader =
                    PcapNGReader::new(BUFFER, input).map_err(|e| pcap_open_err(path, &e))?;
                Kind::Ng(Box::new(Ng {
                    reader,
                    ifaces: Vec::new(),
                    big_endian: false,
                    last_time: 0,
                }))
            }
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x34, 0xcd, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xcd, 0x34] => {
                let input: Input = Cursor::new(prefix).chain(reader);
                let mut reader =
                    LegacyPcapReader::new(BUFFER, input).map_err(|e| pcap_open_err(path, &e))?;
                // The first "block" is the file header.
                let (link, nanos, off) = match reader.next() {
                    Ok((off, PcapBlockOwned::LegacyHeader(h))) => (
                        LinkType::from_dlt(h.network.0 as u32),
                        h.is_nanosecond_precision(),
                        off,
                    ),
                    _ => {
                        return Err(Error::new(
                            path,
                            0,
                            ErrorKind::Corrupt("unreadable pcap file header".into()),
                        ))
                    }
                };
                reader.consume(off);
                Kind::Legacy(Box::new(Legacy {
                    reader,
                    link,
                    nanos,
                }))
            }
            _ if prefix.starts_with(b"btsnoop\0") => {
                let hdr = prefix.get(..16).ok_or_else(|| {
                    Error::new(
                        path,
                        0,
                        ErrorKind::Corrupt("btsnoop header truncated".into()),
                    )
                })?;
                let version = u32::from_be_bytes([hdr[8], hdr[9], hdr[10], hdr[11]]);
                if version != 1 {
                    return Err(Error::new(
                        path,
                        8,
                        ErrorKind::Unsupported(format!("btsnoop version {version}")),
                    ));
                }
                let link_dlt = u32::from_be_bytes([hdr[12], hdr[13], hdr[14], hdr[15]]);
                let rest = prefix.split_off(16);
                Kind::Btsnoop(Box::new(Btsnoop {
                    reader: Box::new(Cursor::new(rest).chain(reader)),
                    link_dlt,
                    buf: Vec::new(),
                    consumed: 16,
                }))
            }
            _ => return Err(Error::new(path, 0, ErrorKind::UnknownFormat { magic })),
        };
        Ok(Source {
            path: path.to_path_buf(),
            kind,
            done: false,
        })
    }

    /// Bytes of the file consumed so far.
    pub(crate) fn consumed(&self) -> u64 {
        match &self.kind {
            Kind::Legacy(l) => l.reader.consumed() as u64,
            Kind::Ng(n) => n.reader.consumed() as u64,
            Kind::Btsnoop(b) => b.consumed,
        }
    }

    /// Reads the next record and hands it to `f`.
    ///
    /// # Errors
    ///
    /// An unreadable container structure (I/O error, corrupt block, record over [`MAX_RECORD`]).
    pub(crate) fn next<F: FnOnce(Record<'_>)>(&mut self, f: F) -> Result<Step, Error> {
        if self.done {
            return Ok(Step::Eof);
        }
        let step = match &mut self.kind {
            Kind::Legacy(l) => next_legacy(&self.path, l, f),
            Kind::Ng(n) => next_ng(&self.path, n, f),
            Kind::Btsnoop(b) => next_btsnoop(&self.path, b, f),
        };
        if matches!(step, Ok(Step::Eof) | Ok(Step::Truncated) | Err(_)) {
            self.done = true;
        }
        step
    }
}

fn pcap_open_err(path: &Path, e: &PcapError<&[u8]>) -> Error {
    let kind = match e {
        PcapError::ReadError => ErrorKind::Io("read error".into()),
        other => ErrorKind::Corrupt(format!("unreadable file header ({other:?})")),
    };
    Error::new(path, 0, kind)
}

/// What to do after a pcap-parser error that is not a block.
enum Recover {
    Refill,
    Grow,
    Truncated,
    Eof,
    Fail(ErrorKind),
}

fn classify(e: &PcapError<&[u8]>) -> Recover {
    match e {
        PcapError::Eof => Recover::Eof,
        PcapError::Incomplete(_) => Recover::Refill,
        PcapError::BufferTooSmall => Recover::Grow,
        PcapError::UnexpectedEof => Recover::Truncated,
        PcapError::ReadError => Recover::Fail(ErrorKind::Io("read error".into())),
        PcapError::HeaderNotRecognized => {
            Recover::Fail(ErrorKind::Corrupt("unrecognised header".into()))
        }
        PcapError::NomError(_, k) | PcapError::OwnedNomError(_, k) => {
            Recover::Fail(ErrorKind::Corrupt(format!("invalid block ({k:?})")))
        }
    }
}

/// Grows the reader's buffer (doubling) up to [`MAX_RECORD`].
fn grow(
    reader: &mut dyn PcapReaderIterator,
    path: &Path,
    offset: u64,
    cap: &mut usize,
) -> Result<(), Error> {
    if *cap >= MAX_RECORD {
        return Err(Error::new(
            path,
            offset,
            ErrorKind::RecordTooLarge {
                size: *cap,
                limit: MAX_RECORD,
            },
        ));
    }
    *cap = (*cap * 2).min(MAX_RECORD);
    reader.grow(*cap);
    Ok(())
}

fn next_legacy<F: FnOnce(Record<'_>)>(path: &Path, l: &mut Legacy, f: F) -> Result<Step, Error> {
    let mut cap = BUFFER;
    let mut f = Some(f);
    loop {
        let offset = l.reader.consumed() as u64;
        let recover = match l.reader.next() {
            Ok((off, PcapBlockOwned::Legacy(b))) => {
                let frac = i64::from(b.ts_usec) * if l.nanos { 1 } else { 1000 };
                let time = i64::from(b.ts_sec) * 1_000_000_000 + frac;
                let len = (b.caplen as usize).min(b.data.len());
                if let Some(f) = f.take() {
                    f(Record {
                        link: l.link,
                        time,
                        data: &b.data[..len],
                    });
                }
                l.reader.consume(off);
                return Ok(Step::Record);
            }
            Ok((off, _)) => {
                l.reader.consume(off);
                continue;
            }
            Err(e) => classify(&e),
        };
        match recover {
            Recover::Refill => l
                .reader
                .refill()
                .map_err(|_| io_err(path, offset, &io::ErrorKind::Other.into()))?,
            Recover::Grow => {
                grow(&mut l.reader, path, offset, &mut cap)?;
                l.reader
                    .refill()
                    .map_err(|_| io_err(path, offset, &io::ErrorKind::Other.into()))?;
            }
            Recover::Truncated => return Ok(Step::Truncated),
            Recover::Eof => return Ok(Step::Eof),
            Recover::Fail(kind) => return Err(Error::new(path, offset, kind)),
        }
    }
}

fn opt_u64(v: &[u8], big_endian: bool) -> Option<u64> {
    let a: [u8; 8] = v.get(..8)?.try_into().ok()?;
    Some(if big_endian {
        u64::from_be_bytes(a)
    } else {
        u64::from_le_bytes(a)
    })
}

fn u32_at(b: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let a: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    })
}

fn next_ng<F: FnOnce(Record<'_>)>(path: &Path, n: &mut Ng, f: F) -> Result<Step, Error> {
    let mut cap = BUFFER;
    let mut f = Some(f);
    loop {
        let offset = n.reader.consumed() as u64;
        let recover = match n.reader.next() {
            Ok((off, PcapBlockOwned::NG(block))) => {
                let mut step = None;
                match block {
                    Block::SectionHeader(shb) => {
                        n.big_endian = shb.big_endian();
                        n.ifaces.clear();
                    }
                    Block::InterfaceDescription(idb) => {
                        // Our own option reading: pcap-parser reads if_tsoffset little-endian only and
                        // rejects power-of-two resolutions.
                        let mut tsresol = 6u8;
                        let mut offset_s = 0i64;
                        for o in &idb.options {
                            match o.code.0 {
                                9 => tsresol = o.value().first().copied().unwrap_or(6),
                                14 => {
                                    offset_s =
                                        opt_u64(o.value(), n.big_endian).map_or(0, |v| v as i64)
                                }
                                _ => {}
                            }
                        }
                        n.ifaces.push(Iface {
                            link: LinkType::from_dlt(idb.linktype.0 as u32),
                            units: ts_units(tsresol).unwrap_or(1_000_000),
                            offset_s,
                            snaplen: idb.snaplen,
                        });
                    }
                    Block::EnhancedPacket(epb) => {
                        step = Some(match n.ifaces.get(epb.if_id as usize) {
                            Some(i) => {
                                let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                                let time = ng_time(ts, i.units, i.offset_s);
                                n.last_time = time;
                                let len = (epb.caplen as usize).min(epb.data.len());
                                if let Some(f) = f.take() {
                                    f(Record {
                                        link: i.link,
                                        time,
                                        data: &epb.data[..len],
                                    });
                                }
                                Step::Record
                            }
                            None => Step::BadInterface,
                        });
                    }
                    Block::SimplePacket(spb) => {
                        // An SPB has no timestamp: it gets the time of the previous packet.
                        step = Some(match n.ifaces.first() {
                            Some(i) => {
                                let mut len = (spb.origlen as usize).min(spb.data.len());
                                if i.snaplen != 0 {
                                    len = len.min(i.snaplen as usize);
                                }
                                if let Some(f) = f.take() {
                                    f(Record {
                                        link: i.link,
                                        time: n.last_time,
                                        data: &spb.data[..len],
                                    });
                                }
                                Step::Record
                            }
                            None => Step::BadInterface,
                        });
                    }
                    Block::Unknown(ub) if ub.block_type == 2 || ub.block_type.swap_bytes() == 2 => {
                        // Obsolete Packet Block: if_id(2) drops(2) ts_high(4) ts_low(4) caplen(4)
                        // origlen(4) data.
                        let be = n.big_endian;
                        let b = ub.data;
                        let if_id = b.get(..2).map(|s| {
                            if be {
                                u16::from_be_bytes([s[0], s[1]])
                            } else {
                                u16::from_le_bytes([s[0], s[1]])
                            }
                        });
                        let fields = (
                            if_id.and_then(|i| n.ifaces.get(usize::from(i)).copied()),
                            u32_at(b, 4, be),
                            u32_at(b, 8, be),
                            u32_at(b, 12, be),
                        );
                        step = Some(match fields {
                            (Some(i), Some(hi), Some(lo), Some(caplen)) => {
                                let time = ng_time(
                                    (u64::from(hi) << 32) | u64::from(lo),
                                    i.units,
                                    i.offset_s,
                                );
                                n.last_time = time;
                                let data = b.get(20..).unwrap_or(&[]);
                                let len = (caplen as usize).min(data.len());
                                if let Some(f) = f.take() {
                                    f(Record {
                                        link: i.link,
                                        time,
                                        data: &data[..len],
                                    });
                                }
                                Step::Record
                            }
                            _ => Step::BadInterface,
                        });
                    }
                    // NRB, ISB, DSB, custom and other blocks carry no frames.
                    _ => {}
                }
                n.reader.consume(off);
                match step {
                    Some(s) => return Ok(s),
                    None => continue,
                }
            }
            Ok((off, _)) => {
                n.reader.consume(off);
                continue;
            }
            Err(e) => classify(&e),
        };
        match recover {
            Recover::Refill => n
                .reader
                .refill()
                .map_err(|_| io_err(path, offset, &io::ErrorKind::Other.into()))?,
            Recover::Grow => {
                grow(&mut n.reader, path, offset, &mut cap)?;
                n.reader
                    .refill()
                    .map_err(|_| io_err(path, offset, &io::ErrorKind::Other.into()))?;
            }
            Recover::Truncated => return Ok(Step::Truncated),
            Recover::Eof => return Ok(Step::Eof),
            Recover::Fail(kind) => return Err(Error::new(path, offset, kind)),
        }
    }
}

fn next_btsnoop<F: FnOnce(Record<'_>)>(path: &Path, b: &mut Btsnoop, f: F) -> Result<Step, Error> {
    // Record header: original_len(4) included_len(4) flags(4) drops(4) timestamp_us(8), big-endian.
    let offset = b.consumed;
    let mut h = [0u8; 24];
    let n = read_full(&mut b.reader, &mut h).map_err(|e| io_err(path, offset, &e))?;
    if n == 0 {
        return Ok(Step::Eof);
    }
    if n < h.len() {
        b.consumed += n as u64;
        return Ok(Step::Truncated);
    }
    let incl = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
    let flags = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
    let ts = i64::from_be_bytes([h[16], h[17], h[18], h[19], h[20], h[21], h[22], h[23]]);
    if incl > MAX_RECORD {
        return Err(Error::new(
            path,
            offset,
            ErrorKind::RecordTooLarge {
                size: incl,
                limit: MAX_RECORD,
            },
        ));
    }
    b.buf.resize(incl, 0);
    let got = read_full(&mut b.reader, &mut b.buf).map_err(|e| io_err(path, offset, &e))?;
    b.consumed += 24 + got as u64;
    if got < incl {
        return Ok(Step::Truncated);
    }
    let link = match b.link_dlt {
        1002 => LinkType::HciH4,
        // H1 (1001): the record flags say what the packet is: bit 1 command/event, bit 0 received.
        1001 if flags & 0b11 == 0b11 => LinkType::HciEvent,
        1001 => LinkType::HciOther,
        other => LinkType::Unknown(other),
    };
    let time = ts
        .checked_sub(BTSNOOP_EPOCH_DELTA_US)
        .and_then(|us| us.checked_mul(1000))
        .unwrap_or(0);
    f(Record {
        link,
        time,
        data: &b.buf,
    });
    Ok(Step::Record)
}
