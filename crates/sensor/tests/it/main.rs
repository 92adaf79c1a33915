//! The spool under crashes and random operation sequences.

use proptest::prelude::*;
use sensor::spool::{Limits, Spool};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "SKYTRACE_SPOOL_CRASH_CHILD";

/// Not a test of its own: the child process of `spool_survives_sigkill`. Appends batches, acknowledges
/// the oldest now and then, and prints the state after each commit, until it is killed.
#[test]
fn spool_crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut s = Spool::open(std::path::Path::new(&dir), Limits::default()).expect("open");
    let line = "x".repeat(300);
    let mut out = std::io::stdout().lock();
    for round in 0u64.. {
        let lines = vec![line.as_str(); 50];
        let first = s
            .append(&lines, &[("pcap:f".to_owned(), round * 50 + 50)])
            .expect("append");
        if round % 3 == 2 {
            let rows = s.peek(70, 1 << 20).expect("peek");
            if let (Some(a), Some(z)) = (rows.first(), rows.last()) {
                let (a, z) = (a.seq, z.seq);
                s.acknowledge(a, z).expect("ack");
            }
        }
        let st = s.stats();
        writeln!(out, "{first} {} {}", st.next_seq, st.acknowledged).expect("stdout");
        out.flush().expect("flush");
    }
}

/// A writer killed with SIGKILL at a random moment: after reopening, every commit it reported is there,
/// sequence numbers went on from where they stopped, the rows form one contiguous range ending just
/// below `next_seq`, and the replay position matches the rows.
#[test]
fn spool_survives_sigkill() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    for run in 0..3u64 {
        let dir = tempfile::tempdir().expect("dir");
        let mut child = Command::new(std::env::current_exe().expect("exe"))
            .args([
                "--exact",
                "spool_crash_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut last: Option<(i64, i64, u64)> = None;
        let until = Instant::now() + Duration::from_millis(300 + 150 * run);
        let mut line = String::new();
        while Instant::now() < until {
            line.clear();
            if reader.read_line(&mut line).expect("read") == 0 {
                break;
            }
            let f: Vec<i64> = line
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            if f.len() == 3 {
                last = Some((f[0], f[1], f[2] as u64));
            }
        }
        child.kill().expect("kill");
        child.wait().expect("wait");
        let (_, reported_next, reported_acked) = last.expect("the child committed something");

        let mut s = Spool::open(dir.path(), Limits::default()).expect("reopen");
        let st = s.stats();
        assert!(st.next_seq >= reported_next, "{st:?} < {reported_next}");
        assert!(st.acknowledged >= reported_acked);
        let rows = s.peek(usize::MAX >> 1, usize::MAX >> 1).expect("peek");
        assert_eq!(rows.len() as u64, st.depth);
        for w in rows.windows(2) {
            assert_eq!(w[1].seq, w[0].seq + 1, "contiguous");
        }
        if let Some(l) = rows.last() {
            assert_eq!(l.seq, st.next_seq - 1, "no gap at the end");
        }
        // Every line ever appended is either acknowledged or still here.
        let first_ever = rows.first().map_or(st.next_seq, |r| r.seq) - st.acknowledged as i64;
        let appended = (st.next_seq - first_ever) as u64;
        assert_eq!(appended, st.acknowledged + st.depth);
        // The position was committed with the lines: 50 items per 50 lines.
        let pos = s.positions().expect("positions");
        assert_eq!(pos.get("pcap:f").copied(), Some(appended));
        // Numbers go on after the crash.
        assert_eq!(s.append(&["y"], &[]).expect("append"), st.next_seq);
    }
}

#[derive(Debug, Clone)]
enum Op {
    Append(usize),
    Ack(usize),
    Dead(usize),
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..40).prop_map(Op::Append),
        (1usize..30).prop_map(Op::Ack),
        (0usize..5).prop_map(Op::Dead),
        Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Against a model (a list of (seq, line) and counters): random appends, acknowledgements of the oldest
    /// batch, dead letters and reopenings, with a row limit. Sequence numbers only grow; the spool holds
    /// exactly the model's rows; the counters add up.
    #[test]
    fn spool_matches_a_model(ops in proptest::collection::vec(op(), 1..40), max_rows in 5u64..60) {
        let dir = tempfile::tempdir().expect("dir");
        let limits = Limits { max_rows: Some(max_rows), max_bytes: None };
        let mut s = Spool::open(dir.path(), limits).expect("open");
        let start = s.stats().next_seq;
        let mut model: std::collections::VecDeque<(i64, String)> = Default::default();
        let (mut next, mut dropped, mut acked, mut dead) = (start, 0u64, 0u64, 0u64);
        let mut counter = 0u64;
        for op in ops {
            match op {
                Op::Append(n) => {
                    let lines: Vec<String> = (0..n).map(|_| { counter += 1; format!("l{counter}") }).collect();
                    let first = s.append(&lines, &[]).expect("append");
                    prop_assert_eq!(first, next);
                    for l in lines { model.push_back((next, l)); next += 1; }
                    while model.len() as u64 > max_rows { model.pop_front(); dropped += 1; }
                }
                Op::Ack(n) => {
                    let rows = s.peek(n, 1 << 20).expect("peek");
                    if let (Some(a), Some(z)) = (rows.first(), rows.last()) {
                        let (a, z) = (a.seq, z.seq);
                        s.acknowledge(a, z).expect("ack");
                        let before = model.len();
                        model.retain(|(q, _)| *q < a || *q > z);
                        acked += (before - model.len()) as u64;
                    }
                }
                Op::Dead(i) => {
                    if let Some((q, _)) = model.get(i).cloned() {
                        s.dead_letter(q, q, "test").expect("dead");
                        model.retain(|(x, _)| *x != q);
                        dead += 1;
                    }
                }
                Op::Reopen => {
                    drop(s);
                    s = Spool::open(dir.path(), limits).expect("reopen");
                }
            }
            let st = s.stats();
            prop_assert_eq!(st.next_seq, next);
            prop_assert_eq!(st.depth, model.len() as u64);
            prop_assert_eq!((st.dropped_oldest, st.acknowledged, st.dead_letters), (dropped, acked, dead));
        }
        // Read everything back in batches (which stop at dead-letter gaps).
        let mut got = Vec::new();
        loop {
            let rows = s.peek(7, 1 << 20).expect("peek");
            let (Some(a), Some(z)) = (rows.first(), rows.last()) else { break };
            let (a, z) = (a.seq, z.seq);
            got.extend(rows.into_iter().map(|r| (r.seq, r.line)));
            s.acknowledge(a, z).expect("ack");
        }
        prop_assert_eq!(got, model.into_iter().collect::<Vec<_>>());
    }
}
