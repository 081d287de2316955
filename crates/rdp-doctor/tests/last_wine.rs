//! Issue 23 under Wine: `rdp-doctor.exe last --events FILE --this-pc` reads the client settings from the
//! Windows registry (seeded with Wine's `reg add`: a CertHash for the lab's xrdp that is not the certificate
//! it presents, a UsernameHint, fClientDisableUDP by policy, an outbound firewall rule blocking mstsc.exe, a
//! WireGuard adapter with MTU 1280), lints the Default.rdp in the user's Documents and finds the attempt's
//! .rdp file there; the attempt in the exported log is checked again against the lab's expired-certificate
//! xrdp, so the one report has the decoded codes, the live cert.expired and the client.* findings. The
//! other direction: once the stored CertHash is the one the server presents, no client.cert_hash_changed.
//!
//! The harness is `rdp_doctor_lab::wine` (a private prefix, since the test writes its registry). Without
//! Wine the test skips with a loud message, except in CI, which installs it.
#![cfg(unix)] // drives Linux lab tools (rdp-doctor-lab): compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::time::Duration;

use rdp_doctor_lab::XrdpVariant;
use rdp_doctor_lab::wine::{self, RegValue, WineOutput, WinePrefix};
use serde_json::Value;

/// One attempt as wevtutil prints it: 1024 (server), 1028, 226 RDPClient_SSL with SEC_E_CERT_EXPIRED
/// (0x80090328), 1026 reason 6919 (0x1B07, SSL_ERR_CERT_EXPIRED... the client's TLS failure).
fn expired_attempt(server: &str) -> String {
    let prov = "<Provider Name='Microsoft-Windows-TerminalServices-ClientActiveXCore' Guid='{28aa95bb-d444-4719-a36f-40462168127e}'/>";
    let ev = |id: u32, t: &str, rec: u32, data: &str| {
        format!(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>{prov}<EventID>{id}</EventID><Version>0</Version><Level>4</Level><Task>101</Task><Opcode>10</Opcode><Keywords>0x4000000000000000</Keywords><TimeCreated SystemTime='2026-12-07T09:14:{t}Z'/><EventRecordID>{rec}</EventRecordID><Correlation ActivityID='{{6A1B2C3D-0000-4000-8000-00000000E5ED}}'/><Execution ProcessID='4242' ThreadID='4343'/><Channel>Microsoft-Windows-TerminalServices-RDPClient/Operational</Channel><Computer>PC17</Computer><Security UserID='S-1-5-21-1-2-3-1001'/></System><EventData>{data}</EventData></Event>\n"
        )
    };
    let nv = |n: &str, v: &str| {
        format!("<Data Name='Name'>{n}</Data><Data Name='Value'>{v}</Data><Data Name='CustomLevel'>Info</Data>")
    };
    let mut x = ev(1024, "02.1000000", 1, &nv("Server Name", server));
    x += &ev(1028, "02.2000000", 2, "<Data Name='TraceMessage'>supported</Data>");
    x += &ev(
        226,
        "02.3000000",
        3,
        "<Data Name='StateTransitionName'>RDPClient_SSL</Data><Data Name='PreviousState'>2</Data><Data Name='PreviousStateName'>TsSslStateHandshakeStart</Data><Data Name='NewState'>10</Data><Data Name='NewStateName'>TsSslStateDisconnecting</Data><Data Name='Event'>4</Data><Data Name='EventName'>TsSslEventHandshakeContinueFailed</Data><Data Name='ErrorCode'>2148074280</Data>",
    );
    x += &ev(1026, "02.4000000", 4, &nv("Disconnect Reason", "6919"));
    x
}

fn run(prefix: &WinePrefix, exe: &std::path::Path, args: &[&str]) -> (WineOutput, Value) {
    let out = prefix.command(exe).args(args).env("NO_COLOR", "1").timeout(Duration::from_secs(240)).run().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.describe()));
    (out, v)
}

fn ids(r: &Value) -> Vec<String> {
    r["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

fn finding<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", ids(r)))
}

#[test]
fn client_settings_from_a_seeded_registry_join_the_live_check() {
    let Some(wine) = wine::wine_or_skip("client_settings_from_a_seeded_registry_join_the_live_check") else { return };
    let exe = wine::build_windows_exe("rdp-doctor", "rdp-doctor").unwrap();
    let prefix = wine.private_prefix("last-client").unwrap();
    let xrdp = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert).unwrap();
    let port = xrdp.addr.port();

    // The user's Documents in the prefix (Wine sets USERPROFILE to C:\users\<user> and links Documents to
    // $HOME: replaced by a folder of its own in this private prefix), with the hidden Default.rdp (server
    // authentication turned off: linted) and the .rdp file the attempt came from.
    let users = prefix.drive_c().join("users");
    let profile: PathBuf = std::fs::read_dir(&users)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n != "Public") && p.is_dir())
        .unwrap_or_else(|| panic!("no user profile in {}", users.display()));
    let docs = profile.join("Documents");
    if docs.is_symlink() {
        std::fs::remove_file(&docs).unwrap();
    }
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("Default.rdp"), "full address:s:old-server\r\nauthentication level:i:0\r\n").unwrap();
    std::fs::write(
        docs.join("lab-server.rdp"),
        format!("full address:s:127.0.0.1:{port}\r\nauthentication level:i:2\r\nprompt for credentials:i:1\r\n"),
    )
    .unwrap();
    let log = prefix.drive_c().join("rdpclient.xml");
    std::fs::write(&log, expired_attempt(&format!("127.0.0.1:{port}"))).unwrap();
    let log_w = prefix.windows_path(&log);

    // The registry, as the Remote Desktop client and Group Policy leave it.
    let servers = format!(r"HKCU\Software\Microsoft\Terminal Server Client\Servers\127.0.0.1:{port}");
    prefix.reg_add(&servers, "CertHash", RegValue::Binary(vec![0x5A; 20])).unwrap();
    prefix.reg_add(&servers, "UsernameHint", RegValue::String(r"LAB\alice".into())).unwrap();
    prefix
        .reg_add(
            r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\Client",
            "fClientDisableUDP",
            RegValue::Dword(1),
        )
        .unwrap();
    prefix
        .reg_add(
            r"HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules",
            "{6F1E0000-0000-4000-8000-00000000B10C}",
            RegValue::String(
                r"v2.30|Action=Block|Active=TRUE|Dir=Out|App=%SystemRoot%\system32\mstsc.exe|Name=No outbound RDP|"
                    .into(),
            ),
        )
        .unwrap();
    let class = r"HKLM\SYSTEM\CurrentControlSet\Control\Class\{4d36e972-e325-11ce-bfc1-08002be10318}\0042";
    prefix.reg_add(class, "DriverDesc", RegValue::String("WireGuard Tunnel".into())).unwrap();
    prefix
        .reg_add(class, "NetCfgInstanceId", RegValue::String("{0A1B2C3D-0000-4000-8000-000000000042}".into()))
        .unwrap();
    prefix
        .reg_add(
            r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\{0A1B2C3D-0000-4000-8000-000000000042}",
            "MTU",
            RegValue::Dword(1280),
        )
        .unwrap();

    let args =
        ["last", "--events", log_w.as_str(), "--this-pc", "--json", "--no-udp", "--samples", "0", "--timeout", "10s"];
    let (out, r) = run(&prefix, &exe, &args);
    assert_eq!(out.code, Some(1), "{}", out.describe());
    assert_eq!(r["verdict"], "cert.expired", "{:?}", ids(&r));
    let attempt = finding(&r, "client.attempt_failed");
    let summary = attempt["summary"].as_str().unwrap();
    assert!(summary.contains("0x1B07") && summary.contains("root cause: cert.expired"), "{summary}");
    assert!(attempt["evidence"].to_string().contains("0x80090328"), "{}", attempt["evidence"]);

    // The stored CertHash is not the certificate the server presents now.
    let leaf = r["evidence"]["tls"]["chain"][0]["sha1_thumbprint"].as_str().unwrap().to_owned();
    assert_eq!(leaf.len(), 40, "{leaf}");
    let changed = finding(&r, "client.cert_hash_changed");
    let s = changed["summary"].as_str().unwrap();
    assert!(s.contains(&"5A".repeat(20)) && s.contains(&leaf), "{s}");
    assert!(
        changed["evidence"].to_string().contains(&format!("Servers\\\\127.0.0.1:{port}\\\\CertHash")),
        "{}",
        changed["evidence"]
    );
    // The other settings, each from where it was set.
    let hint = finding(&r, "client.username_hint");
    assert!(hint["summary"].as_str().unwrap().contains(r"LAB\alice"), "{hint}");
    assert!(finding(&r, "client.udp_disabled_by_policy")["evidence"].to_string().contains("(policy: HKLM"), "{r:#}");
    assert!(finding(&r, "client.firewall_blocks_mstsc")["evidence"].to_string().contains("No outbound RDP"));
    assert!(finding(&r, "client.vpn_low_mtu")["summary"].as_str().unwrap().contains("MTU 1280"));
    // Default.rdp is linted and the attempt's .rdp file is found in Documents.
    let lint = finding(&r, "rdpfile.server_auth_disabled");
    assert!(lint["evidence"].to_string().contains("Default.rdp"), "{lint}");
    let client = &r["evidence"]["client"];
    assert_eq!(client["registry_read"], true);
    assert!(client["rdp_file"]["path"].as_str().unwrap_or_default().ends_with("lab-server.rdp"), "{client:#}");
    assert!(client["default_rdp"].as_str().unwrap_or_default().ends_with("Default.rdp"), "{client:#}");

    // Never a warning on a match: once the client stores the thumbprint the server presents, no finding.
    let bytes: Vec<u8> = (0..20).map(|i| u8::from_str_radix(&leaf[2 * i..2 * i + 2], 16).unwrap()).collect();
    prefix.reg_add(&servers, "CertHash", RegValue::Binary(bytes)).unwrap();
    let (out, r) = run(&prefix, &exe, &args);
    assert_eq!(out.code, Some(1), "{}", out.describe());
    assert!(!ids(&r).iter().any(|i| i == "client.cert_hash_changed"), "{:?}", ids(&r));
    assert_eq!(r["evidence"]["client"]["remembered"]["cert_hash"], leaf.as_str());

    // Without --this-pc an exported log is someone else's: no settings, and the report says why.
    let not_this_pc: Vec<&str> = args.iter().copied().filter(|a| *a != "--this-pc").collect();
    let (_, r) = run(&prefix, &exe, &not_this_pc);
    assert_eq!(r["evidence"]["client"]["registry_read"], false);
    assert!(!ids(&r).iter().any(|i| i.starts_with("client.") && i != "client.attempt_failed"), "{:?}", ids(&r));
    assert!(r["evidence"]["client"]["limitations"].to_string().contains("exported log"), "{r:#}");
}
