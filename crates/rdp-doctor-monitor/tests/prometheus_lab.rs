//! A real Prometheus (Debian's `prometheus`, started here on loopback with a temporary configuration and
//! data directory, stopped by PID) scrapes the exporter against the lab's real xrdp servers through the
//! relabel configuration of contrib/prometheus/prometheus.yml, evaluates contrib's alerting rules, and a
//! second Prometheus federates the first (`/federate`). The test reads `probe_success`, the certificate
//! expiry, `rdp_finding` and the pending alert back through each one's HTTP query API.
//! Needs root and the lab packages (scripts/test.sh).
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Exporter, get};
use rdp_doctor_lab::XrdpVariant;
use serde_json::{Value, json};

/// How long Prometheus may take to be ready, and a series to appear (a few scrape intervals).
const WAIT: Duration = Duration::from_secs(90);

/// A Prometheus process; Drop kills it by PID and waits for it.
struct Prometheus {
    addr: SocketAddr,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Prometheus {
    fn start(config: &Value) -> Self {
        let bin = rdp_doctor_lab::require("prometheus").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("prometheus.yml");
        // JSON is YAML: Prometheus reads it as its configuration file.
        std::fs::write(&config_path, serde_json::to_string_pretty(config).unwrap()).unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let log = dir.path().join("prometheus.log");
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.path().join("prometheus.err")).unwrap())
            .spawn()
            .unwrap();
        let p = Self { addr, child, log, _dir: dir };
        p.wait_for(|| (get(p.addr, "/-/ready").status == 200).then_some(()), "ready");
        p
    }

    fn logs(&self) -> String {
        let err = self.log.with_file_name("prometheus.err");
        let text = std::fs::read_to_string(&err).unwrap_or_default();
        text.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// Polls `f` until it gives a value (bounded by [`WAIT`]).
    fn wait_for<T>(&self, mut f: impl FnMut() -> Option<T>, what: &str) -> T {
        let start = Instant::now();
        loop {
            if let Some(v) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(&mut f)).ok().flatten() {
                return v;
            }
            assert!(
                start.elapsed() < WAIT,
                "Prometheus on {}: no {what} in time; its log:\n{}",
                self.addr,
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// An instant query's result vector.
    fn query(&self, promql: &str) -> Vec<Value> {
        let a = get(self.addr, &format!("/api/v1/query?query={}", encode(promql)));
        assert_eq!(a.status, 200, "{promql}: {}", a.body);
        let v: Value = serde_json::from_str(&a.body).unwrap();
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the one series `promql` selects has the value `expected`. A single scrape that ran out of
    /// time on a loaded machine (a good server's probe cut short reads 0 once) is not the verdict; the
    /// values seen on the way are shown if `expected` never comes.
    fn expect(&self, promql: &str, expected: f64) {
        let mut seen = Vec::new();
        let start = Instant::now();
        loop {
            let r = self.query(promql);
            let v = r.first().and_then(|s| s["value"][1].as_str()).and_then(|v| v.parse::<f64>().ok());
            if v == Some(expected) {
                return;
            }
            if seen.last() != Some(&v) {
                seen.push(v);
            }
            assert!(
                start.elapsed() < WAIT,
                "Prometheus on {}: {promql} never read {expected}; values seen: {seen:?}; its log:\n{}",
                self.addr,
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// The value of the one series `promql` selects, once it exists.
    fn value(&self, promql: &str) -> f64 {
        self.wait_for(
            || {
                let r = self.query(promql);
                r.first().and_then(|s| s["value"][1].as_str()).and_then(|v| v.parse().ok())
            },
            promql,
        )
    }
}

/// Percent-encodes a query parameter.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn contrib(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contrib").join(path)
}

/// contrib/prometheus/prometheus.yml with this run's targets, exporter address, faster intervals and the
/// absolute path of the rules; the relabel configuration is used as shipped.
fn scrape_config(targets: &[SocketAddr], exporter: SocketAddr) -> Value {
    let text = std::fs::read_to_string(contrib("prometheus/prometheus.yml")).unwrap();
    let mut c: Value = serde_saphyr::from_str(&text).unwrap();
    c["global"] = json!({"scrape_interval": "3s", "evaluation_interval": "1s"});
    c["rule_files"] = json!([contrib("prometheus/rdp-alerts.yml").display().to_string()]);
    let jobs = c["scrape_configs"].as_array_mut().unwrap();
    let rdp = jobs.iter_mut().find(|j| j["job_name"] == "rdp").unwrap();
    // The probe's deadline is the scrape timeout less a margin: 3 s left a loaded CI machine too little for
    // a whole probe of xrdp (TLS with a 2048-bit key), so the good server read 0 on a scrape.
    rdp["scrape_interval"] = json!("8s");
    rdp["scrape_timeout"] = json!("8s");
    rdp["static_configs"] = json!([{"targets": targets.iter().map(ToString::to_string).collect::<Vec<_>>()}]);
    let relabel = rdp["relabel_configs"].as_array_mut().unwrap();
    let to_exporter = relabel.iter_mut().find(|r| r["target_label"] == "__address__").unwrap();
    assert_eq!(to_exporter["replacement"], "127.0.0.1:9733", "contrib's relabelling changed");
    to_exporter["replacement"] = json!(exporter.to_string());
    let own = jobs.iter_mut().find(|j| j["job_name"] == "rdp_exporter").unwrap();
    own["static_configs"] = json!([{"targets": [exporter.to_string()]}]);
    c
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

fn write(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("exporter.yml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn prometheus_scrapes_the_lab_through_the_exporter_and_a_second_one_federates_it() {
    let good = rdp_doctor_lab::xrdp(XrdpVariant::Default).unwrap();
    let expired = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let exporter = Exporter::start(&write(dir.path(), "modules:\n  rdp:\n    allowed_targets: ['127.0.0.0/8']\n"));

    let site = Prometheus::start(&scrape_config(&[good.addr, expired.addr], exporter.addr));
    let (g, e) = (good.addr, expired.addr);
    site.expect(&format!("probe_success{{job=\"rdp\",instance=\"{g}\"}}"), 1.0);
    site.expect(&format!("probe_success{{job=\"rdp\",instance=\"{e}\"}}"), 0.0);
    let expiry = site.value(&format!("probe_ssl_earliest_cert_expiry{{instance=\"{e}\"}}"));
    assert!(expiry < now(), "the expired certificate's expiry {expiry} is not in the past");
    assert!(site.value(&format!("probe_ssl_earliest_cert_expiry{{instance=\"{g}\"}}")) > now());
    site.expect(&format!("rdp_finding{{instance=\"{e}\",id=\"cert.expired\",severity=\"fail\"}}"), 1.0);
    assert!(
        site.query(&format!("rdp_finding{{instance=\"{g}\",severity=\"fail\"}}")).is_empty(),
        "no fail finding on the good server"
    );
    // The exporter's own metrics are scraped too, and counted the probes.
    // (The exporter's own scrape may have come before the second probe: wait for a scrape after both.)
    site.wait_for(
        || {
            let r = site.query("sum(rdp_doctor_exporter_probes_total{job=\"rdp_exporter\"})");
            let v: f64 = r.first()?["value"][1].as_str()?.parse().ok()?;
            (v >= 2.0).then_some(())
        },
        "rdp_doctor_exporter_probes_total >= 2",
    );
    // contrib's alerting rules run on these series: the expired certificate's alert is pending (for: 1m)
    // or firing.
    let alert = site.wait_for(
        || {
            let a = get(site.addr, "/api/v1/alerts");
            let v: Value = serde_json::from_str(&a.body).ok()?;
            v["data"]["alerts"]
                .as_array()?
                .iter()
                .find(|a| {
                    a["labels"]["alertname"] == "RdpCertificateExpired" && a["labels"]["instance"] == e.to_string()
                })
                .cloned()
        },
        "RdpCertificateExpired alert",
    );
    assert!(["pending", "firing"].contains(&alert["state"].as_str().unwrap()), "{alert}");

    // A second Prometheus federates the first: the per-site layout of README.md.
    let global = json!({
        "global": {"scrape_interval": "2s"},
        "scrape_configs": [{
            "job_name": "federate-site",
            "metrics_path": "/federate",
            "honor_labels": true,
            "params": {"match[]": ["{job=\"rdp\"}"]},
            "static_configs": [{"targets": [site.addr.to_string()], "labels": {"site": "lab"}}]
        }]
    });
    let central = Prometheus::start(&global);
    central.expect(&format!("probe_success{{job=\"rdp\",instance=\"{g}\",site=\"lab\"}}"), 1.0);
    central.expect(&format!("probe_success{{job=\"rdp\",instance=\"{e}\",site=\"lab\"}}"), 0.0);
    central.expect(&format!("rdp_finding{{instance=\"{e}\",id=\"cert.expired\"}}"), 1.0);
    assert!(central.value(&format!("probe_ssl_earliest_cert_expiry{{instance=\"{e}\"}}")) < now());
}
