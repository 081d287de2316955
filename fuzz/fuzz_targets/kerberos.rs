//! Kerberos V5 messages (RFC 4120: AS/TGS/AP, KRB-ERROR with MS-KILE KERB-EXT-ERROR), TCP record framing
//! (7.2.2) and MS-KKDCP KDC-PROXY-MESSAGE.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::krb;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = krb::decode(data) {
        let _ = m.name();
    }
    if let Ok(Some(n)) = krb::tcp_record_len(data)
        && let Some(rec) = data.get(4..n.min(data.len()))
    {
        let _ = krb::decode(rec);
    }
    let _ = krb::decode_kdc_proxy_message(data);
});
