//! `rdp-doctor scan` and `rdp-doctor diff` end to end, with IronRDP's acceptor in process (real TLS, real
//! CredSSP), closed ports and list files: JSONL lines validate against docs/report.schema.json, the CSV
//! reads back with Python's csv module, the summary names the hosts, no credentials reach any server, a
//! policy judges field by field, two recorded runs diff host by host, and a killed scan resumes to the
//! same result set. Lab servers and hostile peers: `scan_lab.rs`, `scan_hostile.rs`.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod scan_support;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use rdp_doctor_testserver::{CertSpec, Security, TestServer, TestServerConfig};
use scan_support::*;
use serde_json::Value;

fn acceptor(cert: CertSpec, security: Security) -> TestServer {
    TestServer::start(TestServerConfig { bind: "127.0.0.1:0".parse().unwrap(), cert, security }).unwrap()
}

struct Fleet {
    expired: TestServer,
    nla: TestServer,
    other_name: TestServer,
    closed: std::net::SocketAddr,
    dir: tempfile::TempDir,
}

impl Fleet {
    fn start() -> Self {
        let pw = || "Scan-pw-1".to_owned();
        Self {
            expired: acceptor(CertSpec::ExpiredYesterday, Security::Tls),
            nla: acceptor(CertSpec::Valid, Security::HybridEx { username: "u".into(), password: pw() }),
            other_name: acceptor(
                CertSpec::OtherName("rds9.corp.example".into()),
                Security::Hybrid { username: "u".into(), password: pw() },
            ),
            closed: rdp_doctor_lab::closed_port(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The list file: tags, a tls-name, a comment, a duplicate and a malformed line (line 6).
    fn list(&self) -> std::path::PathBuf {
        let text = format!(
            "# the lab fleet\n{},,site-a\n{},localhost,site-b\n{},,site-c\n{}   # nothing listens\nnot a host!\n{}\n",
            self.expired.addr(),
            self.nla.addr(),
            self.other_name.addr(),
            self.closed,
            self.expired.addr(),
        );
        let p = self.dir.path().join("fleet.txt");
        std::fs::write(&p, text).unwrap();
        p
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
}

fn scan(args: &[&str]) -> std::process::Output {
    let out = assert_cmd::Command::new(bin())
        .timeout(Duration::from_secs(120))
        .args(["scan", "--timeout", "3s", "--progress", "never"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

fn key(addr: std::net::SocketAddr) -> String {
    addr.to_string()
}

#[test]
fn a_fleet_of_real_servers_streams_valid_reports_csv_and_a_summary() {
    let f = Fleet::start();
    let (jsonl, csv) = (f.path("run.jsonl"), f.path("run.csv"));
    let out = scan(&["-iL", f.list().to_str().unwrap(), "-o", jsonl.to_str().unwrap(), "--csv", csv.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Findings at warn and above: exit 1.
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("fleet.txt:6: invalid host"), "{stderr}");

    let lines = validate_jsonl(&jsonl);
    assert_eq!(lines.len(), 4, "one line per target, the duplicate merged");
    let expired = by_key(&lines, &key(f.expired.addr()));
    assert_eq!(expired["verdict"], "cert.expired");
    assert_eq!(expired["scan"]["tag"], "site-a");
    assert_eq!(expired["scan"]["source"], format!("{}:2", f.list().display()));
    assert_eq!(expired["scan"]["facts"]["nla"], "not_offered");
    assert!(expired["scan"]["facts"]["cert"]["days_left"].as_i64().unwrap() < 0);

    let nla = by_key(&lines, &key(f.nla.addr()));
    assert_eq!(nla["scan"]["facts"]["nla"], "required");
    assert_eq!(nla["scan"]["facts"]["selected_protocol"], 8, "HYBRID_EX for the full offer");
    assert_eq!(nla["scan"]["facts"]["accepted_protocols"], serde_json::json!([2, 8]));
    assert_eq!(nla["evidence"]["tls"]["server_name"], "localhost", "the list's tls-name is used");
    assert_eq!(nla["scan"]["facts"]["cert"]["name_matches"], true);

    let other = by_key(&lines, &key(f.other_name.addr()));
    assert!(finding_ids(other).contains(&"cert.name_mismatch".to_owned()), "{:?}", finding_ids(other));
    let closed = by_key(&lines, &key(f.closed));
    assert_eq!(closed["verdict"], "tcp.refused");
    assert_eq!(closed["scan"]["facts"]["reached"], false);
    // The same report as `check --json`: no quality series or UDP probe at the scan's default depth.
    assert!(expired["evidence"]["net"].is_null() && expired["evidence"]["udp"].is_null());

    // Scans never send credentials.
    for s in [&f.expired, &f.nla, &f.other_name] {
        assert_eq!(s.logon_attempts(), 0, "{:?}", s.addr());
    }

    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 4);
    let row = rows.iter().find(|r| r["target"] == key(f.nla.addr())).unwrap();
    assert_eq!(row["tag"], "site-b");
    assert_eq!(row["nla"], "required");
    assert_eq!(row["selected_protocol"], "PROTOCOL_HYBRID_EX");
    assert_eq!(row["cert_self_signed"], "yes");
    assert_eq!(row["address"], "127.0.0.1");
    let row = rows.iter().find(|r| r["target"] == key(f.expired.addr())).unwrap();
    assert_eq!(row["verdict"], "cert.expired");
    assert!(row["cert_days_left"].as_str().unwrap().starts_with('-'));
    assert!(row["findings"].as_str().unwrap().split(' ').any(|id| id == "cert.expired"));

    // The summary (on stdout, since the JSONL went to a file).
    assert!(stdout.contains("4 hosts in"), "{stdout}");
    assert!(stdout.contains("1 duplicates merged; 1 malformed lines skipped"), "{stdout}");
    let expiring = stdout.split("Certificates expiring within 30 days (1)").nth(1).expect("expiring section");
    assert!(expiring.lines().nth(1).unwrap().contains(&key(f.expired.addr())), "{stdout}");
    assert!(stdout.contains(&format!("Unreachable hosts (1)\n  {}", key(f.closed))), "{stdout}");
    assert!(stdout.contains(&format!("Hosts without NLA (1)\n  {}", key(f.expired.addr()))), "{stdout}");
}

#[test]
fn stdout_is_jsonl_and_strict_refuses_malformed_lines() {
    let f = Fleet::start();
    let out = scan(&[&key(f.closed), "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["verdict"], "tcp.refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Scan summary"), "the summary goes to stderr");

    let out = scan(&["-iL", f.list().to_str().unwrap(), "--strict"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--strict"));
    assert!(out.stdout.is_empty(), "nothing is probed");

    let out = scan(&["10.0.0.0/8"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("16777214 addresses, more than a /16"));
}

fn run_policy(f: &Fleet, policy: &str, name: &str, targets: &[String]) -> (std::path::PathBuf, Vec<Value>, String) {
    let jsonl = f.path(name);
    let mut args = vec!["--policy", policy, "-o", jsonl.to_str().unwrap(), "--fail-on", "never"];
    args.extend(targets.iter().map(String::as_str));
    let out = scan(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = validate_jsonl(&jsonl);
    (jsonl, lines, String::from_utf8(out.stdout).unwrap())
}

#[test]
fn policies_judge_field_by_field_and_recorded_runs_diff() {
    let f = Fleet::start();
    let targets = vec![key(f.expired.addr()), key(f.nla.addr()), key(f.closed)];
    let (strict_run, lines, stdout) = run_policy(&f, "strict", "strict.jsonl", &targets);

    let expired = by_key(&lines, &key(f.expired.addr()));
    assert_eq!(expired["policy"]["status"], "fail");
    let mismatches: BTreeMap<String, (String, String)> = expired["policy"]["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["field"].as_str().unwrap().into(),
                (m["expected"].as_str().unwrap().into(), m["actual"].as_str().unwrap().into()),
            )
        })
        .collect();
    assert_eq!(mismatches["allowed_protocols"].1, "also accepts ssl");
    assert_eq!(mismatches["nla_required"].1, "NLA not_offered");
    assert_eq!(mismatches["trusted_ca"].1, "self-signed");
    assert!(mismatches["min_days_left"].1.starts_with('-'), "{mismatches:?}");
    for id in ["policy.nla_not_required", "policy.certificate_untrusted", "policy.certificate_expiring"] {
        assert!(finding_ids(expired).contains(&id.to_owned()), "{id}: {:?}", finding_ids(expired));
    }
    // The NLA server meets the protocol fields; its self-signed certificate does not meet trusted_ca, and
    // only the negotiated TLS version is known without --deep.
    let nla = by_key(&lines, &key(f.nla.addr()));
    let fields: Vec<&str> =
        nla["policy"]["mismatches"].as_array().unwrap().iter().map(|m| m["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["trusted_ca"]);
    assert_eq!(nla["policy"]["unverified"][0]["field"], "min_tls_version");
    let closed = by_key(&lines, &key(f.closed));
    assert_eq!(closed["policy"]["status"], "unverified");
    assert!(stdout.contains("Policy strict: 0 passed, 2 failed, 1 unverified"), "{stdout}");

    // --make-policy from the NLA server: the server passes the policy made from it.
    let made = f.path("baseline.toml");
    let out = scan(&["--make-policy", made.to_str().unwrap(), &key(f.nla.addr())]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let toml = std::fs::read_to_string(&made).unwrap();
    assert!(toml.contains("allowed_protocols = [\"hybrid\", \"hybrid_ex\"]"), "{toml}");
    assert!(toml.contains("nla_required = true"), "{toml}");
    let (_, lines, _) = run_policy(&f, made.to_str().unwrap(), "made.jsonl", &targets[..2]);
    assert_eq!(by_key(&lines, &key(f.nla.addr()))["policy"]["status"], "pass");
    assert_eq!(by_key(&lines, &key(f.expired.addr()))["policy"]["status"], "fail");

    // Diff two recorded runs: the compatible policy drops findings, a host is gone, another appeared.
    let other = key(f.other_name.addr());
    let (compat_run, _, _) =
        run_policy(&f, "compatible", "compatible.jsonl", &[targets[0].clone(), targets[1].clone(), other.clone()]);
    let diff = |a: &std::path::Path, b: &std::path::Path, json: bool| {
        let mut c = Command::new(bin());
        c.args(["diff", a.to_str().unwrap(), b.to_str().unwrap(), "--color", "never"]);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let same = diff(&strict_run, &strict_run, false);
    assert_eq!(same.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&same.stdout).contains("No differences."));
    let out = diff(&strict_run, &compat_run, true);
    assert_eq!(out.status.code(), Some(1));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["kind"], "scan_diff");
    assert_eq!(d["same"], false);
    assert_eq!(d["diff"]["gone"][0]["key"], key(f.closed));
    assert_eq!(d["diff"]["appeared"][0]["key"], other);
    let host = d["diff"]["changed"].as_array().unwrap().iter().find(|h| h["key"] == targets[0]).unwrap();
    let resolved: Vec<&str> = host["resolved"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(
        resolved.contains(&"policy.nla_not_required") && resolved.contains(&"policy.certificate_untrusted"),
        "{resolved:?}"
    );
    assert!(host["unchanged"].as_array().unwrap().iter().any(|id| id == "cert.expired"));
    let text = String::from_utf8(diff(&strict_run, &compat_run, false).stdout).unwrap();
    assert!(text.contains("- warn policy.nla_not_required"), "{text}");
    assert!(text.contains(&format!("Gone\n  - {}", key(f.closed))), "{text}");

    let garbage = f.path("garbage.jsonl");
    std::fs::write(&garbage, "{\"verdict\":\"ok\"}\nnot json\n").unwrap();
    assert_eq!(diff(&strict_run, &garbage, false).status.code(), Some(2));
}

#[test]
fn list_policies_prints_the_builtin_baselines() {
    let out = Command::new(bin()).args(["scan", "--list-policies"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("name = \"strict\"") && text.contains("name = \"compatible\""), "{text}");
}

/// A peer that accepts and stays silent until the client gives up (SCRIPTED: a server that hangs).
fn silent_peer(bind: &str) -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind(bind).unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = s;
                let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
                let _ = std::io::copy(&mut s, &mut std::io::sink());
            });
        }
    });
    addr
}

#[test]
fn a_killed_scan_resumes_to_the_same_result_set() {
    let f = Fleet::start();
    // Twelve slow targets (silent after accept, one second each) and twelve refused ports, each on its own
    // loopback address so they are separate hosts.
    let mut targets: Vec<String> = (1..=12).map(|i| key(silent_peer(&format!("127.31.0.{i}:0")))).collect();
    targets.extend((1..=12).map(|i| format!("127.31.1.{i}:{}", f.closed.port())));
    targets.push(key(f.nla.addr()));
    let list = f.path("resume.txt");
    std::fs::write(&list, targets.join("\n")).unwrap();
    let args = |out: &std::path::Path, flag: &str| -> Vec<String> {
        ["scan", "-iL", list.to_str().unwrap(), flag, out.to_str().unwrap(), "--timeout", "1s", "--no-matrix"]
            .iter()
            .map(|s| (*s).to_owned())
            .chain(["--concurrency", "2", "--progress", "never", "--no-summary"].iter().map(|s| (*s).to_owned()))
            .collect()
    };
    let full = f.path("full.jsonl");
    let out = Command::new(bin()).args(args(&full, "-o")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));

    let partial = f.path("partial.jsonl");
    let mut child = Command::new(bin()).args(args(&partial, "-o")).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&partial).map_or(0, |t| t.lines().count()) < 4 {
        assert!(std::time::Instant::now() < deadline, "the scan wrote nothing");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    let _ = child.wait();
    let before = std::fs::read_to_string(&partial).unwrap();
    let done_before = before.lines().count();
    assert!(done_before < targets.len(), "the scan finished before it was killed");
    // A kill can also land inside a write: simulate the cut-off line it would leave.
    std::fs::write(&partial, format!("{before}{{\"schema_version\":1,\"tool\":{{\"na")).unwrap();

    let out = Command::new(bin()).args(args(&partial, "--resume")).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("removed a cut-off last line"));
    let resumed = validate_jsonl(&partial);
    let verdicts = |lines: &[Value]| -> BTreeMap<String, String> {
        lines
            .iter()
            .map(|l| (l["scan"]["key"].as_str().unwrap().to_owned(), l["verdict"].as_str().unwrap().to_owned()))
            .collect()
    };
    assert_eq!(resumed.len(), targets.len(), "every target exactly once");
    assert_eq!(verdicts(&resumed), verdicts(&validate_jsonl(&full)));
    assert_eq!(
        resumed[..done_before].iter().map(|l| l.to_string()).collect::<Vec<_>>(),
        before.lines().map(|l| serde_json::from_str::<Value>(l).unwrap().to_string()).collect::<Vec<_>>(),
        "the stopped run's lines are kept"
    );
}

#[test]
fn shards_split_a_list_without_overlap() {
    let f = Fleet::start();
    let list = f.path("shards.txt");
    let targets: Vec<String> = (1..=30).map(|i| format!("127.32.0.{i}:{}", f.closed.port())).collect();
    std::fs::write(&list, targets.join("\n")).unwrap();
    let mut seen = Vec::new();
    for i in 1..=3 {
        let out = scan(&["-iL", list.to_str().unwrap(), "--shard", &format!("{i}/3"), "--no-summary"]);
        let text = String::from_utf8(out.stdout).unwrap();
        let keys: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["scan"]["key"].as_str().unwrap().to_owned())
            .collect();
        assert!(!keys.is_empty() && keys.len() < 30, "shard {i}: {}", keys.len());
        seen.extend(keys);
    }
    seen.sort();
    let mut all = targets.clone();
    all.sort();
    assert_eq!(seen, all);
}
