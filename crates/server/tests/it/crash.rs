//! Crash test: SIGKILL the server process during fast ingest; every acknowledged detection must be in the
//! store afterwards.

use crate::common::{batch, now_ms, rid_full};
use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The environment variable that turns this test binary into the server process to be killed: the crash test
/// re-runs its own executable with only [`crash_child_server`] selected, so it needs no other binary built.
const CHILD: &str = "SKYTRACE_CRASH_CHILD";

/// Not a test of its own: when the crash test starts this binary with `SKYTRACE_CRASH_CHILD=DIR|ADDR`, this
/// runs `server::run` on that data directory and address until it is killed. In a normal run the variable is
/// absent and it returns at once.
#[test]
fn crash_child_server() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (data, listen) = spec.split_once('|').expect("DIR|ADDR");
    let config = server::Config {
        data_dir: data.into(),
        listen: listen.parse().expect("listen address"),
        ..server::Config::default()
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(server::run(config, std::future::pending::<()>()))
        .expect("server");
}

/// Starts the server as a separate process (this test binary in child mode).
fn spawn_server(data: &std::path::Path, port: u16) -> std::process::Child {
    Command::new(std::env::current_exe().expect("test exe"))
        .args(["crash::crash_child_server", "--exact", "--nocapture"])
        .env(CHILD, format!("{}|127.0.0.1:{port}", data.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the server process")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_ingest_loses_no_acknowledged_detection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_path_buf();
    let d2 = data.clone();
    let token = tokio::task::spawn_blocking(move || store::admin::sensor_add(&d2, "crash"))
        .await
        .expect("join")
        .expect("sensor");
    let port = free_port();
    let mut child = spawn_server(&data, port);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let up = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            up.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    const BATCH: i64 = 200;
    let lines: Vec<String> = (0..BATCH)
        .map(|i| {
            rid_full(
                now_ms() + i,
                &format!("02:00:00:00:00:{:02x}", i % 50),
                &format!("C{}", i % 50),
                48.0,
                2.0,
                (48.1, 2.1),
            )
        })
        .collect();
    let body = batch(&lines);
    let acked: Arc<Mutex<Vec<i64>>> = Arc::new(Mutex::new(Vec::new()));
    let next = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (client, body, acked, next, base, token) = (
            client.clone(),
            body.clone(),
            acked.clone(),
            next.clone(),
            base.clone(),
            token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let stop = Instant::now() + Duration::from_secs(30);
            while Instant::now() < stop {
                let first = next.fetch_add(BATCH, std::sync::atomic::Ordering::Relaxed);
                let r = client
                    .post(format!("{base}/api/v1/ingest?seq={first}"))
                    .bearer_auth(&token)
                    .body(body.clone())
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        // Acknowledged only once the answer is read in full.
                        if r.bytes().await.is_ok() {
                            acked.lock().expect("lock").push(first);
                        }
                    }
                    _ => break,
                }
            }
        }));
    }
    // Let ingest run, then kill without warning while batches are in flight.
    while acked.lock().expect("lock").len() < 20 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(up.elapsed() < Duration::from_secs(60), "ingest too slow");
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    for t in tasks {
        t.await.expect("join");
    }
    let acked = acked.lock().expect("lock").clone();
    let rows = tokio::task::spawn_blocking(move || {
        let s = store::Store::open(&data).expect("reopen after crash");
        s.detections(i64::MIN, i64::MAX, None, i64::MAX)
            .expect("read")
    })
    .await
    .expect("join");
    let stored: HashSet<i64> = rows.iter().map(|r| r.seq).collect();
    let missing: Vec<i64> = acked
        .iter()
        .flat_map(|f| *f..f + BATCH)
        .filter(|s| !stored.contains(s))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged detections lost, first {:?}",
        missing.len(),
        missing.first()
    );
    assert!(stored.len() >= acked.len() * BATCH as usize);
    // Batches are atomic: each one is stored whole or not at all.
    let firsts: HashSet<i64> = stored.iter().map(|s| s - s.rem_euclid(BATCH)).collect();
    for f in firsts {
        assert!(
            (f..f + BATCH).all(|s| stored.contains(&s)),
            "batch {f} is partially stored"
        );
    }
}
