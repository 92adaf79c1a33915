//! The uplink sink: spooled lines → `POST /api/v1/ingest?seq=N` (body = the lines, line *i* has sequence
//! number N+i) → deleted from the spool only after a 2xx. At-least-once: a batch whose answer was lost is
//! sent again with the same numbers, and the server stores it once.
//!
//! Answers: 2xx acknowledges; 401/403 is fatal (the token is wrong: retrying cannot help); 400 means the
//! batch is poisoned — the line the server names (or the whole batch when it names none) goes to the
//! spool's dead-letter table, counted, and the rest is sent again; 413 halves the batch; anything else
//! (connection refused, timeouts, 5xx, 429) is retried with exponential backoff and full jitter.
//!
//! Connections go only to the configured server.

use crate::backoff::Backoff;
use crate::spool::Spool;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The HTTP side: base URL, token and a client (rustls, optional private CA).
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::blocking::Client,
    /// Base URL without a trailing slash and without `/api/v1`.
    base: String,
    token: String,
    /// Last measured server clock minus local clock, milliseconds (from the `Date` header).
    pub clock_offset_ms: Arc<AtomicI64>,
    pub clock_known: Arc<AtomicBool>,
}

/// Why the uplink cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum UplinkError {
    #[error("reading the CA certificate {path}: {message}")]
    CaCert { path: String, message: String },
    #[error("building the HTTP client: {0}")]
    Client(String),
    #[error("the server refused the sensor's token (HTTP {status}: {body}); check --token")]
    Unauthorized { status: u16, body: String },
    #[error(transparent)]
    Spool(#[from] crate::spool::SpoolError),
}

/// What one request got.
#[derive(Debug)]
pub enum Answer {
    Ok(String),
    Status(u16, String),
    /// No answer (connection refused, reset, timeout).
    Failed(String),
}

fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

impl Http {
    /// # Errors
    ///
    /// The CA file cannot be read or parsed, or the TLS stack cannot be set up.
    pub fn new(
        server: &str,
        token: &str,
        ca_cert: Option<&std::path::Path>,
    ) -> Result<Http, UplinkError> {
        let mut b = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            // Redirects could lead elsewhere: the sensor talks to its server only.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("skytrace-sensor/", env!("CARGO_PKG_VERSION")));
        if let Some(p) = ca_cert {
            let ca = |message: String| UplinkError::CaCert {
                path: p.display().to_string(),
                message,
            };
            let pem = std::fs::read(p).map_err(|e| ca(e.to_string()))?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| ca(e.to_string()))?;
            b = b.add_root_certificate(cert);
        }
        let client = b.build().map_err(|e| UplinkError::Client(e.to_string()))?;
        let base = server.trim_end_matches('/');
        let base = base.strip_suffix("/api/v1").unwrap_or(base).to_owned();
        Ok(Http {
            client,
            base,
            token: token.to_owned(),
            clock_offset_ms: Arc::new(AtomicI64::new(0)),
            clock_known: Arc::new(AtomicBool::new(false)),
        })
    }

    fn note_date(&self, resp: &reqwest::blocking::Response, sent_ms: i64) {
        let date = resp
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|d| d.to_str().ok());
        if let Some(server_ms) = date.and_then(http_date_ms) {
            // The Date header has one-second resolution and is taken between send and receive: compare it
            // with the middle of the exchange, plus half a second for the truncation.
            let local = (sent_ms + now_ms()) / 2;
            self.clock_offset_ms
                .store(server_ms + 500 - local, Ordering::Relaxed);
            self.clock_known.store(true, Ordering::Relaxed);
        }
    }

    /// Posts a body to a path under `/api/v1`.
    pub fn post(&self, path_and_query: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let url = format!("{}/api/v1/{path_and_query}", self.base);
        let sent = now_ms();
        let r = self
            .client
            .post(&url)
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send();
        match r {
            Err(e) => Answer::Failed(format!("{url}: {e}")),
            Ok(resp) => {
                self.note_date(&resp, sent);
                let status = resp.status();
                let text = resp.text().unwrap_or_default();
                if status.is_success() {
                    Answer::Ok(text)
                } else {
                    Answer::Status(status.as_u16(), text)
                }
            }
        }
    }
}

fn sleep_unless(d: Duration, stop: &AtomicBool) {
    let until = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
    }
}

/// An HTTP `Date` header ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 IMF-fixdate) in Unix milliseconds.
pub fn http_date_ms(date: &str) -> Option<i64> {
    // IMF-fixdate is an RFC 2822 date with the zone spelt GMT.
    let fixed = date.trim().strip_suffix(" GMT")?.to_owned() + " +0000";
    let t =
        time::OffsetDateTime::parse(&fixed, &time::format_description::well_known::Rfc2822).ok()?;
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Uplink counters for heartbeats and the status line.
#[derive(Debug, Default)]
pub struct UplinkCounters {
    pub batches: AtomicU64,
    pub lines: AtomicU64,
    pub failures: AtomicU64,
    pub connected: AtomicBool,
}

/// Settings of the uplink loop.
#[derive(Debug, Clone, Copy)]
pub struct UplinkConfig {
    pub batch_lines: usize,
    pub batch_bytes: usize,
    pub retry_max: Duration,
    /// After sending a batch that was not full, wait this long so that the next one gathers more lines
    /// (fewer requests and commits on both sides, at the cost of this much latency).
    pub linger: Duration,
}

/// Sends until `stop` is set (or `done` says there is nothing left to wait for and the spool is empty).
/// Returns on a fatal answer.
///
/// # Errors
///
/// [`UplinkError::Unauthorized`], or a spool that cannot be read or written.
pub fn run(
    http: &Http,
    spool: &Mutex<Spool>,
    cfg: UplinkConfig,
    counters: &UplinkCounters,
    stop: &AtomicBool,
    done: &dyn Fn() -> bool,
) -> Result<(), UplinkError> {
    let mut backoff = Backoff::new(Duration::from_millis(250), cfg.retry_max);
    let mut rng = rand::thread_rng();
    let mut batch_lines = cfg.batch_lines;
    let lock = || spool.lock().unwrap_or_else(|p| p.into_inner());
    while !stop.load(Ordering::Relaxed) {
        let rows = lock().peek(batch_lines, cfg.batch_bytes)?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            if done() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let (first, last) = (first.seq, last.seq);
        let mut body = Vec::with_capacity(rows.iter().map(|r| r.line.len() + 1).sum());
        for r in &rows {
            body.extend_from_slice(r.line.as_bytes());
            body.push(b'\n');
        }
        let answer = http.post(&format!("ingest?seq={first}"), "application/x-ndjson", body);
        let retry = match answer {
            Answer::Ok(_) => {
                lock().acknowledge(first, last)?;
                counters.batches.fetch_add(1, Ordering::Relaxed);
                counters
                    .lines
                    .fetch_add(rows.len() as u64, Ordering::Relaxed);
                counters.connected.store(true, Ordering::Relaxed);
                backoff.reset();
                let full = rows.len() >= batch_lines;
                batch_lines = (batch_lines * 2).min(cfg.batch_lines);
                if !full {
                    sleep_unless(cfg.linger, stop);
                }
                None
            }
            Answer::Status(s @ (401 | 403), body) => {
                return Err(UplinkError::Unauthorized { status: s, body });
            }
            Answer::Status(400, body) => {
                counters.connected.store(true, Ordering::Relaxed);
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let msg = v["error"].as_str().unwrap_or(&body).to_owned();
                // The server numbers lines from 1 within the body, which has no empty lines.
                let bad = v["line"]
                    .as_i64()
                    .and_then(|l| first.checked_add(l - 1))
                    .filter(|s| (first..=last).contains(s));
                let (a, b) = bad.map_or((first, last), |s| (s, s));
                tracing::error!(first = a, last = b, error = %msg,
                    "the server refused detection lines as malformed: moved to the dead-letter table");
                lock().dead_letter(a, b, &msg)?;
                None
            }
            Answer::Status(413, _) if batch_lines > 1 => {
                batch_lines = (batch_lines / 2).max(1);
                tracing::warn!(
                    batch_lines,
                    "the server found the batch too large: halving it"
                );
                None
            }
            Answer::Status(413, body) => {
                lock().dead_letter(first, last, &format!("413: {body}"))?;
                None
            }
            Answer::Status(s, body) => Some(format!("HTTP {s}: {body}")),
            Answer::Failed(e) => Some(e),
        };
        if let Some(why) = retry {
            counters.failures.fetch_add(1, Ordering::Relaxed);
            counters.connected.store(false, Ordering::Relaxed);
            let delay = backoff.next_delay(&mut rng);
            tracing::warn!(error = %why, attempt = backoff.attempts(), retry_in = ?delay, "uplink failed");
            sleep_unless(delay, stop);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};

    #[test]
    fn a_bad_ca_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("ca.pem");
        let e = Http::new("https://s", "t", Some(&missing)).unwrap_err();
        assert!(matches!(e, UplinkError::CaCert { .. }), "{e}");
        assert!(e.to_string().contains("ca.pem"), "{e}");
        std::fs::write(&missing, "not a certificate").unwrap();
        let e = Http::new("https://s", "t", Some(&missing));
        // reqwest accepts an empty PEM bundle at parse time; what it cannot parse it refuses.
        if let Err(e) = e {
            assert!(e.to_string().contains("ca.pem"), "{e}");
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000)
        );
        assert_eq!(
            http_date_ms("Sat, 21 Nov 2026 08:27:05 GMT"),
            Some(1_795_249_625_000)
        );
        assert_eq!(http_date_ms("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(http_date_ms("garbage"), None);
    }

    /// A scripted server: answers each request with the next (status, body) and records what it got
    /// (the request line and the body).
    fn scripted(
        answers: Vec<(u16, &'static str)>,
    ) -> (String, std::thread::JoinHandle<Vec<(String, String)>>) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let t = std::thread::spawn(move || {
            let mut got = Vec::new();
            for (status, body) in answers {
                let (s, _) = l.accept().unwrap();
                let mut r = BufReader::new(s);
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                let mut len = 0;
                loop {
                    let mut h = String::new();
                    r.read_line(&mut h).unwrap();
                    if h.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut b = vec![0; len];
                r.read_exact(&mut b).unwrap();
                got.push((line.trim().to_owned(), String::from_utf8(b).unwrap()));
                let mut s = r.into_inner();
                write!(
                    s,
                    "HTTP/1.1 {status} X\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
            }
            got
        });
        (url, t)
    }

    fn spool_with(lines: &[&str]) -> (tempfile::TempDir, Mutex<Spool>, i64) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), crate::spool::Limits::default()).unwrap();
        let first = s.append(lines, &[]).unwrap();
        (dir, Mutex::new(s), first)
    }

    fn config() -> UplinkConfig {
        UplinkConfig {
            batch_lines: 4,
            batch_bytes: 1 << 20,
            retry_max: Duration::from_millis(20),
            linger: Duration::ZERO,
        }
    }

    #[test]
    fn retries_dead_letters_and_acknowledges() {
        let (_d, spool, f) = spool_with(&["a", "b", "c", "d", "e"]);
        let (url, server) = scripted(vec![
            (503, "busy"),
            (
                400,
                r#"{"error":"line 2: lat: out of range","line":2,"field":"lat"}"#,
            ),
            (200, r#"{"stored":1}"#),
            (200, r#"{"stored":3}"#),
        ]);
        let http = Http::new(&url, "tok", None).unwrap();
        let counters = UplinkCounters::default();
        let stop = AtomicBool::new(false);
        let left = || spool.lock().unwrap().stats().depth;
        run(&http, &spool, config(), &counters, &stop, &|| left() == 0).unwrap();
        let got = server.join().unwrap();
        let lines: Vec<(&str, &str)> = got.iter().map(|(l, b)| (l.as_str(), b.as_str())).collect();
        let q = |n: i64| format!("POST /api/v1/ingest?seq={} HTTP/1.1", f + n);
        assert_eq!(
            lines,
            [
                (q(0).as_str(), "a\nb\nc\nd\n"),
                (q(0).as_str(), "a\nb\nc\nd\n"),
                // "b" went to the dead letters: the batch stops at the gap.
                (q(0).as_str(), "a\n"),
                (q(2).as_str(), "c\nd\ne\n"),
            ]
        );
        let s = spool.lock().unwrap();
        assert_eq!((s.stats().acknowledged, s.stats().dead_letters), (4, 1));
        assert_eq!(s.dead_letters().unwrap()[0].1, "b");
        assert_eq!(counters.failures.load(Ordering::Relaxed), 1);
        assert!(http.clock_known.load(Ordering::Relaxed), "Date header read");
    }

    #[test]
    fn too_large_halves_and_unauthorized_is_fatal() {
        let (_d, spool, f) = spool_with(&["a", "b", "c", "d"]);
        let (url, server) = scripted(vec![
            (413, ""),
            (200, "{}"),
            (401, r#"{"error":"bad token"}"#),
        ]);
        let http = Http::new(&url, "tok", None).unwrap();
        let e = run(
            &http,
            &spool,
            config(),
            &UplinkCounters::default(),
            &AtomicBool::new(false),
            &|| false,
        )
        .unwrap_err();
        assert!(
            matches!(e, UplinkError::Unauthorized { status: 401, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("--token"), "{e}");
        let got = server.join().unwrap();
        assert_eq!(got[1].0, format!("POST /api/v1/ingest?seq={f} HTTP/1.1"));
        assert_eq!(got[1].1, "a\nb\n", "halved");
        assert_eq!(
            spool.lock().unwrap().stats().depth,
            2,
            "only the acknowledged half left"
        );
    }
}
