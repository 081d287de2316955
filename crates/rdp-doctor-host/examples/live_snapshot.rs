//! Prints the live snapshot of this Windows machine as JSON (what `rdp-doctor host --save` writes), for
//! checking the live collector under Wine: `wine live_snapshot.exe` after `wine reg add …`.
#![allow(clippy::unwrap_used)]

#[cfg(windows)]
fn main() {
    let ev = rdp_doctor_host::live::collect(0);
    println!("{}", rdp_doctor_host::snapshot::to_json(&ev));
}

#[cfg(not(windows))]
fn main() {
    eprintln!("live_snapshot reads the Windows registry: build it for a Windows target");
}
