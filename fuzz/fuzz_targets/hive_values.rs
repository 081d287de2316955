//! A valid registry hive (written by `regf`'s builder) around fuzzed values at the keys the collector reads
//! (`host_tables::REG_VALUES`, the service, firewall profiles and rules, certificate stores, the listener,
//! the machine's names and network profiles), so the value readers, firewall rule strings, certificate
//! blobs and the host rules see deep states; then the host report and its JSON, as `host --hive` does.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rdp_doctor_core::host_tables::{self, REG_VALUES};
use regf::{DataType, HiveBuilder, KeyTreeNode, KeyTreeValue};

/// Keys of the SYSTEM hive (relative to the control set) and of the SOFTWARE hive the collector opens.
const SYSTEM_KEYS: &[&str] = &[
    r"Control\Terminal Server",
    r"Control\Terminal Server\WinStations\RDP-Tcp",
    r"Services\TermService",
    r"Control\ComputerName\ComputerName",
    r"Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules",
    r"Services\SharedAccess\Parameters\FirewallPolicy\DomainProfile",
    r"Services\SharedAccess\Parameters\FirewallPolicy\StandardProfile",
    r"Services\SharedAccess\Parameters\FirewallPolicy\PublicProfile",
    r"Control\Lsa",
    r"Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server",
];
const SOFTWARE_KEYS: &[&str] = &[
    r"Microsoft\Windows NT\CurrentVersion",
    r"Policies\Microsoft\Windows NT\Terminal Services",
    r"Policies\Microsoft\WindowsFirewall\FirewallRules",
    r"Policies\Microsoft\WindowsFirewall\DomainProfile",
    r"Policies\Microsoft\WindowsFirewall\PrivateProfile",
    r"Policies\Microsoft\WindowsFirewall\PublicProfile",
    r"Microsoft\SystemCertificates\MY\Certificates\0123456789ABCDEF0123456789ABCDEF01234567",
    r"Microsoft\SystemCertificates\Remote Desktop\Certificates\0123456789ABCDEF0123456789ABCDEF01234567",
    r"Microsoft\Cryptography",
    r"Microsoft\Windows NT\CurrentVersion\NetworkList\Profiles\{00000000-0000-0000-0000-000000000001}",
];
const NAMES: &[&str] = &[
    "Start",
    "ObjectName",
    "ComputerName",
    "ProductName",
    "CurrentBuild",
    "DisplayVersion",
    "EnableFirewall",
    "SSLCertificateSHA1Hash",
    "Blob",
    "MachineGuid",
    "Category",
    "Enabled",
    "{rule}",
    "RemoteDesktop-UserMode-In-TCP",
];

#[derive(Arbitrary, Debug)]
enum Name {
    /// A value name of the settings table.
    Setting(u8),
    Known(u8),
    Own(String),
}

#[derive(Arbitrary, Debug)]
struct Value {
    key: u8,
    name: Name,
    data_type: u8,
    data: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct Spec {
    software: bool,
    current_control_set: u32,
    values: Vec<Value>,
}

fn data_type(t: u8) -> DataType {
    match t % 8 {
        0 => DataType::Dword,
        1 => DataType::String,
        2 => DataType::Binary,
        3 => DataType::MultiString,
        4 => DataType::Qword,
        5 => DataType::ExpandString,
        6 => DataType::DwordBigEndian,
        _ => DataType::None,
    }
}

/// The keys every input's hive has, as a tree (built once per hive kind; the fuzzed values go into a clone):
/// creating the same ~50 keys through `HiveBuilder::create_key` for every input was ~40 % of each execution.
fn key_tree(software: bool) -> (KeyTreeNode, Vec<String>) {
    let (keys, prefix): (&[&str], &str) = if software { (SOFTWARE_KEYS, "") } else { (SYSTEM_KEYS, r"ControlSet001\") };
    let mut all: Vec<String> = keys.iter().map(|k| format!("{prefix}{k}")).collect();
    for d in REG_VALUES {
        let k = match (d.hive, software) {
            (host_tables::Hive::System, false) => format!("{prefix}{}", d.key),
            (host_tables::Hive::Software, true) => d.key.to_owned(),
            _ => continue,
        };
        all.push(k);
        if let Some(p) = d.policy_key
            && software
        {
            all.push(p.to_owned());
        }
    }
    all.sort();
    all.dedup();
    let mut root = KeyTreeNode::new("ROOT");
    root.get_or_create_path(if software { "Classes" } else { "Select" });
    for k in &all {
        root.get_or_create_path(k);
    }
    (root, all)
}

thread_local! {
    static TREES: [(KeyTreeNode, Vec<String>); 2] = [key_tree(false), key_tree(true)];
}

fn build(s: &Spec) -> Option<Vec<u8>> {
    let (mut root, all) = TREES.with(|t| t[usize::from(s.software)].clone());
    if !s.software {
        let select = root.get_or_create_path("Select");
        select.values.push(value("Current", DataType::Dword, (s.current_control_set % 4).to_le_bytes().to_vec()));
    }
    for v in s.values.iter().take(64) {
        let key = all.get(usize::from(v.key) % all.len())?;
        let name = match &v.name {
            Name::Setting(i) => REG_VALUES.get(usize::from(*i) % REG_VALUES.len())?.name.to_owned(),
            Name::Known(i) => NAMES.get(usize::from(*i) % NAMES.len())?.to_string(),
            Name::Own(n) => n.chars().take(64).collect(),
        };
        let data = v.data.get(..v.data.len().min(4096))?;
        let node = root.get_or_create_path(key);
        // A name given twice replaces the value, as `add_value_with_type` does.
        node.values.retain(|old| !old.name.eq_ignore_ascii_case(&name));
        node.values.push(value(&name, data_type(v.data_type), data.to_vec()));
    }
    HiveBuilder::from_tree(root).ok()?.build().ok()
}

fn value(name: &str, data_type: DataType, data: Vec<u8>) -> KeyTreeValue {
    KeyTreeValue { name: name.to_owned(), data_type, data }
}

fuzz_target!(
    init: {
        // The hive reader catches `regf`'s panics (see the `hive` target).
        std::panic::set_hook(Box::new(|_| {}));
    },
    |s: Spec| {
        let Some(bytes) = build(&s) else { return };
        let name = if s.software { "SOFTWARE" } else { "SYSTEM" };
        let path = rdp_doctor_fuzz::scratch_dir().join(name);
        if std::fs::write(&path, &bytes).is_err() {
            return;
        }
        let inputs = rdp_doctor_host::offline::Inputs { hives: vec![path], now: 1_763_700_000, ..Default::default() };
        let ev = rdp_doctor_host::offline::collect(&inputs);
        let report = rdp_doctor_fuzz::host_report(ev);
        assert!(serde_json::to_string(&report).is_ok());
    }
);
