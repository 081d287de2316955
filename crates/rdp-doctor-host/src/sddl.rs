//! A file's access control list in SDDL (the Security Descriptor Definition Language, MS-DTYP 2.5.1), as
//! `(Get-Acl -LiteralPath FILE).Sddl` prints it, judged for one question: may the account Remote Desktop
//! Services runs as read the listener's key file in MachineKeys?
//!
//! The DACL (`D:` flags, then `(type;flags;rights;object;inherited object;SID)` entries) is read; the SACL
//! (`S:`) is not. Deny entries win over allow entries (the order Windows keeps them in, and the order the
//! access check honours); an inherit-only entry (`IO`) does not apply to the file itself. Read access is
//! FILE_READ_DATA (0x1) or any right that includes it: `FA`, `FR`, `GA`, `GR`, `CC` (the same bit), or a hex
//! mask with 0x1, GENERIC_READ or GENERIC_ALL. A SID is its string form or its two-letter alias (MS-DTYP
//! 2.5.1.1). Pure and bounded: at most [`MAX_ACES`] entries.

/// At most this many entries are read from one DACL.
pub const MAX_ACES: usize = 256;

/// One access control entry of the DACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ace {
    /// `A` (allow) or `D` (deny); other types are kept but never grant or deny.
    pub kind: String,
    pub flags: String,
    pub rights: String,
    pub sid: String,
}

impl Ace {
    /// `allow FA to SY` style, for evidence.
    pub fn describe(&self) -> String {
        let kind = match self.kind.as_str() {
            "A" => "allow",
            "D" => "deny",
            k => k,
        };
        let who = alias_name(&self.sid).map_or_else(|| self.sid.clone(), |n| format!("{} ({n})", self.sid));
        let inherit = if self.flags.contains("IO") { ", inherit-only" } else { "" };
        format!("{kind} {} to {who}{inherit}", self.rights)
    }

    fn reads(&self) -> bool {
        let r = self.rights.trim();
        if let Some(h) = r.strip_prefix("0x").or_else(|| r.strip_prefix("0X")) {
            return u32::from_str_radix(h, 16).is_ok_and(|m| m & (0x1 | 0x8000_0000 | 0x1000_0000) != 0);
        }
        r.as_bytes().chunks(2).any(|c| matches!(c, b"FA" | b"FR" | b"GA" | b"GR" | b"CC"))
    }

    fn applies_to(&self, sids: &[&str]) -> bool {
        !self.flags.contains("IO") && sids.iter().any(|s| s.eq_ignore_ascii_case(&self.sid))
    }
}

/// The well-known names of the SID aliases that matter here.
fn alias_name(sid: &str) -> Option<&'static str> {
    Some(match sid.to_ascii_uppercase().as_str() {
        "SY" | "S-1-5-18" => "LocalSystem",
        "NS" | "S-1-5-20" => "NETWORK SERVICE",
        "LS" | "S-1-5-19" => "LOCAL SERVICE",
        "BA" | "S-1-5-32-544" => "Administrators",
        "BU" | "S-1-5-32-545" => "Users",
        "AU" | "S-1-5-11" => "Authenticated Users",
        "WD" | "S-1-1-0" => "Everyone",
        "CO" => "CREATOR OWNER",
        s if s == TERMSERVICE_SID => "NT SERVICE\\TermService",
        _ => return None,
    })
}

/// The DACL of an SDDL string: `None` when there is none to read (no `D:` part); a NULL DACL
/// (`D:NO_ACCESS_CONTROL`) is an empty list with `null` set.
pub fn parse_dacl(sddl: &str) -> Option<(Vec<Ace>, bool)> {
    let sddl = sddl.trim();
    let rest = sddl.get(sddl.find("D:")? + 2..)?;
    let flags_end = rest.find('(').unwrap_or(rest.len());
    // The DACL's flags (`P`, `AI`, `NO_ACCESS_CONTROL`), up to the first entry or the SACL.
    let flags = rest.get(..flags_end).unwrap_or_default().split("S:").next().unwrap_or_default();
    let mut aces = Vec::new();
    let mut body = rest.get(flags_end..).unwrap_or_default();
    // Entries one after the other; anything else (`S:`, a conditional entry's nested parentheses) ends it.
    while let Some(b) = body.trim_start().strip_prefix('(') {
        let Some(end) = b.find(')') else { break };
        if let [kind, flags, rights, _, _, sid, ..] =
            b.get(..end).unwrap_or_default().split(';').collect::<Vec<_>>()[..]
        {
            aces.push(Ace {
                kind: kind.to_owned(),
                flags: flags.to_owned(),
                rights: rights.to_owned(),
                sid: sid.to_owned(),
            });
        }
        if aces.len() >= MAX_ACES {
            break;
        }
        body = b.get(end + 1..).unwrap_or_default();
    }
    Some((aces, flags.contains("NO_ACCESS_CONTROL")))
}

/// TermService's service SID, `NT SERVICE\TermService`: S-1-5-80- and the SHA-1 of the upper-case service
/// name in UTF-16LE as five little-endian 32-bit numbers (how the service control manager derives every
/// service SID; `sc showsid TermService` prints it).
pub const TERMSERVICE_SID: &str = "S-1-5-80-446051430-1559341753-4161941529-1950928533-810483104";

/// The SIDs whose entries count for TermService running as `account` (its `ObjectName`) with `sid_type` (its
/// `ServiceSidType`): the account itself, the service SID when the type puts it in the token (1 unrestricted,
/// 3 restricted), and the groups every service token holds (Everyone, Authenticated Users, Users).
pub fn service_sids(account: &str, sid_type: Option<u32>) -> Vec<&'static str> {
    let a = account.trim().to_ascii_lowercase();
    let own: &[&'static str] = if a == "localsystem" || a.ends_with("\\system") {
        &["SY", "S-1-5-18"]
    } else if a.ends_with("networkservice") || a.ends_with("network service") {
        &["NS", "S-1-5-20"]
    } else if a.ends_with("localservice") || a.ends_with("local service") {
        &["LS", "S-1-5-19"]
    } else {
        &[]
    };
    let service: &[&'static str] = if matches!(sid_type, Some(1 | 3)) { &[TERMSERVICE_SID] } else { &[] };
    own.iter()
        .copied()
        .chain(service.iter().copied())
        .chain(["WD", "S-1-1-0", "AU", "S-1-5-11", "BU", "S-1-5-32-545"])
        .collect()
}

/// Whether `sids` may read the file: `false` when a deny entry covers them or no allow entry does.
pub fn can_read(aces: &[Ace], null_dacl: bool, sids: &[&str]) -> bool {
    if null_dacl {
        return true;
    }
    let covering = |kind: &str| aces.iter().any(|a| a.kind == kind && a.applies_to(sids) && a.reads());
    !covering("D") && covering("A")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ACL of a MachineKeys key file as Windows creates it for a machine key (SYSTEM and Administrators
    /// full control), and the same with NETWORK SERVICE's read added, as Microsoft's documented fix for
    /// Remote Desktop's key does (`icacls FILE /grant "NT AUTHORITY\NETWORK SERVICE":R`).
    const CREATED: &str = "O:SYG:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)";
    const FIXED: &str = "O:SYG:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;NS)";

    #[test]
    fn network_service_read_is_granted_only_when_an_entry_says_so() {
        let ns = service_sids(r"NT Authority\NetworkService", Some(1));
        let (aces, null) = parse_dacl(CREATED).unwrap_or_default();
        assert_eq!(aces.len(), 2);
        assert!(!can_read(&aces, null, &ns));
        assert!(can_read(&aces, null, &service_sids("LocalSystem", None)));
        let (aces, null) = parse_dacl(FIXED).unwrap_or_default();
        assert!(can_read(&aces, null, &ns));
        assert_eq!(aces[2].describe(), "allow FR to NS (NETWORK SERVICE)");
        // A hex mask with FILE_READ_DATA, Everyone by SID, and a deny that wins.
        let (aces, null) = parse_dacl("D:(A;;0x120089;;;S-1-1-0)").unwrap_or_default();
        assert!(can_read(&aces, null, &ns));
        let (aces, null) = parse_dacl("D:(D;;FR;;;NS)(A;;FA;;;WD)").unwrap_or_default();
        assert!(!can_read(&aces, null, &ns));
        // Inherit-only entries do not apply to the file; write-only rights do not read.
        let (aces, null) = parse_dacl("D:(A;OICIIO;FA;;;NS)(A;;FW;;;NS)").unwrap_or_default();
        assert!(!can_read(&aces, null, &ns));
    }

    /// The service SID is derived as the service control manager does, and an entry for it counts only when
    /// `ServiceSidType` puts it in TermService's token (1 on the real SYSTEM hives of the corpus).
    #[test]
    fn an_entry_for_nt_service_termservice_counts_when_the_token_holds_it() {
        use sha1::Digest as _;
        let name: Vec<u8> = "TERMSERVICE".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let hash = sha1::Sha1::digest(&name);
        let parts: Vec<String> =
            hash.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string()).collect();
        assert_eq!(format!("S-1-5-80-{}", parts.join("-")), TERMSERVICE_SID);
        let acl = format!("O:SYG:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;{TERMSERVICE_SID})");
        let (aces, null) = parse_dacl(&acl).unwrap_or_default();
        let account = r"NT Authority\NetworkService";
        assert!(can_read(&aces, null, &service_sids(account, Some(1))), "unrestricted service SID");
        assert!(can_read(&aces, null, &service_sids(account, Some(3))), "restricted service SID");
        assert!(!can_read(&aces, null, &service_sids(account, Some(0))), "no service SID in the token");
        assert!(!can_read(&aces, null, &service_sids(account, None)), "ServiceSidType not read");
        assert!(aces[2].describe().ends_with("(NT SERVICE\\TermService)"), "{}", aces[2].describe());
    }

    #[test]
    fn sacl_null_dacl_and_odd_input() {
        let (aces, _) = parse_dacl("O:SYD:P(A;;FA;;;SY)S:AI(AU;SA;FA;;;WD)").unwrap_or_default();
        assert_eq!(aces.len(), 1, "{aces:?}");
        let (aces, null) = parse_dacl("D:NO_ACCESS_CONTROL").unwrap_or_default();
        assert!(aces.is_empty() && null && can_read(&aces, null, &["NS"]));
        assert!(parse_dacl("O:SY").is_none());
        assert!(parse_dacl("D:(A;;FA").unwrap_or_default().0.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_safe(s in ".{0,400}") {
            if let Some((aces, null)) = parse_dacl(&s) {
                let _ = can_read(&aces, null, &["NS"]);
                for a in &aces { let _ = a.describe(); }
            }
            let _ = parse_dacl(&format!("D:P{s}"));
        }
    }
}
