//! `skytrace`: open drone detection and tracking. This binary only parses flags, sets up logging and calls
//! the command modules; the work is done by the library crates.

mod decode;
mod demo;
mod output;
mod replay;
mod sensor;
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc, with malloc/free overridden so that SQLite's allocations go through it too: the C allocator was a
/// third of the server's write path (docs/PERFORMANCE.md, "Server ingest").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Open, vendor-neutral drone detection: decode Remote ID (ASTM F3411 / ASD-STAN over Wi-Fi Beacon, Wi-Fi NAN,
/// Bluetooth 4 and 5), DJI DroneID (Wi-Fi and OcuSync) and the French beacon from captures and radios.
///
/// Everything runs offline: skytrace never opens a connection you did not configure.
#[derive(Debug, Parser)]
#[command(name = "skytrace", version, propagate_version = true)]
struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors on stderr, and no progress bars.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "SKYTRACE_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode every drone broadcast in capture files (pcap, pcapng, btsnoop) and IQ recordings (SigMF, raw).
    ///
    /// Prints one JSON object per received frame that carried a broadcast (the default when stdout is not a
    /// terminal), or a table. Malformed frames inside a good file are counted and reported with --summary;
    /// an unreadable or unknown file is an error (exit status 1 after the other files are done).
    Decode(decode::Args),
    /// Run the tracking server: sensor ingest, tracks, zones, alerts, history and the API, on an embedded
    /// database.
    Serve(serve::ServeArgs),
    /// Administer the server's database: users, API tokens, sensors.
    Admin(serve::AdminArgs),
    /// Decode captures and IQ recordings and post the detections to a server as a sensor would, in capture
    /// time (--speed) or as fast as possible (--fast).
    Replay(replay::Args),
    /// Start the server on a temporary database with a demo login, zones and a sensor that replays the
    /// real captures (or simulated aircraft) in a loop; prints the console address that signs you in.
    Demo(demo::Args),
    /// Run a sensor: capture (Wi-Fi, BLE, SDR) or replay files, decode at the edge, spool every detection
    /// to disk and deliver it to a server at least once, with heartbeats.
    Sensor(Box<sensor::Args>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let result = match cli.command {
        Command::Decode(args) => decode::run(args, cli.quiet),
        Command::Serve(args) => serve::serve(args),
        Command::Admin(args) => serve::admin(args),
        Command::Replay(args) => replay::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Sensor(args) => sensor::run(*args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("skytrace: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let default = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        // A server's log is its record of what happened; a decode run only warns.
        (false, 0) if matches!(cli.command, Command::Serve(_) | Command::Sensor(_)) => "info",
        // The demo prints its banner on stdout; its log only warns.
        (false, 0) => "warn",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
