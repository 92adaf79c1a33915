//! A minimal `skytrace serve` for tests and manual runs before the CLI wires [`server::run`]:
//! `serve [--config FILE] [--data-dir DIR] [--listen ADDR]`. Stops on Ctrl-C or SIGTERM.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut file, mut data_dir, mut listen) = (None, None, None);
    while let Some(a) = args.next() {
        let v = args
            .next()
            .ok_or_else(|| anyhow::anyhow!("{a} needs a value"))?;
        match a.as_str() {
            "--config" => file = Some(PathBuf::from(v)),
            "--data-dir" => data_dir = Some(PathBuf::from(v)),
            "--listen" => listen = Some(v.parse()?),
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    let mut config = server::Config::load(file.as_deref())?;
    // Flags win over the file and the environment.
    if let Some(d) = data_dir {
        config.data_dir = d;
    }
    if let Some(l) = listen {
        config.listen = l;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(server::run(config, server::shutdown_signal()))
}
