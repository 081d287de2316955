//! Who may log on through Remote Desktop Services, from the SECURITY and SAM hives (offline, or the live
//! registry where it is readable): the LSA policy's logon rights and the local groups with their members.
//!
//! Formats (no Microsoft specification covers the on-disk policy database; these are the layouts the LSA and
//! SAM write, as documented by libyal's winreg-kb "Domains" page and the ReactOS LSA server, and checked
//! against `secedit /export` figures published for Server 2022):
//! - `SECURITY\Policy\Accounts\<SID>\ActSysAc`, the subkey's default value (REG_NONE): a 4-byte
//!   little-endian SECURITY_ACCESS mask (ntsecapi.h): 0x400 SECURITY_ACCESS_REMOTE_INTERACTIVE_LOGON
//!   (SeRemoteInteractiveLogonRight), 0x800 SECURITY_ACCESS_DENY_REMOTE_INTERACTIVE_LOGON. `Privilgs` holds
//!   privileges (LUIDs), not logon rights.
//! - `SECURITY\Policy\PolAcDmS` and `PolPrDmS`, default values: the machine's account-domain SID and the
//!   joined domain's SID (absent or empty when not joined), binary SIDs (MS-DTYP 2.4.2.2).
//! - `SAM\SAM\Domains\{Builtin,Account}\Aliases\<RID as 8 hex digits>\C`: a local group (Remote Desktop
//!   Users is RID 555, key `0000022B`). Offsets 16/20 name
//!   offset/size, 28/32 description, 40/44/48 member SID array offset/size/count, all relative to byte 52;
//!   the name is UTF-16LE; the members are binary SIDs one after another.
//! - `SAM\SAM\Domains\Account\Users\<RID>\V`: 17 descriptors of 12 bytes (offset relative to 0xCC, size,
//!   unknown); the second is the user name. `F`: the RID at 48, USER_ACCOUNT control flags at 56
//!   (0x1 USER_ACCOUNT_DISABLED, MS-SAMR 2.2.1.12).
//!
//! Everything is bounded; malformed data is skipped and said in the limitations, never a panic.

use rdp_doctor_core::evidence::host::{LocalGroup, LocalUser, RightsEvidence, SidName};

use crate::registry::{RegData, Registry};

/// SECURITY_ACCESS_REMOTE_INTERACTIVE_LOGON (SeRemoteInteractiveLogonRight).
pub const REMOTE_INTERACTIVE: u32 = 0x400;
/// SECURITY_ACCESS_DENY_REMOTE_INTERACTIVE_LOGON (SeDenyRemoteInteractiveLogonRight).
pub const DENY_REMOTE_INTERACTIVE: u32 = 0x800;
/// USER_ACCOUNT_DISABLED.
const ACCOUNT_DISABLED: u32 = 0x1;

pub const POLICY: &str = r"HKLM\SECURITY\Policy";
pub const DOMAINS: &str = r"HKLM\SAM\SAM\Domains";
/// Bounds: accounts in the policy, groups and users in the SAM, members of one group.
const MAX_ACCOUNTS: usize = 4096;
const MAX_ENTRIES: usize = 4096;
const MAX_MEMBERS: usize = 4096;

fn le32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(u32::from_le_bytes)
}

fn usize_at(b: &[u8], at: usize) -> Option<usize> {
    le32(b, at).and_then(|v| usize::try_from(v).ok())
}

/// A binary SID (MS-DTYP 2.4.2.2) at the start of `b`: its string form and its length in bytes.
pub fn sid_string(b: &[u8]) -> Option<(String, usize)> {
    let (&rev, &count) = (b.first()?, b.get(1)?);
    if rev != 1 || count > 15 {
        return None;
    }
    let len = 8 + 4 * usize::from(count);
    let auth = b.get(2..8)?.iter().fold(0u64, |a, x| (a << 8) | u64::from(*x));
    let mut s = format!("S-1-{auth}");
    for i in 0..usize::from(count) {
        s.push_str(&format!("-{}", le32(b, 8 + 4 * i)?));
    }
    Some((s, len))
}

/// The binary form of a string SID (`S-1-5-32-544`), for tests and lookups.
pub fn sid_bytes(s: &str) -> Option<Vec<u8>> {
    let mut parts = s.strip_prefix("S-1-")?.split('-');
    let auth: u64 = parts.next()?.parse().ok()?;
    let subs: Vec<u32> = parts.map(str::parse).collect::<Result<_, _>>().ok()?;
    if subs.len() > 15 || auth >= 1 << 48 {
        return None;
    }
    let mut out = vec![1, u8::try_from(subs.len()).ok()?];
    out.extend_from_slice(&auth.to_be_bytes()[2..]);
    for x in subs {
        out.extend_from_slice(&x.to_le_bytes());
    }
    Some(out)
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b.as_chunks::<2>().0.iter().map(|c| u16::from_le_bytes(*c)).collect();
    String::from_utf16_lossy(&units).trim_end_matches('\0').to_owned()
}

/// A local group (SAM alias) as its `C` value holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub rid: u32,
    pub name: String,
    pub description: String,
    pub members: Vec<String>,
}

/// Parses an alias `C` value (layout in the module documentation).
pub fn parse_alias_c(b: &[u8]) -> Option<Alias> {
    const BASE: usize = 52;
    let field = |off: usize, len: usize| -> Option<&[u8]> {
        let start = BASE.checked_add(usize_at(b, off)?)?;
        b.get(start..start.checked_add(usize_at(b, len)?)?)
    };
    let name = utf16(field(16, 20)?);
    let description = field(28, 32).map(utf16).unwrap_or_default();
    let count = usize_at(b, 48)?;
    let mut members = Vec::new();
    if count > 0 {
        let mut rest = field(40, 44)?;
        while members.len() < count.min(MAX_MEMBERS) {
            let (sid, len) = sid_string(rest)?;
            members.push(sid);
            rest = rest.get(len..)?;
        }
    }
    Some(Alias { rid: le32(b, 0)?, name, description, members })
}

/// The user name in a user's `V` value.
pub fn parse_user_v_name(b: &[u8]) -> Option<String> {
    const BASE: usize = 0xCC;
    let start = BASE.checked_add(usize_at(b, 12)?)?;
    let name = utf16(b.get(start..start.checked_add(usize_at(b, 16)?)?)?);
    (!name.is_empty()).then_some(name)
}

/// The RID and USER_ACCOUNT control flags in a user's `F` value.
pub fn parse_user_f(b: &[u8]) -> Option<(u32, u32)> {
    Some((le32(b, 48)?, le32(b, 56)?))
}

fn bytes(d: RegData) -> Option<Vec<u8>> {
    match d {
        RegData::Binary(b) | RegData::Other(_, b) => Some(b),
        RegData::Dword(v) => Some(v.to_le_bytes().to_vec()),
        RegData::Qword(v) => Some(v.to_le_bytes().to_vec()),
        RegData::Sz(_) | RegData::MultiSz(_) => None,
    }
}

/// The machine's (account domain) and the joined domain's SIDs from the SECURITY hive.
fn domain_sids(reg: &dyn Registry) -> (Option<String>, Option<String>) {
    let sid =
        |k: &str| reg.value(&format!(r"{POLICY}\{k}"), "").and_then(bytes).and_then(|b| sid_string(&b)).map(|(s, _)| s);
    (sid("PolAcDmS"), sid("PolPrDmS"))
}

/// The account domain's SID from the SAM (`Domains\Account\V` ends with it), when SECURITY is not read.
fn sam_machine_sid(reg: &dyn Registry) -> Option<String> {
    let v = reg.value(&format!(r"{DOMAINS}\Account"), "V").and_then(bytes)?;
    let tail = v.get(v.len().checked_sub(24)?..)?;
    sid_string(tail).filter(|(s, _)| s.starts_with("S-1-5-21-")).map(|(s, _)| s)
}

/// What was read, and what could not be.
pub struct Read {
    pub rights: RightsEvidence,
    pub notes: Vec<String>,
}

/// Reads the logon rights (SECURITY) and the local groups and users (SAM) from `reg`. `None` when neither
/// hive is there. `computer` names the machine's own accounts (`RDS1\alice`).
pub fn read(reg: &dyn Registry, computer: Option<&str>, display: &dyn Fn(&str) -> String) -> Option<Read> {
    let accounts_key = format!(r"{POLICY}\Accounts");
    let has_security = reg.has_key(POLICY);
    let has_sam = reg.has_key(DOMAINS);
    if !has_security && !has_sam {
        return None;
    }
    let mut r = RightsEvidence::default();
    let mut notes = Vec::new();
    let mut sources = Vec::new();
    if has_security {
        (r.machine_sid, r.domain_sid) = domain_sids(reg);
        if reg.has_key(&accounts_key) {
            let (mut allow, mut deny) = (Vec::new(), Vec::new());
            let mut bad = 0usize;
            for name in reg.subkeys(&accounts_key).into_iter().take(MAX_ACCOUNTS) {
                let key = format!(r"{accounts_key}\{name}");
                let sid = if name.starts_with("S-1-") {
                    Some(name.clone())
                } else {
                    reg.value(&format!(r"{key}\Sid"), "").and_then(bytes).and_then(|b| sid_string(&b)).map(|s| s.0)
                };
                // An account with privileges only has no ActSysAc subkey: no logon right to read.
                let Some(mask) = reg.value(&format!(r"{key}\ActSysAc"), "").map(|d| bytes(d).and_then(|b| le32(&b, 0)))
                else {
                    continue;
                };
                match (sid, mask) {
                    (Some(sid), Some(mask)) => {
                        if mask & REMOTE_INTERACTIVE != 0 {
                            allow.push(sid.clone());
                        }
                        if mask & DENY_REMOTE_INTERACTIVE != 0 {
                            deny.push(sid);
                        }
                    }
                    _ => bad += 1,
                }
            }
            if bad > 0 {
                notes.push(format!(
                    "{}: {bad} account(s) with an unreadable SID or ActSysAc value were skipped",
                    display(&accounts_key)
                ));
            }
            r.allow_remote_interactive = Some(allow);
            r.deny_remote_interactive = Some(deny);
            sources.push(format!(r"{}\<SID>\ActSysAc", display(&accounts_key)));
        } else {
            notes.push(format!("{} has no Accounts key: the logon rights could not be read from it", display(POLICY)));
        }
    }
    if has_sam {
        if r.machine_sid.is_none() {
            r.machine_sid = sam_machine_sid(reg);
        }
        let machine = computer.unwrap_or("(this computer)");
        let mut bad = 0usize;
        for (domain, prefix, shown) in
            [("Builtin", Some("S-1-5-32".to_owned()), "BUILTIN"), ("Account", r.machine_sid.clone(), machine)]
        {
            let aliases = format!(r"{DOMAINS}\{domain}\Aliases");
            for rid_key in reg.subkeys(&aliases).into_iter().filter(|k| is_rid(k)).take(MAX_ENTRIES) {
                let key = format!(r"{aliases}\{rid_key}");
                let Some(a) = reg.value(&key, "C").and_then(bytes).and_then(|b| parse_alias_c(&b)) else {
                    bad += 1;
                    continue;
                };
                let Some(prefix) = &prefix else { continue };
                let sid = format!("{prefix}-{}", a.rid);
                r.names.push(SidName { sid: sid.clone(), name: format!(r"{shown}\{}", a.name) });
                r.groups.push(LocalGroup { sid, name: a.name, members: a.members, path: display(&key) });
            }
        }
        if let Some(m) = r.machine_sid.clone() {
            let users = format!(r"{DOMAINS}\Account\Users");
            for rid_key in reg.subkeys(&users).into_iter().filter(|k| is_rid(k)).take(MAX_ENTRIES) {
                let key = format!(r"{users}\{rid_key}");
                let name = reg.value(&key, "V").and_then(bytes).and_then(|b| parse_user_v_name(&b));
                let f = reg.value(&key, "F").and_then(bytes).and_then(|b| parse_user_f(&b));
                let rid = f.map(|f| f.0).or_else(|| u32::from_str_radix(&rid_key, 16).ok());
                let (Some(name), Some(rid)) = (name, rid) else {
                    bad += 1;
                    continue;
                };
                let sid = format!("{m}-{rid}");
                r.names.push(SidName { sid: sid.clone(), name: format!(r"{machine}\{name}") });
                r.users.push(LocalUser { sid, name, disabled: f.map(|f| f.1 & ACCOUNT_DISABLED != 0) });
            }
        } else {
            notes.push("the machine's SID is unknown (neither SECURITY Policy\\PolAcDmS nor SAM Domains\\Account\\V read): the machine's own groups and users are not listed".to_owned());
        }
        if bad > 0 {
            notes.push(format!(
                "{}: {bad} group or user entries could not be parsed and were skipped",
                display(DOMAINS)
            ));
        }
        let rdu = format!(r"{DOMAINS}\Builtin\Aliases\0000022B");
        r.remote_desktop_users = r.groups.iter().find(|g| g.sid == "S-1-5-32-555").map(|g| g.members.clone());
        if r.remote_desktop_users.is_none() {
            notes.push(format!(
                "{}: not found or unreadable: Remote Desktop Users membership is unknown",
                display(&rdu)
            ));
        }
        sources.push(format!(r"{}\{{Builtin,Account}}\Aliases\<RID>\C", display(DOMAINS)));
    } else {
        notes.push("no SAM hive read: Remote Desktop Users membership and the local groups are unknown (Windows\\System32\\config\\SAM)".to_owned());
    }
    if !has_security {
        notes.push("no SECURITY hive read: who holds \"Allow/Deny log on through Remote Desktop Services\" is unknown (Windows\\System32\\config\\SECURITY)".to_owned());
    }
    r.source = sources.join("; ");
    Some(Read { rights: r, notes })
}

/// Whether a SAM key name is a RID (8 hex digits), not `Names` or `Members`.
fn is_rid(k: &str) -> bool {
    k.len() == 8 && k.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sids_round_trip() {
        for s in ["S-1-5-32-555", "S-1-1-0", "S-1-5-21-1111-2222-3333-1001", "S-1-5-113"] {
            let b = sid_bytes(s).unwrap_or_default();
            assert_eq!(sid_string(&b), Some((s.to_owned(), b.len())));
        }
        assert_eq!(sid_string(&[2, 1, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0]), None, "revision 2");
        assert_eq!(sid_string(&[1, 2, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0]), None, "truncated");
    }

    proptest! {
        #[test]
        fn parsers_never_panic(b in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_alias_c(&b);
            let _ = parse_user_v_name(&b);
            let _ = parse_user_f(&b);
            let _ = sid_string(&b);
        }
    }
}
