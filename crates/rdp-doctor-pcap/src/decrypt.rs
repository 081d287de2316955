//! TLS record decryption from logged secrets, with `ring`'s primitives (AEAD, HMAC, HKDF); nothing here is
//! a cipher of its own, only the key schedules that turn a logged secret into record keys:
//!
//! - TLS 1.2 (RFC 5246 §6.3, §5): key_block = PRF(master_secret, "key expansion", server_random +
//!   client_random) with P_SHA256 or P_SHA384; AES-GCM records (RFC 5288) carry an 8-byte explicit nonce
//!   after a 4-byte implicit salt, ChaCha20-Poly1305 records (RFC 7905) XOR the sequence number into a
//!   12-byte IV.
//! - TLS 1.3 (RFC 8446 §7.1, §7.3, §5.2): key/iv = HKDF-Expand-Label(traffic secret, "key"/"iv", "", len);
//!   the inner plaintext ends with its real content type followed by zero padding.
//!
//! Supported: the AEAD suites RDP servers, gateways and rustls negotiate today, and AES-CBC with
//! HMAC-SHA1/SHA256/SHA384 in TLS 1.0–1.2 (`decrypt_cbc.rs`). Anything else (3DES, RC4, NULL, CCM) is
//! reported as unsupported, never guessed.

use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use ring::{hkdf, hmac};

use crate::decrypt_cbc::{CbcKeys, MacAlg, prf10};

/// The AEAD of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aead {
    Aes128Gcm,
    Aes256Gcm,
    Chacha20Poly1305,
}

impl Aead {
    fn key_len(self) -> usize {
        match self {
            Aead::Aes128Gcm => 16,
            Aead::Aes256Gcm | Aead::Chacha20Poly1305 => 32,
        }
    }
    fn algorithm(self) -> &'static ring::aead::Algorithm {
        match self {
            Aead::Aes128Gcm => &AES_128_GCM,
            Aead::Aes256Gcm => &AES_256_GCM,
            Aead::Chacha20Poly1305 => &CHACHA20_POLY1305,
        }
    }
}

/// How a suite protects records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    Aead(Aead),
    /// AES-CBC with an HMAC; `key_len` 16 or 32.
    Cbc {
        key_len: usize,
        mac: MacAlg,
    },
}

/// A suite we can decrypt: its record protection and the hash of its PRF / HKDF (TLS 1.2+).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    pub bulk: Bulk,
    pub sha384: bool,
}

/// The decryptable suite for an IANA cipher suite value, or `None` (3DES, RC4, NULL, CCM, unknown…).
pub fn suite(id: u16) -> Option<Suite> {
    let cbc = |key_len, mac, sha384| Some(Suite { bulk: Bulk::Cbc { key_len, mac }, sha384 });
    match id {
        // RSA, DHE_RSA, ECDHE_ECDSA, ECDHE_RSA with AES-CBC and HMAC-SHA1 (RFC 5246, RFC 4492).
        0x002f | 0x0033 | 0xc009 | 0xc013 => return cbc(16, MacAlg::Sha1, false),
        0x0035 | 0x0039 | 0xc00a | 0xc014 => return cbc(32, MacAlg::Sha1, false),
        // … with HMAC-SHA256 / SHA384 (RFC 5246, RFC 5289).
        0x003c | 0x0067 | 0xc023 | 0xc027 => return cbc(16, MacAlg::Sha256, false),
        0x003d | 0x006b => return cbc(32, MacAlg::Sha256, false),
        0xc024 | 0xc028 => return cbc(32, MacAlg::Sha384, true),
        _ => {}
    }
    let (aead, sha384) = match id {
        0x1301 => (Aead::Aes128Gcm, false),
        0x1302 => (Aead::Aes256Gcm, true),
        0x1303 => (Aead::Chacha20Poly1305, false),
        // TLS 1.2 AES-GCM: RSA, DHE_RSA, ECDHE_ECDSA, ECDHE_RSA (RFC 5288, RFC 5289).
        0x009c | 0x009e | 0xc02b | 0xc02f => (Aead::Aes128Gcm, false),
        0x009d | 0x009f | 0xc02c | 0xc030 => (Aead::Aes256Gcm, true),
        // TLS 1.2 ChaCha20-Poly1305 (RFC 7905).
        0xcca8..=0xccaa => (Aead::Chacha20Poly1305, false),
        _ => return None,
    };
    Some(Suite { bulk: Bulk::Aead(aead), sha384 })
}

/// The record protection of one direction.
pub struct RecordKeys {
    /// Set for CBC suites; the AEAD fields are then unused.
    cbc: Option<CbcKeys>,
    key: LessSafeKey,
    /// 4-byte salt (TLS 1.2 GCM) or 12-byte IV.
    iv: Vec<u8>,
    explicit_nonce: bool,
    tls13: bool,
    /// The next record's sequence number.
    pub seq: u64,
}

impl std::fmt::Debug for RecordKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordKeys").field("tls13", &self.tls13).field("seq", &self.seq).finish_non_exhaustive()
    }
}

/// Why a record did not decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecryptError {
    /// Shorter than nonce + tag.
    Short,
    /// The tag did not verify: wrong secret, or a record missing before this one.
    Auth,
}

fn hmac_alg(sha384: bool) -> hmac::Algorithm {
    if sha384 { hmac::HMAC_SHA384 } else { hmac::HMAC_SHA256 }
}

fn p_hash(sha384: bool, secret: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    p_hash_alg(hmac_alg(sha384), secret, seed, len)
}

/// P_hash of RFC 5246 §5 with any HMAC.
pub fn p_hash_alg(alg: hmac::Algorithm, secret: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let key = hmac::Key::new(alg, secret);
    let mut out = Vec::with_capacity(len + 48);
    let mut a = hmac::sign(&key, seed).as_ref().to_vec();
    while out.len() < len {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(&a);
        ctx.update(seed);
        out.extend_from_slice(ctx.sign().as_ref());
        a = hmac::sign(&key, &a).as_ref().to_vec();
    }
    out.truncate(len);
    out
}

/// The TLS 1.2 PRF (RFC 5246 §5).
pub fn prf12(sha384: bool, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut s = Vec::with_capacity(label.len() + seed.len());
    s.extend_from_slice(label);
    s.extend_from_slice(seed);
    p_hash(sha384, secret, &s, len)
}

/// A length for ring's HKDF output.
struct Len(usize);
impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
pub fn hkdf_expand_label(sha384: bool, secret: &[u8], label: &[u8], len: usize) -> Option<Vec<u8>> {
    let alg = if sha384 { hkdf::HKDF_SHA384 } else { hkdf::HKDF_SHA256 };
    let prk = hkdf::Prk::new_less_safe(alg, secret);
    let full_len = 6 + label.len();
    let mut info = Vec::with_capacity(4 + full_len);
    info.extend_from_slice(&u16::try_from(len).ok()?.to_be_bytes());
    info.push(u8::try_from(full_len).ok()?);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    let mut out = vec![0u8; len];
    prk.expand(&[&info], Len(len)).ok()?.fill(&mut out).ok()?;
    Some(out)
}

impl RecordKeys {
    fn new(aead: Aead, key: &[u8], iv: Vec<u8>, explicit_nonce: bool, tls13: bool) -> Option<Self> {
        let key = LessSafeKey::new(UnboundKey::new(aead.algorithm(), key).ok()?);
        Some(Self { cbc: None, key, iv, explicit_nonce, tls13, seq: 0 })
    }

    fn with_cbc(cbc: CbcKeys) -> Option<Self> {
        // The AEAD key is a placeholder that is never used.
        let mut k = Self::new(Aead::Aes128Gcm, &[0; 16], Vec::new(), false, false)?;
        k.cbc = Some(cbc);
        Some(k)
    }

    /// TLS 1.3 keys from a traffic secret.
    pub fn tls13(suite: Suite, secret: &[u8]) -> Option<Self> {
        let Bulk::Aead(aead) = suite.bulk else { return None };
        let key = hkdf_expand_label(suite.sha384, secret, b"key", aead.key_len())?;
        let iv = hkdf_expand_label(suite.sha384, secret, b"iv", 12)?;
        Self::new(aead, &key, iv, false, true)
    }

    /// TLS 1.0–1.2 keys of both directions (client, server) from the master secret. `version` is the
    /// negotiated one; `etm` whether the ServerHello accepted encrypt-then-MAC (RFC 7366).
    pub fn tls12(
        suite: Suite,
        version: u16,
        etm: bool,
        master: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Option<(Self, Self)> {
        let mut seed = Vec::with_capacity(64);
        seed.extend_from_slice(server_random);
        seed.extend_from_slice(client_random);
        let aead = match suite.bulk {
            Bulk::Aead(a) if version >= 0x0303 => a,
            Bulk::Aead(_) => return None,
            Bulk::Cbc { key_len, mac } => {
                // client MAC key, server MAC key, client key, server key, client IV, server IV.
                let (m, k) = (mac.len(), key_len);
                let len = 2 * m + 2 * k + 2 * 16;
                let block = if version >= 0x0303 {
                    prf12(suite.sha384, master, b"key expansion", &seed, len)
                } else {
                    prf10(master, b"key expansion", &seed, len)?
                };
                let at = |from: usize, n: usize| block.get(from..from + n);
                let explicit = version >= 0x0302;
                let c = CbcKeys::new(at(2 * m, k)?, mac, at(0, m)?, at(2 * m + 2 * k, 16)?, explicit, etm);
                let s = CbcKeys::new(at(2 * m + k, k)?, mac, at(m, m)?, at(2 * m + 2 * k + 16, 16)?, explicit, etm);
                return Some((Self::with_cbc(c)?, Self::with_cbc(s)?));
            }
        };
        let k = aead.key_len();
        let iv = if aead == Aead::Chacha20Poly1305 { 12 } else { 4 };
        // AEAD suites have no MAC keys: client key, server key, client IV, server IV.
        let block = prf12(suite.sha384, master, b"key expansion", &seed, 2 * k + 2 * iv);
        let explicit = aead != Aead::Chacha20Poly1305;
        let c = Self::new(aead, block.get(..k)?, block.get(2 * k..2 * k + iv)?.to_vec(), explicit, false)?;
        let s =
            Self::new(aead, block.get(k..2 * k)?, block.get(2 * k + iv..2 * k + 2 * iv)?.to_vec(), explicit, false)?;
        Some((c, s))
    }

    /// Decrypts one record body (`content_type`, `version` from its header). Returns the real content type
    /// and the plaintext; the sequence number advances only on success.
    pub fn open(&mut self, content_type: u8, version: u16, body: &[u8]) -> Result<(u8, Vec<u8>), DecryptError> {
        const TAG: usize = 16;
        if let Some(c) = self.cbc.as_mut() {
            let plain = c.open(self.seq, content_type, version, body)?;
            self.seq = self.seq.wrapping_add(1);
            return Ok((content_type, plain));
        }
        let mut nonce = [0u8; 12];
        let (aad, mut data) = if self.explicit_nonce {
            let explicit = body.get(..8).ok_or(DecryptError::Short)?;
            if body.len() < 8 + TAG {
                return Err(DecryptError::Short);
            }
            nonce
                .get_mut(..4)
                .ok_or(DecryptError::Short)?
                .copy_from_slice(self.iv.get(..4).ok_or(DecryptError::Short)?);
            nonce.get_mut(4..).ok_or(DecryptError::Short)?.copy_from_slice(explicit);
            let len = u16::try_from(body.len() - 8 - TAG).map_err(|_| DecryptError::Short)?;
            (self.aad12(content_type, version, len), body.get(8..).unwrap_or_default().to_vec())
        } else {
            if body.len() < TAG {
                return Err(DecryptError::Short);
            }
            for (i, n) in nonce.iter_mut().enumerate() {
                *n = self.iv.get(i).copied().unwrap_or(0);
            }
            for (n, s) in nonce.iter_mut().skip(4).zip(self.seq.to_be_bytes()) {
                *n ^= s;
            }
            let aad = if self.tls13 {
                let len = u16::try_from(body.len()).map_err(|_| DecryptError::Short)?;
                let mut a = vec![content_type];
                a.extend_from_slice(&version.to_be_bytes());
                a.extend_from_slice(&len.to_be_bytes());
                a
            } else {
                let len = u16::try_from(body.len() - TAG).map_err(|_| DecryptError::Short)?;
                self.aad12(content_type, version, len)
            };
            (aad, body.to_vec())
        };
        let plain = self
            .key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut data)
            .map_err(|_| DecryptError::Auth)?;
        let plain_len = plain.len();
        data.truncate(plain_len);
        self.seq = self.seq.wrapping_add(1);
        if !self.tls13 {
            return Ok((content_type, data));
        }
        // RFC 8446 §5.2: strip the zero padding; the last non-zero byte is the content type.
        let end = data.iter().rposition(|b| *b != 0).ok_or(DecryptError::Auth)?;
        let ct = data.get(end).copied().unwrap_or(0);
        data.truncate(end);
        Ok((ct, data))
    }

    fn aad12(&self, content_type: u8, version: u16, len: u16) -> Vec<u8> {
        let mut a = Vec::with_capacity(13);
        a.extend_from_slice(&self.seq.to_be_bytes());
        a.push(content_type);
        a.extend_from_slice(&version.to_be_bytes());
        a.extend_from_slice(&len.to_be_bytes());
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8448 §3 (simple 1-RTT handshake): server handshake traffic secret → key and iv.
    #[test]
    fn hkdf_expand_label_matches_rfc8448() {
        let secret = hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
        assert_eq!(hkdf_expand_label(false, &secret, b"key", 16), Some(hex("3fce516009c21727d0f2e4e86ee403bc")));
        assert_eq!(hkdf_expand_label(false, &secret, b"iv", 12), Some(hex("5d313eb2671276ee13000b30")));
    }

    fn hex(s: &str) -> Vec<u8> {
        rdp_doctor_proto::hex::parse_hex(s).unwrap_or_default()
    }

    #[test]
    fn suites() {
        assert_eq!(suite(0xc030), Some(Suite { bulk: Bulk::Aead(Aead::Aes256Gcm), sha384: true }));
        assert_eq!(suite(0x1303), Some(Suite { bulk: Bulk::Aead(Aead::Chacha20Poly1305), sha384: false }));
        assert_eq!(suite(0xc014), Some(Suite { bulk: Bulk::Cbc { key_len: 32, mac: MacAlg::Sha1 }, sha384: false }));
        assert_eq!(suite(0x000a), None, "3DES is not decrypted");
    }

    #[test]
    fn short_and_forged_records_are_errors() {
        let s = Suite { bulk: Bulk::Aead(Aead::Aes128Gcm), sha384: false };
        let Some((mut c, _)) = RecordKeys::tls12(s, 0x0303, false, &[1; 48], &[2; 32], &[3; 32]) else {
            panic!("keys")
        };
        assert_eq!(c.open(23, 0x0303, &[0; 23]), Err(DecryptError::Short));
        assert_eq!(c.open(23, 0x0303, &[0; 40]), Err(DecryptError::Auth));
        assert_eq!(c.seq, 0);
    }
}
