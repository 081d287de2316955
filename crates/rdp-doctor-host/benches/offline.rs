//! Speed and memory of `host --offline` on a volume the size of a real server's: the real 12 MB SYSTEM hive
//! (regipy), an 80 MB SOFTWARE hive (built here with regf's writer: the SOFTWARE keys rdp-doctor reads, a
//! Remote Desktop certificate made with rcgen, and bulk keys and values as a real SOFTWARE hive has), and
//! 200 MB of event logs (the chunks of the real RemoteConnectionManager log repeated, as System.evtx and
//! Security.evtx). Runs the offline collection and the analysis in this process and prints wall time and
//! peak memory (VmHWM). Target: under 2 s and under 200 MB.
//!
//!     bench/host.sh        (cargo bench -p rdp-doctor-host --bench offline)
// It runs Linux tools through rdp-doctor-lab: on other targets the bench is empty (checked, never run).
#![cfg_attr(not(unix), no_main)]
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use regf::{DataType, HiveBuilder, KeyTreeNode, KeyTreeValue};

fn data(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)
}

fn software(path: &Path, target_mb: usize) {
    let utf16 = |s: &str| s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
    let value =
        |name: &str, data_type: DataType, data: Vec<u8>| KeyTreeValue { name: name.to_owned(), data_type, data };
    let mut root = KeyTreeNode::new("ROOT");
    root.get_or_create_path(r"Microsoft\Cryptography").values.push(value(
        "MachineGuid",
        DataType::String,
        utf16("4c4c4544-0000-1000-8000-000000000000"),
    ));
    root.get_or_create_path(r"Microsoft\Windows NT\CurrentVersion").values.push(value(
        "ProductName",
        DataType::String,
        utf16("Windows Server 2022 Datacenter"),
    ));
    root.get_or_create_path(r"Policies\Microsoft\Windows NT\Terminal Services").values.push(value(
        "fDenyTSConnections",
        DataType::Dword,
        0u32.to_le_bytes().to_vec(),
    ));
    let mut p = rcgen::CertificateParams::new(vec!["WIN-RDS1".to_owned()]).unwrap();
    p.distinguished_name.push(rcgen::DnType::CommonName, "WIN-RDS1");
    let der = p.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap().der().to_vec();
    let thumb = rdp_doctor_core::cert::CertInfo::from_der(&der).sha1_thumbprint;
    let kp = rdp_doctor_core::evidence::host::KeyProvInfo {
        container: "TSSecKeySet1".into(),
        provider: "Microsoft Enhanced RSA and AES Cryptographic Provider".into(),
        provider_type: 24,
        machine_keyset: true,
        key_spec: 1,
    };
    root.get_or_create_path(&format!(r"Microsoft\SystemCertificates\Remote Desktop\Certificates\{thumb}"))
        .values
        .push(value("Blob", DataType::Binary, rdp_doctor_host::certstore::build_blob(&der, Some(&kp))));
    // Bulk: COM-class-like keys with a few values each, in 512 buckets, about 1.1 KB each in the hive.
    let payload = utf16(&"C:\\Windows\\System32\\some-component.dll ".repeat(12));
    let keys = target_mb * 1_000_000 / 1_100;
    let classes = root.get_or_create_path("Classes");
    classes.children = (0..512).map(|i| KeyTreeNode::new(&format!("Bucket{i:03}"))).collect();
    for i in 0..keys {
        let mut k = KeyTreeNode::new(&format!("{{{i:08X}-0000-4000-8000-{:012X}}}", i * 7919));
        k.values.push(value("", DataType::String, payload.clone()));
        k.values.push(value("ThreadingModel", DataType::String, utf16("Both")));
        k.values.push(value("Flags", DataType::Dword, (i as u32).to_le_bytes().to_vec()));
        classes.children[i % 512].children.push(k);
    }
    let bytes = HiveBuilder::from_tree(root).unwrap().to_bytes().unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// An evtx file of about `mb` MB: the real log's header and its chunks repeated.
fn evtx(path: &Path, mb: usize) {
    let src =
        std::fs::read(data("evtx/DE_RDP_Tunneling_TerminalServices-RemoteConnectionManagerOperational_1149.evtx"))
            .unwrap();
    let chunks: Vec<&[u8]> = src[4096..].chunks_exact(65_536).filter(|c| c.starts_with(b"ElfChnk\0")).collect();
    let n = (mb * 1_000_000).div_ceil(65_536);
    let mut out = src[..4096].to_vec();
    for i in 0..n {
        out.extend_from_slice(chunks[i % chunks.len()]);
    }
    // File header: last chunk number (u64 at 16) and chunk count (u16 at 42); the header checksum is not
    // checked by the reader.
    out[16..24].copy_from_slice(&(n as u64 - 1).to_le_bytes());
    out[42..44].copy_from_slice(&(n as u16).to_le_bytes());
    std::fs::write(path, out).unwrap();
}

/// CPU seconds (user + system) this process used, from /proc/self/stat (100 ticks per second): the figure
/// that does not depend on how busy the machine is.
fn cpu_s() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

fn vm_hwm_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The measured run: collection and analysis of the volume at `root`, as `host --offline` does.
fn run(root: &Path) {
    let t = Instant::now();
    let inputs =
        rdp_doctor_host::offline::Inputs { volume: Some(root.to_path_buf()), now: 1_795_305_600, ..Default::default() };
    let host = rdp_doctor_host::offline::collect(&inputs);
    let mut ev = rdp_doctor_core::Evidence::new(
        rdp_doctor_core::evidence::Target { input: "h".into(), host: "h".into(), port: 3389, ip: None },
        host.collected_at_unix,
    );
    let records: u64 = host.events.as_ref().map_or(0, |e| e.files.iter().map(|f| f.records_read).sum());
    ev.host = Some(host);
    let report = rdp_doctor_core::host_report::build(ev, 0.0);
    let json = serde_json::to_string(&report).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "host --offline: {secs:.2} s wall, {:.2} s CPU, peak {:.0} MB (target: < 2 s, < 200 MB); {records} event records read, verdict {}, {} bytes of JSON",
        cpu_s(),
        vm_hwm_mb(),
        report.verdict,
        json.len()
    );
}

/// The two halves alone, to see where the time goes.
fn parts(root: &Path) {
    let config = root.join("Windows/System32/config");
    let t = Instant::now();
    let inputs = rdp_doctor_host::offline::Inputs {
        hives: vec![config.join("SYSTEM"), config.join("SOFTWARE")],
        now: 1_795_305_600,
        ..Default::default()
    };
    let _ = rdp_doctor_host::offline::collect(&inputs);
    let hives = t.elapsed().as_secs_f64();
    let logs = root.join("Windows/System32/winevt/Logs");
    let t = Instant::now();
    let e = rdp_doctor_host::events::read_files(&[logs.join("System.evtx"), logs.join("Security.evtx")], None, None);
    let _ = cpu_s();
    println!(
        "  parts: hives {hives:.2} s, event logs {:.2} s ({} records of interest kept, {} omitted)",
        t.elapsed().as_secs_f64(),
        e.records.len(),
        e.omitted
    );
}

fn main() {
    if let Some(root) = std::env::var_os("RDP_DOCTOR_HOST_BENCH_CHILD") {
        if std::env::var_os("RDP_DOCTOR_HOST_BENCH_PARTS").is_some() {
            parts(Path::new(&root));
        } else {
            run(Path::new(&root));
        }
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let config = root.join("Windows/System32/config");
    let logs = root.join("Windows/System32/winevt/Logs");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::create_dir_all(root.join("ProgramData/Microsoft/Crypto/RSA/MachineKeys")).unwrap();
    let xz = rdp_doctor_lab::require("xz").unwrap_or_else(|e| panic!("{e}"));
    let o = Command::new(xz).arg("-dc").arg(data("hives/SYSTEM.xz")).output().unwrap();
    std::fs::write(config.join("SYSTEM"), o.stdout).unwrap();
    let t = Instant::now();
    software(&config.join("SOFTWARE"), 80);
    evtx(&logs.join("System.evtx"), 120);
    evtx(&logs.join("Security.evtx"), 80);
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0);
    println!(
        "volume built in {:.1} s: SYSTEM {:.1} MB, SOFTWARE {:.1} MB, evtx {:.1} MB",
        t.elapsed().as_secs_f64(),
        size(&config.join("SYSTEM")),
        size(&config.join("SOFTWARE")),
        size(&logs.join("System.evtx")) + size(&logs.join("Security.evtx"))
    );
    // Measured in a fresh process, so building the volume does not count; twice (cold and warm cache).
    for _ in 0..2 {
        let exe = std::env::current_exe().unwrap();
        let out = Command::new(exe).env("RDP_DOCTOR_HOST_BENCH_CHILD", root).output().unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .env("RDP_DOCTOR_HOST_BENCH_CHILD", root)
        .env("RDP_DOCTOR_HOST_BENCH_PARTS", "1")
        .output()
        .unwrap();
    print!("{}", String::from_utf8_lossy(&out.stdout));
}
