//! The exporter's YAML configuration (`serve --config`) and its allowlists (CIDR and host-name patterns),
//! checked on names and addresses as `/probe` checks them; the Nagios plugin's ranges.
#![no_main]
use std::net::IpAddr;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use rdp_doctor_monitor::allow::AllowList;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let hosts: [(&str, IpAddr); 3] = [
        ("rds.example.test", IpAddr::from([10, 1, 2, 3])),
        ("localhost", IpAddr::from([127, 0, 0, 1])),
        ("[::1]", IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])),
    ];
    if let Ok(c) = rdp_doctor_monitor::config::parse(&text, Path::new("/nonexistent-fuzz-base")) {
        for m in c.modules.values() {
            let _ = m.describe();
            for (h, ip) in hosts {
                let _ = m.allowed.check_target(h, Some(ip));
                let _ = m.allowed.check_resolved(h, &[ip]);
            }
        }
    }
    let entries: Vec<String> = text.lines().map(str::to_owned).collect();
    if let Ok(a) = AllowList::parse(&entries) {
        for (h, ip) in hosts {
            let _ = a.check_target(h, Some(ip));
            let _ = a.check_target(h, None);
        }
    }
    for line in text.lines().take(16) {
        let _ = rdp_doctor_monitor::config::parse_duration(line);
        let _ = rdp_doctor_monitor::nagios::range::Range::parse(line);
        let _ = rdp_doctor_monitor::nagios::parse_cert_days(line);
    }
});
