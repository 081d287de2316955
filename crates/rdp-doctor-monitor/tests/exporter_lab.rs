//! The exporter over HTTP against the lab's real servers (xrdp, FreeRDP's shadow server), a closed port and
//! a namespace host behind an iptables DROP rule. Needs root and the lab packages (scripts/test.sh).
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Exporter, get, http, value};
use rdp_doctor_lab::{Firewall, ShadowVariant, XrdpVariant};

const USER: &str = "alice";
const PASSWORD: &str = "S3cret-pw";

fn write_config(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("exporter.yml");
    std::fs::write(&path, text).unwrap();
    path
}

fn probe(exporter: &Exporter, target: SocketAddr, module: &str) -> String {
    let a = http(
        exporter.addr,
        "GET",
        &format!("/probe?target={target}&module={module}"),
        &[("X-Prometheus-Scrape-Timeout-Seconds", "20")],
    );
    assert_eq!(a.status, 200, "{target} {module}: {}", a.body);
    assert!(a.head.to_ascii_lowercase().contains("content-type: application/openmetrics-text"), "{}", a.head);
    a.body
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

#[test]
fn lab_servers_read_through_the_exporter() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "modules:\n  rdp:\n    allowed_targets: ['127.0.0.0/8']\n");
    let exporter = Exporter::start(&config);
    let default = rdp_doctor_lab::xrdp(XrdpVariant::Default).unwrap();
    let expired = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert).unwrap();
    let nla = rdp_doctor_lab::shadow(ShadowVariant::Nla { user: USER.into(), password: PASSWORD.into() }).unwrap();
    let closed = rdp_doctor_lab::closed_port();

    // xrdp with its self-signed default certificate: warnings only, so the probe succeeds.
    let m = probe(&exporter, default.addr, "rdp");
    assert_eq!(value(&m, "probe_success"), Some(1.0), "{m}");
    assert_eq!(value(&m, "rdp_selected_protocol{protocol=\"PROTOCOL_SSL\"}"), Some(1.0), "{m}");
    assert_eq!(value(&m, "rdp_nla_required"), Some(0.0), "{m}");
    assert_eq!(value(&m, "rdp_standard_security_accepted"), Some(1.0), "xrdp also accepts PROTOCOL_RDP alone: {m}");
    assert_eq!(value(&m, "rdp_cert_self_signed"), Some(1.0));
    assert!(value(&m, "probe_ssl_earliest_cert_expiry").unwrap() > now());
    assert_eq!(value(&m, "rdp_finding{id=\"nla.not_offered\",severity=\"warn\"}"), Some(1.0), "{m}");
    assert_eq!(value(&m, "probe_ip_protocol"), Some(4.0));

    // The expired certificate: a failure, and the certificate metrics are still there.
    let m = probe(&exporter, expired.addr, "rdp");
    assert_eq!(value(&m, "probe_success"), Some(0.0), "{m}");
    assert!(value(&m, "probe_ssl_earliest_cert_expiry").unwrap() < now(), "{m}");
    assert!(value(&m, "probe_ssl_last_chain_expiry_timestamp_seconds").unwrap() < now(), "{m}");
    assert!(value(&m, "rdp_cert_days_left").unwrap() < 0.0);
    assert_eq!(value(&m, "rdp_finding{id=\"cert.expired\",severity=\"fail\"}"), Some(1.0), "{m}");
    assert_eq!(value(&m, "rdp_first_failing_layer{layer=\"tls\"}"), Some(1.0), "{m}");
    assert_eq!(value(&m, "rdp_layer_status{layer=\"tls\",status=\"fail\"}"), Some(1.0));

    // FreeRDP's shadow server with NLA: only CredSSP is accepted.
    let m = probe(&exporter, nla.addr, "rdp");
    assert_eq!(value(&m, "probe_success"), Some(1.0), "{m}");
    assert_eq!(value(&m, "rdp_nla_required"), Some(1.0), "{m}");
    assert_eq!(value(&m, "rdp_standard_security_accepted"), Some(0.0), "{m}");
    assert!(m.contains("rdp_layer_duration_seconds{layer=\"credssp\"}"), "{m}");

    // Nothing listens: a failure at TCP, never a success.
    let m = probe(&exporter, closed, "rdp");
    assert_eq!(value(&m, "probe_success"), Some(0.0), "{m}");
    assert_eq!(value(&m, "rdp_first_failing_layer{layer=\"tcp\"}"), Some(1.0), "{m}");
    assert_eq!(value(&m, "rdp_finding{id=\"tcp.refused\",severity=\"fail\"}"), Some(1.0), "{m}");

    // The exporter's own metrics counted all four: two succeeded, two failed.
    let own = get(exporter.addr, "/metrics").body;
    assert_eq!(value(&own, "rdp_doctor_exporter_probes_total{module=\"rdp\",result=\"success\"}"), Some(2.0), "{own}");
    assert_eq!(value(&own, "rdp_doctor_exporter_probes_total{module=\"rdp\",result=\"failure\"}"), Some(2.0), "{own}");
    assert_eq!(value(&own, "rdp_doctor_exporter_probes_in_flight"), Some(0.0));
    assert_eq!(get(exporter.addr, "/-/healthy").status, 200);
}

#[test]
fn requests_outside_the_rules_are_refused_before_any_packet() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "modules:\n  rdp:\n    allowed_targets: ['127.0.0.1/32']\n  names:\n    allowed_targets: ['localhost', '192.0.2.0/24']\n",
    );
    let exporter = Exporter::start(&config);
    // A listener on another loopback address, outside the module's network: it must see no connection.
    let bystander = TcpListener::bind("127.0.0.2:0").unwrap();
    bystander.set_nonblocking(true).unwrap();
    let target = bystander.local_addr().unwrap();
    let a = get(exporter.addr, &format!("/probe?target={target}&module=rdp"));
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("outside the module's allowed networks"), "{}", a.body);
    // localhost matches the name pattern but resolves outside 192.0.2.0/24.
    let a = get(exporter.addr, &format!("/probe?target=localhost:{}&module=names", target.port()));
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("resolves to"), "{}", a.body);
    assert!(bystander.accept().is_err(), "a refused target received a connection");

    assert_eq!(get(exporter.addr, "/probe?module=rdp").status, 400, "no target");
    assert_eq!(get(exporter.addr, "/probe?target=127.0.0.1&module=nope").status, 400, "unknown module");
    let a = get(exporter.addr, "/probe?target=127.0.0.1&module=rdp&password=hunter2");
    assert_eq!(a.status, 400);
    assert!(!a.body.contains("hunter2"));
    assert_eq!(get(exporter.addr, "/probe?target=127.0.0.1:99999&module=rdp").status, 400);
    assert_eq!(get(exporter.addr, "/-/reload").status, 405, "reload is POST only");
    let own = get(exporter.addr, "/metrics").body;
    assert_eq!(
        value(&own, "rdp_doctor_exporter_probes_total{module=\"rdp\",result=\"forbidden\"}"),
        Some(1.0),
        "{own}"
    );
    assert_eq!(
        value(&own, "rdp_doctor_exporter_probes_total{module=\"names\",result=\"forbidden\"}"),
        Some(1.0),
        "{own}"
    );
}

#[test]
fn credentials_stay_in_the_configuration() {
    let nla = rdp_doctor_lab::shadow(ShadowVariant::Nla { user: USER.into(), password: PASSWORD.into() }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), format!("{PASSWORD}\n")).unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "modules:\n  logon:\n    matrix: false\n    credentials: {{user: {USER}, password_file: pw}}\n    allowed_targets: ['{}']\n",
            nla.addr.ip()
        ),
    );
    let exporter = Exporter::start(&config);
    let path = format!("/probe?target={}&module=logon", nla.addr);
    let metrics = http(exporter.addr, "GET", &path, &[("X-Prometheus-Scrape-Timeout-Seconds", "30")]).body;
    assert_eq!(value(&metrics, "rdp_finding{id=\"session.ok\",severity=\"info\"}"), Some(1.0), "{metrics}");
    assert_eq!(value(&metrics, "probe_success"), Some(1.0), "{metrics}");
    let debug = get(exporter.addr, &format!("{path}&debug=true")).body;
    assert!(debug.contains("credentials for alice (password not shown)"), "{debug}");
    let own = get(exporter.addr, "/metrics").body;
    for text in [&metrics, &debug, &own] {
        assert!(!text.contains(PASSWORD), "the password leaked");
    }
}

#[test]
fn reload_swaps_the_configuration_and_keeps_it_when_the_new_one_is_bad() {
    let server = rdp_doctor_lab::xrdp(XrdpVariant::Default).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "modules:\n  old:\n    allowed_targets: ['192.0.2.0/24']\n");
    let exporter = Exporter::start(&config);
    let target = format!("/probe?target={}&module=new", server.addr);
    assert_eq!(get(exporter.addr, &target).status, 400, "no module `new` yet");
    std::fs::write(&config, "modules:\n  new:\n    matrix: false\n    allowed_targets: ['127.0.0.0/8']\n").unwrap();
    assert_eq!(http(exporter.addr, "POST", "/-/reload", &[]).status, 200);
    let m = get(exporter.addr, &target);
    assert_eq!(m.status, 200, "{}", m.body);
    assert_eq!(value(&m.body, "probe_success"), Some(1.0), "{}", m.body);
    std::fs::write(&config, "modules:\n  new:\n    allowed_targets: []\n").unwrap();
    let a = http(exporter.addr, "POST", "/-/reload", &[]);
    assert_eq!(a.status, 500);
    assert!(a.body.contains("allowed_targets"), "{}", a.body);
    assert_eq!(get(exporter.addr, &target).status, 200, "the running configuration stays");
    let own = get(exporter.addr, "/metrics").body;
    assert_eq!(value(&own, "rdp_doctor_exporter_config_last_reload_successful"), Some(0.0), "{own}");
}

/// A target behind a DROP rule hangs until its step deadline, which comes from Prometheus' header; meanwhile a
/// probe of a real server is answered: it finishes while the hanging probe is still running.
#[test]
fn a_hanging_target_is_bounded_by_the_scrape_timeout_and_blocks_no_one() {
    let dropped = rdp_doctor_lab::netns_host(Firewall::Drop).unwrap();
    let server = rdp_doctor_lab::xrdp(XrdpVariant::Default).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "limits: {{max_concurrent_probes: 4}}\nmodules:\n  rdp:\n    layer_timeout: 10s\n    allowed_targets: ['127.0.0.0/8', '{}']\n",
            dropped.addr.ip()
        ),
    );
    let exporter = Exporter::start(&config);
    let (tx, rx) = std::sync::mpsc::channel();
    let addr = exporter.addr;
    let hanging = {
        let tx = tx.clone();
        let target = dropped.addr;
        std::thread::spawn(move || {
            let a =
                http(addr, "GET", &format!("/probe?target={target}"), &[("X-Prometheus-Scrape-Timeout-Seconds", "20")]);
            tx.send("hanging").unwrap();
            a
        })
    };
    // Start the good probe once the hanging one is running.
    for _ in 0..100 {
        if value(&get(addr, "/metrics").body, "rdp_doctor_exporter_probes_in_flight") == Some(1.0) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let good =
        http(addr, "GET", &format!("/probe?target={}", server.addr), &[("X-Prometheus-Scrape-Timeout-Seconds", "10")]);
    tx.send("good").unwrap();
    let hanging = hanging.join().unwrap();
    assert_eq!(rx.recv().unwrap(), "good", "the good probe waited for the hanging one");
    assert_eq!(value(&good.body, "probe_success"), Some(1.0), "{}", good.body);
    let m = hanging.body;
    assert_eq!(value(&m, "probe_success"), Some(0.0), "{m}");
    // 20 s less the 0.5 s margin, capped by the module's timeout (15 s by default); each step got a quarter
    // of it (3.75 s, the good probe's margin), so TCP's timeout is reported as evidence.
    assert_eq!(value(&m, "rdp_probe_deadline_seconds"), Some(15.0), "{m}");
    assert_eq!(value(&m, "rdp_probe_deadline_exceeded"), Some(0.0), "{m}");
    assert_eq!(value(&m, "rdp_finding{id=\"tcp.filtered\",severity=\"fail\"}"), Some(1.0), "{m}");
}

/// A name target with a network filter: the exporter resolves `localhost` (127.0.0.1 and ::1 here), checks
/// both, and the probe tries them in order as `check` does: xrdp listens on 127.0.0.1 only, so a failed ::1
/// attempt (if the resolver lists it first) is kept as evidence and the probe still succeeds. `hostname=`
/// names the certificate: xrdp's other-name certificate matches `wrong.example.test`.
#[test]
fn name_targets_are_probed_on_every_checked_address_and_hostname_names_the_certificate() {
    let server = rdp_doctor_lab::xrdp(XrdpVariant::OtherNameCert).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config =
        write_config(dir.path(), "modules:\n  rdp:\n    matrix: false\n    allowed_targets: ['127.0.0.0/8', '::1']\n");
    let exporter = Exporter::start(&config);
    let port = server.addr.port();
    let m = get(exporter.addr, &format!("/probe?target=localhost:{port}")).body;
    assert!(value(&m, "probe_dns_lookup_time_seconds").unwrap() > 0.0, "{m}");
    assert_eq!(value(&m, "rdp_layer_status{layer=\"dns\",status=\"ok\"}"), Some(1.0), "{m}");
    assert_eq!(value(&m, "rdp_layer_status{layer=\"tcp\",status=\"fail\"}"), Some(0.0), "{m}");
    assert_eq!(value(&m, "probe_ip_protocol"), Some(4.0), "{m}");
    assert_eq!(value(&m, "rdp_cert_name_match"), Some(0.0), "{m}");
    let named =
        get(exporter.addr, &format!("/probe?target=localhost:{port}&hostname={}", rdp_doctor_lab::OTHER_CERT_NAME))
            .body;
    assert_eq!(value(&named, "rdp_cert_name_match"), Some(1.0), "{named}");
    assert_eq!(value(&named, "rdp_finding{id=\"cert.name_mismatch\",severity=\"warn\"}"), None, "{named}");
    // Only ::1 allowed: localhost's 127.0.0.1 is outside, so the name is refused before any packet.
    write_config(dir.path(), "modules:\n  rdp:\n    allowed_targets: ['::1']\n");
    assert_eq!(http(exporter.addr, "POST", "/-/reload", &[]).status, 200);
    let a = get(exporter.addr, &format!("/probe?target=localhost:{port}"));
    assert_eq!(a.status, 403, "{}", a.body);
}
