//! RDP-UDP SYN / SYN+ACK (MS-RDPEUDP 2.2.2, 3.1.5.1) and the FEC header.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::rdpeudp;

fuzz_target!(|data: &[u8]| {
    let _ = rdpeudp::looks_like_client_syn(data);
    let _ = rdpeudp::decode_fec_header(data);
    if let Ok(syn) = rdpeudp::decode_syn(data) {
        let _ = syn.is_syn_ack();
        let _ = format!("{syn:?}");
    }
});
