//! Writers for small pcap, pcapng and btsnoop files built inside the tests (layouts: the pcap and pcapng
//! specifications, draft-ietf-opsawg-pcap / -pcapng; btsnoop: RFC 1761 style, big-endian).

/// A classic pcap file. `nanos` selects the nanosecond magic; `frac` is µs or ns accordingly.
pub fn pcap(big_endian: bool, nanos: bool, dlt: u32, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let put32 = |out: &mut Vec<u8>, v: u32| {
        if big_endian {
            out.extend_from_slice(&v.to_be_bytes())
        } else {
            out.extend_from_slice(&v.to_le_bytes())
        }
    };
    let put16 = |out: &mut Vec<u8>, v: u16| {
        if big_endian {
            out.extend_from_slice(&v.to_be_bytes())
        } else {
            out.extend_from_slice(&v.to_le_bytes())
        }
    };
    put32(&mut out, magic);
    put16(&mut out, 2); // version major
    put16(&mut out, 4); // version minor
    put32(&mut out, 0); // thiszone
    put32(&mut out, 0); // sigfigs
    put32(&mut out, 65535); // snaplen
    put32(&mut out, dlt); // network
    for (sec, frac, data) in records {
        put32(&mut out, *sec);
        put32(&mut out, *frac);
        put32(&mut out, data.len() as u32); // caplen
        put32(&mut out, data.len() as u32); // origlen
        out.extend_from_slice(data);
    }
    out
}

/// A pcapng writer in either byte order.
pub struct Ng {
    pub big_endian: bool,
    pub out: Vec<u8>,
}

impl Ng {
    pub fn new(big_endian: bool) -> Ng {
        let mut ng = Ng {
            big_endian,
            out: Vec::new(),
        };
        ng.shb();
        ng
    }

    fn u16(&self, v: u16) -> [u8; 2] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn u32(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// A block: type, total length, body padded to 4, total length.
    pub fn block(&mut self, block_type: u32, body: &[u8]) {
        let mut body = body.to_vec();
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        let total = (body.len() + 12) as u32;
        let t = self.u32(block_type);
        let l = self.u32(total);
        self.out.extend_from_slice(&t);
        self.out.extend_from_slice(&l);
        self.out.extend_from_slice(&body);
        self.out.extend_from_slice(&l);
    }

    /// Section Header Block: byte-order magic 0x1A2B3C4D, version 1.0, section length -1.
    pub fn shb(&mut self) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(0x1a2b_3c4d));
        b.extend_from_slice(&self.u16(1));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&[0xff; 8]);
        self.block(0x0a0d_0d0a, &b);
    }

    fn option(&self, b: &mut Vec<u8>, code: u16, value: &[u8]) {
        b.extend_from_slice(&self.u16(code));
        b.extend_from_slice(&self.u16(value.len() as u16));
        b.extend_from_slice(value);
        while !b.len().is_multiple_of(4) {
            b.push(0);
        }
    }

    /// Interface Description Block with optional if_tsresol (9) and if_tsoffset (14).
    pub fn idb(&mut self, dlt: u16, tsresol: Option<u8>, tsoffset: Option<i64>) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u16(dlt));
        b.extend_from_slice(&self.u16(0)); // reserved
        b.extend_from_slice(&self.u32(0)); // snaplen: no limit
        if let Some(r) = tsresol {
            self.option(&mut b, 9, &[r]);
        }
        if let Some(o) = tsoffset {
            let v = if self.big_endian {
                o.to_be_bytes()
            } else {
                o.to_le_bytes()
            };
            self.option(&mut b, 14, &v);
        }
        if tsresol.is_some() || tsoffset.is_some() {
            self.option(&mut b, 0, &[]); // opt_endofopt
        }
        self.block(1, &b);
    }

    /// Enhanced Packet Block.
    pub fn epb(&mut self, if_id: u32, ts: u64, data: &[u8]) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(if_id));
        b.extend_from_slice(&self.u32((ts >> 32) as u32));
        b.extend_from_slice(&self.u32(ts as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(data);
        self.block(6, &b);
    }

    /// Simple Packet Block (interface 0, no timestamp).
    pub fn spb(&mut self, data: &[u8]) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(data);
        self.block(3, &b);
    }

    /// Obsolete Packet Block (type 2).
    pub fn pb(&mut self, if_id: u16, ts: u64, data: &[u8]) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u16(if_id));
        b.extend_from_slice(&self.u16(0)); // drops count
        b.extend_from_slice(&self.u32((ts >> 32) as u32));
        b.extend_from_slice(&self.u32(ts as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(data);
        self.block(2, &b);
    }

    /// Name Resolution Block with only the end-of-records marker.
    pub fn nrb(&mut self) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&self.u16(0));
        self.block(4, &b);
    }

    /// Interface Statistics Block for interface 0 without options.
    pub fn isb(&mut self) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(0));
        b.extend_from_slice(&self.u32(0));
        b.extend_from_slice(&self.u32(0));
        self.block(5, &b);
    }

    /// Decryption Secrets Block (TLS key log, 4 bytes of secret).
    pub fn dsb(&mut self) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(0x544c_534b));
        b.extend_from_slice(&self.u32(4));
        b.extend_from_slice(b"abcd");
        self.block(10, &b);
    }

    /// Custom Block (copyable) with a PEN and 3 bytes of data.
    pub fn custom(&mut self) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(32473)); // example PEN
        b.extend_from_slice(&[1, 2, 3]);
        self.block(0x0000_0bad, &b);
    }
}

/// A btsnoop file: header then records (flags, Unix µs, data).
pub fn btsnoop(datalink: u32, records: &[(u32, i64, &[u8])]) -> Vec<u8> {
    const EPOCH_DELTA_US: i64 = 0x00dc_ddb3_0f2f_8000;
    let mut out = b"btsnoop\0".to_vec();
    out.extend_from_slice(&1u32.to_be_bytes()); // version 1
    out.extend_from_slice(&datalink.to_be_bytes());
    for (flags, unix_us, data) in records {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes()); // original length
        out.extend_from_slice(&(data.len() as u32).to_be_bytes()); // included length
        out.extend_from_slice(&flags.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes()); // cumulative drops
        out.extend_from_slice(&(unix_us + EPOCH_DELTA_US).to_be_bytes());
        out.extend_from_slice(data);
    }
    out
}
