//! `skytrace serve` and `skytrace admin`: the tracking server and its administration on the embedded store.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Configuration file (TOML); `SKYTRACE_*` environment variables override it, flags override both.
    #[arg(long, value_name = "FILE", env = "SKYTRACE_CONFIG")]
    config: Option<PathBuf>,
    /// Directory of the embedded database [default: ./skytrace-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
}

pub fn serve(args: ServeArgs) -> Result<ExitCode> {
    let mut config = server::Config::load(args.config.as_deref())?;
    if let Some(d) = args.data_dir {
        config.data_dir = d;
    }
    if let Some(l) = args.listen {
        config.listen = l;
    }
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(server::run(config, server::shutdown_signal()))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// Directory of the embedded database.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "skytrace-data",
        env = "SKYTRACE_DATA_DIR"
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AdminCommand {
    /// Users of the console and the API.
    #[command(subcommand)]
    User(UserCommand),
    /// Sensors that post detections.
    #[command(subcommand)]
    Sensor(SensorCommand),
}

#[derive(Debug, clap::Subcommand)]
enum UserCommand {
    /// Adds a user; the password is read from standard input (one line).
    Add {
        name: String,
        /// admin, operator or viewer. Only admin and operator see pilot and home positions by default.
        #[arg(long, default_value = "viewer")]
        role: String,
    },
    /// Lists users.
    List,
    /// Creates an API token for a user (for integrations); printed once.
    Token {
        name: String,
        /// What the token is for.
        #[arg(long, default_value = "api")]
        label: String,
    },
}

#[derive(Debug, clap::Subcommand)]
enum SensorCommand {
    /// Registers a sensor and prints its token (last line). Only a hash is stored: keep the token.
    Add { name: String },
}

pub fn admin(args: AdminArgs) -> Result<ExitCode> {
    let dir = &args.data_dir;
    match args.command {
        AdminCommand::User(UserCommand::Add { name, role }) => {
            let Some(role) = store::Role::parse(&role) else {
                bail!("unknown role {role:?}: use admin, operator or viewer");
            };
            let password = read_password()?;
            let id = store::admin::user_add(dir, &name, role, &password)?;
            println!("user {name} ({}) added with id {id}", role.as_str());
        }
        AdminCommand::User(UserCommand::List) => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{:<6} {:<24} ROLE", "ID", "NAME")?;
            for u in store::admin::user_list(dir)? {
                writeln!(out, "{:<6} {:<24} {}", u.id, u.name, u.role.as_str())?;
            }
        }
        AdminCommand::User(UserCommand::Token { name, label }) => {
            let token = store::admin::token_add(dir, &name, &label)?;
            println!("API token for {name} ({label}), shown once:");
            println!("{token}");
        }
        AdminCommand::Sensor(SensorCommand::Add { name }) => {
            let token = store::admin::sensor_add(dir, &name)?;
            println!("sensor {name} registered; its token, shown once:");
            println!("{token}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line from standard input (a prompt only when a person is typing).
fn read_password() -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password: ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    if pw.len() < 8 {
        bail!("the password must have at least 8 characters");
    }
    Ok(pw)
}
