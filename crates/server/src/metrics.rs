//! Prometheus metrics (`GET /metrics`), kept in a registry owned by the state rather than a global, so that
//! several servers in one test process do not share counters.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Why a batch was refused.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    pub reason: String,
}

/// The server's counters.
pub struct Metrics {
    registry: Registry,
    pub batches: Counter,
    pub stored: Counter,
    pub duplicates: Counter,
    pub rejected: Family<Reason, Counter>,
    pub heartbeats: Counter,
    pub alerts: Counter,
    pub stream_clients: Gauge,
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("skytrace");
        let m = Metrics {
            batches: Counter::default(),
            stored: Counter::default(),
            duplicates: Counter::default(),
            rejected: Family::default(),
            heartbeats: Counter::default(),
            alerts: Counter::default(),
            stream_clients: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "ingest_batches",
            "Ingest batches committed",
            m.batches.clone(),
        );
        registry.register(
            "detections_stored",
            "Detections newly stored",
            m.stored.clone(),
        );
        registry.register(
            "detections_duplicate",
            "Replayed detections ignored",
            m.duplicates.clone(),
        );
        registry.register(
            "ingest_rejected",
            "Ingest batches refused, by reason",
            m.rejected.clone(),
        );
        registry.register(
            "heartbeats",
            "Sensor heartbeats received",
            m.heartbeats.clone(),
        );
        registry.register("alerts", "Alerts raised", m.alerts.clone());
        registry.register(
            "stream_clients",
            "Connected live-stream clients",
            m.stream_clients.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Counts a refused batch.
    pub fn reject(&self, reason: &str) {
        self.rejected
            .get_or_create(&Reason {
                reason: reason.into(),
            })
            .inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut s, &self.registry);
        s
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}
