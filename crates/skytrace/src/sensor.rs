//! `skytrace sensor`: flags → [`sensor::Config`] → [`sensor::run`]. Precedence: flags, then
//! `SKYTRACE_SENSOR_*` variables, then the `--config` file, then defaults.

use anyhow::{Context, Result};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
EXAMPLES:
  skytrace sensor --server https://sky.example.org --token T --spool-dir /var/lib/skytrace/spool \\
      --source wifi:wlan1 --source ble:hci0 --lat 55.37 --lon 10.43
  skytrace sensor --server http://127.0.0.1:8080 --token T --spool-dir spool \\
      --source pcap:capture.pcapng --rate 1000 --loop

Every detection is committed to the spool (SQLite) with a sequence number before it is sent; batches are
deleted only once the server acknowledges them, so nothing is lost when the link or the server drops.
With only file sources (and no --loop), the sensor exits once everything is acknowledged. A restarted
replay resumes after what its spool already holds.")]
pub struct Args {
    /// TOML configuration file (fields as the long flags, with underscores; see the README).
    #[arg(long, value_name = "FILE", env = "SKYTRACE_SENSOR_CONFIG")]
    config: Option<PathBuf>,
    /// Server base URL, http:// or https:// (TLS by rustls).
    #[arg(long, value_name = "URL", env = "SKYTRACE_SENSOR_SERVER")]
    server: Option<String>,
    /// The sensor's token (`skytrace admin sensor add NAME`).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SKYTRACE_SENSOR_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// Extra CA certificate (PEM) to trust for the server.
    #[arg(long, value_name = "FILE", env = "SKYTRACE_SENSOR_CA_CERT")]
    ca_cert: Option<PathBuf>,
    /// Directory of the durable spool.
    #[arg(long, value_name = "DIR", env = "SKYTRACE_SENSOR_SPOOL_DIR")]
    spool_dir: Option<PathBuf>,
    /// Spool limit in MiB of detection lines; beyond it the oldest are dropped (counted, reported).
    #[arg(long, value_name = "MB", env = "SKYTRACE_SENSOR_SPOOL_MAX_MB")]
    spool_max_mb: Option<f64>,
    /// Spool limit in lines; beyond it the oldest are dropped (counted, reported).
    #[arg(long, value_name = "N", env = "SKYTRACE_SENSOR_SPOOL_MAX_ROWS")]
    spool_max_rows: Option<u64>,
    /// A source, repeatable: pcap:FILE, iq:FILE (replays), wifi:IFACE, ble:ADAPTER, sdr:ARGS (live).
    #[arg(long = "source", value_name = "KIND:ARG")]
    sources: Vec<sensor::SourceSpec>,
    /// Replays: detections per second (default: the capture's own pace).
    #[arg(
        long,
        value_name = "N",
        env = "SKYTRACE_SENSOR_RATE",
        help_heading = "Replays"
    )]
    rate: Option<f64>,
    /// Replays: start again at the end, time stamps shifted onto the wall clock.
    #[arg(long = "loop", help_heading = "Replays")]
    repeat: bool,
    /// Replays with --loop: stop after this many passes.
    #[arg(long, value_name = "N", requires = "repeat", help_heading = "Replays")]
    loops: Option<u64>,
    /// IQ replays: sample format (cf32, ci16, ci8, cu8) when the name does not tell.
    #[arg(long, value_name = "FORMAT", help_heading = "Replays")]
    iq_format: Option<String>,
    /// IQ replays: sample rate, Hz.
    #[arg(long, value_name = "HZ", help_heading = "Replays")]
    sample_rate: Option<f64>,
    /// IQ replays: centre frequency, Hz.
    #[arg(long, value_name = "HZ", help_heading = "Replays")]
    center_freq: Option<f64>,
    /// wifi: sources: channels to hop over, in order [default: 6,149].
    #[arg(
        long,
        value_name = "N,N...",
        value_delimiter = ',',
        env = "SKYTRACE_SENSOR_WIFI_CHANNELS",
        help_heading = "Live sources"
    )]
    wifi_channels: Option<Vec<u16>>,
    /// wifi: sources: time on each channel, ms (channels of the file with their own dwell keep it)
    /// [default: 1000].
    #[arg(
        long,
        value_name = "MS",
        env = "SKYTRACE_SENSOR_WIFI_DWELL_MS",
        help_heading = "Live sources"
    )]
    wifi_dwell_ms: Option<u64>,
    /// wifi: sources: never change the channel (another tool owns the radio).
    #[arg(long, help_heading = "Live sources")]
    wifi_no_hop: bool,
    /// ble: sources: auto, monitor (passive only) or discovery (active) [default: auto].
    #[arg(
        long,
        value_name = "MODE",
        env = "SKYTRACE_SENSOR_BLE_SCAN",
        help_heading = "Live sources"
    )]
    ble_scan: Option<sensor::source::settings::ScanMode>,
    /// sdr: sources: receive gain, dB [default: the radio's automatic gain].
    #[arg(
        long,
        value_name = "DB",
        env = "SKYTRACE_SENSOR_SDR_GAIN_DB",
        help_heading = "Live sources"
    )]
    sdr_gain_db: Option<f64>,
    /// sdr: sources: sample rate, Hz [default: 20e6].
    #[arg(
        long,
        value_name = "HZ",
        env = "SKYTRACE_SENSOR_SDR_SAMPLE_RATE",
        help_heading = "Live sources"
    )]
    sdr_sample_rate: Option<f64>,
    /// sdr: sources: centre frequencies to sweep, MHz [default: the DroneID channel list].
    #[arg(
        long,
        value_name = "MHZ,MHZ...",
        value_delimiter = ',',
        env = "SKYTRACE_SENSOR_SDR_CHANNELS_MHZ",
        help_heading = "Live sources"
    )]
    sdr_channels_mhz: Option<Vec<f64>>,
    /// Most detections per uplink batch [default: 1000].
    #[arg(
        long,
        value_name = "N",
        env = "SKYTRACE_SENSOR_BATCH_LINES",
        help_heading = "Uplink"
    )]
    batch_lines: Option<usize>,
    /// Longest wait between reconnection attempts, seconds [default: 30].
    #[arg(
        long,
        value_name = "S",
        env = "SKYTRACE_SENSOR_RETRY_MAX_S",
        help_heading = "Uplink"
    )]
    retry_max_s: Option<f64>,
    /// Seconds between heartbeats [default: 10].
    #[arg(
        long,
        value_name = "S",
        env = "SKYTRACE_SENSOR_HEARTBEAT_S",
        help_heading = "Health"
    )]
    heartbeat_s: Option<f64>,
    /// Fixed position: latitude, degrees.
    #[arg(
        long,
        value_name = "DEG",
        env = "SKYTRACE_SENSOR_LAT",
        allow_hyphen_values = true,
        help_heading = "Health"
    )]
    lat: Option<f64>,
    /// Fixed position: longitude, degrees.
    #[arg(
        long,
        value_name = "DEG",
        env = "SKYTRACE_SENSOR_LON",
        allow_hyphen_values = true,
        help_heading = "Health"
    )]
    lon: Option<f64>,
    /// Fixed position: altitude, metres.
    #[arg(
        long,
        value_name = "M",
        env = "SKYTRACE_SENSOR_ALT",
        allow_hyphen_values = true,
        help_heading = "Health"
    )]
    alt: Option<f64>,
    /// Take the position from gpsd (JSON protocol) [address default: 127.0.0.1:2947].
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:2947",
          env = "SKYTRACE_SENSOR_GPSD", help_heading = "Health")]
    gpsd: Option<String>,
    /// Print a status line on stderr every 5 s (default when stderr is a terminal).
    #[arg(long, help_heading = "Health")]
    status: bool,
    /// Serve the status as JSON on this local address, e.g. 127.0.0.1:9090.
    #[arg(
        long,
        value_name = "ADDR",
        env = "SKYTRACE_SENSOR_STATUS_LISTEN",
        help_heading = "Health"
    )]
    status_listen: Option<SocketAddr>,
}

/// The configuration the flags, variables and file give.
///
/// # Errors
///
/// The configuration file cannot be read or parsed.
pub fn config(args: Args) -> Result<sensor::Config> {
    let mut c = match &args.config {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            sensor::Config::from_toml(&text)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("{}", p.display()))?
        }
        None => sensor::Config::default(),
    };
    macro_rules! set {
        ($($flag:ident => $field:expr),* $(,)?) => {
            $(if let Some(v) = args.$flag { $field = v; })*
        };
    }
    set!(server => c.server, token => c.token, spool_dir => c.spool_dir,
         batch_lines => c.batch_lines, retry_max_s => c.retry_max_s, heartbeat_s => c.heartbeat_s);
    macro_rules! set_opt {
        ($($flag:ident => $field:expr),* $(,)?) => {
            $(if args.$flag.is_some() { $field = args.$flag; })*
        };
    }
    set_opt!(ca_cert => c.ca_cert, spool_max_mb => c.spool_max_mb, spool_max_rows => c.spool_max_rows,
             rate => c.replay.rate, loops => c.replay.loops, iq_format => c.iq_format,
             sample_rate => c.sample_rate, center_freq => c.center_freq, lat => c.lat, lon => c.lon,
             alt => c.alt_m, gpsd => c.gpsd, status_listen => c.status_listen);
    if let Some(chs) = args.wifi_channels {
        c.wifi.channels = chs
            .into_iter()
            .map(sensor::source::settings::ChannelEntry::Number)
            .collect();
    }
    set_opt!(sdr_gain_db => c.sdr.gain_db);
    set!(wifi_dwell_ms => c.wifi.dwell_ms, ble_scan => c.ble.scan,
         sdr_sample_rate => c.sdr.sample_rate, sdr_channels_mhz => c.sdr.channels_mhz);
    if args.wifi_no_hop {
        c.wifi.hop = false;
    }
    if !args.sources.is_empty() {
        c.sources = args.sources;
    }
    if args.repeat {
        c.replay.repeat = true;
    }
    if args.status {
        c.status = Some(true);
    }
    if c.status.is_none() {
        c.status = Some(std::io::stderr().is_terminal());
    }
    Ok(c)
}

/// The `sensor` command.
///
/// # Errors
///
/// See [`sensor::run`].
pub fn run(args: Args) -> Result<ExitCode> {
    let cfg = config(args)?;
    let stop = sensor::topology::stop_on_signals().context("installing signal handlers")?;
    let out = sensor::run(&cfg, stop)?;
    let s = &out.status;
    eprintln!(
        "skytrace: sensor stopped: {} detections acknowledged, {} in the spool, {} dropped (spool full), {} dead letters",
        s.spool.acknowledged, s.spool.depth, s.spool.dropped_oldest, s.spool.dead_letters
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    /// Flags win over the file; the file fills what flags leave out.
    #[test]
    fn flags_override_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sensor.toml");
        std::fs::write(
            &file,
            "server = \"http://file:1\"\ntoken = \"file-token\"\nspool_dir = \"/s\"\n\
             sources = [\"pcap:a.pcap\"]\nheartbeat_s = 5.0\n[replay]\nrate = 10.0\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let cli = Cli::try_parse_from([
            "x",
            "--config",
            f,
            "--server",
            "http://flag:2",
            "--rate",
            "99",
            "--loop",
            "--lat",
            "-33.5",
        ])
        .unwrap();
        let c = config(cli.args).unwrap();
        assert_eq!(c.server, "http://flag:2");
        assert_eq!(c.token, "file-token");
        assert_eq!(c.replay.rate, Some(99.0));
        assert!(c.replay.repeat);
        assert_eq!(c.heartbeat_s, 5.0);
        assert_eq!(c.lat, Some(-33.5));
        assert_eq!(
            c.sources,
            vec!["pcap:a.pcap".parse::<sensor::SourceSpec>().unwrap()]
        );
        let cli =
            Cli::try_parse_from(["x", "--source", "wifi:wlan0", "--source", "ble:hci0"]).unwrap();
        assert_eq!(config(cli.args).unwrap().sources.len(), 2);
        // A bad file names itself and the field.
        std::fs::write(&file, "sever = 1\n").unwrap();
        let cli = Cli::try_parse_from(["x", "--config", f]).unwrap();
        let e = format!("{:#}", config(cli.args).unwrap_err());
        assert!(e.contains("sensor.toml") && e.contains("sever"), "{e}");
    }

    /// The live sources' tables: flags replace what they name, the file keeps the rest.
    #[test]
    fn live_source_flags_override_the_tables() {
        use sensor::source::settings::{ChannelDwell, ChannelEntry, ScanMode};
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sensor.toml");
        std::fs::write(
            &file,
            "[wifi]\nchannels = [1, { channel = 149, dwell_ms = 250 }]\ndwell_ms = 400\nsnaplen = 512\n\
             [ble]\nscan = \"monitor\"\nqueue = 16\n[sdr]\ngain_db = 10.0\nqueue = 8\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let c = config(Cli::try_parse_from(["x", "--config", f]).unwrap().args).unwrap();
        assert_eq!(
            c.wifi.channels,
            [
                ChannelEntry::Number(1),
                ChannelEntry::WithDwell(ChannelDwell {
                    channel: 149,
                    dwell_ms: 250
                })
            ]
        );
        assert_eq!(
            (c.wifi.dwell_ms, c.wifi.snaplen, c.wifi.hop),
            (400, 512, true)
        );
        assert_eq!((c.ble.scan, c.ble.queue), (ScanMode::Monitor, 16));
        assert_eq!((c.sdr.gain_db, c.sdr.queue), (Some(10.0), 8));

        let cli = Cli::try_parse_from([
            "x",
            "--config",
            f,
            "--wifi-channels",
            "6,149,44",
            "--wifi-dwell-ms",
            "700",
            "--wifi-no-hop",
            "--ble-scan",
            "discovery",
            "--sdr-gain-db",
            "32.5",
            "--sdr-sample-rate",
            "15.36e6",
            "--sdr-channels-mhz",
            "2414.5,2429.5",
        ])
        .unwrap();
        let c = config(cli.args).unwrap();
        assert_eq!(
            c.wifi.channels,
            [6, 149, 44].map(ChannelEntry::Number),
            "the flag's list replaces the file's"
        );
        assert_eq!(
            (c.wifi.dwell_ms, c.wifi.snaplen, c.wifi.hop),
            (700, 512, false)
        );
        assert_eq!((c.ble.scan, c.ble.queue), (ScanMode::Discovery, 16));
        assert_eq!(
            (c.sdr.gain_db, c.sdr.sample_rate, c.sdr.queue),
            (Some(32.5), 15.36e6, 8)
        );
        assert_eq!(c.sdr.channels_mhz, [2414.5, 2429.5]);

        let e = Cli::try_parse_from(["x", "--ble-scan", "sniff"])
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .contains("expected auto, monitor or discovery"),
            "{e}"
        );
        let e = Cli::try_parse_from(["x", "--wifi-channels", "6,x"])
            .err()
            .unwrap();
        assert!(e.to_string().contains("--wifi-channels"), "{e}");
    }
}
