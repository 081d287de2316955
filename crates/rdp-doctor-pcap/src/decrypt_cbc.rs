//! CBC + HMAC record protection of legacy suites, the one kind Windows Server 2008 R2/2012-era RDP hosts
//! still negotiate: AES-CBC from RustCrypto (`aes`, `cbc`), HMAC-SHA1/SHA256/SHA384 from `ring`, HMAC-MD5
//! (RustCrypto `hmac` + `md-5`) only for the TLS 1.0/1.1 PRF.
//!
//! - MAC-then-encrypt (RFC 5246 §6.2.3.2): decrypt, strip padding, then check HMAC(seq ‖ type ‖ version ‖
//!   length ‖ content).
//! - Encrypt-then-MAC (RFC 7366, negotiated by the ServerHello's extension 22): check the HMAC over the
//!   IV and ciphertext first, then decrypt.
//! - TLS 1.1+ records carry an explicit IV (RFC 4346 §6.2.3.2); TLS 1.0 chains the IV from the key block
//!   and then from the last ciphertext block of the previous record (RFC 2246 §6.2.3.2).

use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit};
use ring::hmac;

use crate::decrypt::DecryptError;

const BLOCK: usize = 16;

/// The record MAC of a CBC suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacAlg {
    Sha1,
    Sha256,
    Sha384,
}

impl MacAlg {
    pub fn len(self) -> usize {
        match self {
            MacAlg::Sha1 => 20,
            MacAlg::Sha256 => 32,
            MacAlg::Sha384 => 48,
        }
    }
    fn ring(self) -> hmac::Algorithm {
        match self {
            MacAlg::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            MacAlg::Sha256 => hmac::HMAC_SHA256,
            MacAlg::Sha384 => hmac::HMAC_SHA384,
        }
    }
}

/// One direction's CBC keys.
pub struct CbcKeys {
    key: Vec<u8>,
    mac: hmac::Key,
    mac_len: usize,
    /// TLS 1.0: the IV of the next record (the previous record's last ciphertext block).
    iv: Vec<u8>,
    explicit_iv: bool,
    etm: bool,
}

impl CbcKeys {
    pub fn new(key: &[u8], mac_alg: MacAlg, mac_key: &[u8], iv: &[u8], explicit_iv: bool, etm: bool) -> Self {
        Self {
            key: key.to_vec(),
            mac: hmac::Key::new(mac_alg.ring(), mac_key),
            mac_len: mac_alg.len(),
            iv: iv.to_vec(),
            explicit_iv,
            etm,
        }
    }

    fn verify(&self, seq: u64, ct: u8, version: u16, data: &[u8], tag: &[u8]) -> Result<(), DecryptError> {
        let len = u16::try_from(data.len()).map_err(|_| DecryptError::Short)?;
        let mut ctx = hmac::Context::with_key(&self.mac);
        ctx.update(&seq.to_be_bytes());
        ctx.update(&[ct]);
        ctx.update(&version.to_be_bytes());
        ctx.update(&len.to_be_bytes());
        ctx.update(data);
        if ctx.sign().as_ref() == tag { Ok(()) } else { Err(DecryptError::Auth) }
    }

    /// Decrypts `data` (whole blocks) with `iv` in place.
    fn decrypt(&self, iv: &[u8], data: &mut [u8]) -> Result<(), DecryptError> {
        if data.is_empty() || !data.len().is_multiple_of(BLOCK) {
            return Err(DecryptError::Short);
        }
        let ok = match self.key.len() {
            16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(&self.key, iv)
                .map_err(|_| DecryptError::Auth)?
                .decrypt_padded::<NoPadding>(data)
                .is_ok(),
            32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(&self.key, iv)
                .map_err(|_| DecryptError::Auth)?
                .decrypt_padded::<NoPadding>(data)
                .is_ok(),
            _ => false,
        };
        if ok { Ok(()) } else { Err(DecryptError::Auth) }
    }

    /// Splits off the IV and remembers the chaining block (TLS 1.0).
    fn iv_and_data<'a>(&mut self, c: &'a [u8]) -> Result<(Vec<u8>, &'a [u8]), DecryptError> {
        if self.explicit_iv {
            let iv = c.get(..BLOCK).ok_or(DecryptError::Short)?;
            Ok((iv.to_vec(), c.get(BLOCK..).unwrap_or_default()))
        } else {
            let iv = std::mem::take(&mut self.iv);
            if let Some(last) = c.len().checked_sub(BLOCK).and_then(|at| c.get(at..)) {
                self.iv = last.to_vec();
            }
            Ok((iv, c))
        }
    }

    /// Removes TLS padding (every padding byte equals the padding length).
    fn unpad(plain: &mut Vec<u8>) -> Result<(), DecryptError> {
        let p = usize::from(*plain.last().ok_or(DecryptError::Auth)?);
        let keep = plain.len().checked_sub(p + 1).ok_or(DecryptError::Auth)?;
        if plain.get(keep..).is_some_and(|pad| pad.iter().all(|b| usize::from(*b) == p)) {
            plain.truncate(keep);
            Ok(())
        } else {
            Err(DecryptError::Auth)
        }
    }

    /// Opens one record body.
    pub fn open(&mut self, seq: u64, ct: u8, version: u16, body: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if self.etm {
            let cut = body.len().checked_sub(self.mac_len).ok_or(DecryptError::Short)?;
            let (c, tag) = body.split_at(cut);
            self.verify(seq, ct, version, c, tag)?;
            let (iv, data) = self.iv_and_data(c)?;
            let mut plain = data.to_vec();
            self.decrypt(&iv, &mut plain)?;
            Self::unpad(&mut plain)?;
            return Ok(plain);
        }
        let saved = self.iv.clone();
        let (iv, data) = self.iv_and_data(body)?;
        let mut plain = data.to_vec();
        let result = self.decrypt(&iv, &mut plain).and_then(|()| Self::unpad(&mut plain)).and_then(|()| {
            let cut = plain.len().checked_sub(self.mac_len).ok_or(DecryptError::Auth)?;
            let (content, tag) = plain.split_at(cut);
            self.verify(seq, ct, version, content, tag)?;
            Ok(cut)
        });
        match result {
            Ok(cut) => {
                plain.truncate(cut);
                Ok(plain)
            }
            Err(e) => {
                self.iv = saved;
                Err(e)
            }
        }
    }
}

/// The TLS 1.0/1.1 PRF (RFC 2246 §5): P_MD5(S1, label + seed) XOR P_SHA1(S2, label + seed).
pub fn prf10(secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Option<Vec<u8>> {
    use ::hmac::{KeyInit, Mac};
    type HmacMd5 = ::hmac::Hmac<md5::Md5>;
    let half = secret.len().div_ceil(2);
    let s1 = secret.get(..half)?;
    let s2 = secret.get(secret.len() - half..)?;
    let mut ls = label.to_vec();
    ls.extend_from_slice(seed);
    let md5 = |data: &[&[u8]]| -> Option<Vec<u8>> {
        let mut m = <HmacMd5 as KeyInit>::new_from_slice(s1).ok()?;
        for d in data {
            m.update(d);
        }
        Some(m.finalize().into_bytes().to_vec())
    };
    let mut out = Vec::with_capacity(len + 16);
    let mut a = md5(&[&ls])?;
    while out.len() < len {
        out.extend_from_slice(&md5(&[&a, &ls])?);
        a = md5(&[&a])?;
    }
    out.truncate(len);
    let sha = crate::decrypt::p_hash_alg(hmac_sha1(), s2, &ls, len);
    Some(out.iter().zip(sha).map(|(x, y)| x ^ y).collect())
}

fn hmac_sha1() -> ring::hmac::Algorithm {
    ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_checked() {
        let mut p = vec![1, 2, 3, 2, 2, 2];
        assert_eq!(CbcKeys::unpad(&mut p), Ok(()));
        assert_eq!(p, vec![1, 2, 3]);
        let mut bad = vec![1, 2, 3, 1, 2];
        assert_eq!(CbcKeys::unpad(&mut bad), Err(DecryptError::Auth));
        assert_eq!(CbcKeys::unpad(&mut vec![9]), Err(DecryptError::Auth));
    }

    #[test]
    fn prf10_has_the_asked_length_and_depends_on_both_halves() {
        let a = prf10(&[1; 48], b"key expansion", &[2; 64], 104).unwrap_or_default();
        assert_eq!(a.len(), 104);
        let mut s = [1u8; 48];
        s[47] = 9;
        assert_ne!(prf10(&s, b"key expansion", &[2; 64], 104).unwrap_or_default(), a);
    }
}
