//! Decodes a recording and prints one line per burst: `cargo run --release -p dsp --example decode -- FILE
//! [FORMAT SAMPLE_RATE]`.

use std::path::Path;

use dsp::rx::{decode_file, DecodeOptions, Outcome};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: decode FILE [FORMAT SAMPLE_RATE]")?;
    let mut opts = DecodeOptions::default();
    if let Some(f) = args.next() {
        opts.source.format = Some(f.parse()?);
    }
    if let Some(r) = args.next() {
        opts.source.sample_rate = Some(r.parse()?);
    }
    let t = std::time::Instant::now();
    let bursts = decode_file(Path::new(&path), &opts)?;
    for b in &bursts {
        let what = match &b.outcome {
            Outcome::Decoded(tb) => {
                tb.bytes
                    .iter()
                    .take(24)
                    .map(|x| format!("{x:02x}"))
                    .collect::<String>()
                    + "…"
            }
            Outcome::Failed(e) => format!("failed: {e}"),
            Outcome::Truncated => "truncated (dropped)".into(),
        };
        println!(
            "{:>9} {:>10.6}s {:+12.1} Hz cfo {:+9.1} snr {:5.1} dB bw {:4.1} MHz sym {} cp {:.3} zc {:.3} gold {:?}  {what}",
            b.start_sample,
            b.start_time_s,
            b.freq_offset_hz,
            b.cfo_hz,
            b.snr_db,
            b.bandwidth_hz / 1e6,
            b.symbols,
            b.cp_metric,
            b.zc_coherence,
            b.gold_errors,
        );
    }
    eprintln!(
        "{} bursts in {:.3} s",
        bursts.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
