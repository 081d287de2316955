//! The exporter's own metrics (`GET /metrics`): probes run by module and result, their durations, probes
//! in flight and waiting, configuration reloads. Module labels only take configured module names, so the
//! label sets stay bounded whatever clients send.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// How a probe request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    /// The probe ran and `probe_success` was 1.
    Success,
    /// The probe ran and `probe_success` was 0.
    Failure,
    /// 403: outside the allowlist.
    Forbidden,
    /// 400: a malformed request (no target, unknown module, bad parameters).
    BadRequest,
    /// 503: too many probes in flight or waiting.
    Overloaded,
}

impl OutcomeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Forbidden => "forbidden",
            Self::BadRequest => "bad_request",
            Self::Overloaded => "overloaded",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ProbeLabels {
    module: String,
    result: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ModuleLabel {
    module: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct VersionLabel {
    version: String,
}

/// The metrics and the registry that encodes them.
#[derive(Debug)]
pub struct OwnMetrics {
    registry: Registry,
    probes: Family<ProbeLabels, Counter>,
    durations: Family<ModuleLabel, Histogram>,
    pub in_flight: Gauge,
    pub pending: Gauge,
    reload_ok: Gauge,
    reload_time: Gauge<f64, AtomicU64>,
}

fn duration_histogram() -> Histogram {
    Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0])
}

impl OwnMetrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let probes = Family::<ProbeLabels, Counter>::default();
        let durations = Family::<ModuleLabel, Histogram>::new_with_constructor(duration_histogram as fn() -> Histogram);
        let in_flight = Gauge::default();
        let pending = Gauge::default();
        let reload_ok = Gauge::default();
        let reload_time = Gauge::<f64, AtomicU64>::default();
        let build = Family::<VersionLabel, Gauge>::default();
        build.get_or_create(&VersionLabel { version: env!("CARGO_PKG_VERSION").to_owned() }).set(1);
        registry.register(
            "rdp_doctor_exporter_probes",
            "Probe requests by module and result (success, failure, forbidden, bad_request, overloaded)",
            probes.clone(),
        );
        registry.register(
            "rdp_doctor_exporter_probe_duration_seconds",
            "Time from a probe request to its answer, by module",
            durations.clone(),
        );
        registry.register("rdp_doctor_exporter_probes_in_flight", "Probes running now", in_flight.clone());
        registry.register(
            "rdp_doctor_exporter_probes_pending",
            "Probe requests waiting for a free slot (limits.max_concurrent_probes)",
            pending.clone(),
        );
        registry.register(
            "rdp_doctor_exporter_config_last_reload_successful",
            "1 when the last configuration load succeeded",
            reload_ok.clone(),
        );
        registry.register(
            "rdp_doctor_exporter_config_last_reload_success_timestamp_seconds",
            "When the configuration was last loaded successfully, in unixtime",
            reload_time.clone(),
        );
        registry.register("rdp_doctor_exporter_build_info", "The exporter's version", build);
        Self { registry, probes, durations, in_flight, pending, reload_ok, reload_time }
    }

    /// Counts a finished request; `module` is a configured module's name, or `-`.
    pub fn probe_done(&self, module: &str, outcome: OutcomeKind, seconds: Option<f64>) {
        let labels = ProbeLabels { module: module.to_owned(), result: outcome.as_str().to_owned() };
        self.probes.get_or_create(&labels).inc();
        if let Some(s) = seconds {
            self.durations.get_or_create(&ModuleLabel { module: module.to_owned() }).observe(s);
        }
    }

    /// Records a configuration load.
    pub fn reloaded(&self, ok: bool) {
        self.reload_ok.set(i64::from(ok));
        if ok {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
            self.reload_time.set(now);
        }
    }

    /// The OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for OwnMetrics {
    fn default() -> Self {
        Self::new()
    }
}
