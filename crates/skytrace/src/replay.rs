//! `skytrace replay`: decodes captures (pcap, pcapng, btsnoop) and IQ recordings as `skytrace decode` does,
//! and posts the detection lines to a server as a sensor would (`POST /api/v1/ingest?seq=N`, body = JSON
//! lines), paced by the capture's own time stamps (`--speed`) or as fast as the server answers (`--fast`).
//!
//! Sequence numbers are kept nowhere: they start at `--seq-start`, by default the current time in
//! milliseconds × 1000, so two replays of one file by one sensor token do not collide (the server stores
//! both) unless the user passes the same `--seq-start` on purpose (the server then stores the second one
//! as duplicates: nothing new).
//!
//! The HTTP client is a few lines of plain HTTP/1.1 over `std::net`: replay talks to a server on the
//! loopback or a local network, needs no TLS, and this keeps the CLI free of an HTTP client stack. It
//! opens no connection except to the `--server` address.

use anyhow::{bail, Context, Result};
use contract::Options;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use wire::dji::{AltitudeScaling, AltitudeUnit};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Capture files and IQ recordings, replayed one after the other.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Server base URL, plain HTTP, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL")]
    server: String,
    /// The sensor's API token (`skytrace admin sensor add`).
    #[arg(long, value_name = "TOKEN", env = "SKYTRACE_SENSOR_TOKEN")]
    token: String,
    /// Replay speed relative to capture time (2 = twice as fast).
    #[arg(long, default_value_t = 1.0, conflicts_with = "fast")]
    speed: f64,
    /// Send as fast as the server acknowledges, ignoring capture time.
    #[arg(long)]
    fast: bool,
    /// Sequence number of the first line [default: now in ms × 1000].
    #[arg(long, value_name = "N")]
    seq_start: Option<i64>,
    /// Most lines per batch.
    #[arg(long, default_value_t = 500, value_name = "N")]
    batch: usize,
    #[command(flatten)]
    iq: crate::decode::IqArgs,
}

/// Where to post: host address and path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    /// `host:port` as given (also the `Host` header).
    authority: String,
    /// Path before `/api/v1/ingest`, without a trailing slash.
    prefix: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("--server {url}: expected a plain http:// URL (replay does not speak TLS)");
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.is_empty() {
            bail!("--server {url}: no host");
        }
        let authority = if authority.contains(':') && !authority.ends_with(']') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let prefix = path.trim_end_matches('/');
        let prefix = prefix.strip_suffix("api/v1").unwrap_or(prefix);
        let prefix = prefix.trim_end_matches('/');
        Ok(Target {
            authority,
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("/{prefix}")
            },
        })
    }
}

/// Posts one batch; returns the number of lines the server stored.
fn post(target: &Target, token: &str, seq: i64, body: &[u8]) -> Result<u64> {
    let addr = target
        .authority
        .to_socket_addrs()
        .with_context(|| format!("resolving {}", target.authority))?
        .next()
        .with_context(|| format!("{} has no address", target.authority))?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .with_context(|| format!("connecting to {addr}"))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let head = format!(
        "POST {}/api/v1/ingest?seq={seq} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        target.prefix,
        target.authority,
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)
        .with_context(|| format!("reading the answer of {addr}"))?;
    let text = String::from_utf8_lossy(&resp);
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("{addr} answered no HTTP status"))?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    if status != 200 {
        bail!("the server refused the batch at seq {seq}: HTTP {status}: {body}");
    }
    // Connection: close and a fixed-length JSON answer: the body is the acknowledgement.
    let ack: serde_json::Value =
        serde_json::from_str(body.trim()).context("the server's acknowledgement is not JSON")?;
    Ok(ack["stored"].as_u64().unwrap_or(0))
}

/// Paces and batches lines as they are decoded; a [`Write`] sink so that the decoder streams into it.
struct Uploader<'a> {
    target: &'a Target,
    token: &'a str,
    /// Wall-clock seconds per capture second (0 for `--fast`).
    scale: f64,
    max_lines: usize,
    next_seq: i64,
    pending: Vec<u8>,
    batch: Vec<u8>,
    batch_lines: usize,
    batch_seq: i64,
    /// First line's capture time (ms) and the instant it was sent, per file.
    origin: Option<(i64, Instant)>,
    sent: u64,
    stored: u64,
    error: Option<anyhow::Error>,
}

/// Lines whose due time is this close are sent together rather than one by one.
const GROUP: Duration = Duration::from_millis(100);

impl Uploader<'_> {
    fn flush_batch(&mut self) -> Result<()> {
        if self.batch_lines == 0 {
            return Ok(());
        }
        self.stored += post(self.target, self.token, self.batch_seq, &self.batch)?;
        self.sent += self.batch_lines as u64;
        self.batch.clear();
        self.batch_lines = 0;
        Ok(())
    }

    fn line(&mut self, line: &[u8]) -> Result<()> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        if self.scale > 0.0 {
            #[derive(serde::Deserialize)]
            struct Time {
                #[serde(with = "time::serde::rfc3339")]
                time: time::OffsetDateTime,
            }
            let t: Time = serde_json::from_slice(line).context("decoded line without time")?;
            let ms = i64::try_from(t.time.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
            let (t0, w0) = *self.origin.get_or_insert((ms, Instant::now()));
            // Lines earlier than the first (out-of-order capture) are due at once.
            let offset = (ms.saturating_sub(t0).max(0) as f64 / 1000.0) * self.scale;
            let due = w0 + Duration::try_from_secs_f64(offset.min(1e9)).unwrap_or_default();
            let now = Instant::now();
            if due > now + GROUP {
                self.flush_batch()?;
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
            }
        }
        if self.batch_lines == 0 {
            self.batch_seq = self.next_seq;
        }
        self.batch.extend_from_slice(line);
        self.batch.push(b'\n');
        self.batch_lines += 1;
        self.next_seq = self
            .next_seq
            .checked_add(1)
            .context("sequence numbers overflow")?;
        if self.batch_lines >= self.max_lines {
            self.flush_batch()?;
        }
        Ok(())
    }
}

impl Write for Uploader<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.error.is_some() {
            return Err(std::io::Error::other("replay stopped"));
        }
        self.pending.extend_from_slice(buf);
        while let Some(i) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            if let Err(e) = self.line(line.get(..i).unwrap_or_default()) {
                self.error = Some(e);
                return Err(std::io::Error::other("replay stopped"));
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Lines posted and acknowledged.
    pub sent: u64,
    /// Lines the server stored as new.
    pub stored: u64,
    /// The sequence number after the last line.
    pub next_seq: i64,
}

/// Replays every file; stops at the first error.
///
/// # Errors
///
/// A bad URL, an unreadable file, a refused batch or a connection failure.
pub fn replay(args: &Args) -> Result<Outcome> {
    let target = Target::parse(&args.server)?;
    // Bounded so that the pacing arithmetic stays finite (a zero or sub-nanosecond scale would not).
    if !(0.001..=1e6).contains(&args.speed) {
        bail!(
            "--speed {}: expected a number from 0.001 to 1000000 (or --fast)",
            args.speed
        );
    }
    let seq_start = match args.seq_start {
        Some(s) => s,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_millis()).ok())
            .and_then(|ms| ms.checked_mul(1000))
            .context("the system clock is out of range: pass --seq-start")?,
    };
    let opts = Options {
        dji_altitude: AltitudeScaling {
            altitude: AltitudeUnit::Metres,
            height: AltitudeUnit::Decimetres,
        },
    };
    let iq = dsp::rx::DecodeOptions {
        source: args.iq.source_options()?,
        mode: dsp::fec::DecodeMode::Turbo,
    };
    let mut up = Uploader {
        target: &target,
        token: &args.token,
        scale: if args.fast { 0.0 } else { 1.0 / args.speed },
        max_lines: args.batch.max(1),
        next_seq: seq_start,
        pending: Vec::new(),
        batch: Vec::new(),
        batch_lines: 0,
        batch_seq: seq_start,
        origin: None,
        sent: 0,
        stored: 0,
        error: None,
    };
    for path in &args.files {
        up.origin = None;
        let iq_file = args.iq.is_iq(path);
        let r = crate::decode::decode_jsonl(path, iq_file, &iq, &opts, &mut up);
        if let Some(e) = up.error.take() {
            return Err(e.context(format!("replaying {}", path.display())));
        }
        r.with_context(|| format!("decoding {}", path.display()))?;
        up.flush_batch()
            .with_context(|| format!("replaying {}", path.display()))?;
        tracing::info!(file = %path.display(), sent = up.sent, stored = up.stored, "replayed");
    }
    Ok(Outcome {
        sent: up.sent,
        stored: up.stored,
        next_seq: up.next_seq,
    })
}

/// The `replay` command: replays, then prints what was sent.
///
/// # Errors
///
/// See [`replay`].
pub fn run(args: Args) -> Result<ExitCode> {
    let o = replay(&args)?;
    eprintln!(
        "skytrace: replayed {} lines ({} stored as new); next --seq-start {}",
        o.sent, o.stored, o.next_seq
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let check = |url: &str, want: Option<(&str, &str)>| {
            let got = Target::parse(url).ok();
            let want = want.map(|(a, p)| Target {
                authority: a.to_owned(),
                prefix: p.to_owned(),
            });
            assert_eq!(got, want, "{url}");
        };
        check("http://127.0.0.1:8080", Some(("127.0.0.1:8080", "")));
        check("http://127.0.0.1:8080/", Some(("127.0.0.1:8080", "")));
        check("http://127.0.0.1:8080/api/v1", Some(("127.0.0.1:8080", "")));
        check(
            "http://localhost/sky/api/v1/",
            Some(("localhost:80", "/sky")),
        );
        check("http://[::1]:9000", Some(("[::1]:9000", "")));
        check("https://example.org", None);
        check("http://", None);
    }

    /// The real BLE 5 long-range sample, replayed with --fast into a real server on 127.0.0.1: one track
    /// (UAS ID SSEVTFG93700070) with 244 stored detections (`odid_bt5_lr_sample.pcapng.txt`).
    #[test]
    fn replays_a_capture_into_a_real_server() {
        let Some(file) = testdata::file("remoteid", "odid_bt5_lr_sample.pcapng") else {
            return;
        };
        let dir = std::env::temp_dir().join(format!(
            "skytrace-replay-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (store, token) = rt.block_on(async {
            let store = store::Store::open(&dir).expect("store");
            let (_, token) = store.add_sensor("replay", 0).done().await.expect("sensor");
            (store, token)
        });
        let state = server::AppState::new(
            store.clone(),
            server::Config::default(),
            server::system_clock(),
        )
        .expect("state");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = rt.spawn(server::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        let args = Args {
            files: vec![file],
            server: url,
            token,
            speed: 1.0,
            fast: true,
            seq_start: Some(1000),
            batch: 100,
            iq: Default::default(),
        };
        let out = replay(&args).expect("replay");
        assert_eq!(
            out,
            Outcome {
                sent: 244,
                stored: 244,
                next_seq: 1244
            }
        );
        // The same sequence numbers again: acknowledged, nothing stored twice.
        let again = replay(&args).expect("replay again");
        assert_eq!((again.sent, again.stored), (244, 0));

        let tracks = store.tracks(None).expect("tracks");
        let got: Vec<(Option<&str>, i64)> = tracks
            .iter()
            .map(|t| (t.uas_id.as_deref(), t.detections))
            .collect();
        assert_eq!(got, vec![(Some("SSEVTFG93700070"), 244)]);
        assert_eq!(store.detection_count().expect("count"), 244);
        let _ = stop.send(());
        rt.block_on(task).expect("join").expect("serve");
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
