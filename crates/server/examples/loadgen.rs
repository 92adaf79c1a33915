//! Load generator: starts a server in this process on 127.0.0.1 (temporary data directory, real HTTP over
//! loopback, the real store with fsync) and posts batches of synthetic detections to it.
//!
//! Throughput:  `cargo run --release -p server --example loadgen -- throughput [SECONDS] [BATCH] [CONNS]`
//! Latency:     `cargo run --release -p server --example loadgen -- latency [SECONDS] [RATE] [TRACKS]`
//!   posts RATE detections/s in batches of TRACKS/10 over TRACKS tracks while an operator listens to the
//!   live stream, and reports percentiles of the time from just before a batch is posted to the arrival of
//!   each of its track updates on the stream, after a warm-up of `WARMUP_S` seconds (reported apart).
//!   Detection `j` of a throughput run is received at `start + j / 100` ms: time advances as a fleet's.
//!
//! Store only: `cargo run --release -p server --example loadgen -- store [SECONDS] [BATCH] [IN_FLIGHT]`
//!
//! Every request loop is bounded in time and the program stops by itself.

use serde_json::json;

/// The same allocator as the `skytrace` binary (mimalloc, also behind SQLite's malloc), so that the figures
/// are the shipped server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Distinct aircraft in throughput and store runs (`LOADGEN_TRACKS`, default 1000).
fn tracks() -> u64 {
    std::env::var("LOADGEN_TRACKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1000)
}

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// One detection line for track `i` at time `t_ms`, through the contract's own serialiser.
fn line(i: u64, t_ms: i64, step: u64) -> String {
    let lat = 48.0 + (i as f64) * 0.001 + (step as f64) * 1e-6;
    let v = json!({
        "time": server::rfc3339(t_ms), "frame": step + 1, "transport": "wifi-beacon",
        "mac": format!("02:00:00:00:{:02x}:{:02x}", (i >> 8) & 0xff, i & 0xff), "rssi_dbm": -70.0,
        "messages": [
            { "type": "basic-id", "id_type": 1, "uas_id": format!("T{i}") },
            { "type": "location", "lat": lat, "lon": 2.0, "alt_geo_m": 100.0, "speed_mps": 5.0 },
            { "type": "system", "operator_lat": 48.0, "operator_lon": 2.0 }
        ]
    });
    let d: contract::DetectionLine = serde_json::from_value(v).expect("valid line");
    d.to_json()
}

struct Server {
    base: String,
    sensor: String,
    state: server::AppState,
    _dir: tempfile::TempDir,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store::Store::open(dir.path()).expect("store");
    store
        .add_user("op", store::Role::Operator, "pw", 0)
        .expect("hash")
        .done()
        .await
        .expect("user");
    let (_, sensor) = store.add_sensor("load", 0).done().await.expect("sensor");
    let state = server::AppState::new(store, server::Config::default(), server::system_clock())
        .expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/api/v1", listener.local_addr().expect("addr"));
    tokio::spawn(server::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    Server {
        base,
        sensor,
        state,
        _dir: dir,
    }
}

async fn throughput(secs: u64, batch: u64, conns: u64) {
    let s = start().await;
    let now = (server::system_clock())();
    // Bodies are prepared up front so that the measurement is the server's work plus HTTP, not JSON
    // generation. They read like a fleet's traffic: detection `j` belongs to aircraft `j % tracks` and was
    // received at `now + j / CLOCK_PER_MS` ms, so time advances as a real fleet's does (each aircraft ~100
    // times a second at 100 k det/s over 1,000 aircraft), and each post takes the next body in sequence
    // order; past the prepared ones (a faster server than planned) the bodies repeat with their times.
    const PLANNED_PER_S: u64 = 150_000;
    const CLOCK_PER_MS: u64 = 100;
    let n_bodies = (secs * PLANNED_PER_S).div_ceil(batch).max(1);
    let body = &|b: u64| {
        let mut body = String::new();
        for k in 0..batch {
            let j = b * batch + k;
            body.push_str(&line(
                j % tracks(),
                now + (j / CLOCK_PER_MS) as i64,
                j / tracks(),
            ));
            body.push('\n');
        }
        body
    };
    let bodies: Arc<Vec<String>> = Arc::new(std::thread::scope(|sc| {
        let half = n_bodies / 2;
        let a = sc.spawn(move || (0..half).map(body).collect::<Vec<_>>());
        let mut v: Vec<String> = (half..n_bodies).map(body).collect();
        let mut all = a.join().expect("body builder");
        all.append(&mut v);
        all
    }));
    let seq = Arc::new(AtomicI64::new(0));
    let stored = Arc::new(AtomicU64::new(0));
    let client = reqwest::Client::new();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (client, bodies, seq, stored, base, token) = (
            client.clone(),
            bodies.clone(),
            seq.clone(),
            stored.clone(),
            s.base.clone(),
            s.sensor.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let first = seq.fetch_add(batch as i64, Ordering::Relaxed);
                let body = bodies[(first as u64 / batch) as usize % bodies.len()].clone();
                let r = client
                    .post(format!("{base}/ingest?seq={first}"))
                    .bearer_auth(&token)
                    .body(body)
                    .send()
                    .await
                    .expect("post");
                assert!(r.status().is_success(), "status {}", r.status());
                let ack: serde_json::Value = r.json().await.expect("ack");
                stored.fetch_add(ack["stored"].as_u64().unwrap_or(0), Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let el = start.elapsed().as_secs_f64();
    let n = stored.load(Ordering::Relaxed);
    let in_db = s.state.store.detection_count().expect("count");
    println!("throughput: {n} detections acknowledged in {el:.2} s = {:.0} detections/s (batch {batch}, {conns} connections); {in_db} rows in the store", n as f64 / el);
}

/// The fields of a live-stream track event the latency run reads.
#[derive(serde::Deserialize)]
struct StreamTrack {
    uas_id: Option<String>,
    detections: Option<u64>,
}

/// Seconds at the start of a latency run that are not part of its figures (see [`latency`]).
const WARMUP_S: u64 = 2;

async fn latency(secs: u64, rate: u64, tracks: u64) {
    let s = start().await;
    let client = reqwest::Client::new();
    let tok: serde_json::Value = client
        .post(format!("{}/login", s.base))
        .json(&json!({ "username": "op", "password": "pw" }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let tok = tok["token"].as_str().expect("token").to_owned();
    let per_batch = (tracks / 10).max(1);
    let batches_per_s = (rate / per_batch).max(1);
    let sent: Arc<Mutex<Vec<Instant>>> = Arc::new(Mutex::new(Vec::new()));
    // (batch number, milliseconds from posting the batch to one of its track updates on the stream)
    let samples: Arc<Mutex<Vec<(u64, f64)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut stream = client
        .get(format!("{}/stream", s.base))
        .bearer_auth(&tok)
        .send()
        .await
        .expect("stream");
    let (sent2, samples2) = (sent.clone(), samples.clone());
    let reader = tokio::spawn(async move {
        let mut buf = String::new();
        while let Ok(Some(chunk)) = stream.chunk().await {
            let at = Instant::now();
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let ev: String = buf.drain(..end + 2).collect();
                let Some(data) = ev.lines().find_map(|l| l.strip_prefix("data: ")) else {
                    continue;
                };
                // Only the two fields the sample needs (a whole JSON tree per event made the reader, not
                // the server, part of the figure).
                let Ok(v) = serde_json::from_str::<StreamTrack>(data) else {
                    continue;
                };
                let (Some(id), Some(n)) = (v.uas_id.as_deref(), v.detections) else {
                    continue;
                };
                let Ok(i) = id.trim_start_matches('T').parse::<u64>() else {
                    continue;
                };
                // Track i is in every batch k with k % 10 == i / per_batch; its n-th update is from the n-th.
                let k = (i / per_batch) + (n - 1) * 10;
                if let Some(t0) = sent2.lock().expect("lock").get(k as usize) {
                    samples2
                        .lock()
                        .expect("lock")
                        .push((k, at.duration_since(*t0).as_secs_f64() * 1000.0));
                }
            }
        }
    });
    let interval = Duration::from_secs_f64(1.0 / batches_per_s as f64);
    let mut tick = tokio::time::interval(interval);
    let total = (secs + WARMUP_S) * batches_per_s;
    let now = (server::system_clock())();
    let mut posts = Vec::new();
    for k in 0..total {
        tick.tick().await;
        let group = k % 10;
        let mut body = String::new();
        for j in 0..per_batch {
            body.push_str(&line(group * per_batch + j, now + k as i64, k));
            body.push('\n');
        }
        sent.lock().expect("lock").push(Instant::now());
        let (client, base, token) = (client.clone(), s.base.clone(), s.sensor.clone());
        posts.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/ingest?seq={}", k * per_batch))
                .bearer_auth(&token)
                .body(body)
                .send()
                .await;
            r.map(|r| r.status().is_success()).unwrap_or(false)
        }));
    }
    for p in posts {
        assert!(p.await.expect("join"), "a post failed");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    reader.abort();
    // The first WARMUP_S seconds are the warm-up: the tracks are created then (the goal is stated with
    // 1,000 tracks already active) and the server's caches fill; they are reported apart.
    let warm_batches = WARMUP_S * batches_per_s;
    let all = samples.lock().expect("lock").clone();
    let pick = |warm: bool| -> Vec<f64> {
        let mut v: Vec<f64> = all
            .iter()
            .filter(|(k, _)| (*k < warm_batches) == warm)
            .map(|s| s.1)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let pct = |v: &[f64], p: f64| {
        v.get(((v.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let (warm, v) = (pick(true), pick(false));
    println!(
        "latency ingest->stream: {} samples at {} det/s over {tracks} tracks ({per_batch}/batch) after {WARMUP_S} s of warm-up: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (warm-up: p50 {:.2} ms, p99 {:.2} ms)",
        v.len(),
        batches_per_s * per_batch,
        pct(&v, 0.5),
        pct(&v, 0.99),
        pct(&v, 1.0),
        pct(&warm, 0.5),
        pct(&warm, 0.99),
    );
}

/// The store alone, without HTTP or parsing: the writer's ceiling on this machine.
async fn store_only(secs: u64, batch: u64, inflight: u64) {
    let s = start().await;
    let now = (server::system_clock())();
    // The tracker binds the lines once, up front: this mode measures the writer alone.
    let mut fusion = server::fusion::Fusion::new(
        track::TrackerConfig::default(),
        track::AlertConfig::default(),
        now,
    );
    let texts: Vec<String> = (0..batch)
        .map(|k| line(k % tracks(), now + k as i64, 0))
        .collect();
    let parsed: Vec<contract::DetectionLine> = texts
        .iter()
        .map(|t| contract::DetectionLine::parse(t).expect("valid"))
        .collect();
    let refs: Vec<&contract::DetectionLine> = parsed.iter().collect();
    let no_zones = track::zones::ZoneIndex::new(Vec::new());
    let plan = fusion.ingest("loadgen", &refs, &no_zones, now);
    let items: Vec<store::NewDetection> = texts
        .into_iter()
        .zip(parsed.iter().zip(plan.facts))
        .enumerate()
        .map(|(k, (text, (d, facts)))| store::NewDetection {
            seq: 0,
            time_ms: now + k as i64,
            transport: d.transport.clone(),
            track: facts,
            line: text,
        })
        .collect();
    let sensor = s
        .state
        .store
        .sensor_for_token(&s.sensor)
        .expect("read")
        .expect("sensor");
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut seq = 0i64;
    let mut pending = std::collections::VecDeque::new();
    let mut stored = 0usize;
    while Instant::now() < deadline {
        while pending.len() < inflight as usize {
            let b: Vec<store::NewDetection> = items
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, mut d)| {
                    d.seq = seq + i as i64;
                    d
                })
                .collect();
            seq += batch as i64;
            pending.push_back(s.state.store.ingest(sensor.id, &sensor.name, now, b));
        }
        if let Some(t) = pending.pop_front() {
            stored += t.done().await.expect("ingest").stored;
        }
    }
    for t in pending {
        stored += t.done().await.expect("ingest").stored;
    }
    let el = start.elapsed().as_secs_f64();
    println!("store only: {stored} detections committed in {el:.2} s = {:.0} detections/s (batch {batch}, {inflight} in flight)", stored as f64 / el);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match std::env::args().nth(1).as_deref() {
        Some("store") => rt.block_on(store_only(arg(2, 10), arg(3, 1000), arg(4, 8))),
        Some("latency") => rt.block_on(latency(arg(2, 10), arg(3, 5000), arg(4, 1000))),
        _ => rt.block_on(throughput(arg(2, 10), arg(3, 1000), arg(4, 4))),
    }
}
