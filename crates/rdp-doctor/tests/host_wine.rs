//! Issue 17 under Wine: the live collector (`rdp-doctor.exe host`, no input) reads the registry of a private
//! Wine prefix seeded with Wine's own `reg add` the way a Remote Desktop server and Group Policy leave it:
//! the Terminal Server keys (fDenyTSConnections local and by policy, RDP-Tcp PortNumber, SecurityLayer,
//! UserAuthentication, SSLCertificateSHA1Hash), the Schannel TLS 1.2 server switch, firewall rule strings
//! (local and policy), the machine's MachineGuid, and a certificate with its key reference in the "Remote
//! Desktop" system store, whose CSP key file is placed in `C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys`.
//!
//! Both directions: the healthy configuration gives no failing finding (the policy value wins over the local
//! one and the evidence says so); each seeded fault gives its finding, with evidence naming the registry
//! path and whether the value came from the policy or the local key. Each run also saves its snapshot
//! (`--save`), and the Linux build's `host --snapshot` of that file gives the same findings.
//!
//! TermService's state comes from Wine's service control manager (Wine ships a TermService of its own,
//! `termsv.exe`): running after `net start`, and `host.termservice_not_running` after `net stop`. What Wine
//! does not have is said by the collector as limitations, and checked here: SECURITY/SAM (the logon rights),
//! who listens on the port (Wine's netstat lists no listening socket and no PIDs), the sessions (no qwinsta),
//! the key file's ACL (no PowerShell);
//! Wine's wevtutil answers no query, so no event record is read live; a System log exported as evtx
//! (`--evtx`) joins the live collection (`live+evtx`).
//!
//! The harness is `rdp_doctor_lab::wine` (a private prefix: the test writes its registry). Without Wine the
//! test skips with a loud message, except in CI, which installs it.
#![cfg(unix)] // drives Wine through rdp-doctor-lab: compiled on Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::time::{Duration, Instant};

use rdp_doctor_core::evidence::host::KeyProvInfo;
use rdp_doctor_lab::wine::{self, RegValue, WineOutput, WinePrefix};
use serde_json::Value;

const TS: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server";
const RDP_TCP: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp";
const POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
const TLS12: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server";
const FW_LOCAL: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules";
const FW_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules";
const MACHINE_GUID: &str = "5b8e2f6a-31c4-4d7e-9a0b-6c1d2e3f4a5b";

const PORT: u32 = 3390;

/// `net start|stop TermService` with Wine's net.exe (Wine ships a TermService of its own, `termsv.exe`,
/// installed and stopped). While a new prefix's service control manager is still busy with its own start,
/// net.exe answers "Service database locked" (or times out): asked again every 2 s, for at most 2 minutes.
fn net(prefix: &WinePrefix, verb: &str) {
    let want = if verb == "start" { "started" } else { "stopped" };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = prefix.command("net").args([verb, "TermService"]).timeout(Duration::from_secs(90)).run().unwrap();
        if out.code == Some(0) || out.stdout_text().contains(&format!("already been {want}")) {
            return;
        }
        assert!(Instant::now() < deadline, "net {verb} TermService: {}", out.describe());
        std::thread::sleep(Duration::from_secs(2));
    }
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

fn evidence(r: &Value, id: &str) -> String {
    finding(r, id)["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect::<Vec<_>>().join("\n")
}

fn failing(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "fail")
        .map(|f| format!("{}: {}", f["id"], f["summary"]))
        .collect()
}

/// `rdp-doctor.exe host --json --save C:\snapN.json` in the prefix, then the Linux build's
/// `host --json --snapshot` of the saved file: both reports, after checking they have the same findings.
fn host_live(prefix: &WinePrefix, exe: &Path, n: u32) -> (WineOutput, Value) {
    host_live_with(prefix, exe, n, &[])
}

/// [`host_live`] with more arguments (`--evtx FILE`).
fn host_live_with(prefix: &WinePrefix, exe: &Path, n: u32, extra: &[&str]) -> (WineOutput, Value) {
    let snap = prefix.drive_c().join(format!("snap{n}.json"));
    let snap_w = prefix.windows_path(&snap);
    let out = prefix
        .command(exe)
        .args(["host", "--json", "--save", snap_w.as_str()])
        .args(extra)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(240))
        .run()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.describe()));
    let saved: Value = serde_json::from_slice(&std::fs::read(&snap).unwrap()).unwrap();
    assert_eq!(saved["schema_version"], 1);
    assert!(saved["collection"].as_str().unwrap().starts_with("live"), "{}", saved["collection"]);
    let linux = assert_cmd::Command::cargo_bin("rdp-doctor")
        .unwrap()
        .timeout(Duration::from_secs(120))
        .env("NO_COLOR", "1")
        .args(["host", "--json", "--snapshot"])
        .arg(&snap)
        .output()
        .unwrap();
    let l: Value = serde_json::from_slice(&linux.stdout).unwrap();
    assert_eq!(linux.status.code(), out.code, "same exit code from the snapshot on Linux");
    assert_eq!(ids(&l), ids(&r), "the snapshot on Linux gives the findings the live run gave");
    for f in r["findings"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap();
        assert_eq!(finding(&l, id)["evidence"], f["evidence"], "{id}: same evidence from the snapshot");
    }
    (out, r)
}

/// A self-signed certificate as the listener's, valid 2025–2035 (rcgen).
fn listener_cert() -> Vec<u8> {
    let mut p = rcgen::CertificateParams::new(vec!["RDS-WINE".to_owned()]).unwrap();
    p.distinguished_name.push(rcgen::DnType::CommonName, "RDS-WINE");
    p.not_before = rcgen::date_time_ymd(2025, 1, 1);
    p.not_after = rcgen::date_time_ymd(2035, 1, 1);
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key = rcgen::KeyPair::generate().unwrap();
    p.self_signed(&key).unwrap().der().to_vec()
}

/// The key reference Remote Desktop Services gives its self-signed certificate (a CSP machine key).
fn rdp_key() -> KeyProvInfo {
    KeyProvInfo {
        container: "TSSecKeySet1".into(),
        provider: "Microsoft Enhanced RSA and AES Cryptographic Provider".into(),
        provider_type: 24,
        machine_keyset: true,
        key_spec: 1,
    }
}

#[test]
fn live_registry_of_a_seeded_prefix_both_directions_and_the_snapshot_on_linux() {
    let Some(wine) = wine::wine_or_skip("live_registry_of_a_seeded_prefix_both_directions_and_the_snapshot_on_linux")
    else {
        return;
    };
    let started = Instant::now();
    let exe = wine::build_windows_exe("rdp-doctor", "rdp-doctor").unwrap();
    let prefix = wine.private_prefix("host-live").unwrap();
    let reg = |key: &str, name: &str, v: RegValue| prefix.reg_add(key, name, v).unwrap();

    // Wine's own TermService (termsv.exe), started through Wine's service control manager.
    net(&prefix, "start");

    // The healthy server: remote connections allowed by policy over a local "deny", NLA required, TLS
    // required, a non-default port with its allow rule, TLS 1.2 on for the server role, the listener bound
    // to the certificate in the Remote Desktop store, whose key file is in MachineKeys.
    reg(TS, "fDenyTSConnections", RegValue::Dword(1));
    reg(POLICY, "fDenyTSConnections", RegValue::Dword(0));
    reg(RDP_TCP, "PortNumber", RegValue::Dword(PORT));
    reg(RDP_TCP, "SecurityLayer", RegValue::Dword(2));
    reg(RDP_TCP, "UserAuthentication", RegValue::Dword(1));
    reg(TLS12, "Enabled", RegValue::Dword(1));
    reg(TLS12, "DisabledByDefault", RegValue::Dword(0));
    reg(r"HKLM\SOFTWARE\Microsoft\Cryptography", "MachineGuid", RegValue::String(MACHINE_GUID.into()));
    // The rule Windows ships (RemoteDesktop-UserMode-In-TCP: the string of the real Windows 10 SYSTEM hive in
    // ../shared/corpus/host, regipy's test data), enabled, with the administrator's port; and two WebSocket
    // rules (RemoteDesktop-In-TCP-WS/-WSS on 3387/3392, derived from the same string, disabled as Windows
    // Server ships them; their names spelt out where Windows stores @FirewallAPI.dll indirect strings).
    reg(
        FW_LOCAL,
        "RemoteDesktop-UserMode-In-TCP",
        RegValue::String(format!(
            r"v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort={PORT}|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28853|Desc=@FirewallAPI.dll,-28856|EmbedCtxt=@FirewallAPI.dll,-28852|"
        )),
    );
    for (id, ws_port, name) in [
        ("RemoteDesktop-In-TCP-WS", 3387, "Remote Desktop - (TCP-WS-In)"),
        ("RemoteDesktop-In-TCP-WSS", 3392, "Remote Desktop - (TCP-WSS-In)"),
    ] {
        reg(
            FW_LOCAL,
            id,
            RegValue::String(format!(
                r"v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|LPort={ws_port}|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name={name}|EmbedCtxt=@FirewallAPI.dll,-28852|"
            )),
        );
    }
    let der = listener_cert();
    let thumb = rdp_doctor_core::cert::CertInfo::from_der(&der).sha1_thumbprint;
    assert_eq!(thumb.len(), 40, "{thumb}");
    let blob = rdp_doctor_host::certstore::build_blob(&der, Some(&rdp_key()));
    reg(
        &format!(r"HKLM\SOFTWARE\Microsoft\SystemCertificates\Remote Desktop\Certificates\{thumb}"),
        "Blob",
        RegValue::Binary(blob),
    );
    let thumb_bytes: Vec<u8> = (0..20).map(|i| u8::from_str_radix(&thumb[2 * i..2 * i + 2], 16).unwrap()).collect();
    reg(RDP_TCP, "SSLCertificateSHA1Hash", RegValue::Binary(thumb_bytes));
    let key_name = rdp_doctor_host::machinekeys::capi_file_name("TSSecKeySet1", MACHINE_GUID);
    let machine_keys = prefix.drive_c().join("ProgramData/Microsoft/Crypto/RSA/MachineKeys");
    std::fs::create_dir_all(&machine_keys).unwrap();
    // A CSP key file's header names its container (version, reserved, name length, …, name at 40).
    let mut head = vec![0u8; 40];
    head[0..4].copy_from_slice(&2u32.to_le_bytes());
    head[8..12].copy_from_slice(&13u32.to_le_bytes());
    head.extend_from_slice(b"TSSecKeySet1\0");
    head.resize(2048, 0xA5);
    std::fs::write(machine_keys.join(&key_name), head).unwrap();

    let (out, r) = host_live(&prefix, &exe, 1);
    assert!(failing(&r).is_empty(), "a healthy configuration fails nothing: {:?}\n{}", failing(&r), out.describe());
    assert_eq!(out.code, Some(0), "{}", out.describe());
    let host = &r["evidence"]["host"];
    let setting = |name: &str| {
        host["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no setting {name}: {host:#}"))
            .clone()
    };
    let deny = setting("fDenyTSConnections");
    assert_eq!((deny["value"].as_u64(), deny["source"].as_str()), (Some(0), Some("policy")), "{deny}");
    assert_eq!(deny["path"], format!(r"{POLICY}\fDenyTSConnections"));
    assert_eq!(deny["overridden_local"], "1 (0x1)");
    assert_eq!(setting("PortNumber")["value"], PORT);
    assert_eq!(setting("PortNumber")["source"], "local");
    // NLA required (info), from the local key; the WebSocket rules are said, and what they serve.
    let nla = evidence(&r, "host.nla_required");
    assert!(nla.contains(&format!(r"(local: {RDP_TCP}\UserAuthentication")), "{nla}");
    let ws = finding(&r, "host.firewall_websocket_rules");
    assert_eq!(ws["severity"], "info");
    assert!(ws["summary"].as_str().unwrap().contains("2 Remote Desktop WebSocket rule(s), 0 enabled"), "{ws}");
    assert!(evidence(&r, "host.firewall_websocket_rules").contains(&format!(r"{FW_LOCAL}\RemoteDesktop-In-TCP-WSS")));
    // The certificate bound, found in the Remote Desktop store with its key file.
    let cert = &host["certificate"];
    assert_eq!(cert["bound_thumbprint"], thumb.as_str(), "{cert:#}");
    assert_eq!(cert["found"]["store"], "Remote Desktop", "{cert:#}");
    assert_eq!(cert["key_file"]["expected_name"], key_name.as_str(), "{cert:#}");
    assert_eq!(cert["key_file"]["exists"], true, "{cert:#}");
    assert_eq!(cert["key_file"]["embedded_name"], "TSSecKeySet1", "{cert:#}");
    // The service, from Wine's service control manager.
    let svc = &host["service"];
    assert_eq!(svc["state"], "RUNNING", "{svc:#}");
    assert!(svc["pid"].as_u64().is_some_and(|p| p > 0), "{svc:#}");
    let source = svc["state_source"].as_str().unwrap();
    assert!(
        source.starts_with("service control manager: QueryServiceStatusEx(TermService): 4 RUNNING, PID "),
        "{svc:#}"
    );
    assert_eq!(svc["start_type"], 3, "{svc:#}");
    let details = r["layers"][0]["details"].as_array().unwrap();
    let shown = details.iter().find(|d| d["label"] == "TermService").unwrap_or_else(|| panic!("{details:?}"));
    assert!(shown["value"].as_str().unwrap().starts_with("RUNNING, PID "), "{shown}");
    // What Wine has no data for is said, not guessed.
    // Wine's netstat lists no listening socket (nor PIDs), Wine has no qwinsta, and its wevtutil answers no
    // query (exit 0, nothing printed): no listener or session evidence, and no event records.
    let limits = host["limitations"].to_string();
    assert!(limits.contains("HKLM\\\\SECURITY"), "{limits}");
    let netstat = format!("Who listens on TCP {PORT} was not read: `netstat -ano` listed no listening socket at all");
    assert!(limits.contains(&netstat), "{limits}");
    assert!(limits.contains("Sessions in use were not counted"), "{limits}");
    // Wine has no PowerShell: the key file's ACL is not read, said so, and not judged.
    assert!(limits.contains("The key file's ACL was not read"), "{limits}");
    assert!(cert["key_file"]["service_account_can_read"].is_null(), "{cert:#}");
    assert!(host["listener"].is_null() && host["sessions_in_use"].is_null(), "{host:#}");
    let events = &host["events"];
    assert_eq!(events["files"].as_array().unwrap().len(), 5, "{events:#}");
    assert!(events["records"].as_array().unwrap().is_empty(), "{events:#}");

    // The faults: remote connections denied by policy over a local "allow", Standard RDP Security only
    // (local), TLS 1.2 off for the server role, a policy block rule on the port, the key file gone.
    reg(TS, "fDenyTSConnections", RegValue::Dword(0));
    reg(POLICY, "fDenyTSConnections", RegValue::Dword(1));
    reg(RDP_TCP, "SecurityLayer", RegValue::Dword(0));
    reg(TLS12, "Enabled", RegValue::Dword(0));
    reg(
        FW_POLICY,
        "{7C1E0000-0000-4000-8000-0000000B10C7}",
        RegValue::String(format!("v2.30|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort={PORT}|Name=Block RDP|")),
    );
    std::fs::remove_file(machine_keys.join(&key_name)).unwrap();
    let (out, r) = host_live(&prefix, &exe, 2);
    assert_eq!(out.code, Some(1), "{}", out.describe());
    assert_eq!(r["verdict"], "host.remote_connections_disabled", "{:?}", ids(&r));
    let e = evidence(&r, "host.remote_connections_disabled");
    assert!(
        e.contains(&format!(r"(policy: {POLICY}\fDenyTSConnections"))
            && e.contains("the local value 0 (0x0) is overridden"),
        "{e}"
    );
    let e = evidence(&r, "host.security_layer_rdp");
    assert!(e.contains(&format!(r"(local: {RDP_TCP}\SecurityLayer")), "{e}");
    let e = evidence(&r, "host.tls12_disabled");
    assert!(e.contains(&format!(r"(local: {TLS12}\Enabled")), "{e}");
    let e = evidence(&r, "host.firewall_block_rule");
    assert!(e.contains("(Group Policy)") && e.contains(&format!(r"{FW_POLICY}\{{7C1E0000")), "{e}");
    let e = evidence(&r, "host.certificate_key_file_missing");
    assert!(e.contains(&key_name) && e.contains("MachineKeys") && e.contains(&thumb), "{e}");

    // The listener bound to a thumbprint no store holds.
    reg(RDP_TCP, "SSLCertificateSHA1Hash", RegValue::Binary(vec![0x11; 20]));
    let (out, r) = host_live(&prefix, &exe, 3);
    assert_eq!(out.code, Some(1), "{}", out.describe());
    let e = evidence(&r, "host.certificate_missing");
    assert!(e.contains(&"11".repeat(20)) && e.contains("searched My and Remote Desktop"), "{e}");
    assert!(!ids(&r).iter().any(|i| i == "host.certificate_key_file_missing"), "{:?}", ids(&r));

    // TermService stopped.
    net(&prefix, "stop");
    let (out, r) = host_live(&prefix, &exe, 4);
    assert_eq!(out.code, Some(1), "{}", out.describe());
    assert_eq!(finding(&r, "host.termservice_not_running")["summary"], "TermService is STOPPED");
    let e = evidence(&r, "host.termservice_not_running");
    let state = "TermService state: STOPPED (service control manager: QueryServiceStatusEx(TermService): 1 STOPPED)";
    assert!(e.contains(state) && e.contains("TermService Start = 3 (0x3)"), "{e}");

    // Live with an exported System log (`--evtx`, written as a real evtx from wevtutil's XML): the registry
    // and the service live, the certificate creation failure from the log, in one report.
    let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-TerminalServices-RemoteConnectionManager' Guid='{C76BAA63-AE81-421C-B425-340B4B24157F}'/><EventID>1057</EventID><Version>0</Version><Level>2</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='2026-11-20T18:00:00.0000000Z'/><EventRecordID>9001</EventRecordID><Correlation/><Execution ProcessID='1168' ThreadID='2204'/><Channel>System</Channel><Computer>RDS-WINE</Computer><Security UserID='S-1-5-20'/></System><EventData><Data Name='ErrorCode'>0x80090016</Data></EventData></Event>";
    let log = prefix.drive_c().join("System.evtx");
    std::fs::write(&log, rdp_doctor_lab::evtx::from_xml(xml).unwrap()).unwrap();
    let log_w = prefix.windows_path(&log);
    let (_, r) = host_live_with(&prefix, &exe, 6, &["--evtx", log_w.as_str()]);
    assert_eq!(r["evidence"]["host"]["collection"], "live+evtx");
    let e = evidence(&r, "host.certificate_creation_failed");
    assert!(e.contains("1057 at 2026-11-20T18:00:00") && e.contains("record 9001 in System.evtx"), "{e}");
    assert!(ids(&r).contains(&"host.termservice_not_running".to_owned()), "still stopped: {:?}", ids(&r));

    eprintln!("host live under Wine ({}): {:.1} s in all", wine.version(), started.elapsed().as_secs_f64());
}
