//! Frame success rate against in-band SNR, whole receive chain, seeded Monte-Carlo:
//! `cargo run --release -p dsp --example sensitivity -- [TRIALS] [OUT_DIR]` writes `sensitivity.csv` and
//! `sensitivity.png` into OUT_DIR (default `docs/`).
//!
//! Each trial sends one random frame (a random 10–170-byte record, CRC16, CRC24A) as a 9-symbol burst at
//! 15.36 MSps with a random carrier offset (±20 kHz) and start, adds white noise at the set in-band SNR
//! (noise power measured over the 9 MHz occupied band) and runs the streaming receiver — detection,
//! timing, CFO, channel estimate, demapping, FEC — with the turbo decoder and with the research receiver's
//! method (hard decisions on one copy of the systematic bits, `DecodeMode::SystematicHard`), on the same
//! noise. Success means exactly the sent transport block comes out.
//!
//! The PNG is drawn by hand (a few lines, rectangles and a 5×7 digit font) so that no system font is needed.

use std::io::Write;
use std::path::PathBuf;

use dsp::fec::DecodeMode;
use dsp::phy::BurstKind;
use dsp::rx::{Receiver, ReceiverConfig};
use dsp::tx::{Channel, Modulator};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SNRS: std::ops::RangeInclusive<i32> = -6..=12;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let trials: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(200);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "docs".into()));
    std::fs::create_dir_all(&dir)?;
    let modes = [DecodeMode::Turbo, DecodeMode::SystematicHard];
    let mut modulator = Modulator::new();
    let mut receivers: Vec<Receiver> = modes
        .iter()
        .map(|&mode| {
            Receiver::new(ReceiverConfig {
                mode,
                ..ReceiverConfig::new(15.36e6)
            })
        })
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    let mut burst = Vec::new();
    let mut out = Vec::new();
    let t0 = std::time::Instant::now();
    for snr in SNRS {
        let mut ok = [0usize; 2];
        let mut detected = [0usize; 2];
        for trial in 0..trials {
            let seed = (snr + 100) as u64 * 1_000_003 + trial as u64;
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let len = rng.gen_range(10..=170);
            let record: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            let tb = dsp::frame::build(&record)?;
            modulator.modulate(&tb, BurstKind::Nine, &mut burst);
            let ch = Channel {
                freq_offset_hz: rng.gen_range(-20e3..20e3),
                lead: rng.gen_range(3000..8000),
                tail: 4000,
                snr_db: Some(f64::from(snr)),
                gain: 0.1,
                seed,
                ..Channel::new()
            };
            let x = ch.apply(&burst)?;
            for (i, rx) in receivers.iter_mut().enumerate() {
                // A fresh receiver per trial: no noise-floor history carried from the previous SNR.
                *rx = Receiver::new(rx.config().clone())?;
                out.clear();
                for c in x.chunks(8192) {
                    rx.push(c, &mut out);
                }
                rx.finish(&mut out);
                detected[i] += usize::from(!out.is_empty());
                let good =
                    out.len() == 1 && out[0].transport_block().is_some_and(|b| b.bytes == tb);
                ok[i] += usize::from(good);
                if !good && i == 0 && snr >= 0 && std::env::var_os("SENSITIVITY_VERBOSE").is_some()
                {
                    eprintln!("failed: snr {snr} trial {trial} channel {ch:?}\n{out:#?}");
                }
            }
        }
        let rate = |n: usize| n as f64 / trials as f64;
        eprintln!(
            "{snr:+3} dB: turbo {:5.1} %  systematic-hard {:5.1} %  detected {:5.1} %",
            100.0 * rate(ok[0]),
            100.0 * rate(ok[1]),
            100.0 * rate(detected[0])
        );
        rows.push((snr, rate(ok[0]), rate(ok[1]), rate(detected[0])));
    }
    eprintln!(
        "{} trials per point in {:.1} s",
        trials,
        t0.elapsed().as_secs_f64()
    );
    let mut csv = std::fs::File::create(dir.join("sensitivity.csv"))?;
    writeln!(
        csv,
        "snr_db,turbo_success,systematic_hard_success,detected,trials"
    )?;
    for (snr, a, b, d) in &rows {
        writeln!(csv, "{snr},{a:.4},{b:.4},{d:.4},{trials}")?;
    }
    plot(&rows, &dir.join("sensitivity.png"))?;
    Ok(())
}

/// An RGB canvas with just enough drawing for a line chart.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Self {
        Canvas {
            w,
            h,
            px: vec![255; w * h * 3],
        }
    }

    fn set(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let i = (y as usize * self.w + x as usize) * 3;
            self.px[i..i + 3].copy_from_slice(&c);
        }
    }

    fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: [u8; 3]) {
        for y in y0..=y1 {
            for x in x0..=x1 {
                self.set(x, y, c);
            }
        }
    }

    /// A line `t` pixels thick (Bresenham with a square pen).
    fn line(&mut self, (mut x0, mut y0): (i64, i64), (x1, y1): (i64, i64), t: i64, c: [u8; 3]) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let mut err = dx + dy;
        loop {
            self.rect(x0 - t / 2, y0 - t / 2, x0 + t / 2, y0 + t / 2, c);
            if x0 == x1 && y0 == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x0 += sx;
            }
            if e2 <= dx {
                err += dx;
                y0 += sy;
            }
        }
    }

    /// Text in a 5×7 font scaled by `s` (digits, a few letters and signs; others are blank).
    fn text(&mut self, x: i64, y: i64, s: i64, text: &str, c: [u8; 3]) {
        for (i, ch) in text.chars().enumerate() {
            let rows = glyph(ch);
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..5 {
                    if bits & (0x10 >> col) != 0 {
                        let px = x + (i as i64 * 6 + col) * s;
                        let py = y + r as i64 * s;
                        self.rect(px, py, px + s - 1, py + s - 1, c);
                    }
                }
            }
        }
    }

    fn save(&self, path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
        let file = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut enc = png::Encoder::new(file, self.w as u32, self.h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()?.write_image_data(&self.px)?;
        Ok(())
    }
}

/// 5×7 glyphs, one byte per row, high bit on the left.
fn glyph(c: char) -> [u8; 7] {
    match c {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '-' => [0, 0, 0, 0x1F, 0, 0, 0],
        '+' => [0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        '.' => [0, 0, 0, 0, 0, 0x0C, 0x0C],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'Y' => [0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        _ => [0; 7],
    }
}

/// Success rate (0..100 %) against SNR: turbo in blue, systematic-hard in red, detection in grey.
fn plot(
    rows: &[(i32, f64, f64, f64)],
    path: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let (w, h) = (900i64, 560i64);
    let (l, r, t, b) = (90i64, 30i64, 60i64, 80i64);
    let mut cv = Canvas::new(w as usize, h as usize);
    let (lo, hi) = (*SNRS.start(), *SNRS.end());
    let xs = |snr: f64| {
        l + ((snr - f64::from(lo)) / f64::from(hi - lo) * (w - l - r) as f64).round() as i64
    };
    let ys = |p: f64| h - b - (p * (h - t - b) as f64).round() as i64;
    let grey = [200, 200, 200];
    let black = [0, 0, 0];
    for snr in (lo..=hi).step_by(2) {
        let x = xs(f64::from(snr));
        cv.line((x, t), (x, h - b), 1, grey);
        let label = format!("{snr}");
        cv.text(x - label.len() as i64 * 6, h - b + 12, 2, &label, black);
    }
    for pct in (0..=100).step_by(10) {
        let y = ys(f64::from(pct) / 100.0);
        cv.line((l, y), (w - r, y), 1, grey);
        let label = format!("{pct}");
        cv.text(l - 12 - label.len() as i64 * 12, y - 7, 2, &label, black);
    }
    // The goals: 90 % at 0 dB and 50 % at −2 dB.
    for (snr, p) in [(0.0, 0.9), (-2.0, 0.5)] {
        let (x, y) = (xs(snr), ys(p));
        cv.rect(x - 5, y - 5, x + 5, y + 5, [0, 160, 0]);
    }
    cv.line((l, t), (l, h - b), 2, black);
    cv.line((l, h - b), (w - r, h - b), 2, black);
    let series: [(usize, [u8; 3], &str); 3] = [
        (3, [160, 160, 160], "DETECTED"),
        (2, [220, 40, 40], "SYSTEMATIC HARD"),
        (1, [30, 80, 220], "TURBO"),
    ];
    for (k, (col, colour, name)) in series.iter().enumerate() {
        let pts: Vec<(i64, i64)> = rows
            .iter()
            .map(|row| {
                let v = match col {
                    1 => row.1,
                    2 => row.2,
                    _ => row.3,
                };
                (xs(f64::from(row.0)), ys(v))
            })
            .collect();
        for pair in pts.windows(2) {
            cv.line(pair[0], pair[1], 3, *colour);
        }
        for &(x, y) in &pts {
            cv.rect(x - 3, y - 3, x + 3, y + 3, *colour);
        }
        let ly = t + 10 + k as i64 * 22;
        cv.rect(w - r - 260, ly, w - r - 236, ly + 12, *colour);
        cv.text(w - r - 226, ly, 2, name, black);
    }
    let ly = t + 10 + 3 * 22;
    cv.rect(w - r - 254, ly, w - r - 242, ly + 12, [0, 160, 0]);
    cv.text(w - r - 226, ly, 2, "GOALS", black);
    cv.text(l, 18, 3, "FRAME SUCCESS % VS IN-BAND SNR DB", black);
    cv.text(w / 2 - 80, h - 34, 2, "IN-BAND SNR DB", black);
    cv.save(path)
}
