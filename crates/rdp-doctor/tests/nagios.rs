//! `rdp-doctor nagios` against the lab's real servers: every exit code, the performance data parsed back
//! by the Monitoring Plugins grammar, the thresholds honoured in both directions; contrib/nagios's command
//! line run as Nagios would run it; contrib/icinga2/rdp.conf validated by Debian's icinga2
//! (`icinga2 daemon -C`) and its arguments accepted by the binary. Needs root and the lab packages.
#![cfg(unix)] // drives Linux lab servers (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command as StdCommand;
use std::time::Duration;

use assert_cmd::Command;
use rdp_doctor_lab::{Firewall, XrdpVariant};

/// What the plugin printed and returned.
#[derive(Debug)]
struct Plugin {
    code: i32,
    first: String,
    long: Vec<String>,
    perf: Vec<Perf>,
}

/// One performance data entry: `'label'=value[UOM];[warn];[crit];[min];[max]`.
#[derive(Debug, Clone, PartialEq)]
struct Perf {
    label: String,
    value: f64,
    uom: String,
    warn: String,
    crit: String,
    min: String,
    max: String,
}

/// Parses the performance data after `|` (Monitoring Plugins development guidelines, "Performance data").
fn parse_perf(s: &str) -> Vec<Perf> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let (label, after) = if let Some(r) = rest.strip_prefix('\'') {
            let end = r.find("'=").expect("unterminated quoted label");
            (r[..end].to_owned(), &r[end + 2..])
        } else {
            let end = rest.find('=').expect("a label without =");
            (rest[..end].to_owned(), &rest[end + 1..])
        };
        let end = after.find(' ').unwrap_or(after.len());
        let fields: Vec<&str> = after[..end].split(';').collect();
        let v = fields[0];
        let num_end = v.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).unwrap_or(v.len());
        let field = |i: usize| fields.get(i).map_or(String::new(), |s| (*s).to_owned());
        out.push(Perf {
            label,
            value: v[..num_end].parse().unwrap_or_else(|_| panic!("bad value {v:?}")),
            uom: v[num_end..].to_owned(),
            warn: field(1),
            crit: field(2),
            min: field(3),
            max: field(4),
        });
        rest = after[end..].trim_start();
    }
    out
}

fn plugin(args: &[&str]) -> Plugin {
    let out = Command::cargo_bin("rdp-doctor")
        .unwrap()
        .timeout(Duration::from_secs(60))
        .arg("nagios")
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default().to_owned();
    let perf = first.split_once(" | ").map(|(_, p)| parse_perf(p)).unwrap_or_default();
    Plugin { code: out.status.code().unwrap(), first, long: lines.map(str::to_owned).collect(), perf }
}

fn perf<'a>(p: &'a Plugin, label: &str) -> &'a Perf {
    p.perf.iter().find(|x| x.label == label).unwrap_or_else(|| panic!("no {label} in {p:?}"))
}

/// The findings a lab certificate always has (self-signed, issued for another name than 127.0.0.1), and
/// xrdp's acceptance of TLS without NLA and of Standard RDP Security: real but constant, so a site monitoring
/// such a server would ignore them.
const LAB_CONSTANTS: &str = "cert.self_signed,cert.untrusted,cert.name_mismatch,nla.not_offered,sec.rdp_security_allowed,sec.rdp_proprietary_certificate";

fn hp(addr: SocketAddr) -> (String, String) {
    (addr.ip().to_string(), addr.port().to_string())
}

#[test]
fn every_exit_code_from_real_servers() {
    let good = rdp_doctor_lab::xrdp(XrdpVariant::Default).unwrap();
    let expired = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert).unwrap();
    let (h, p) = hp(good.addr);

    // OK once the lab's constant findings are set aside.
    let ok = plugin(&["-H", &h, "-p", &p, "--ignore", LAB_CONSTANTS]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.first.starts_with("RDP OK - "), "{ok:?}");
    assert!(ok.first.contains("PROTOCOL_SSL selected"), "{ok:?}");
    // WARNING: the same server as it is (self-signed certificate, no NLA).
    let warn = plugin(&["-H", &h, "-p", &p]);
    assert_eq!(warn.code, 1, "{warn:?}");
    assert!(warn.first.starts_with("RDP WARNING - "), "{warn:?}");
    assert!(!warn.long.is_empty(), "the other warnings follow on the next lines: {warn:?}");
    // CRITICAL: an expired certificate, a closed port, a firewall that drops.
    let (eh, ep) = hp(expired.addr);
    let crit = plugin(&["-H", &eh, "-p", &ep, "--cert-days", "14,7"]);
    assert_eq!(crit.code, 2, "{crit:?}");
    assert!(crit.first.starts_with("RDP CRITICAL - TLS: "), "{crit:?}");
    assert!(crit.first.contains("(cert.expired)"), "{crit:?}");
    let days = perf(&crit, "cert_days");
    assert!(days.value < 0.0 && days.value >= -2.0, "expired yesterday: {days:?}");
    assert_eq!((days.warn.as_str(), days.crit.as_str()), ("14:", "7:"));
    let (ch, cp) = hp(rdp_doctor_lab::closed_port());
    let refused = plugin(&["-H", &ch, "-p", &cp]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.first.contains("(tcp.refused)"), "{refused:?}");
    let dropped = rdp_doctor_lab::netns_host(Firewall::Drop).unwrap();
    let filtered = plugin(&["-H", &dropped.addr.ip().to_string(), "-t", "4"]);
    assert_eq!(filtered.code, 2, "a network failure is CRITICAL, not UNKNOWN: {filtered:?}");
    assert!(filtered.first.contains("(tcp.filtered)"), "{filtered:?}");
    // UNKNOWN: only the plugin's own failure.
    for bad in
        [vec!["-H", "127.0.0.1", "-w", "abc"], vec!["-p", "3389"], vec!["-H", "127.0.0.1", "--cert-days", "7,14"]]
    {
        let u = plugin(&bad);
        assert_eq!(u.code, 3, "{bad:?}: {u:?}");
        assert!(u.first.starts_with("RDP UNKNOWN - "), "{u:?}");
    }
}

#[test]
fn performance_data_parses_back_and_thresholds_are_honoured() {
    let good = rdp_doctor_lab::xrdp(XrdpVariant::Default).unwrap();
    let (h, p) = hp(good.addr);
    let run = |extra: &[&str]| {
        let mut args = vec!["-H", h.as_str(), "-p", p.as_str(), "--ignore", LAB_CONSTANTS];
        args.extend_from_slice(extra);
        plugin(&args)
    };
    let r = run(&["-w", "100", "-c", "200"]);
    assert_eq!(r.code, 0, "{r:?}");
    let time = perf(&r, "time");
    assert_eq!(
        (time.uom.as_str(), time.warn.as_str(), time.crit.as_str(), time.min.as_str()),
        ("s", "100", "200", "0")
    );
    assert!(time.value > 0.0 && time.value < 100.0);
    for layer in ["tcp", "x224", "tls"] {
        let l = perf(&r, layer);
        assert_eq!(l.uom, "s", "{l:?}");
        assert!(l.value >= 0.0 && l.value <= time.value, "{l:?} within {time:?}");
    }
    let days = perf(&r, "cert_days").value;
    assert!(days > 300.0, "xrdp's snakeoil certificate is valid for years: {days}");

    // The time thresholds, both directions: an inside range (@) that holds any time alerts.
    assert_eq!(run(&["-w", "@0:1000"]).code, 1);
    assert_eq!(run(&["-w", "@0:1000", "-c", "@0:1000"]).code, 2);
    assert_eq!(run(&["-w", "~:1000", "-c", "~:1000"]).code, 0);
    // The certificate thresholds, both directions.
    let above = format!("{},{}", days as i64 + 20, days as i64 + 10);
    let between = format!("{},{}", days as i64 + 20, days as i64 - 10);
    let below = format!("{},{}", days as i64 - 20, days as i64 - 30);
    let c = run(&["--cert-days", &above]);
    assert_eq!(c.code, 2, "{c:?}");
    assert!(c.first.contains("below the critical"), "{c:?}");
    assert_eq!(run(&["--cert-days", &between]).code, 1);
    assert_eq!(run(&["--cert-days", &below]).code, 0);
    // -v: every layer in the long output.
    let v = run(&["-v"]);
    assert!(v.long.iter().any(|l| l.starts_with("TLS: ") && l.contains("established")), "{v:?}");
    assert!(v.long.iter().any(|l| l.contains("not counted")), "ignored findings are listed as such: {v:?}");
}

fn contrib(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contrib").join(path)
}

/// contrib/nagios/rdp.cfg's command line with the example service's arguments, run by `sh` as Nagios runs
/// it, against a real server.
#[test]
fn the_nagios_command_definition_runs() {
    let text = std::fs::read_to_string(contrib("nagios/rdp.cfg")).unwrap();
    let line = text.lines().find_map(|l| l.trim().strip_prefix("command_line")).unwrap().trim().to_owned();
    let args = text.lines().find_map(|l| l.trim().strip_prefix("check_command")).unwrap().trim();
    let arg1 = args.split_once('!').unwrap().1;
    let server = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("rdp-doctor");
    let line = line
        .replace("/usr/local/bin/rdp-doctor", &bin.display().to_string())
        .replace("$HOSTADDRESS$", &server.addr.ip().to_string())
        .replace("$ARG1$", &format!("{arg1} -p {}", server.addr.port()));
    let sh = rdp_doctor_lab::require("sh").unwrap();
    let out = StdCommand::new(sh).arg("-c").arg(&line).output().unwrap();
    let first = String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_owned();
    assert_eq!(out.status.code(), Some(2), "{line}: {first}");
    assert!(first.contains("(cert.expired)") && first.contains("'cert_days'="), "{first}");
}

fn icinga2_validate(dir: &std::path::Path) -> (bool, String) {
    let bin = rdp_doctor_lab::require("icinga2").unwrap();
    let d = |name: &str| {
        let p = dir.join(name);
        std::fs::create_dir_all(&p).unwrap();
        format!(
            "-D{}={}",
            match name {
                "cache" => "CacheDir",
                "data" => "DataDir",
                "log" => "LogDir",
                "run" => "InitRunDir",
                _ => "SpoolDir",
            },
            p.display()
        )
    };
    // As root, without dropping to the nagios user, every state directory in the temporary directory.
    let mut args: Vec<String> = ["daemon", "-C", "-c"].map(str::to_owned).to_vec();
    args.push(dir.join("icinga2.conf").display().to_string());
    args.extend(["-DRunAsUser=root", "-DRunAsGroup=root"].map(str::to_owned));
    args.extend([d("cache"), d("data"), d("log"), d("run"), d("spool")]);
    let out = StdCommand::new("timeout").arg("60").arg(bin).args(&args).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn the_icinga2_check_command_validates_and_its_arguments_exist() {
    let dir = tempfile::tempdir().unwrap();
    let conf = contrib("icinga2/rdp.conf");
    let minimal = |command: &str| {
        format!(
            "include <itl>\ninclude \"{}\"\nobject Host \"rds1\" {{\n  address = \"127.0.0.1\"\n  check_command = \"dummy\"\n}}\n\
             object Service \"rdp\" {{\n  host_name = \"rds1\"\n  check_command = \"{command}\"\n  vars.rdp_cert_days = \"14,7\"\n  \
             vars.rdp_critical = 3\n  vars.rdp_ignore = [ \"cert.self_signed\", \"cert.untrusted\" ]\n  vars.rdp_no_matrix = true\n}}\n",
            conf.display()
        )
    };
    std::fs::write(dir.path().join("icinga2.conf"), minimal("rdp")).unwrap();
    let (ok, log) = icinga2_validate(dir.path());
    assert!(ok, "icinga2 daemon -C refused contrib/icinga2/rdp.conf:\n{log}");
    assert!(log.contains("Instantiated 1 Service"), "{log}");
    // The validation can fail: a service naming a command that does not exist.
    std::fs::write(dir.path().join("icinga2.conf"), minimal("rdp-missing")).unwrap();
    let (ok, log) = icinga2_validate(dir.path());
    assert!(!ok, "{log}");

    // Every argument the CheckCommand passes is one the plugin accepts.
    let help = Command::cargo_bin("rdp-doctor").unwrap().args(["nagios", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let text = std::fs::read_to_string(&conf).unwrap();
    let flags: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"').and_then(|r| r.split_once("\" = {")).map(|(f, _)| f))
        .collect();
    assert!(flags.len() >= 10, "{flags:?}");
    for f in flags {
        let shown = if f.starts_with("--") { format!("{f} ") } else { format!("{f},") };
        assert!(
            help.contains(&shown),
            "the CheckCommand passes {f}, which `rdp-doctor nagios` does not define:\n{help}"
        );
    }
}
