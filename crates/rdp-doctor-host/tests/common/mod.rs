//! Test data for the host tests: the real hives of `tests/data` unpacked, faulty variants made from them
//! with a real hive editor (`hivexregedit --merge`, libwin-hivex-perl), a SOFTWARE hive derived from the
//! real SYSTEM hive the same way (the corpus has no SOFTWARE hive), certificate blobs made with rcgen, and
//! a mounted-volume layout in a temporary directory.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rdp_doctor_core::evidence::host::{HostEvidence, KeyProvInfo};
use rdp_doctor_core::{Report, report::LayerName};

pub const GUID: &str = "4c4c4544-0000-1000-8000-000000000000";
/// A fixed collection time: 2026-11-21T00:00:00Z.
pub const NOW: i64 = 1_795_305_600;

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)
}

fn tool(name: &str) -> PathBuf {
    rdp_doctor_lab::require(name).unwrap_or_else(|e| panic!("{e}"))
}

/// Unpacks `tests/data/hives/NAME.xz` to `dir/file`.
pub fn real_hive(name: &str, dir: &Path, file: &str) -> PathBuf {
    let out = dir.join(file);
    let o = Command::new(tool("xz")).args(["-dc"]).arg(data(&format!("hives/{name}.xz"))).output().unwrap();
    assert!(o.status.success(), "xz: {}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(&out, o.stdout).unwrap();
    out
}

/// A registry value in a .reg file.
#[derive(Clone)]
pub enum V<'a> {
    Dword(u32),
    Sz(&'a str),
    Hex(&'a [u8]),
    /// Bytes with a registry type number of their own: REG_NONE (0) as the LSA writes its attributes, a RID
    /// as the type of a SAM `Names` entry.
    Raw(u32, Vec<u8>),
}

/// One section: `Some(values)` sets values (creating the key), `None` deletes the key.
pub type Section<'a> = (&'a str, Option<Vec<(&'a str, V<'a>)>>);

/// A .reg file for `hivexregedit --merge`: parent keys are created first, sections are separated by blank
/// lines, keys are given below `HKEY_LOCAL_MACHINE\<root>`.
pub fn reg_text(root: &str, sections: &[Section<'_>]) -> String {
    let mut out = String::from("Windows Registry Editor Version 5.00\n\n");
    let mut made: Vec<String> = Vec::new();
    for (key, vals) in sections {
        let full = format!("HKEY_LOCAL_MACHINE\\{root}\\{key}");
        match vals {
            None => out.push_str(&format!("[-{full}]\n\n")),
            Some(vals) => {
                let parts: Vec<&str> = key.split('\\').collect();
                for i in 1..parts.len() {
                    let parent = format!("HKEY_LOCAL_MACHINE\\{root}\\{}", parts[..i].join("\\"));
                    if !made.contains(&parent) {
                        out.push_str(&format!("[{parent}]\n\n"));
                        made.push(parent);
                    }
                }
                out.push_str(&format!("[{full}]\n"));
                for (name, v) in vals {
                    let data = match v {
                        V::Dword(d) => format!("dword:{d:08x}"),
                        V::Sz(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
                        V::Hex(b) => {
                            format!("hex:{}", b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(","))
                        }
                        V::Raw(t, b) => {
                            format!("hex({t:x}):{}", b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(","))
                        }
                    };
                    // `@` is the key's default (unnamed) value.
                    if *name == "@" {
                        out.push_str(&format!("@={data}\n"));
                    } else {
                        out.push_str(&format!("\"{name}\"={data}\n"));
                    }
                }
                out.push('\n');
                made.push(full);
            }
        }
    }
    out
}

/// Applies `sections` to the hive file with hivexregedit (the hive is changed in place).
pub fn merge(hive: &Path, root: &str, sections: &[Section<'_>]) {
    let reg = hive.with_extension("reg");
    std::fs::write(&reg, reg_text(root, sections)).unwrap();
    let o = Command::new(tool("hivexregedit"))
        .arg("--merge")
        .arg("--prefix")
        .arg(format!("HKEY_LOCAL_MACHINE\\{root}"))
        .arg(hive)
        .arg(&reg)
        .output()
        .unwrap();
    assert!(o.status.success(), "hivexregedit: {}", String::from_utf8_lossy(&o.stderr));
    std::fs::remove_file(reg).unwrap();
}

/// A copy of the real SYSTEM hive with `sections` applied.
pub fn system_variant(dir: &Path, file: &str, sections: &[Section<'_>]) -> PathBuf {
    let h = real_hive("SYSTEM", dir, file);
    if !sections.is_empty() {
        merge(&h, "SYSTEM", sections);
    }
    h
}

/// A SOFTWARE hive: the real SYSTEM hive with its SYSTEM keys removed and `sections` (plus MachineGuid and
/// the product name) added.
pub fn software(dir: &Path, file: &str, sections: &[Section<'_>]) -> PathBuf {
    let h = real_hive("SYSTEM", dir, file);
    let mut all: Vec<Section<'_>> =
        ["ControlSet001", "ControlSet002", "Select", "MountedDevices", "Setup", "WPA", "RNG"]
            .iter()
            .map(|k| (*k, None))
            .collect();
    all.push(("Microsoft\\Cryptography", Some(vec![("MachineGuid", V::Sz(GUID))])));
    all.push((
        "Microsoft\\Windows NT\\CurrentVersion",
        Some(vec![("ProductName", V::Sz("Windows Server 2022 Datacenter")), ("CurrentBuild", V::Sz("20348"))]),
    ));
    all.extend(sections.iter().map(|(k, v)| {
        (
            *k,
            v.as_ref().map(|vals| {
                vals.iter()
                    .map(|(n, d)| {
                        (
                            *n,
                            match d {
                                V::Dword(x) => V::Dword(*x),
                                V::Sz(s) => V::Sz(s),
                                V::Hex(b) => V::Hex(b),
                                V::Raw(t, b) => V::Raw(*t, b.clone()),
                            },
                        )
                    })
                    .collect()
            }),
        )
    }));
    merge(&h, "SOFTWARE", &all);
    h
}

/// A hive of another kind (`SECURITY`, `SAM`) derived from the real SYSTEM hive: its SYSTEM keys removed and
/// `sections` (keys below `HKEY_LOCAL_MACHINE\<root>`) added with hivexregedit. The corpus has no real
/// SECURITY or SAM hive; the values follow the layouts documented in `rdp_doctor_host::rights`.
pub fn derived(dir: &Path, file: &str, root: &str, sections: Vec<Section<'_>>) -> PathBuf {
    let h = real_hive("SYSTEM", dir, file);
    let mut all: Vec<Section<'_>> =
        ["ControlSet001", "ControlSet002", "Select", "MountedDevices", "Setup", "WPA", "RNG"]
            .iter()
            .map(|k| (*k, None))
            .collect();
    all.extend(sections);
    merge(&h, root, &all);
    h
}

/// A certificate (DER) for `cn`, valid from `from` to `to` (Unix seconds), made with rcgen.
pub fn cert(cn: &str, from: i64, to: i64) -> Vec<u8> {
    let mut p = rcgen::CertificateParams::new(vec![cn.to_owned()]).unwrap();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.not_before = time::OffsetDateTime::from_unix_timestamp(from).unwrap();
    p.not_after = time::OffsetDateTime::from_unix_timestamp(to).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    p.self_signed(&key).unwrap().der().to_vec()
}

/// The key provider info of the RDP listener's self-signed certificate.
pub fn rdp_key() -> KeyProvInfo {
    KeyProvInfo {
        container: "TSSecKeySet1".into(),
        provider: "Microsoft Enhanced RSA and AES Cryptographic Provider".into(),
        provider_type: 24,
        machine_keyset: true,
        key_spec: 1,
    }
}

/// The SHA-1 thumbprint Windows names a certificate by.
pub fn thumbprint(der: &[u8]) -> String {
    rdp_doctor_core::cert::CertInfo::from_der(der).sha1_thumbprint
}

/// A mounted-volume layout: `Windows/System32/config/{SYSTEM,SOFTWARE}`, MachineKeys (with the given key
/// files), `winevt/Logs` (with the given evtx files copied in).
pub fn volume(root: &Path, system: &Path, software: Option<&Path>, key_files: &[&str], logs: &[&str]) {
    let config = root.join("Windows/System32/config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::rename(system, config.join("SYSTEM")).unwrap();
    if let Some(s) = software {
        std::fs::rename(s, config.join("SOFTWARE")).unwrap();
    }
    let mk = root.join("ProgramData/Microsoft/Crypto/RSA/MachineKeys");
    std::fs::create_dir_all(&mk).unwrap();
    for k in key_files {
        // A CSP key file header naming its container (version, reserved, name length, …, name at 40).
        let mut head = vec![0u8; 40];
        head[0..4].copy_from_slice(&2u32.to_le_bytes());
        head[8..12].copy_from_slice(&13u32.to_le_bytes());
        head.extend_from_slice(b"TSSecKeySet1\0");
        head.resize(2048, 0xA5);
        std::fs::write(mk.join(k), head).unwrap();
    }
    let logs_dir = root.join("Windows/System32/winevt/Logs");
    std::fs::create_dir_all(&logs_dir).unwrap();
    for l in logs {
        std::fs::copy(data(&format!("evtx/{l}")), logs_dir.join(l)).unwrap();
    }
}

/// Collects and judges as `rdp-doctor host` does.
pub fn report(inputs: &rdp_doctor_host::offline::Inputs) -> (HostEvidence, Report) {
    let host = rdp_doctor_host::offline::collect(inputs);
    let mut ev = rdp_doctor_core::Evidence::new(
        rdp_doctor_core::evidence::Target { input: "h".into(), host: "h".into(), port: 3389, ip: None },
        host.collected_at_unix,
    );
    ev.host = Some(host.clone());
    let r = rdp_doctor_core::host_report::build(ev, 0.0);
    assert_eq!(r.layers.len(), 1);
    assert_eq!(r.layers[0].name, LayerName::Host);
    (host, r)
}

pub fn hives(paths: &[&Path]) -> rdp_doctor_host::offline::Inputs {
    rdp_doctor_host::offline::Inputs {
        hives: paths.iter().map(|p| p.to_path_buf()).collect(),
        now: NOW,
        ..Default::default()
    }
}

pub fn ids(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.id).collect()
}

/// The finding `id`, with its evidence joined for matching.
pub fn finding<'a>(r: &'a Report, id: &str) -> (&'a rdp_doctor_core::Finding, String) {
    let f = r.findings.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no {id} in {:?}", ids(r)));
    (f, f.evidence.join("\n"))
}
