//! Kerberos decoding against messages a real KDC sent (tests/data/krb/SOURCES.md), plus hand-laid
//! Windows e-data and the GSS-API framing CredSSP uses.

use super::*;

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/krb/{name}.bin", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn error_of(name: &str) -> (Message, ErrorInfo) {
    let m = decode(&data(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let e = m.error.clone().unwrap_or_else(|| panic!("{name}: not a KRB-ERROR"));
    (m, e)
}

#[test]
fn requests_name_client_service_and_realm() {
    let m = decode(&data("as-req")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((m.name(), m.cname.as_deref(), m.sname.as_deref()), ("AS-REQ", Some("alice"), Some("krbtgt/LAB.TEST")));
    assert_eq!(m.realm.as_deref(), Some("LAB.TEST"));
    let m = decode(&data("tgs-req")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((m.name(), m.sname.as_deref()), ("TGS-REQ", Some("TERMSRV/10.0.0.5")));
    let m = decode(&data("as-rep")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((m.name(), m.cname.as_deref(), m.realm.as_deref()), ("AS-REP", Some("alice"), Some("LAB.TEST")));
    assert_eq!(m.sname.as_deref(), Some("krbtgt/LAB.TEST"));
    let m = decode(&data("tgs-rep")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((m.msg_type, m.sname.as_deref()), (msg::TGS_REP, Some("TERMSRV/rdp.lab.test")));
}

#[test]
fn errors_from_a_real_kdc() {
    for (file, code) in [
        ("preauth-required", 25),
        ("preauth-failed", 24),
        ("c-principal-unknown", 6),
        ("client-revoked", 18),
        ("key-exp", 23),
        ("skew", 37),
        ("s-principal-unknown", 7),
    ] {
        let (m, e) = error_of(file);
        assert_eq!(e.code, code, "{file}");
        assert_eq!(m.realm.as_deref(), Some("LAB.TEST"), "{file}");
        assert!(e.stime.as_deref().is_some_and(|t| t.starts_with("2026") && t.ends_with('Z')), "{file}: {:?}", e.stime);
        assert_eq!(e.ntstatus, None, "{file}: MIT sends no KERB-EXT-ERROR");
    }
    let (m, _) = error_of("s-principal-unknown");
    assert_eq!(m.sname.as_deref(), Some("TERMSRV/10.0.0.5"));
    let (m, _) = error_of("preauth-failed");
    assert_eq!(m.cname.as_deref(), Some("alice"));
    // PREAUTH_REQUIRED lists the methods (PA-ENC-TIMESTAMP = 2 among them).
    let (_, req) = error_of("preauth-required");
    assert!(req.padata_types.contains(&2), "{:?}", req.padata_types);
    // MIT writes its reason into e-text (the skew was found while checking the encrypted timestamp).
    let (_, skew) = error_of("skew");
    assert_eq!(skew.e_text.as_deref(), Some("PREAUTH_FAILED"), "{skew:?}");
}

/// A minimal KRB-ERROR as a Windows KDC sends it for a disabled account: KDC_ERR_CLIENT_REVOKED with
/// KERB-ERROR-DATA { data-type 3, data-value KERB-EXT-ERROR { STATUS_ACCOUNT_DISABLED, 0, 1 } }.
fn windows_revoked() -> Vec<u8> {
    let mut ext = Vec::new();
    ext.extend_from_slice(&0xC000_0072u32.to_le_bytes()); // status: STATUS_ACCOUNT_DISABLED
    ext.extend_from_slice(&0u32.to_le_bytes()); // reserved
    ext.extend_from_slice(&1u32.to_le_bytes()); // flags
    let tagged = |tag: u8, inner: Vec<u8>| {
        let mut o = Vec::new();
        der::write_tlv(&mut o, tag, &inner);
        o
    };
    let int = |v: u32| {
        let mut o = Vec::new();
        der::write_integer(&mut o, v);
        o
    };
    let gs = |s: &str| tagged(0x1b, s.as_bytes().to_vec()); // GeneralString
    let mut err_data = tagged(0xa1, int(3)); // data-type [1] 3 = KERB_ERR_TYPE_EXTENDED
    err_data.extend(tagged(0xa2, tagged(0x04, ext))); // data-value [2] OCTET STRING
    let mut f = tagged(0xa0, int(5)); // pvno [0] 5
    f.extend(tagged(0xa1, int(30))); // msg-type [1] 30
    f.extend(tagged(0xa4, tagged(0x18, b"20261121120000Z".to_vec()))); // stime [4]
    f.extend(tagged(0xa5, int(0))); // susec [5]
    f.extend(tagged(0xa6, int(18))); // error-code [6] KDC_ERR_CLIENT_REVOKED
    f.extend(tagged(0xa9, gs("CORP.EXAMPLE"))); // realm [9]
    let mut sname = tagged(0xa0, int(2)); // name-type [0] NT-SRV-INST
    sname.extend(tagged(0xa1, tagged(0x30, [gs("krbtgt"), gs("CORP.EXAMPLE")].concat()))); // name-string [1]
    f.extend(tagged(0xaa, tagged(0x30, sname))); // sname [10]
    f.extend(tagged(0xac, tagged(0x04, tagged(0x30, err_data)))); // e-data [12] OCTET STRING (KERB-ERROR-DATA)
    tagged(0x7e, tagged(0x30, f)) // [APPLICATION 30] SEQUENCE
}

#[test]
fn windows_extended_error_names_the_ntstatus() {
    let m = decode(&windows_revoked()).unwrap_or_else(|e| panic!("{e}"));
    let e = m.error.unwrap_or_default();
    assert_eq!((e.code, e.ntstatus), (18, Some(0xC000_0072)));
    assert_eq!(m.sname.as_deref(), Some("krbtgt/CORP.EXAMPLE"));
}

#[test]
fn truncated_messages_are_errors_never_panics() {
    for name in ["preauth-failed", "as-req", "s-principal-unknown", "skew"] {
        let m = data(name);
        for n in 0..m.len() {
            assert!(decode(&m[..n]).is_err(), "{name} cut at {n}");
        }
    }
    let w = windows_revoked();
    for n in 0..w.len() {
        assert!(decode(&w[..n]).is_err(), "cut at {n}");
    }
    assert_eq!(decode(&[0x30, 0]), Err(KrbError::NotKerberos(0x30)));
}

#[test]
fn tcp_records_and_gss_tokens() {
    let body = data("preauth-failed");
    let mut rec = u32::try_from(body.len()).unwrap_or(0).to_be_bytes().to_vec();
    rec.extend_from_slice(&body);
    assert_eq!(tcp_record_len(&rec), Ok(Some(body.len())));
    assert_eq!(tcp_record_len(&rec[..3]), Ok(None));
    assert!(matches!(tcp_record_len(&[0x7f, 0xff, 0xff, 0xff]), Err(KrbError::TooLong(_))));
    // A krb5 InitialContextToken around the KRB-ERROR (RFC 1964 1.1: 0x60 len, OID, TOK_ID 03 00), inside
    // bytes of an SPNEGO NegTokenResp.
    let mut token = vec![0xa1, 0x81, 0xff, 0x30, 0x81, 0xfc, 0xa2, 0x81, 0xf9, 0x04, 0x81, 0xf6, 0x60, 0x81, 0xf3];
    token.extend_from_slice(&[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03, 0x00]);
    token.extend_from_slice(&data("skew"));
    let m = find_in_gss_token(&token).unwrap_or_default();
    assert_eq!(m.error.map(|e| e.code), Some(37));
    assert_eq!(find_in_gss_token(b"NTLMSSP\0\x01\0\0\0"), None);
}

/// MS-KKDCP 2.2.2: the KDC's answer as a KDC proxy relays it (length-prefixed inside kerb-message).
pub(crate) fn kdc_proxy_message(msg: &[u8]) -> Vec<u8> {
    let mut framed = u32::try_from(msg.len()).unwrap_or(0).to_be_bytes().to_vec();
    framed.extend_from_slice(msg);
    let mut octets = Vec::new();
    der::write_tlv(&mut octets, 0x04, &framed); // OCTET STRING
    let mut fields = Vec::new();
    der::write_tlv(&mut fields, 0xa0, &octets); // kerb-message [0]
    let mut realm = Vec::new();
    der::write_tlv(&mut realm, 0x1b, b"LAB.TEST");
    der::write_tlv(&mut fields, 0xa1, &realm); // target-domain [1]
    let mut out = Vec::new();
    der::write_tlv(&mut out, 0x30, &fields);
    out
}

#[test]
fn kdc_proxy_messages() {
    let m = decode_kdc_proxy_message(&kdc_proxy_message(&data("preauth-failed"))).unwrap_or_default();
    assert_eq!(m.error.map(|e| e.code), Some(24));
    let whole = kdc_proxy_message(&data("as-req"));
    assert_eq!(decode_kdc_proxy_message(&whole).map(|m| m.msg_type), Ok(msg::AS_REQ));
    for n in 0..whole.len() {
        assert!(decode_kdc_proxy_message(&whole[..n]).is_err(), "cut at {n}");
    }
}
