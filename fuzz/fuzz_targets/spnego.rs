//! SPNEGO NegTokenInit/NegTokenResp (RFC 4178) and krb5 tokens inside GSS framing (RFC 4121 4.1).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::{krb, spnego};

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = spnego::decode(data) {
        let _ = format!("{t:?}");
    }
    let _ = krb::find_in_gss_token(data);
});
