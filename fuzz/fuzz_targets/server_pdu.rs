//! What a server sends after the security exchange (MS-RDPBCGR 2.2.5.1.1 Set Error Info, MS-RDPELE
//! licensing ERROR_ALERT, 2.2.10.1 Save Session Info, T.125 ultimatum, fast-path updates): the framing loop
//! the credentialed run and the decrypted-capture reader use, and "what answered instead of RDP".
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::{server_pdu, sniff};

fuzz_target!(|data: &[u8]| {
    let _ = sniff::guess(data);
    let mut rest = data;
    while let Ok(Some(n)) = server_pdu::frame_len(rest) {
        if n == 0 || n > rest.len() {
            break;
        }
        let (frame, tail) = rest.split_at(n);
        let _ = server_pdu::decode(frame);
        rest = tail;
    }
    let _ = server_pdu::decode(data);
});
