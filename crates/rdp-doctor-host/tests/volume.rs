//! A mounted Windows system volume (`host --offline DIR`): the listener's certificate from the SOFTWARE
//! hive's machine stores (blobs made with rcgen, stored with hivexregedit), its key file in MachineKeys by
//! the name derived from the container and MachineGuid, and the event logs under winevt\Logs.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rdp_doctor_host::certstore::build_blob;
use rdp_doctor_host::machinekeys::capi_file_name;
use rdp_doctor_host::offline::Inputs;

const DAY: i64 = 86_400;
const RDP_TCP: &str = r"ControlSet001\Control\Terminal Server\WinStations\RDP-Tcp";

fn store_key(store: &str, thumb: &str) -> String {
    format!(r"Microsoft\SystemCertificates\{store}\Certificates\{thumb}")
}

/// A volume whose Remote Desktop store holds `der` (with or without a key reference), SYSTEM with
/// `system_sections`, MachineKeys holding `key_files`.
fn make(
    root: &std::path::Path,
    der: &[u8],
    with_key: bool,
    system_sections: &[Section<'_>],
    key_files: &[&str],
    logs: &[&str],
) {
    let t = thumbprint(der);
    let blob = build_blob(der, with_key.then(rdp_key).as_ref());
    let sys = system_variant(root, "s.hive", system_sections);
    let key = store_key("Remote Desktop", &t);
    let sw = software(root, "sw.hive", &[(key.as_str(), Some(vec![("Blob", V::Hex(&blob))]))]);
    volume(root, &sys, Some(&sw), key_files, logs);
}

fn offline(root: &std::path::Path) -> Inputs {
    Inputs { volume: Some(root.to_path_buf()), now: NOW, ..Default::default() }
}

#[test]
fn self_signed_certificate_with_its_key_file_is_fine() {
    let d = tempfile::tempdir().unwrap();
    let der = cert("WIN-RDS1", NOW - 30 * DAY, NOW + 150 * DAY);
    let name = capi_file_name("TSSecKeySet1", GUID);
    make(d.path(), &der, true, &[], &[&name], &[]);
    let (host, r) = report(&offline(d.path()));
    let c = host.certificate.as_ref().unwrap();
    let found = c.found.as_ref().unwrap();
    assert_eq!(found.store, "Remote Desktop");
    assert_eq!(found.thumbprint, thumbprint(&der));
    assert_eq!(found.key.as_ref().unwrap().container, "TSSecKeySet1");
    let kf = c.key_file.as_ref().unwrap();
    assert_eq!(kf.expected_name.as_deref(), Some(name.as_str()));
    assert_eq!(kf.exists, Some(true));
    assert_eq!(kf.embedded_name.as_deref(), Some("TSSecKeySet1"));
    for id in ids(&r) {
        assert!(!id.starts_with("host.certificate"), "{id} on a healthy certificate");
    }
    assert!(r.limitations.iter().any(|l| l.contains("permissions (NTFS ACL) are not read offline")));
}

#[test]
fn key_file_missing_from_machinekeys() {
    let d = tempfile::tempdir().unwrap();
    let der = cert("WIN-RDS1", NOW - 30 * DAY, NOW + 150 * DAY);
    // Another machine key is there (IIS's), the listener's is not.
    make(d.path(), &der, true, &[], &[&capi_file_name("iisConfigurationKey", GUID)], &[]);
    let (_, r) = report(&offline(d.path()));
    let (f, ev) = finding(&r, "host.certificate_key_file_missing");
    assert!(f.summary.contains(&capi_file_name("TSSecKeySet1", GUID)), "{}", f.summary);
    assert!(ev.contains("TSSecKeySet1") && ev.contains(GUID) && ev.contains("MachineKeys"), "{ev}");
    assert!(f.remedies.iter().any(|m| m.id == "host.machinekeys_permissions"));
    assert_eq!(r.verdict, "host.certificate_key_file_missing");
}

#[test]
fn expired_certificate_and_no_private_key() {
    let d = tempfile::tempdir().unwrap();
    let der = cert("WIN-RDS1", NOW - 400 * DAY, NOW - 35 * DAY);
    make(d.path(), &der, false, &[], &[], &[]);
    let (_, r) = report(&offline(d.path()));
    let (f, ev) = finding(&r, "host.certificate_expired");
    assert!(f.summary.contains("35 day(s)"), "{}", f.summary);
    assert!(ev.contains(&thumbprint(&der)) && ev.contains("Remote Desktop"), "{ev}");
    let (_, ev) = finding(&r, "host.certificate_no_private_key");
    assert!(ev.contains("CERT_KEY_PROV_INFO_PROP_ID"), "{ev}");
}

#[test]
fn bound_thumbprint_not_in_the_store() {
    let d = tempfile::tempdir().unwrap();
    let der = cert("WIN-RDS1", NOW - 30 * DAY, NOW + 150 * DAY);
    let bound = [0xABu8; 20];
    make(
        d.path(),
        &der,
        true,
        &[(RDP_TCP, Some(vec![("SSLCertificateSHA1Hash", V::Hex(&bound))]))],
        &[&capi_file_name("TSSecKeySet1", GUID)],
        &[],
    );
    let (_, r) = report(&offline(d.path()));
    let (_, ev) = finding(&r, "host.certificate_missing");
    assert!(ev.contains(&"AB".repeat(20)), "{ev}");
    assert!(ev.contains(&thumbprint(&der)), "the self-signed one in the store is named: {ev}");
}

#[test]
fn event_logs_on_the_volume_are_read() {
    let d = tempfile::tempdir().unwrap();
    let der = cert("WIN-RDS1", NOW - 30 * DAY, NOW + 150 * DAY);
    let rcm = "DE_RDP_Tunneling_TerminalServices-RemoteConnectionManagerOperational_1149.evtx";
    make(d.path(), &der, true, &[], &[&capi_file_name("TSSecKeySet1", GUID)], &[rcm, "DE_RDP_Tunneling_4624.evtx"]);
    let (host, _) = report(&offline(d.path()));
    let e = host.events.as_ref().unwrap();
    // Logs are picked by name (System, Security, TerminalServices-*, RemoteDesktopServices-*): the 4624
    // export is named after its sample, not Security.evtx, and is left out.
    assert_eq!(e.files.len(), 1, "{:?}", e.files);
    let f = e.files.iter().find(|f| f.path.ends_with(rcm)).unwrap();
    assert_eq!(f.channel.as_deref(), Some("Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"));
    assert!(f.records_read > 0 && f.records_of_interest > 0 && f.error.is_none(), "{f:?}");
    let r = e.records.iter().find(|r| r.event_id == 1149).unwrap();
    assert!(r.provider.contains("RemoteConnectionManager"));
    assert!(r.data.iter().any(|(k, _)| k == "Param1"), "{:?}", r.data);
}

#[test]
fn not_a_windows_volume() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("home/user")).unwrap();
    let host = rdp_doctor_host::offline::collect(&offline(d.path()));
    assert!(!rdp_doctor_host::offline::readable(&host));
    assert!(host.limitations.iter().any(|l| l.contains("is not a Windows system volume")), "{:?}", host.limitations);
}

/// Live, the key file's ACL comes from PowerShell's `(Get-Acl -LiteralPath FILE).Sddl`: the volume's real
/// SYSTEM hive names TermService's account (ObjectName), and the ACL decides whether that account may read
/// the key. The SDDL is the one Windows gives a machine key file (SYSTEM and Administrators full control),
/// then with NETWORK SERVICE's read added as Microsoft's documented fix does.
#[test]
fn key_file_acl_read_live_is_judged_for_the_service_account() {
    use rdp_doctor_host::live_tools::{Outputs, ToolRun, apply};
    let d = tempfile::tempdir().unwrap();
    let der = cert("WIN-RDS1", NOW - 30 * DAY, NOW + 150 * DAY);
    let name = capi_file_name("TSSecKeySet1", GUID);
    make(d.path(), &der, true, &[], &[&name], &[]);
    let judged = |sddl: &str| {
        let mut host = rdp_doctor_host::offline::collect(&offline(d.path()));
        host.collection = "live".into();
        let run =
            ToolRun::output("powershell (Get-Acl -LiteralPath 'C:\\…').Sddl", 0, format!("{sddl}\r\n").as_bytes());
        apply(&Outputs { key_acl: Some(run), ..Outputs::default() }, NOW, &mut host);
        let mut ev = rdp_doctor_core::Evidence::new(
            rdp_doctor_core::evidence::Target { input: "h".into(), host: "h".into(), port: 3389, ip: None },
            NOW,
        );
        ev.host = Some(host.clone());
        (host, rdp_doctor_core::host_report::build(ev, 0.0))
    };
    let (host, r) = judged("O:SYG:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)");
    let account = host.service.as_ref().and_then(|s| s.account.clone()).unwrap_or_default();
    assert!(account.to_ascii_lowercase().contains("networkservice"), "the real hive's ObjectName: {account}");
    let kf = host.certificate.as_ref().and_then(|c| c.key_file.clone()).unwrap();
    assert_eq!(kf.service_account_can_read, Some(false));
    let (f, e) = finding(&r, "host.certificate_key_unusable");
    assert!(f.summary.contains("cannot use the listener's private key"), "{}", f.summary);
    assert!(e.contains(&format!("key file {name}")) && e.contains("ACL: allow FA to SY (LocalSystem)"), "{e}");
    assert!(e.contains("ACL: allow FA to BA (Administrators)"), "{e}");

    let (host, r) = judged("O:SYG:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;NS)");
    let kf = host.certificate.as_ref().and_then(|c| c.key_file.clone()).unwrap();
    assert_eq!(kf.service_account_can_read, Some(true));
    assert!(!ids(&r).contains(&"host.certificate_key_unusable"), "{:?}", ids(&r));
    // Read granted to NT SERVICE\TermService only: the real hive's ServiceSidType is 1 (unrestricted), so
    // the service's token holds that SID and the key is readable — not a failure.
    assert_eq!(host.service.as_ref().and_then(|s| s.sid_type), Some(1), "the real hive's ServiceSidType");
    let sddl = format!("O:SYG:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;{})", rdp_doctor_host::sddl::TERMSERVICE_SID);
    let (host, r) = judged(&sddl);
    let kf = host.certificate.as_ref().and_then(|c| c.key_file.clone()).unwrap();
    assert_eq!(kf.service_account_can_read, Some(true));
    assert!(!ids(&r).contains(&"host.certificate_key_unusable"), "{:?}", ids(&r));
    // PowerShell that could not read it (not elevated): said, not judged.
    let mut host = rdp_doctor_host::offline::collect(&offline(d.path()));
    let denied = ToolRun {
        command: "powershell (Get-Acl …).Sddl".into(),
        exit: Some(1),
        stderr: b"Get-Acl : Attempted to perform an unauthorized operation.".to_vec(),
        ..ToolRun::default()
    };
    apply(&Outputs { key_acl: Some(denied), ..Outputs::default() }, NOW, &mut host);
    let kf = host.certificate.as_ref().and_then(|c| c.key_file.clone()).unwrap();
    assert_eq!(kf.service_account_can_read, None);
    assert!(
        host.limitations.iter().any(|l| l.contains("The key file's ACL was not read") && l.contains("unauthorized"))
    );
}
