//! Machine certificate stores as the SOFTWARE hive keeps them:
//! `HKLM\SOFTWARE\Microsoft\SystemCertificates\<store>\Certificates\<SHA-1 thumbprint>\Blob`.
//!
//! The `Blob` value is a serialized certificate store element: a sequence of properties, each
//! `{ u32 property ID, u32 reserved (1), u32 length, length bytes }` (the format CertSerializeCertificate-
//! StoreElement writes). Property 32 (`CERT_CERT_PROP_ID`) holds the certificate's DER; property 2
//! (`CERT_KEY_PROV_INFO_PROP_ID`) a self-relative CRYPT_KEY_PROV_INFO naming the key's container and
//! provider. Pure and bounded: lengths are checked against what is left.

use rdp_doctor_core::evidence::host::KeyProvInfo;

/// `CERT_KEY_PROV_INFO_PROP_ID` (wincrypt.h).
pub const CERT_KEY_PROV_INFO_PROP_ID: u32 = 2;
/// `CERT_CERT_PROP_ID` (wincrypt.h).
pub const CERT_CERT_PROP_ID: u32 = 32;
/// `CRYPT_MACHINE_KEYSET` flag of CRYPT_KEY_PROV_INFO.dwFlags.
pub const CRYPT_MACHINE_KEYSET: u32 = 0x20;
/// At most this many properties are read from one blob.
const MAX_PROPERTIES: usize = 64;

/// What a `Blob` value holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertBlob {
    pub der: Option<Vec<u8>>,
    pub key: Option<KeyProvInfo>,
    /// Property IDs present, in order.
    pub properties: Vec<u32>,
    /// Set when the blob ended inside a property.
    pub truncated: bool,
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(u32::from_le_bytes)
}

/// Parses a `Blob` value.
pub fn parse_blob(blob: &[u8]) -> CertBlob {
    let mut out = CertBlob::default();
    let mut at = 0usize;
    while at < blob.len() && out.properties.len() < MAX_PROPERTIES {
        let (Some(id), Some(len)) = (le32(blob, at), le32(blob, at + 8)) else {
            out.truncated = true;
            break;
        };
        let start = at + 12;
        let Some(data) = start.checked_add(len as usize).and_then(|end| blob.get(start..end)) else {
            out.truncated = true;
            break;
        };
        out.properties.push(id);
        match id {
            CERT_CERT_PROP_ID => out.der = Some(data.to_vec()),
            CERT_KEY_PROV_INFO_PROP_ID => out.key = parse_key_prov_info(data),
            _ => {}
        }
        at = start + data.len();
    }
    out
}

/// A NUL-terminated UTF-16LE string at `offset` (self-relative), bounded by the property.
fn wstr(data: &[u8], offset: u32) -> Option<String> {
    if offset == 0 {
        return None;
    }
    let rest = data.get(offset as usize..)?;
    let units: Vec<u16> =
        rest.as_chunks::<2>().0.iter().map(|c| u16::from_le_bytes(*c)).take_while(|u| *u != 0).take(1024).collect();
    Some(String::from_utf16_lossy(&units))
}

/// CRYPT_KEY_PROV_INFO in its serialized (self-relative) form: offsets of the container and provider names,
/// provider type, flags, parameter count and offset, key spec (7 x u32).
pub fn parse_key_prov_info(data: &[u8]) -> Option<KeyProvInfo> {
    let container = wstr(data, le32(data, 0)?)?;
    let provider = wstr(data, le32(data, 4)?).unwrap_or_default();
    Some(KeyProvInfo {
        container,
        provider,
        provider_type: le32(data, 8)?,
        machine_keyset: le32(data, 12)? & CRYPT_MACHINE_KEYSET != 0,
        key_spec: le32(data, 24).unwrap_or(0),
    })
}

/// Builds a `Blob` the way Windows stores it (for tests and for seeding Wine's store).
pub fn build_blob(der: &[u8], key: Option<&KeyProvInfo>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prop = |id: u32, data: &[u8]| {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
    };
    if let Some(k) = key {
        let w = |s: &str| s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
        let (c, p) = (w(&k.container), w(&k.provider));
        let mut d = Vec::new();
        let c_off = 28u32;
        let p_off = c_off + c.len() as u32;
        for v in
            [c_off, p_off, k.provider_type, if k.machine_keyset { CRYPT_MACHINE_KEYSET } else { 0 }, 0, 0, k.key_spec]
        {
            d.extend_from_slice(&v.to_le_bytes());
        }
        d.extend_from_slice(&c);
        d.extend_from_slice(&p);
        prop(CERT_KEY_PROV_INFO_PROP_ID, &d);
    }
    prop(CERT_CERT_PROP_ID, der);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> KeyProvInfo {
        KeyProvInfo {
            container: "TSSecKeySet1".into(),
            provider: "Microsoft Enhanced Cryptographic Provider v1.0".into(),
            provider_type: 1,
            machine_keyset: true,
            key_spec: 1,
        }
    }

    #[test]
    fn round_trip_with_and_without_key() {
        let b = build_blob(b"\x30\x03\x02\x01\x01", Some(&key()));
        let p = parse_blob(&b);
        assert_eq!(p.der.as_deref(), Some(&b"\x30\x03\x02\x01\x01"[..]));
        assert_eq!(p.key, Some(key()));
        assert_eq!(p.properties, [2, 32]);
        assert!(!p.truncated);
        let p = parse_blob(&build_blob(b"abc", None));
        assert_eq!(p.key, None);
        assert_eq!(p.der.as_deref(), Some(&b"abc"[..]));
    }

    #[test]
    fn every_truncation_is_safe() {
        let b = build_blob(&[0x30; 300], Some(&key()));
        for n in 0..b.len() {
            let p = parse_blob(&b[..n]);
            assert!(p.truncated || n == 0 || p.properties.len() == 1, "cut at {n}");
            assert!(p.der.is_none(), "cut at {n}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_safe(b in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _ = parse_blob(&b);
            let _ = parse_key_prov_info(&b);
        }
    }
}
