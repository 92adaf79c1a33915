//! The skytrace server: `skytrace serve`.
//!
//! - [`Config`] ([`config`]): defaults, TOML file, `SKYTRACE_*` environment overrides.
//! - [`AppState`]: the storage back-end (a [`store::Backend`]: [`store::Store`] on SQLite), the configuration, the live-event channel, the zone index, the
//!   tracker and alert rules ([`fusion::Fusion`]) and the metrics, shared by every handler.
//! - [`app`] builds the [`axum::Router`] (one router per resource in [`routes`], merged in one place);
//!   [`serve`] runs it on a bound listener until a shutdown future resolves; [`run`] does both from a
//!   [`Config`] and is what the binary calls.
//! - [`ApiError`] ([`error`]) is the one error type of the HTTP layer.
//!
//! Only this crate knows HTTP and JSON DTOs: store rows and `track` types are converted at the boundary in
//! [`routes`]. The server opens no outbound connection.

pub mod auth;
pub mod config;
pub mod error;
pub mod fusion;
pub mod metrics;
pub mod routes;

pub use config::Config;
pub use error::ApiError;

use axum::Router;
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

/// A clock in Unix milliseconds; tests replace it to control time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    })
}

/// Something that happened, for the live stream.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    Track(store::TrackRow),
    /// Track row `from` was merged into `into` and deleted.
    Merged {
        into: i64,
        from: i64,
    },
    Alert(store::AlertRow),
    Sensor(store::Sensor),
}

/// The zones as stored and as a spatial index (rebuilt whenever zones change).
pub struct Zones {
    pub rows: Vec<store::ZoneRow>,
    pub index: track::zones::ZoneIndex,
}

/// Most stored alerts read back at start to restore the alert rules' state of the open tracks.
const RESTORE_ALERTS: i64 = 100_000;

/// State shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The storage back-end (SQLite today, see [`store::Backend`]).
    pub store: Arc<dyn store::Backend>,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub live: broadcast::Sender<Arc<LiveEvent>>,
    pub zones: Arc<RwLock<Arc<Zones>>>,
    /// The tracker and the alert rules (see [`fusion`]).
    pub fusion: Arc<Mutex<fusion::Fusion>>,
    pub metrics: Arc<metrics::Metrics>,
    /// Turns true at shutdown so that endless responses (the live stream) end and let the server stop.
    pub closing: watch::Receiver<bool>,
    closing_tx: Arc<watch::Sender<bool>>,
    /// Per sensor id, a sequence number at or above every one stored: a batch above it cannot be a replay,
    /// which spares the ingest path a database read per batch ([`AppState::may_hold_replays`]).
    seq_high: Arc<Mutex<std::collections::HashMap<i64, i64>>>,
}

impl AppState {
    /// Builds the state on an open store, loads the zones and gives the open tracks of a previous run back
    /// to the tracker ([`fusion::Fusion::restore`]).
    ///
    /// # Errors
    ///
    /// Store errors while loading zones.
    pub fn new(
        store: impl store::Backend + 'static,
        config: Config,
        clock: Clock,
    ) -> anyhow::Result<AppState> {
        let store: Arc<dyn store::Backend> = Arc::new(store);
        let (live, _) = broadcast::channel(16 * 1024);
        let (closing_tx, closing) = watch::channel(false);
        let boot = clock();
        let lists = (
            load_list(store.as_ref(), fusion::ALLOWLIST_KEY)?,
            load_list(store.as_ref(), fusion::WATCHLIST_KEY)?,
        );
        let s = AppState {
            store,
            config: Arc::new(config.clone()),
            clock,
            live,
            zones: Arc::new(RwLock::new(Arc::new(Zones {
                rows: Vec::new(),
                index: track::zones::ZoneIndex::new(Vec::new()),
            }))),
            fusion: Arc::new(Mutex::new(fusion::Fusion::new(
                config.tracker(),
                config.alerts(lists.0, lists.1),
                boot,
            ))),
            metrics: Arc::new(metrics::Metrics::new()),
            closing,
            closing_tx: Arc::new(closing_tx),
            seq_high: Arc::default(),
        };
        routes::zones::reload(&s)?;
        // The open tracks of the previous run go back to the tracker, so that they continue.
        let open = s.store.open_tracks()?;
        // With the alerts those tracks raised (the newest first, bounded), so that zone stays and cooldowns
        // continue too.
        let alerts = match open.iter().map(|t| t.first_seen_ms).min() {
            Some(since) => s.store.alerts(since, RESTORE_ALERTS)?,
            None => Vec::new(),
        };
        let zones = s.zones.read().map(|z| z.clone()).ok();
        if let Ok(mut f) = s.fusion.lock() {
            let n = f.restore(&open);
            let a = zones.map_or(0, |z| f.restore_alerts(&open, &alerts, &z.index));
            if n > 0 {
                tracing::info!(
                    tracks = n,
                    alerts = a,
                    "restored the open tracks of the previous run"
                );
            }
        }
        Ok(s)
    }

    /// Whether a batch of `sensor` starting at `first_seq` may repeat stored lines (and so needs
    /// [`store::Backend::existing_seqs`]): only when it does not start above everything stored. The first
    /// batch of a sensor in this process reads its highest stored number once.
    ///
    /// # Errors
    ///
    /// Store errors.
    pub fn may_hold_replays(&self, sensor: i64, first_seq: i64) -> store::Result<bool> {
        let known = self
            .seq_high
            .lock()
            .ok()
            .and_then(|m| m.get(&sensor).copied());
        let high = match known {
            Some(h) => h,
            None => {
                let h = self.store.max_seq(sensor)?.unwrap_or(-1);
                self.stored_up_to(sensor, h);
                h
            }
        };
        Ok(first_seq <= high)
    }

    /// Records that `sensor`'s lines up to `last_seq` may be stored (called once a batch is committed).
    pub fn stored_up_to(&self, sensor: i64, last_seq: i64) {
        if let Ok(mut m) = self.seq_high.lock() {
            let e = m.entry(sensor).or_insert(last_seq);
            *e = (*e).max(last_seq);
        }
    }

    /// The current time, Unix milliseconds.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Ends live streams (called when shutdown starts).
    pub fn close_streams(&self) {
        let _ = self.closing_tx.send(true);
    }

    /// Sends an event to live subscribers (none listening is fine).
    pub fn publish(&self, e: LiveEvent) {
        let _ = self.live.send(Arc::new(e));
    }
}

/// Reads one alert list from the settings table (missing: empty).
fn load_list(
    store: &dyn store::Backend,
    key: &str,
) -> anyhow::Result<std::collections::BTreeSet<track::Identity>> {
    let Some(v) = store.setting(key)? else {
        return Ok(Default::default());
    };
    let items: Vec<String> = serde_json::from_str(&v)?;
    fusion::parse_list(&items).map_err(|e| anyhow::anyhow!("setting {key}: {e:?}"))
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    routes::router(state)
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, then finishes in-flight requests.
///
/// # Errors
///
/// I/O errors of the listener.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let closer = state.clone();
    let ticker = tokio::spawn(tick_loop(state.clone()));
    let router = app(state);
    // No Nagle: the live stream is a flow of small events, and a small write held back until the
    // previous one is acknowledged (the client delays its acknowledgements) added ~20 ms to the
    // ingest-to-stream p99 (docs/PERFORMANCE.md).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
            closer.close_streams();
        })
        .await?;
    ticker.abort();
    Ok(())
}

/// Opens the store in `config.data_dir`, listens on `config.listen`, runs retention, and serves until
/// `shutdown` resolves. Acknowledged writes are committed before this returns.
///
/// # Errors
///
/// The store cannot be opened, the address cannot be bound, or the server fails.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = store::Store::open(&config.data_dir)?;
    let listener = TcpListener::bind(config.listen).await?;
    tracing::info!(listen = %listener.local_addr()?, data_dir = %config.data_dir.display(), "skytrace server listening");
    let state = AppState::new(store, config, system_clock())?;
    let retention = tokio::spawn(retention_loop(state.clone()));
    let r = serve(listener, state, shutdown).await;
    retention.abort();
    r
}

/// Resolves on Ctrl-C or SIGTERM: the shutdown future the binary passes to [`run`].
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Applies the tracker's timeouts once a second.
async fn tick_loop(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        routes::ingest::tick(&state).await;
    }
}

async fn retention_loop(state: AppState) {
    let days = state.config.retention_days;
    if days == 0 {
        return;
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let before = state.now().saturating_sub(i64::from(days) * 86_400_000);
        match state.store.purge_before(before).done().await {
            Ok(n) => tracing::info!(deleted = n, days, "retention purge"),
            Err(e) => tracing::error!(error = %e, "retention purge failed"),
        }
    }
}

/// Formats Unix milliseconds as RFC 3339 UTC (empty for times out of range).
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
