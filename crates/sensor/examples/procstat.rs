//! Samples a process's memory and CPU from `/proc` at a fixed interval, for soak tests of the sensor:
//!
//! ```sh
//! cargo run -p sensor --example procstat -- PID [SECONDS=600] [INTERVAL=10]
//! ```
//!
//! Prints a Markdown table: elapsed seconds, resident set (`VmRSS`), peak resident set (`VmHWM`), threads,
//! and the CPU share over the last interval ((utime + stime) ticks of `/proc/PID/stat`, at the kernel's
//! fixed `USER_HZ` of 100 ticks per second).

use std::time::{Duration, Instant};

const USER_HZ: f64 = 100.0;

fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// utime + stime, in ticks. The command name (field 2) may hold spaces: fields are counted after its `)`.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(pid) = args.first().and_then(|p| p.parse::<u32>().ok()) else {
        eprintln!("usage: procstat PID [SECONDS=600] [INTERVAL=10]");
        std::process::exit(2);
    };
    let total: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(600);
    let every: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
        .max(1);
    println!("| t (s) | RSS (MiB) | peak RSS (MiB) | threads | CPU (% of one core) |");
    println!("|---:|---:|---:|---:|---:|");
    let start = Instant::now();
    let mut last = (Instant::now(), cpu_ticks(pid).unwrap_or(0));
    let mut t = 0;
    while t <= total {
        let (Some(rss), Some(hwm), Some(ticks)) = (
            status_kb(pid, "VmRSS:"),
            status_kb(pid, "VmHWM:"),
            cpu_ticks(pid),
        ) else {
            eprintln!("process {pid} is gone");
            std::process::exit(1);
        };
        let threads = status_kb(pid, "Threads:").unwrap_or(0);
        let dt = last.0.elapsed().as_secs_f64();
        let cpu = if t == 0 || dt <= 0.0 {
            0.0
        } else {
            (ticks - last.1) as f64 / USER_HZ / dt * 100.0
        };
        println!(
            "| {t} | {:.1} | {:.1} | {threads} | {cpu:.1} |",
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        );
        last = (Instant::now(), ticks);
        t += every;
        let next = start + Duration::from_secs(t);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}
