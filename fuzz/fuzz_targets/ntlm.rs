//! NTLM CHALLENGE and AUTHENTICATE (MS-NLMP 2.2.1.2-2.2.1.3) and AV_PAIR target info (2.2.2.1).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::ntlm;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = ntlm::decode_challenge(data) {
        let _ = format!("{c:?}");
    }
    let _ = ntlm::decode_authenticate_account(data);
    let _ = ntlm::decode_target_info(data);
});
