//! CredSSP TSRequest (MS-CSSP 2.2.1) and the NTLM/SPNEGO tokens inside it, as the probe reads them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rdp_doctor_proto::{credssp, krb, ntlm, spnego};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((req, used))) = credssp::decode(data) {
        assert!(used <= data.len());
        for token in req.nego_tokens.iter() {
            let _ = ntlm::decode_challenge(token);
            let _ = spnego::decode(token);
            let _ = krb::find_in_gss_token(token);
        }
    }
});
