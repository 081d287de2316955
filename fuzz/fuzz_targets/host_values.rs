//! The host side's pure value parsers: firewall rule strings (MS-GPFAS 2.2.2.10), certificate store blobs
//! and CRYPT_KEY_PROV_INFO, the container name inside a MachineKeys file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_core::evidence::host::SettingSource;
use rdp_doctor_host::{certstore, firewall, machinekeys};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = firewall::parse_rule("{fuzz}", &text, SettingSource::Local, r"HKLM\SYSTEM\x");
    let blob = certstore::parse_blob(data);
    let _ = format!("{blob:?}");
    if let Some(k) = certstore::parse_key_prov_info(data) {
        let _ = format!("{k:?}");
    }
    let _ = machinekeys::embedded_container_name(data);
});
