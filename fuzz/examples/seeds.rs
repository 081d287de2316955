//! Writes the seeds that cannot be copied from the repository's test data: small registry hives (SYSTEM and
//! SOFTWARE, with the Terminal Server, firewall and certificate keys the collector reads) and the host
//! snapshot JSON collected from them. `fuzz/seed.sh` runs it; usage: `seeds OUT_DIR`.
use regf::HiveBuilder;

fn system() -> regf::Result<Vec<u8>> {
    let mut b = HiveBuilder::new()?;
    b.create_key("Select")?;
    b.add_value_dword("Select", Some("Current"), 1)?;
    let ts = r"ControlSet001\Control\Terminal Server";
    let tcp = r"ControlSet001\Control\Terminal Server\WinStations\RDP-Tcp";
    let fw = r"ControlSet001\Services\SharedAccess\Parameters\FirewallPolicy";
    for k in [ts, tcp, r"ControlSet001\Services\TermService", r"ControlSet001\Control\ComputerName\ComputerName"] {
        b.create_key(k)?;
    }
    for k in ["FirewallRules", "DomainProfile", "StandardProfile", "PublicProfile"] {
        b.create_key(&format!(r"{fw}\{k}"))?;
    }
    b.add_value_dword(ts, Some("fDenyTSConnections"), 0)?;
    b.add_value_dword(tcp, Some("PortNumber"), 3389)?;
    b.add_value_dword(tcp, Some("SecurityLayer"), 2)?;
    b.add_value_dword(tcp, Some("UserAuthentication"), 1)?;
    b.add_value_binary(tcp, Some("SSLCertificateSHA1Hash"), &[0xab; 20])?;
    b.add_value_dword(r"ControlSet001\Services\TermService", Some("Start"), 3)?;
    b.add_value_string(r"ControlSet001\Services\TermService", Some("ObjectName"), r"NT Authority\NetworkService")?;
    b.add_value_string(r"ControlSet001\Control\ComputerName\ComputerName", Some("ComputerName"), "RDS01")?;
    b.add_value_dword(&format!(r"{fw}\DomainProfile"), Some("EnableFirewall"), 1)?;
    b.add_value_dword(&format!(r"{fw}\PublicProfile"), Some("EnableFirewall"), 0)?;
    b.add_value_string(
        &format!(r"{fw}\FirewallRules"),
        Some("RemoteDesktop-UserMode-In-TCP"),
        r"v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=3389|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28775|",
    )?;
    b.build()
}

fn software() -> regf::Result<Vec<u8>> {
    let mut b = HiveBuilder::new()?;
    let cv = r"Microsoft\Windows NT\CurrentVersion";
    let pol = r"Policies\Microsoft\Windows NT\Terminal Services";
    let cert = r"Microsoft\SystemCertificates\Remote Desktop\Certificates\ABABABABABABABABABABABABABABABABABABABAB";
    for k in ["Classes", cv, pol, cert, r"Microsoft\Cryptography", r"Policies\Microsoft\WindowsFirewall\DomainProfile"]
    {
        b.create_key(k)?;
    }
    b.add_value_string(cv, Some("ProductName"), "Windows Server 2022 Datacenter")?;
    b.add_value_string(cv, Some("CurrentBuild"), "20348")?;
    b.add_value_dword(pol, Some("fDenyTSConnections"), 0)?;
    b.add_value_dword(pol, Some("SecurityLayer"), 1)?;
    // A certificate store blob: property 0x20 (the certificate) holding a tiny DER SEQUENCE.
    let mut blob = Vec::new();
    blob.extend_from_slice(&0x20u32.to_le_bytes());
    blob.extend_from_slice(&1u32.to_le_bytes());
    blob.extend_from_slice(&4u32.to_le_bytes());
    blob.extend_from_slice(&[0x30, 0x02, 0x05, 0x00]);
    b.add_value_binary(cert, Some("Blob"), &blob)?;
    b.add_value_string(r"Microsoft\Cryptography", Some("MachineGuid"), "00000000-0000-0000-0000-000000000001")?;
    b.add_value_dword(r"Policies\Microsoft\WindowsFirewall\DomainProfile", Some("EnableFirewall"), 1)?;
    b.build()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: seeds OUT_DIR")?);
    for t in ["hive", "host_snapshot"] {
        std::fs::create_dir_all(out.join(t))?;
    }
    let sys = system()?;
    let soft = software()?;
    std::fs::write(out.join("hive/system"), &sys)?;
    std::fs::write(out.join("hive/software"), &soft)?;
    let mut dirty = sys.clone();
    // A hive marked dirty (primary and secondary sequence numbers differ) with a log beside it.
    if let Some(b) = dirty.get_mut(8) {
        *b = b.wrapping_add(1);
    }
    dirty.extend_from_slice(b"LOG1");
    dirty.extend_from_slice(sys.get(..4096).unwrap_or_default());
    std::fs::write(out.join("hive/system-dirty"), &dirty)?;
    let d = tempdir()?;
    for (name, bytes) in [("SYSTEM", &sys), ("SOFTWARE", &soft)] {
        std::fs::write(d.join(name), bytes)?;
    }
    let inputs = rdp_doctor_host::offline::Inputs {
        hives: vec![d.join("SYSTEM"), d.join("SOFTWARE")],
        now: 1_763_700_000,
        ..Default::default()
    };
    let ev = rdp_doctor_host::offline::collect(&inputs);
    std::fs::write(out.join("host_snapshot/collected.json"), rdp_doctor_host::snapshot::to_json(&ev))?;
    std::fs::remove_dir_all(&d)?;
    Ok(())
}

fn tempdir() -> std::io::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("rdp-doctor-fuzz-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
