//! The 0x7 case seen from the host: who may log on through Remote Desktop Services. The facts are the LSA
//! policy's SeRemoteInteractiveLogonRight / SeDenyRemoteInteractiveLogonRight holders and the local groups
//! (SAM aliases) with their members (`evidence.host.rights`); the accounts judged are those the
//! administrator named (`host --user`), those refused in Security 4625 with 0xC000015B, and the account of
//! a credentialed check (`check --user --host`).
//!
//! An account's groups are known only as far as the host's local data goes: its own SID, the local groups
//! that list it (or list a group it is known to be in), and the implicit groups every Remote Desktop logon
//! carries (Everyone, Authenticated Users, INTERACTIVE, REMOTE INTERACTIVE LOGON; Local account for local
//! accounts; Domain Users for domain accounts). Membership of other domain groups is in Active Directory,
//! not on the host: when it decides the answer, the finding says so instead of guessing.

use crate::catalogue as c;
use crate::evidence::Evidence;
use crate::evidence::host::{HostEvent, HostEvidence, RightsEvidence};
use crate::finding::Finding;

pub const EVERYONE: &str = "S-1-1-0";
pub const INTERACTIVE: &str = "S-1-5-4";
pub const AUTHENTICATED_USERS: &str = "S-1-5-11";
pub const REMOTE_INTERACTIVE_LOGON: &str = "S-1-5-14";
pub const LOCAL_ACCOUNT: &str = "S-1-5-113";
pub const LOCAL_ACCOUNT_AND_ADMIN: &str = "S-1-5-114";
pub const ADMINISTRATORS: &str = "S-1-5-32-544";
pub const USERS: &str = "S-1-5-32-545";
pub const GUESTS: &str = "S-1-5-32-546";
pub const REMOTE_DESKTOP_USERS: &str = "S-1-5-32-555";
/// RID of the domain's Domain Users group (MS-SAMR 2.2.1.14 DOMAIN_GROUP_RID_USERS).
const DOMAIN_USERS_RID: &str = "513";

/// Well-known SIDs and their names (MS-DTYP 2.4.2.4), for evidence.
pub const WELL_KNOWN: &[(&str, &str)] = &[
    (EVERYONE, "Everyone"),
    ("S-1-5-2", "NT AUTHORITY\\NETWORK"),
    (INTERACTIVE, "NT AUTHORITY\\INTERACTIVE"),
    ("S-1-5-6", "NT AUTHORITY\\SERVICE"),
    ("S-1-5-7", "NT AUTHORITY\\ANONYMOUS LOGON"),
    (AUTHENTICATED_USERS, "NT AUTHORITY\\Authenticated Users"),
    (REMOTE_INTERACTIVE_LOGON, "NT AUTHORITY\\REMOTE INTERACTIVE LOGON"),
    ("S-1-5-18", "NT AUTHORITY\\SYSTEM"),
    ("S-1-5-19", "NT AUTHORITY\\LOCAL SERVICE"),
    ("S-1-5-20", "NT AUTHORITY\\NETWORK SERVICE"),
    (LOCAL_ACCOUNT, "NT AUTHORITY\\Local account"),
    (LOCAL_ACCOUNT_AND_ADMIN, "NT AUTHORITY\\Local account and member of Administrators group"),
    (ADMINISTRATORS, "BUILTIN\\Administrators"),
    (USERS, "BUILTIN\\Users"),
    (GUESTS, "BUILTIN\\Guests"),
    ("S-1-5-32-551", "BUILTIN\\Backup Operators"),
    (REMOTE_DESKTOP_USERS, "BUILTIN\\Remote Desktop Users"),
    ("S-1-5-80-0", "NT SERVICE\\ALL SERVICES"),
];

/// The name of a well-known SID.
pub fn well_known_name(sid: &str) -> Option<&'static str> {
    WELL_KNOWN.iter().find(|(s, _)| s.eq_ignore_ascii_case(sid)).map(|(_, n)| *n)
}

/// NTSTATUS 0xC000015B STATUS_LOGON_TYPE_NOT_GRANTED.
pub const LOGON_TYPE_NOT_GRANTED: &str = "0xc000015b";

/// Whether a deny on `sid` refuses everyone (or every ordinary user) who connects.
fn broad(sid: &str, r: &RightsEvidence) -> bool {
    [EVERYONE, AUTHENTICATED_USERS, USERS, REMOTE_DESKTOP_USERS, ADMINISTRATORS, INTERACTIVE, REMOTE_INTERACTIVE_LOGON]
        .iter()
        .any(|b| b.eq_ignore_ascii_case(sid))
        || r.domain_sid.as_deref().is_some_and(|d| sid.eq_ignore_ascii_case(&format!("{d}-{DOMAIN_USERS_RID}")))
}

/// A SID of an Active Directory domain (not the machine's own accounts, not BUILTIN or well-known).
fn is_domain_sid(sid: &str, r: &RightsEvidence) -> bool {
    sid.starts_with("S-1-5-21-")
        && !r
            .machine_sid
            .as_deref()
            .is_some_and(|m| sid.to_ascii_uppercase().starts_with(&format!("{}-", m.to_ascii_uppercase())))
}

/// `BUILTIN\Remote Desktop Users (S-1-5-32-555)`.
fn show(r: &RightsEvidence, sid: &str) -> String {
    match r.name_of(sid).or_else(|| well_known_name(sid)) {
        Some(n) => format!("{n} ({sid})"),
        None => sid.to_owned(),
    }
}

fn list(r: &RightsEvidence, sids: &[String]) -> String {
    if sids.is_empty() { "nobody".to_owned() } else { sids.iter().map(|s| show(r, s)).collect::<Vec<_>>().join(", ") }
}

fn contains(v: &[String], sid: &str) -> bool {
    v.iter().any(|s| s.eq_ignore_ascii_case(sid))
}

/// An account to judge, and why it is judged.
#[derive(Debug, Clone)]
struct Account {
    /// As named (`CORP\alice`, `alice`, `RDS1\admin`).
    shown: String,
    user: String,
    domain: Option<String>,
    sid: Option<String>,
    why: String,
}

fn split_account(name: &str) -> (Option<String>, String) {
    if let Some((d, u)) = name.split_once('\\') {
        return (Some(d.to_owned()), u.to_owned());
    }
    if let Some((u, d)) = name.rsplit_once('@') {
        return (Some(d.split('.').next().unwrap_or(d).to_owned()), u.to_owned());
    }
    (None, name.to_owned())
}

fn accounts(ev: &Evidence, h: &HostEvidence, refused: &[&HostEvent]) -> Vec<Account> {
    let mut out: Vec<Account> = Vec::new();
    let mut push = |name: &str, sid: Option<String>, why: String| {
        let name = name.trim();
        if name.is_empty() || name == "-" {
            return;
        }
        let (domain, user) = split_account(name);
        let key = |a: &Account| (a.domain.as_deref().map(str::to_ascii_lowercase), a.user.to_ascii_lowercase());
        let new = Account { shown: name.to_owned(), user, domain, sid, why };
        if let Some(old) = out.iter_mut().find(|a| key(a) == key(&new)) {
            old.sid = old.sid.take().or(new.sid);
        } else if out.len() < 16 {
            out.push(new);
        }
    };
    for a in &h.accounts_checked {
        push(a, None, "asked about with --user".to_owned());
    }
    if let Some(s) = &ev.session {
        push(&s.account, None, "the account of the credentialed check".to_owned());
    }
    for e in refused {
        let user = e.field("TargetUserName").unwrap_or_default();
        let name = match e.field("TargetDomainName").filter(|d| !d.is_empty() && *d != "-") {
            Some(d) => format!("{d}\\{user}"),
            None => user.to_owned(),
        };
        let sid = e.field("TargetUserSid").filter(|s| s.starts_with("S-1-") && *s != "S-1-0-0").map(str::to_owned);
        push(&name, sid, format!("refused in Security 4625 record {} ({})", e.record_id, e.time));
    }
    out
}

/// What the local data says an account's groups are.
struct Membership {
    /// SIDs the account certainly has in its logon token.
    sids: Vec<String>,
    /// Whether the account is local (its SID is in the machine's domain).
    local: bool,
    /// The account could not be found in the local data (a local name not in the SAM).
    unknown_local: bool,
    /// Domain SIDs (groups) in the policy or in local groups whose membership is in Active Directory.
    undecided: Vec<String>,
}

fn membership(a: &Account, r: &RightsEvidence, computer: Option<&str>) -> Membership {
    let local_domain = match a.domain.as_deref() {
        None => None,
        Some(".") => Some(true),
        Some(d) => Some(computer.is_some_and(|c| c.eq_ignore_ascii_case(d))),
    };
    let local_user = r.users.iter().find(|u| {
        u.name.eq_ignore_ascii_case(&a.user) || a.sid.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(&u.sid))
    });
    let by_sid_local = a
        .sid
        .as_deref()
        .zip(r.machine_sid.as_deref())
        .map(|(s, m)| s.to_ascii_uppercase().starts_with(&format!("{}-", m.to_ascii_uppercase())));
    let local = by_sid_local.or(local_domain).unwrap_or(local_user.is_some());
    let sid = a.sid.clone().or_else(|| if local { local_user.map(|u| u.sid.clone()) } else { None });
    let mut sids: Vec<String> = [EVERYONE, AUTHENTICATED_USERS, INTERACTIVE, REMOTE_INTERACTIVE_LOGON]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    sids.extend(sid.clone());
    if local {
        sids.push(LOCAL_ACCOUNT.to_owned());
    } else if let Some(d) = &r.domain_sid {
        sids.push(format!("{d}-{DOMAIN_USERS_RID}"));
    }
    // Local groups cannot contain local groups, but they can contain the implicit and domain groups above:
    // two passes settle it.
    for _ in 0..2 {
        for g in &r.groups {
            if !contains(&sids, &g.sid) && g.members.iter().any(|m| contains(&sids, m)) {
                sids.push(g.sid.clone());
            }
        }
    }
    if local && contains(&sids, ADMINISTRATORS) {
        sids.push(LOCAL_ACCOUNT_AND_ADMIN.to_owned());
    }
    let mut undecided = Vec::new();
    if !local {
        let domain_group = |s: &str| {
            s.starts_with("S-1-5-21-")
                && !contains(&sids, s)
                && !r
                    .machine_sid
                    .as_deref()
                    .is_some_and(|m| s.to_ascii_uppercase().starts_with(&m.to_ascii_uppercase()))
        };
        let direct = r.allow_remote_interactive.iter().chain(&r.deny_remote_interactive).flatten();
        let via_groups = r
            .groups
            .iter()
            .filter(|g| {
                r.allow_remote_interactive.iter().chain(&r.deny_remote_interactive).flatten().any(|s| s == &g.sid)
            })
            .flat_map(|g| g.members.iter());
        for s in direct.chain(via_groups) {
            if domain_group(s) && !contains(&undecided, s) {
                undecided.push(s.clone());
            }
        }
    }
    Membership { sids, local, unknown_local: local && local_user.is_none() && a.sid.is_none(), undecided }
}

/// Runs the rights rules; `refused` are the 4625 records with 0xC000015B. Returns evidence lines for the
/// 4625 finding (what the policy says about the refused accounts).
pub fn check(ev: &Evidence, h: &HostEvidence, refused: &[&HostEvent], out: &mut Vec<Finding>) -> Vec<String> {
    let mut extra = Vec::new();
    let Some(r) = &h.rights else { return extra };
    let src = format!("({})", r.source);
    if let Some(deny) = &r.deny_remote_interactive {
        let (wide, narrow): (Vec<String>, Vec<String>) = deny.iter().cloned().partition(|s| broad(s, r));
        if !wide.is_empty() {
            out.push(Finding::new(
                &c::HOST_LOGON_RIGHT_DENIED_BROADLY,
                format!("Deny log on through Remote Desktop Services names {}", list(r, &wide)),
                vec![format!("SeDenyRemoteInteractiveLogonRight: {} {src}", list(r, deny))],
            ));
        } else if !narrow.is_empty() {
            out.push(Finding::new(
                &c::HOST_LOGON_RIGHT_DENY_ASSIGNED,
                format!("These cannot log on through Remote Desktop: {}", list(r, &narrow)),
                vec![format!("SeDenyRemoteInteractiveLogonRight: {} {src}", list(r, deny))],
            ));
        }
    }
    let rdu = r.remote_desktop_users.as_ref();
    if let Some(allow) = &r.allow_remote_interactive {
        let line = format!("SeRemoteInteractiveLogonRight: {} {src}", list(r, allow));
        if allow.is_empty() {
            out.push(Finding::new(
                &c::HOST_LOGON_RIGHT_NOT_GRANTED,
                "No account or group holds Allow log on through Remote Desktop Services: nobody can log on",
                vec![line],
            ));
        } else if let Some(members) = rdu.filter(|m| !m.is_empty())
            && !contains(allow, REMOTE_DESKTOP_USERS)
            // A domain group holding the right (set by a GPO) may grant it to the members: not decided here.
            && !allow.iter().any(|s| is_domain_sid(s, r))
        {
            out.push(Finding::new(
                &c::HOST_LOGON_RIGHT_NOT_GRANTED,
                format!(
                    "Remote Desktop Users does not hold Allow log on through Remote Desktop Services: its {} member(s) are refused unless another group grants it",
                    members.len()
                ),
                vec![line, format!("Remote Desktop Users: {}", list(r, members))],
            ));
        }
    }
    if rdu.is_some_and(Vec::is_empty) {
        let mut lines = vec![format!("Remote Desktop Users (S-1-5-32-555) has no members {src}")];
        if let Some(allow) = &r.allow_remote_interactive {
            lines.push(format!("SeRemoteInteractiveLogonRight: {}", list(r, allow)));
        }
        out.push(Finding::new(
            &c::HOST_REMOTE_DESKTOP_USERS_EMPTY,
            "Remote Desktop Users is empty: only administrators and other holders of the right can connect",
            lines,
        ));
    }
    for a in accounts(ev, h, refused) {
        let lines = judge(&a, r, h, out);
        if a.why.starts_with("refused") {
            extra.extend(lines);
        }
    }
    extra
}

/// Judges one account; returns the line that says why.
fn judge(a: &Account, r: &RightsEvidence, h: &HostEvidence, out: &mut Vec<Finding>) -> Vec<String> {
    let m = membership(a, r, h.computer_name.as_deref());
    let known = format!(
        "{} ({}, {}): groups known here: {}",
        a.shown,
        a.why,
        if m.local { "a local account" } else { "a domain account" },
        list(r, &m.sids)
    );
    let mut lines = vec![known];
    if m.unknown_local {
        lines.push(format!("no local account named {} in the SAM: check the user name", a.user));
    }
    let deny: Vec<String> =
        r.deny_remote_interactive.iter().flatten().filter(|s| contains(&m.sids, s)).cloned().collect();
    if !deny.is_empty() {
        lines.push(format!("SeDenyRemoteInteractiveLogonRight through {}", list(r, &deny)));
        out.push(Finding::new(
            &c::HOST_ACCOUNT_LOGON_DENIED,
            format!("{} is denied logon through Remote Desktop Services (through {})", a.shown, list(r, &deny)),
            lines.clone(),
        ));
        return lines;
    }
    let Some(allow) = &r.allow_remote_interactive else { return lines };
    let via: Vec<String> = allow.iter().filter(|s| contains(&m.sids, s)).cloned().collect();
    if !via.is_empty() {
        lines.push(format!("SeRemoteInteractiveLogonRight through {}", list(r, &via)));
        if !m.undecided.is_empty() && r.deny_remote_interactive.iter().flatten().any(|s| contains(&m.undecided, s)) {
            lines
                .push(format!("unless it is in one of these domain groups that are denied: {}", list(r, &m.undecided)));
        }
        out.push(Finding::new(
            &c::HOST_ACCOUNT_LOGON_RIGHT,
            format!("{} may log on through Remote Desktop Services (through {})", a.shown, list(r, &via)),
            lines.clone(),
        ));
    } else if !m.undecided.is_empty() {
        lines.push(format!("SeRemoteInteractiveLogonRight: {}", list(r, allow)));
        lines.push(format!(
            "whether {} is in {} is in Active Directory, not on this host (whoami /groups in its session says)",
            a.shown,
            list(r, &m.undecided)
        ));
        out.push(Finding::new(
            &c::HOST_ACCOUNT_LOGON_RIGHT,
            format!("Whether {} may log on depends on its domain groups", a.shown),
            lines.clone(),
        ));
    } else {
        lines.push(format!("SeRemoteInteractiveLogonRight: {}", list(r, allow)));
        out.push(Finding::new(
            &c::HOST_ACCOUNT_LACKS_LOGON_RIGHT,
            format!("{} does not hold Allow log on through Remote Desktop Services", a.shown),
            lines.clone(),
        ));
    }
    lines
}

#[cfg(test)]
#[path = "host_rights_tests.rs"]
mod tests;
