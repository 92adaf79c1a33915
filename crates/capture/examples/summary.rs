//! Decodes capture files and prints per-file counters: `cargo run --release -p capture --example summary
//! -- FILE...`. A quick check of the library without the CLI.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut total = capture::Stats::default();
    for path in std::env::args().skip(1) {
        let mut dec = match capture::open(&path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        for ev in dec.by_ref() {
            if let Err(e) = ev {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
        let s = dec.stats();
        let by: Vec<String> = s.by_transport().map(|(t, n)| format!("{t}={n}")).collect();
        let dropped: Vec<String> = s
            .dropped_by_reason()
            .map(|(r, n)| format!("{r}={n}"))
            .collect();
        println!(
            "{path}: frames={} detections[{}] other={} dropped[{}]",
            s.frames_read,
            by.join(" "),
            s.frames_other,
            dropped.join(" ")
        );
        total.merge(s);
    }
    println!(
        "total frames={} bytes={}",
        total.frames_read, total.bytes_read
    );
    ExitCode::SUCCESS
}
