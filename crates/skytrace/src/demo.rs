//! `skytrace demo`: the newcomer's command. Starts the tracking server on a fresh embedded database in a
//! temporary directory (removed on exit), creates a demo operator login and a session for it, loads zones
//! that make the replayed drones alert, registers a demo sensor, and feeds it live detections in a loop:
//! the real captures of the shared data folder (`remoteid/`), or, when there are none (or with
//! `--sim-aircraft N`), simulated aircraft made with the project's own radio encoders ([`sim`]).
//!
//! Everything the demo sends goes through the server's own HTTP router in process (the requests a sensor
//! and an operator would make: `POST /api/v1/ingest`, `/heartbeat`, `/zones`, with their tokens), so the
//! demo exercises the real ingest, fusion, zone and alert path; only the TCP socket is skipped.
//!
//! The last line printed is the console address with the session token (`http://ADDR/#session=TOKEN`),
//! which signs the browser in as the demo user.

pub mod sim;

use anyhow::{bail, Context, Result};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use contract::DetectionLine;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tower::ServiceExt;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on; 127.0.0.1:0 picks a free port (the printed address is the real one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The shared data folder (with `remoteid/` captures and `zones/airportsdata*.csv`) [default:
    /// $SKYTRACE_DATA, else ../shared/data from the current directory, else next to the checkout].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Do not try to open the console in a browser.
    #[arg(long)]
    no_open: bool,
    /// Fly this many simulated aircraft (one detection each per second) instead of replaying captures.
    #[arg(long, value_name = "N")]
    sim_aircraft: Option<usize>,
    /// Longest wait between two frames of a replayed capture, seconds (longer gaps are compressed).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    max_gap: f64,
}

/// One decoded capture: its file name and its lines in capture order.
type Capture = (String, Vec<DetectionLine>);

/// Where the demo's aircraft come from.
enum Source {
    /// Real captures, decoded once.
    Captures(Vec<Capture>),
    Sim(sim::Fleet),
}

/// The shared data folder: `--data`, `$SKYTRACE_DATA`, `../shared/data` from the current directory, then
/// next to the workspace the executable was built in (`target/<profile>/skytrace` → `../shared/data`) or the
/// source tree it was built from.
fn data_dir(arg: Option<&Path>) -> Option<PathBuf> {
    if let Some(d) = arg {
        return Some(d.to_path_buf());
    }
    if let Some(d) = std::env::var_os("SKYTRACE_DATA") {
        return Some(PathBuf::from(d));
    }
    let mut candidates = vec![PathBuf::from("../shared/data")];
    if let Ok(exe) = std::env::current_exe() {
        // target/<profile>/skytrace: the workspace is three levels up.
        if let Some(ws) = exe.ancestors().nth(3) {
            candidates.push(ws.join("../shared/data"));
        }
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    candidates.into_iter().find(|p| p.is_dir())
}

/// Decodes every capture in `dir` (pcap, pcapng, btsnoop) into contract lines, sorted by file name.
/// Files that fail to decode are reported and skipped: the demo shows what it can.
fn load_captures(dir: &Path) -> Result<Vec<Capture>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "pcap" | "pcapng" | "btsnoop"))
        })
        .collect();
    files.sort();
    let opts = contract::Options {
        dji_altitude: wire::dji::AltitudeScaling {
            altitude: wire::dji::AltitudeUnit::Metres,
            height: wire::dji::AltitudeUnit::Decimetres,
        },
    };
    let iq = dsp::rx::DecodeOptions {
        source: dsp::iq::SourceOptions::default(),
        mode: dsp::fec::DecodeMode::Turbo,
    };
    let mut out = Vec::new();
    for f in files {
        let mut buf = Vec::new();
        if let Err(e) = crate::decode::decode_jsonl(&f, false, &iq, &opts, &mut buf) {
            eprintln!("skytrace demo: skipping {}: {e:#}", f.display());
            continue;
        }
        let mut lines = Vec::new();
        for (i, l) in buf.split(|b| *b == b'\n').enumerate() {
            if l.is_empty() {
                continue;
            }
            let text = std::str::from_utf8(l).unwrap_or_default();
            match DetectionLine::parse(text) {
                Ok(d) => lines.push(d),
                Err(e) => eprintln!(
                    "skytrace demo: {} line {}: {e} (skipped)",
                    f.display(),
                    i + 1
                ),
            }
        }
        lines.sort_by_key(|d| d.time);
        if !lines.is_empty() {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push((name, lines));
        }
    }
    Ok(out)
}

/// The aircraft identity of a line (UAS ID or DJI serial) and its position, when it has them.
fn facts(d: &DetectionLine) -> (Option<String>, Option<(f64, f64)>) {
    let (mut id, mut pos) = (None, None);
    for m in &d.messages {
        match m {
            contract::Message::BasicId(b) => id = id.or_else(|| b.uas_id.clone()),
            contract::Message::Location(l) => {
                if let (Some(a), Some(b)) = (l.lat, l.lon) {
                    pos = Some((a, b));
                }
            }
            contract::Message::DjiTelemetry(t) => {
                id = id.or_else(|| t.serial.clone());
                if let (Some(a), Some(b)) = (t.lat, t.lon) {
                    pos = Some((a, b));
                }
            }
            _ => {}
        }
    }
    (id, pos.filter(|p| p.0.abs() > 1e-6 || p.1.abs() > 1e-6))
}

/// Several captures carry the same aircraft (the 5- and 10-minute runs of one transmitter): replaying them
/// together would make one track jump between recordings. Keeps, per set of identities, the capture with
/// the most distinct positions (then the most lines), and drops captures without any position.
fn pick_captures(all: Vec<Capture>) -> Vec<Capture> {
    let mut best: BTreeMap<Vec<String>, (usize, usize, Capture)> = BTreeMap::new();
    for (name, lines) in all {
        let mut ids = std::collections::BTreeSet::new();
        let mut spots = std::collections::BTreeSet::new();
        for d in &lines {
            let (id, pos) = facts(d);
            ids.extend(id);
            if let Some((a, b)) = pos {
                // Distinct to about a metre.
                spots.insert(((a * 1e5).round() as i64, (b * 1e5).round() as i64));
            }
        }
        if spots.is_empty() {
            continue;
        }
        let key: Vec<String> = ids.into_iter().collect();
        let score = (spots.len(), lines.len());
        let better = best
            .get(&key)
            .is_none_or(|(s, n, _)| (spots.len(), lines.len()) > (*s, *n));
        if better {
            best.insert(key, (score.0, score.1, (name, lines)));
        }
    }
    let mut v: Vec<_> = best.into_values().map(|(_, _, f)| f).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Great-circle distance in metres.
fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dla = la2 - la1;
    let dlo = (b.1 - a.1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().min(1.0).asin()
}

/// A circular zone as the GeoJSON Feature `POST /api/v1/zones` takes.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoZone {
    pub name: String,
    pub restriction: &'static str,
    pub center: (f64, f64),
    pub radius_m: f64,
}

impl DemoZone {
    fn feature(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [self.center.1, self.center.0] },
            "properties": {
                "name": self.name, "restriction": self.restriction, "radius_m": self.radius_m,
            }
        })
    }
}

/// A zone over part of one replayed path, so that the aircraft enters and leaves it: a circle around the
/// position half-way through the capture, a quarter of the path's extent wide (at least 150 m, so that a
/// hovering aircraft is inside).
pub fn path_zone(name: &str, path: &[(f64, f64)]) -> Option<DemoZone> {
    let mid = *path.get(path.len() / 2)?;
    let extent = path
        .iter()
        .map(|p| distance_m(mid, *p))
        .fold(0.0f64, f64::max);
    Some(DemoZone {
        name: name.to_owned(),
        restriction: "PROHIBITED",
        center: mid,
        radius_m: (extent / 4.0).max(150.0).round(),
    })
}

/// The nearest airports of `zones/airportsdata*.csv` within `within_m` of `at`, as 5 km circles.
fn airport_zones(data: Option<&Path>, at: (f64, f64), within_m: f64, most: usize) -> Vec<DemoZone> {
    let Some(dir) = data.map(|d| d.join("zones")) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let Some(csv) = entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("airportsdata") && n.ends_with(".csv"))
    }) else {
        return Vec::new();
    };
    let zones = match std::fs::read_to_string(&csv)
        .map_err(anyhow::Error::from)
        .and_then(|t| track::zones::import::airports_csv(&t, 5000.0).map_err(Into::into))
    {
        Ok(z) => z,
        Err(e) => {
            eprintln!(
                "skytrace demo: no airport zones from {}: {e:#}",
                csv.display()
            );
            return Vec::new();
        }
    };
    let mut near: Vec<(f64, DemoZone)> = zones
        .into_iter()
        .filter_map(|z| {
            let track::zones::Geometry::Circle { center, radius_m } = z.geometry else {
                return None;
            };
            let c = (center.lat, center.lon);
            let d = distance_m(at, c);
            (d <= within_m).then(|| {
                (
                    d,
                    DemoZone {
                        name: format!("{} {} (airport)", z.id.0, z.name).trim().to_owned(),
                        restriction: "REQ_AUTHORIZATION",
                        center: c,
                        radius_m,
                    },
                )
            })
        })
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    near.into_iter().take(most).map(|(_, z)| z).collect()
}

/// Where most of the action is: the mean of the positions within 50 km of the position that has the most
/// others within 50 km.
fn busiest(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let near = |p: (f64, f64)| points.iter().filter(move |q| distance_m(p, **q) < 50_000.0);
    // `max_by_key` keeps the last of equals: reversed, the first listed wins a tie.
    let best = *points.iter().rev().max_by_key(|p| near(**p).count())?;
    let (n, sum) = near(best).fold((0.0, (0.0, 0.0)), |(n, s), q| {
        (n + 1.0, (s.0 + q.0, s.1 + q.1))
    });
    Some((sum.0 / n, sum.1 / n))
}

/// The in-process client: requests to the server's router with a bearer token.
#[derive(Clone)]
struct Client {
    router: axum::Router,
}

impl Client {
    async fn call(
        &self,
        method: Method,
        uri: &str,
        token: &str,
        body: String,
        content_type: &str,
    ) -> Result<serde_json::Value> {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .with_context(|| format!("building the request {uri}"))?;
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .with_context(|| format!("calling {uri}"))?;
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .with_context(|| format!("reading the answer of {uri}"))?;
        if status != StatusCode::OK {
            bail!(
                "{uri}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes).trim()
            );
        }
        serde_json::from_slice(&bytes).with_context(|| format!("{uri}: the answer is not JSON"))
    }
}

/// Feeds one sensor's batches: reserves consecutive sequence numbers shared by every feeder of the
/// sensor, so that numbers stay unique across files and loops.
struct Feeder {
    client: Client,
    token: String,
    seq: Arc<AtomicI64>,
}

impl Feeder {
    async fn post(&self, lines: &[DetectionLine]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut body = Vec::with_capacity(lines.len() * 400);
        for l in lines {
            l.write_json(&mut body);
        }
        let n = i64::try_from(lines.len()).unwrap_or(i64::MAX);
        let first = self.seq.fetch_add(n, Ordering::Relaxed);
        self.client
            .call(
                Method::POST,
                &format!("/api/v1/ingest?seq={first}"),
                &self.token,
                String::from_utf8(body).context("contract lines are UTF-8")?,
                "application/x-ndjson",
            )
            .await?;
        Ok(())
    }
}

fn now_ms() -> i64 {
    (server::system_clock())()
}

fn at_ms(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Replays one capture in a loop until `stop`: paced by capture time with gaps longer than `max_gap`
/// compressed, every line stamped with the current time (so the track is live), lines due within 100 ms
/// of each other posted as one batch.
async fn replay_loop(
    feeder: Arc<Feeder>,
    name: String,
    lines: Vec<DetectionLine>,
    max_gap: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let group = Duration::from_millis(100);
    let mut batch: Vec<DetectionLine> = Vec::new();
    loop {
        let mut prev: Option<time::OffsetDateTime> = None;
        let mut due = tokio::time::Instant::now();
        for l in &lines {
            let gap = prev.map_or(Duration::ZERO, |p| {
                Duration::try_from(l.time - p)
                    .unwrap_or_default()
                    .min(max_gap)
            });
            prev = Some(l.time);
            due += gap;
            if due > tokio::time::Instant::now() + group {
                if let Err(e) = feeder.post(&batch).await {
                    tracing::warn!(capture = %name, error = %format!("{e:#}"), "demo batch refused");
                }
                batch.clear();
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    _ = stop.changed() => return,
                }
            }
            let mut l = l.clone();
            l.time = at_ms(now_ms());
            batch.push(l);
        }
        if let Err(e) = feeder.post(&batch).await {
            tracing::warn!(capture = %name, error = %format!("{e:#}"), "demo batch refused");
        }
        batch.clear();
        // A pause between loops, as between two flights.
        tokio::select! {
            _ = tokio::time::sleep(max_gap) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Flies the simulated fleet: one detection per aircraft per second, posted in one batch.
async fn sim_loop(feeder: Arc<Feeder>, mut fleet: sim::Fleet, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        match fleet.lines(now_ms()) {
            Ok(lines) => {
                if let Err(e) = feeder.post(&lines).await {
                    tracing::warn!(error = %format!("{e:#}"), "demo batch refused");
                }
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "simulation failed");
                return;
            }
        }
    }
}

/// Heartbeats of the demo sensor every 10 s, with its position and a counter of what it sent.
async fn heartbeat_loop(
    client: Client,
    token: String,
    at: (f64, f64),
    seq: Arc<AtomicI64>,
    first_seq: i64,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let body = serde_json::json!({
            "lat": at.0, "lon": at.1, "alt_m": 40.0,
            "counters": { "demo": { "detections": seq.load(Ordering::Relaxed) - first_seq } },
            "version": concat!("skytrace-demo ", env!("CARGO_PKG_VERSION")),
        });
        if let Err(e) = client
            .call(
                Method::POST,
                "/api/v1/heartbeat",
                &token,
                body.to_string(),
                "application/json",
            )
            .await
        {
            tracing::warn!(error = %format!("{e:#}"), "demo heartbeat refused");
        }
    }
}

fn random_password() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::rngs::OsRng, 16)
}

/// Opens `url` in the desktop's browser when there is a desktop; failures are not errors.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        "xdg-open"
    } else {
        return;
    };
    let _ = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// The `demo` command.
///
/// # Errors
///
/// The address is in use or cannot be bound, the temporary directory or the store cannot be created, or
/// the server fails.
pub fn run(args: Args) -> Result<ExitCode> {
    if !(args.max_gap.is_finite() && (0.05..=3600.0).contains(&args.max_gap)) {
        bail!(
            "--max-gap {}: expected seconds from 0.05 to 3600",
            args.max_gap
        );
    }
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(demo(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn demo(args: Args) -> Result<()> {
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => bail!(
            "{} is already in use (another skytrace?): choose another address with --listen, \
             e.g. --listen 127.0.0.1:0 for any free port",
            args.listen
        ),
        Err(e) => return Err(e).with_context(|| format!("listening on {}", args.listen)),
    };
    let addr = listener.local_addr()?;
    let tmp = tempfile::Builder::new()
        .prefix("skytrace-demo-")
        .tempdir()
        .context("creating the temporary data directory")?;
    let tmp_path = tmp.path().to_path_buf();

    // What to fly: captures, else simulated aircraft.
    let data = data_dir(args.data.as_deref());
    let source = match args.sim_aircraft {
        Some(n) => Source::Sim(sim::Fleet::new(n, DEFAULT_CENTER, 2026)),
        None => {
            let captures = match data.as_ref().map(|d| d.join("remoteid")) {
                Some(d) if d.is_dir() => pick_captures(load_captures(&d)?),
                _ => Vec::new(),
            };
            if captures.is_empty() {
                Source::Sim(sim::Fleet::new(SIM_DEFAULT, DEFAULT_CENTER, 2026))
            } else {
                Source::Captures(captures)
            }
        }
    };

    // Zones over the paths, and where the sensor stands.
    let mut zones = Vec::new();
    let sensor_at = match &source {
        Source::Captures(files) => {
            let mut starts = Vec::new();
            for (name, lines) in files {
                let path: Vec<(f64, f64)> = lines.iter().filter_map(|d| facts(d).1).collect();
                starts.extend(path.first().copied());
                let stem = name.split('.').next().unwrap_or(name);
                if let Some(z) = path_zone(&format!("Demo zone {stem}"), &path) {
                    // Captures of one place share one zone.
                    if !zones
                        .iter()
                        .any(|o: &DemoZone| distance_m(o.center, z.center) < o.radius_m)
                    {
                        zones.push(z);
                    }
                }
            }
            busiest(&starts).unwrap_or(DEFAULT_CENTER)
        }
        Source::Sim(fleet) => {
            // A stadium and a prison over the paths of the first two aircraft, where they are now: they
            // start inside (an alert at once), leave and come back every lap.
            let t = now_ms() as f64 / 1000.0;
            for (a, name) in fleet.aircraft.iter().zip(["Demo stadium", "Demo prison"]) {
                let s = a.state(t);
                zones.push(DemoZone {
                    name: name.into(),
                    restriction: "PROHIBITED",
                    center: (s.lat, s.lon),
                    radius_m: (a.radius_m * 0.5).round(),
                });
            }
            fleet.center
        }
    };
    zones.extend(airport_zones(data.as_deref(), sensor_at, 40_000.0, 3));

    // The server on a fresh store.
    let store = store::Store::open(&tmp_path)?;
    let password = random_password();
    let now = now_ms();
    let config = server::Config {
        listen: addr,
        data_dir: tmp_path.clone(),
        ..server::Config::default()
    };
    let user_id = store
        .add_user("demo", store::Role::Operator, &password, now)?
        .done()
        .await?;
    let ttl = i64::try_from(config.session_ttl_s)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    let session = store
        .create_token(
            user_id,
            store::TokenKind::Session,
            Some("skytrace demo".into()),
            now,
            Some(now.saturating_add(ttl)),
        )
        .done()
        .await?;
    let (_, sensor_token) = store.add_sensor("demo-sensor", now).done().await?;
    let state = server::AppState::new(store.clone(), config, server::system_clock())?;
    let client = Client {
        router: server::app(state.clone()),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(server::serve(listener, state, async move {
        let _ = server_stop.changed().await;
    }));

    for z in &zones {
        client
            .call(
                Method::POST,
                "/api/v1/zones",
                &session,
                z.feature().to_string(),
                "application/json",
            )
            .await
            .with_context(|| format!("adding zone {}", z.name))?;
    }
    let first_seq = now.saturating_mul(1000);
    let seq = Arc::new(AtomicI64::new(first_seq));
    let feeder = Arc::new(Feeder {
        client: client.clone(),
        token: sensor_token.clone(),
        seq: seq.clone(),
    });
    let mut tasks = vec![tokio::spawn(heartbeat_loop(
        client.clone(),
        sensor_token,
        sensor_at,
        seq,
        first_seq,
        stop_rx.clone(),
    ))];
    let what = match source {
        Source::Captures(files) => {
            let n = files.len();
            let gap = Duration::from_secs_f64(args.max_gap);
            for (name, lines) in files {
                tasks.push(tokio::spawn(replay_loop(
                    feeder.clone(),
                    name,
                    lines,
                    gap,
                    stop_rx.clone(),
                )));
            }
            let from = data
                .as_ref()
                .map(|d| d.join("remoteid").display().to_string())
                .unwrap_or_default();
            format!("replaying {n} real captures from {from} in a loop")
        }
        Source::Sim(fleet) => {
            let n = fleet.aircraft.len();
            tasks.push(tokio::spawn(sim_loop(feeder, fleet, stop_rx.clone())));
            let why = if args.sim_aircraft.is_some() {
                "as asked"
            } else {
                "no captures found: set --data or SKYTRACE_DATA to the shared data folder for real ones"
            };
            format!("simulating {n} aircraft at 1 Hz ({why})")
        }
    };

    let url = format!("http://{addr}/#session={session}");
    {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "skytrace demo: the tracking server with live demo data"
        )?;
        writeln!(out, "  data        {}", what)?;
        writeln!(
            out,
            "  zones       {}",
            zones
                .iter()
                .map(|z| z.name.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )?;
        writeln!(
            out,
            "  sensor      demo-sensor at {:.5}, {:.5}",
            sensor_at.0, sensor_at.1
        )?;
        writeln!(
            out,
            "  database    {} (removed on exit)",
            tmp_path.display()
        )?;
        writeln!(out, "  login       demo / {password} (operator)")?;
        writeln!(out, "  API         http://{addr}/api/v1 (Ctrl-C stops)")?;
        writeln!(out, "Open the console (this address signs you in):")?;
        writeln!(out, "{url}")?;
        out.flush()?;
    }
    if !args.no_open {
        open_browser(&url);
    }

    let mut server = server;
    tokio::select! {
        _ = server::shutdown_signal() => {}
        r = &mut server => {
            // The server stopped by itself: that is an error to report.
            let _ = stop_tx.send(true);
            r.context("server task")??;
            bail!("the server stopped");
        }
    }
    eprintln!("skytrace demo: stopping");
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    server.await.context("server task")??;
    drop(client);
    drop(store);
    tmp.close()
        .with_context(|| format!("removing {}", tmp_path.display()))?;
    eprintln!("skytrace demo: stopped; removed {}", tmp_path.display());
    Ok(())
}

/// Where simulated aircraft fly when there is no capture to centre on: Odense, Denmark, near the real
/// Herlev relay captures and the airport EKOD.
const DEFAULT_CENTER: (f64, f64) = (55.40, 10.40);

/// Simulated aircraft when no capture is found.
const SIM_DEFAULT: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_zones_cover_the_middle_of_the_path() {
        let check = |path: &[(f64, f64)], want: Option<((f64, f64), f64)>| {
            let got = path_zone("z", path).map(|z| (z.center, z.radius_m));
            assert_eq!(got, want, "{path:?}");
        };
        check(&[], None);
        // A hovering aircraft: a 150 m circle around it.
        check(&[(55.0, 10.0); 3], Some(((55.0, 10.0), 150.0)));
        // 0.02° of latitude north (2224 m): the middle point, a quarter of the farthest distance.
        check(
            &[(55.0, 10.0), (55.01, 10.0), (55.02, 10.0)],
            Some(((55.01, 10.0), 278.0)),
        );
    }

    #[test]
    fn distances() {
        let check = |a, b, want: f64| {
            let d = distance_m(a, b);
            assert!((d - want).abs() < want * 1e-3 + 0.01, "{a:?} {b:?}: {d}");
        };
        check((0.0, 0.0), (0.0, 0.0), 0.0);
        check((55.0, 10.0), (56.0, 10.0), 111_195.0);
        check((0.0, 0.0), (0.0, 1.0), 111_195.0);
    }

    #[test]
    fn busiest_place_wins() {
        let pts = [(55.0, 10.0), (55.01, 10.0), (35.0, -92.0), (55.02, 10.02)];
        let (lat, lon) = busiest(&pts).expect("a place");
        assert!((lat - 55.01).abs() < 1e-9, "{lat}");
        assert!((lon - 30.02 / 3.0).abs() < 1e-9, "{lon}");
        assert_eq!(busiest(&[]), None);
    }
}
