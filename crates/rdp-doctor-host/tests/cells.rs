//! The path-following cell reader against the `regf` crate's full parse, on both real SYSTEM hives: every
//! key down to depth 4 has the same subkeys and the same values (name, type, data).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use rdp_doctor_host::cells::{Cells, KeyNode};

fn compare(
    cells: &Cells,
    ours: &KeyNode<'_>,
    theirs: &regf::hive::RegistryKey<'_>,
    path: &str,
    depth: usize,
    n: &mut usize,
) {
    *n += 1;
    let mut a: Vec<(String, u32, Vec<u8>)> =
        cells.values(ours).unwrap().into_iter().map(|v| (v.name, v.data_type, v.data)).collect();
    let mut b: Vec<(String, u32, Vec<u8>)> =
        theirs.values().unwrap().iter().map(|v| (v.name(), v.raw_data_type(), v.raw_data().unwrap())).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "values of {path}");
    let subs = cells.subkeys(ours).unwrap();
    let mut names: Vec<String> = subs.iter().map(KeyNode::name).collect();
    let theirs_subs = theirs.subkeys().unwrap();
    let mut want: Vec<String> = theirs_subs.iter().map(regf::hive::RegistryKey::name).collect();
    names.sort();
    want.sort();
    assert_eq!(names, want, "subkeys of {path}");
    if depth == 0 {
        return;
    }
    for s in &subs {
        let name = s.name();
        let t = theirs_subs.iter().find(|t| t.name() == name).unwrap();
        // Found by path too, whatever the case.
        assert!(cells.find_subkey(ours, &name.to_uppercase()).is_some(), "{path}\\{name} by name");
        compare(cells, s, t, &format!("{path}\\{name}"), depth - 1, n);
    }
}

#[test]
fn same_keys_and_values_as_a_full_parse() {
    let d = tempfile::tempdir().unwrap();
    for name in ["SYSTEM", "SYSTEM_2"] {
        let p = common::real_hive(name, d.path(), name);
        let bytes = std::fs::read(&p).unwrap();
        let full = regf::RegistryHive::from_bytes(bytes.clone()).unwrap();
        let cells = Cells::open(bytes).unwrap();
        let mut n = 0;
        compare(&cells, &cells.root().unwrap(), &full.root_key().unwrap(), name, 3, &mut n);
        assert!(n > 1000, "{name}: only {n} keys compared");
        let k = cells.open_key(r"ControlSet001\Control\Terminal Server\WinStations\RDP-Tcp").unwrap();
        let port = cells.value(&k, "portnumber").unwrap().unwrap();
        assert_eq!((port.data_type, port.data), (4, 3389u32.to_le_bytes().to_vec()));
    }
}
