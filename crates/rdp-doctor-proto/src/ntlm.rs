//! NTLM NEGOTIATE and CHALLENGE messages (MS-NLMP 2.2.1.1, 2.2.1.2, 2.2.2.1, 2.2.2.10).
//!
//! rdp-doctor sends a NEGOTIATE inside CredSSP and reads the server's CHALLENGE for what it reveals without
//! any credentials: NetBIOS and DNS names, the OS version and the server's clock. No AUTHENTICATE is ever
//! sent, so nothing can lock an account.

/// "NTLMSSP\0"
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// MS-NLMP 2.2.2.5 NEGOTIATE flags used in our NEGOTIATE.
pub mod flags {
    pub const NTLMSSP_NEGOTIATE_UNICODE: u32 = 0x0000_0001;
    pub const NTLMSSP_REQUEST_TARGET: u32 = 0x0000_0004;
    pub const NTLMSSP_NEGOTIATE_SIGN: u32 = 0x0000_0010;
    pub const NTLMSSP_NEGOTIATE_SEAL: u32 = 0x0000_0020;
    pub const NTLMSSP_NEGOTIATE_NTLM: u32 = 0x0000_0200;
    pub const NTLMSSP_NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
    pub const NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
    pub const NTLMSSP_NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
    pub const NTLMSSP_NEGOTIATE_VERSION: u32 = 0x0200_0000;
    pub const NTLMSSP_NEGOTIATE_128: u32 = 0x2000_0000;
    pub const NTLMSSP_NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;
    pub const NTLMSSP_NEGOTIATE_56: u32 = 0x8000_0000;
}

/// The flags a current Windows client sends in its NEGOTIATE.
pub const NEGOTIATE_FLAGS: u32 = flags::NTLMSSP_NEGOTIATE_UNICODE
    | flags::NTLMSSP_REQUEST_TARGET
    | flags::NTLMSSP_NEGOTIATE_SIGN
    | flags::NTLMSSP_NEGOTIATE_SEAL
    | flags::NTLMSSP_NEGOTIATE_NTLM
    | flags::NTLMSSP_NEGOTIATE_ALWAYS_SIGN
    | flags::NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY
    | flags::NTLMSSP_NEGOTIATE_TARGET_INFO
    | flags::NTLMSSP_NEGOTIATE_VERSION
    | flags::NTLMSSP_NEGOTIATE_128
    | flags::NTLMSSP_NEGOTIATE_KEY_EXCH
    | flags::NTLMSSP_NEGOTIATE_56;

/// MS-NLMP 2.2.1.1 NEGOTIATE_MESSAGE with empty domain and workstation, VERSION 10.0.19041 rev 15.
pub fn encode_negotiate() -> Vec<u8> {
    let mut m = Vec::with_capacity(40);
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&1u32.to_le_bytes()); // MessageType = NtLmNegotiate
    m.extend_from_slice(&NEGOTIATE_FLAGS.to_le_bytes());
    m.extend_from_slice(&[0; 8]); // DomainNameFields: len 0, maxlen 0, offset 0
    m.extend_from_slice(&[0; 8]); // WorkstationFields
    m.extend_from_slice(&[10, 0]); // ProductMajorVersion, ProductMinorVersion
    m.extend_from_slice(&19041u16.to_le_bytes()); // ProductBuild
    m.extend_from_slice(&[0, 0, 0, 15]); // Reserved, NTLMRevisionCurrent = NTLMSSP_REVISION_W2K3
    m
}

/// MS-NLMP 2.2.2.10 VERSION.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub major: u8,
    pub minor: u8,
    pub build: u16,
    pub ntlm_revision: u8,
}

/// MS-NLMP 2.2.2.1 AV_PAIR values of interest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetInfo {
    pub nb_computer_name: Option<String>,
    pub nb_domain_name: Option<String>,
    pub dns_computer_name: Option<String>,
    pub dns_domain_name: Option<String>,
    pub dns_tree_name: Option<String>,
    /// MsvAvTimestamp: FILETIME (100 ns units since 1601-01-01 UTC).
    pub timestamp: Option<u64>,
    /// AvIds seen that are not listed above (kept as evidence).
    pub other_ids: Vec<u16>,
}

/// A decoded CHALLENGE_MESSAGE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub flags: u32,
    pub target_name: Option<String>,
    pub target_info: TargetInfo,
    pub version: Option<Version>,
}

/// Why bytes are not a CHALLENGE.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NtlmError {
    #[error("NTLM message of {0} bytes is shorter than a CHALLENGE header (48)")]
    Truncated(usize),
    #[error("no NTLMSSP signature")]
    BadSignature,
    #[error("NTLM message type {0} is not the one expected here")]
    WrongType(u32),
    #[error("{field} points outside the message (offset {offset}, length {len}, message {total})")]
    FieldOutOfBounds { field: &'static str, offset: usize, len: usize, total: usize },
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).and_then(|s| <[u8; 2]>::try_from(s).ok()).map(u16::from_le_bytes)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(u32::from_le_bytes)
}

fn field<'a>(msg: &'a [u8], at: usize, name: &'static str) -> Result<&'a [u8], NtlmError> {
    let len = usize::from(u16_at(msg, at).unwrap_or(0));
    let offset = u32_at(msg, at + 4).map_or(0, |v| usize::try_from(v).unwrap_or(usize::MAX));
    if len == 0 {
        return Ok(&[]);
    }
    msg.get(offset..offset.saturating_add(len)).ok_or(NtlmError::FieldOutOfBounds {
        field: name,
        offset,
        len,
        total: msg.len(),
    })
}

fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> =
        bytes.chunks_exact(2).filter_map(|c| <[u8; 2]>::try_from(c).ok()).map(u16::from_le_bytes).collect();
    String::from_utf16_lossy(&units)
}

/// Decodes a CHALLENGE_MESSAGE (the whole NTLM token).
pub fn decode_challenge(msg: &[u8]) -> Result<Challenge, NtlmError> {
    if msg.len() < 32 {
        return Err(NtlmError::Truncated(msg.len()));
    }
    if msg.get(..8) != Some(&SIGNATURE[..]) {
        return Err(NtlmError::BadSignature);
    }
    let ty = u32_at(msg, 8).unwrap_or(0);
    if ty != 2 {
        return Err(NtlmError::WrongType(ty));
    }
    if msg.len() < 48 {
        return Err(NtlmError::Truncated(msg.len()));
    }
    let flags = u32_at(msg, 20).unwrap_or(0);
    let target_name = field(msg, 12, "TargetNameFields")?;
    let info = field(msg, 40, "TargetInfoFields")?;
    // VERSION follows at offset 48 when NEGOTIATE_VERSION is set and the payload starts after it.
    let version = if flags & flags::NTLMSSP_NEGOTIATE_VERSION != 0 {
        match msg.get(48..56) {
            Some(&[major, minor, b0, b1, _, _, _, ntlm_revision]) => {
                Some(Version { major, minor, build: u16::from_le_bytes([b0, b1]), ntlm_revision })
            }
            _ => None,
        }
    } else {
        None
    };
    Ok(Challenge {
        flags,
        target_name: (!target_name.is_empty()).then(|| utf16(target_name)),
        target_info: decode_target_info(info),
        version,
    })
}

/// The account an AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) names: `DomainNameFields` and `UserNameFields`.
/// Nothing else of the message is read (its responses prove the password and stay untouched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticateAccount {
    pub domain: Option<String>,
    pub user: String,
}

impl AuthenticateAccount {
    /// `DOMAIN\user`, or `user` alone.
    pub fn display(&self) -> String {
        match &self.domain {
            Some(d) => format!("{d}\\{}", self.user),
            None => self.user.clone(),
        }
    }
}

/// Reads the domain and user names of an AUTHENTICATE_MESSAGE (the whole NTLM token). Names are UTF-16LE
/// when NTLMSSP_NEGOTIATE_UNICODE is set in its NegotiateFlags (offset 60), OEM (read as Latin-1) otherwise.
pub fn decode_authenticate_account(msg: &[u8]) -> Result<AuthenticateAccount, NtlmError> {
    // Signature (8), MessageType (4), then six 8-byte fields (LM, NT, domain, user, workstation, session
    // key) and NegotiateFlags (4): 64 bytes.
    if msg.len() < 64 {
        return Err(NtlmError::Truncated(msg.len()));
    }
    if msg.get(..8) != Some(&SIGNATURE[..]) {
        return Err(NtlmError::BadSignature);
    }
    let ty = u32_at(msg, 8).unwrap_or(0);
    if ty != 3 {
        return Err(NtlmError::WrongType(ty));
    }
    let flags = u32_at(msg, 60).unwrap_or(0);
    let text = |b: &[u8]| {
        if flags & flags::NTLMSSP_NEGOTIATE_UNICODE != 0 {
            utf16(b)
        } else {
            b.iter().map(|&c| char::from(c)).collect()
        }
    };
    let domain = field(msg, 28, "DomainNameFields")?;
    let user = field(msg, 36, "UserNameFields")?;
    Ok(AuthenticateAccount { domain: (!domain.is_empty()).then(|| text(domain)), user: text(user) })
}

/// Walks AV_PAIRs until MsvAvEOL or the end; a pair that overruns ends the walk.
pub fn decode_target_info(mut b: &[u8]) -> TargetInfo {
    let mut ti = TargetInfo::default();
    while let (Some(id), Some(len)) = (u16_at(b, 0), u16_at(b, 2)) {
        let Some(value) = b.get(4..4 + usize::from(len)) else { break };
        match id {
            0 => break,
            1 => ti.nb_computer_name = Some(utf16(value)),
            2 => ti.nb_domain_name = Some(utf16(value)),
            3 => ti.dns_computer_name = Some(utf16(value)),
            4 => ti.dns_domain_name = Some(utf16(value)),
            5 => ti.dns_tree_name = Some(utf16(value)),
            7 => ti.timestamp = <[u8; 8]>::try_from(value).ok().map(u64::from_le_bytes),
            other => ti.other_ids.push(other),
        }
        b = b.get(4 + usize::from(len)..).unwrap_or_default();
    }
    ti
}

/// FILETIME → Unix time in milliseconds (may be negative for dates before 1970).
pub fn filetime_to_unix_ms(ft: u64) -> i64 {
    const EPOCH_DIFF_MS: i64 = 11_644_473_600_000;
    i64::try_from(ft / 10_000).unwrap_or(i64::MAX).saturating_sub(EPOCH_DIFF_MS)
}

/// Unix milliseconds → FILETIME (for test servers that announce a chosen clock).
pub fn unix_ms_to_filetime(ms: i64) -> u64 {
    u64::try_from(ms.saturating_add(11_644_473_600_000)).unwrap_or(0).saturating_mul(10_000)
}

/// Encodes a CHALLENGE_MESSAGE (used by scripted test peers and fixtures).
pub fn encode_challenge(flags: u32, target_name: &str, info: &TargetInfo, version: Option<Version>) -> Vec<u8> {
    let u16le = |s: &str| s.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
    let mut av = Vec::new();
    let mut pair = |id: u16, v: &[u8]| {
        av.extend_from_slice(&id.to_le_bytes());
        av.extend_from_slice(&(v.len() as u16).to_le_bytes());
        av.extend_from_slice(v);
    };
    for (id, v) in [
        (2, &info.nb_domain_name),
        (1, &info.nb_computer_name),
        (4, &info.dns_domain_name),
        (3, &info.dns_computer_name),
        (5, &info.dns_tree_name),
    ] {
        if let Some(s) = v {
            pair(id, &u16le(s));
        }
    }
    if let Some(ts) = info.timestamp {
        pair(7, &ts.to_le_bytes());
    }
    pair(0, &[]);
    let name = u16le(target_name);
    let header = 56u32;
    let mut m = Vec::new();
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&2u32.to_le_bytes());
    m.extend_from_slice(&(name.len() as u16).to_le_bytes());
    m.extend_from_slice(&(name.len() as u16).to_le_bytes());
    m.extend_from_slice(&header.to_le_bytes());
    let flags = if version.is_some() { flags | flags::NTLMSSP_NEGOTIATE_VERSION } else { flags };
    m.extend_from_slice(&flags.to_le_bytes());
    m.extend_from_slice(&[0x11; 8]); // ServerChallenge
    m.extend_from_slice(&[0; 8]); // Reserved
    m.extend_from_slice(&(av.len() as u16).to_le_bytes());
    m.extend_from_slice(&(av.len() as u16).to_le_bytes());
    m.extend_from_slice(&(header + name.len() as u32).to_le_bytes());
    let v = version.unwrap_or(Version { major: 0, minor: 0, build: 0, ntlm_revision: 0 });
    m.extend_from_slice(&[v.major, v.minor]);
    m.extend_from_slice(&v.build.to_le_bytes());
    m.extend_from_slice(&[0, 0, 0, v.ntlm_revision]);
    m.extend_from_slice(&name);
    m.extend_from_slice(&av);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let info = TargetInfo {
            nb_computer_name: Some("RDS1".into()),
            nb_domain_name: Some("CORP".into()),
            dns_computer_name: Some("rds1.corp.example".into()),
            dns_domain_name: Some("corp.example".into()),
            dns_tree_name: Some("corp.example".into()),
            timestamp: Some(unix_ms_to_filetime(1_795_305_600_000)),
            other_ids: vec![],
        };
        encode_challenge(
            0xe28a_8235,
            "CORP",
            &info,
            Some(Version { major: 10, minor: 0, build: 20348, ntlm_revision: 15 }),
        )
    }

    #[test]
    fn negotiate_layout() {
        let m = encode_negotiate();
        assert_eq!(m.len(), 40);
        assert_eq!(&m[..8], b"NTLMSSP\0");
        assert_eq!(u32_at(&m, 8), Some(1));
        assert_eq!(u32_at(&m, 12), Some(NEGOTIATE_FLAGS));
    }

    #[test]
    fn decodes_challenge() {
        let c = decode_challenge(&sample()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.target_name.as_deref(), Some("CORP"));
        assert_eq!(c.target_info.nb_computer_name.as_deref(), Some("RDS1"));
        assert_eq!(c.target_info.dns_computer_name.as_deref(), Some("rds1.corp.example"));
        assert_eq!(c.version, Some(Version { major: 10, minor: 0, build: 20348, ntlm_revision: 15 }));
        assert_eq!(c.target_info.timestamp.map(filetime_to_unix_ms), Some(1_795_305_600_000));
    }

    #[test]
    fn truncation_and_bounds() {
        let m = sample();
        for n in 0..48 {
            assert!(decode_challenge(&m[..n]).is_err(), "cut at {n}");
        }
        // Cutting into the payload makes a field point outside the message.
        assert!(matches!(decode_challenge(&m[..m.len() - 1]), Err(NtlmError::FieldOutOfBounds { .. })));
        let mut wrong = m.clone();
        wrong[8] = 3;
        assert_eq!(decode_challenge(&wrong), Err(NtlmError::WrongType(3)));
    }

    /// An AUTHENTICATE_MESSAGE laid out as MS-NLMP 2.2.1.3 gives it, with empty LM/NT responses.
    fn authenticate(unicode: bool) -> Vec<u8> {
        let enc = |s: &str| -> Vec<u8> {
            if unicode { s.encode_utf16().flat_map(u16::to_le_bytes).collect() } else { s.as_bytes().to_vec() }
        };
        let (domain, user, ws) = (enc("CORP"), enc("alice"), enc("PC1"));
        let mut m = Vec::new();
        m.extend_from_slice(SIGNATURE);
        m.extend_from_slice(&3u32.to_le_bytes()); // MessageType = NtLmAuthenticate
        let mut at = 72u32; // payload after the fixed part (64) and VERSION (8)
        let mut fields = Vec::new();
        for part in [&[][..], &[][..], &domain[..], &user[..], &ws[..], &[][..]] {
            let len = u16::try_from(part.len()).unwrap_or(0);
            fields.extend_from_slice(&len.to_le_bytes()); // Len
            fields.extend_from_slice(&len.to_le_bytes()); // MaxLen
            fields.extend_from_slice(&at.to_le_bytes()); // BufferOffset
            at += u32::from(len);
        }
        m.extend_from_slice(&fields); // Lm, Nt, DomainName, UserName, Workstation, EncryptedRandomSessionKey
        let f = if unicode { NEGOTIATE_FLAGS } else { NEGOTIATE_FLAGS & !flags::NTLMSSP_NEGOTIATE_UNICODE };
        m.extend_from_slice(&f.to_le_bytes()); // NegotiateFlags
        m.extend_from_slice(&[10, 0, 0x61, 0x4a, 0, 0, 0, 15]); // VERSION
        m.extend_from_slice(&domain);
        m.extend_from_slice(&user);
        m.extend_from_slice(&ws);
        m
    }

    #[test]
    fn authenticate_names_the_account() {
        for unicode in [true, false] {
            let a = decode_authenticate_account(&authenticate(unicode)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(a.display(), "CORP\\alice");
        }
        let m = authenticate(true);
        for n in 0..64 {
            assert!(decode_authenticate_account(&m[..n]).is_err(), "cut at {n}");
        }
        assert!(matches!(
            decode_authenticate_account(&m[..m.len() - 7]),
            Err(NtlmError::FieldOutOfBounds { field: "UserNameFields", .. })
        ));
        assert_eq!(decode_authenticate_account(&sample()), Err(NtlmError::WrongType(2)));
    }

    #[test]
    fn filetime_round_trip() {
        assert_eq!(filetime_to_unix_ms(116_444_736_000_000_000), 0);
        assert_eq!(filetime_to_unix_ms(unix_ms_to_filetime(1_700_000_000_123)), 1_700_000_000_123);
    }
}
