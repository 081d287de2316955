//! `scan -iL LIST`: the target list parser (`host[:port][,tls-name][,tag][,gateway=…]` lines, CIDR ranges,
//! comments) and `--exclude`; the first line of the input is the exclude list. Bounded: a list is held.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_scan::targets::{TargetArgs, collect};

fuzz_target!(|data: &[u8]| {
    let (exclude, list) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (String::from_utf8_lossy(&data[..at]).into_owned(), &data[at + 1..]),
        None => (String::new(), data),
    };
    let args = TargetArgs { lists: vec!["-".into()], exclude: vec![exclude], default_port: 3389, ..Default::default() };
    let mut stdin = list;
    if let Ok(set) = collect(&args, &mut stdin) {
        for t in set.targets.iter().take(8) {
            let _ = (t.key(), t.host_key(), t.input());
        }
    }
});
