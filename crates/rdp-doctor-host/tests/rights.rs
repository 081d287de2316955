//! Logon rights and Remote Desktop Users from SECURITY and SAM hives, in both directions: Windows' defaults
//! (no finding, members may log on) and the faults of the 0x7 case (a tattooed deny, the right removed, an
//! empty group, an account outside the groups). The corpus holds no real SECURITY or SAM hive: these are
//! derived from the real SYSTEM hive with hivexregedit (see `common::derived`), holding the LSA and SAM
//! values in the layouts `rdp_doctor_host::rights` documents, with the logon-right masks Windows Server 2022
//! has by default as measured with `secedit /export` (Administrators 0x407, Remote Desktop Users 0x400,
//! Users 0x003, Everyone 0x002, Backup Operators 0x007, NT SERVICE\ALL SERVICES 0x010).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};

use common::{NOW, V, derived, finding, hives, ids, report};
use rdp_doctor_host::rights::sid_bytes;

const MACHINE: &str = "S-1-5-21-3623811015-3361044348-30300820";
const DOMAIN: &str = "S-1-5-21-1004336348-1177238915-682003330";

fn sid(s: &str) -> Vec<u8> {
    sid_bytes(s).unwrap()
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

/// A self-relative security descriptor header (MS-DTYP 2.4.6) with no owner, group or ACLs: the SAM puts
/// the object's descriptor first; its contents do not matter to the reader.
fn sd() -> Vec<u8> {
    let mut v = vec![1, 0, 0x04, 0x80];
    v.resize(20, 0);
    v
}

/// An alias `C` value: fixed part (52 bytes), then the descriptor, the name, the description and the
/// member SIDs, each 4-byte aligned, offsets relative to byte 52.
fn alias_c(rid: u32, name: &str, desc: &str, members: &[String]) -> Vec<u8> {
    let mut data = sd();
    let sd_len = data.len();
    let name_off = data.len();
    data.extend(utf16(name));
    let name_len = data.len() - name_off;
    pad4(&mut data);
    let desc_off = data.len();
    data.extend(utf16(desc));
    let desc_len = data.len() - desc_off;
    pad4(&mut data);
    let mem_off = data.len();
    for m in members {
        data.extend(sid(m));
    }
    let mem_len = data.len() - mem_off;
    let mut c = vec![0u8; 52];
    let put = |c: &mut Vec<u8>, at: usize, v: usize| c[at..at + 4].copy_from_slice(&(v as u32).to_le_bytes());
    put(&mut c, 0, rid as usize);
    put(&mut c, 8, sd_len);
    c[12..14].copy_from_slice(&2u16.to_le_bytes());
    c[14..16].copy_from_slice(&1u16.to_le_bytes());
    put(&mut c, 16, name_off);
    put(&mut c, 20, name_len);
    put(&mut c, 28, desc_off);
    put(&mut c, 32, desc_len);
    put(&mut c, 40, mem_off);
    put(&mut c, 44, mem_len);
    put(&mut c, 48, members.len());
    c.extend(data);
    c
}

/// A user's `V` value: 17 descriptors of 12 bytes (offset from 0xCC, size, 0), the descriptor, the name.
fn user_v(name: &str) -> Vec<u8> {
    let mut v = vec![0u8; 0xCC];
    let s = sd();
    v[4..8].copy_from_slice(&(s.len() as u32).to_le_bytes());
    v[12..16].copy_from_slice(&(s.len() as u32).to_le_bytes());
    v[16..20].copy_from_slice(&((name.len() * 2) as u32).to_le_bytes());
    v.extend(s);
    v.extend(utf16(name));
    pad4(&mut v);
    v
}

/// A user's `F` value (80 bytes): RID at 48, primary group 513 at 52, control flags at 56.
fn user_f(rid: u32, flags: u32) -> Vec<u8> {
    let mut f = vec![0u8; 80];
    f[0..2].copy_from_slice(&3u16.to_le_bytes());
    f[2..4].copy_from_slice(&1u16.to_le_bytes());
    f[48..52].copy_from_slice(&rid.to_le_bytes());
    f[52..56].copy_from_slice(&513u32.to_le_bytes());
    f[56..60].copy_from_slice(&flags.to_le_bytes());
    f
}

/// Owned sections, turned into `common::Section`s when merged.
type Owned = Vec<(String, Option<Vec<(&'static str, V<'static>)>>)>;

fn merge_owned(dir: &Path, file: &str, root: &str, owned: &Owned) -> PathBuf {
    let sections = owned.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    derived(dir, file, root, sections)
}

/// The default logon-right masks of Windows Server 2022 (secedit figures in the module doc), with `changes`
/// applied (a mask of 0 removes the account's ActSysAc).
fn security(dir: &Path, changes: &[(&str, u32)]) -> PathBuf {
    let mut accounts: Vec<(String, u32)> = [
        ("S-1-5-32-544", 0x407),
        ("S-1-5-32-555", 0x400),
        ("S-1-5-32-545", 0x003),
        ("S-1-1-0", 0x002),
        ("S-1-5-32-551", 0x007),
        ("S-1-5-80-0", 0x010),
    ]
    .iter()
    .map(|(s, m)| ((*s).to_owned(), *m))
    .collect();
    for (s, m) in changes {
        match accounts.iter_mut().find(|(a, _)| a == s) {
            Some(a) => a.1 = *m,
            None => accounts.push(((*s).to_owned(), *m)),
        }
    }
    let mut o: Owned = vec![
        ("Policy\\PolAcDmS".into(), Some(vec![("@", V::Raw(0, sid(MACHINE)))])),
        ("Policy\\PolPrDmS".into(), Some(vec![("@", V::Raw(0, sid(DOMAIN)))])),
        ("Policy\\PolAdtEv".into(), Some(vec![("@", V::Raw(0, vec![0; 8]))])),
        // An account with privileges only (LOCAL SERVICE): a Privilgs subkey and no ActSysAc.
        ("Policy\\Accounts\\S-1-5-19\\Privilgs".into(), Some(vec![("@", V::Raw(0, vec![1, 0, 0, 0, 0, 0, 0, 0]))])),
        ("Policy\\Accounts\\S-1-5-19\\Sid".into(), Some(vec![("@", V::Raw(0, sid("S-1-5-19")))])),
    ];
    for (s, m) in accounts {
        o.push((format!("Policy\\Accounts\\{s}\\Sid"), Some(vec![("@", V::Raw(0, sid(&s)))])));
        if m != 0 {
            o.push((
                format!("Policy\\Accounts\\{s}\\ActSysAc"),
                Some(vec![("@", V::Raw(0, m.to_le_bytes().to_vec()))]),
            ));
        }
    }
    merge_owned(dir, "SECURITY", "SECURITY", &o)
}

/// A SAM: Administrators (Administrator, CORP\Domain Admins), Users (INTERACTIVE, Authenticated Users),
/// Guests (Guest), Remote Desktop Users (`rdu`), the machine's own group Helpdesk (bob); users
/// Administrator, Guest (disabled), alice, bob.
fn sam_hive(dir: &Path, rdu: &[String]) -> PathBuf {
    let m = |rid: u32| format!("{MACHINE}-{rid}");
    let builtin = [
        (0x220u32, "Administrators", vec![m(500), format!("{DOMAIN}-512")]),
        (0x221, "Users", vec!["S-1-5-4".to_owned(), "S-1-5-11".to_owned()]),
        (0x222, "Guests", vec![m(501)]),
        (0x22B, "Remote Desktop Users", rdu.to_vec()),
    ];
    let mut domain_v = vec![0u8; 0x40];
    domain_v.extend(sid(MACHINE));
    let mut o: Owned = vec![
        ("SAM\\Domains\\Account".into(), Some(vec![("V", V::Raw(3, domain_v))])),
        ("SAM\\Domains\\Builtin\\Aliases\\Names\\Administrators".into(), Some(vec![("@", V::Raw(0x220, vec![]))])),
        ("SAM\\Domains\\Builtin\\Aliases\\Members\\S-1-5-21".into(), Some(vec![])),
    ];
    for (rid, name, members) in builtin {
        let c = alias_c(rid, name, "", &members);
        o.push((format!("SAM\\Domains\\Builtin\\Aliases\\{rid:08X}"), Some(vec![("C", V::Raw(3, c))])));
    }
    let helpdesk = alias_c(0x3EB, "Helpdesk", "Second-line support", &[m(1002)]);
    o.push(("SAM\\Domains\\Account\\Aliases\\000003EB".into(), Some(vec![("C", V::Raw(3, helpdesk))])));
    for (rid, name, flags) in
        [(500u32, "Administrator", 0x210u32), (501, "Guest", 0x215), (1001, "alice", 0x210), (1002, "bob", 0x210)]
    {
        o.push((
            format!("SAM\\Domains\\Account\\Users\\{rid:08X}"),
            Some(vec![("F", V::Raw(3, user_f(rid, flags))), ("V", V::Raw(3, user_v(name)))]),
        ));
        o.push((format!("SAM\\Domains\\Account\\Users\\Names\\{name}"), Some(vec![("@", V::Raw(rid, vec![]))])));
    }
    merge_owned(dir, "SAM", "SAM", &o)
}

fn default_rdu() -> Vec<String> {
    vec![format!("{MACHINE}-1001"), format!("{DOMAIN}-1105")]
}

fn run(paths: &[&Path], users: &[&str]) -> (rdp_doctor_core::evidence::host::HostEvidence, rdp_doctor_core::Report) {
    let mut inputs = hives(paths);
    inputs.now = NOW;
    let mut host = rdp_doctor_host::offline::collect(&inputs);
    host.accounts_checked = users.iter().map(|u| (*u).to_owned()).collect();
    let mut ev = rdp_doctor_core::Evidence::new(
        rdp_doctor_core::evidence::Target { input: "h".into(), host: "h".into(), port: 3389, ip: None },
        host.collected_at_unix,
    );
    ev.host = Some(host.clone());
    (host, rdp_doctor_core::host_report::build(ev, 0.0))
}

fn rights_ids(r: &rdp_doctor_core::Report) -> Vec<&'static str> {
    let mut v: Vec<&str> = ids(r).into_iter().filter(|i| RIGHTS.contains(i)).collect();
    v.sort_unstable();
    v
}

const RIGHTS: &[&str] = &[
    "host.logon_right_denied_broadly",
    "host.logon_right_not_granted",
    "host.account_logon_denied",
    "host.account_lacks_logon_right",
    "host.account_logon_right",
    "host.remote_desktop_users_empty",
    "host.logon_right_deny_assigned",
    "host.logon_right_missing",
];

#[test]
fn defaults_are_read_and_are_not_a_finding() {
    let d = tempfile::tempdir().unwrap();
    let (sec, sam) = (security(d.path(), &[]), sam_hive(d.path(), &default_rdu()));
    let (host, r) = run(&[&sec, &sam], &[]);
    let roles: Vec<&str> = host.hives.iter().map(|h| h.role.as_str()).collect();
    assert_eq!(roles, ["SECURITY", "SAM"], "{:?}", host.hives);
    let rights = host.rights.as_ref().expect("rights read");
    let mut allow = rights.allow_remote_interactive.clone().unwrap();
    allow.sort();
    assert_eq!(allow, ["S-1-5-32-544", "S-1-5-32-555"]);
    assert_eq!(rights.deny_remote_interactive.as_deref(), Some(&[][..]));
    assert_eq!(rights.remote_desktop_users.as_deref(), Some(&default_rdu()[..]));
    assert_eq!(rights.machine_sid.as_deref(), Some(MACHINE));
    assert_eq!(rights.domain_sid.as_deref(), Some(DOMAIN));
    let names: Vec<&str> = rights.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["Administrator", "Guest", "alice", "bob"]);
    assert_eq!(rights.users[1].disabled, Some(true));
    assert!(rights.group(&format!("{MACHINE}-1003")).is_some_and(|g| g.name == "Helpdesk"));
    assert!(rights.source.contains("ActSysAc") && rights.source.contains("Aliases"), "{}", rights.source);
    assert!(rights_ids(&r).is_empty(), "defaults are no finding: {:?}", ids(&r));
    assert!(!host.limitations.iter().any(|l| l.contains("not read")), "{:#?}", host.limitations);

    // Asked about: alice (in Remote Desktop Users) may; bob (only in Helpdesk) may not; a domain account
    // depends on CORP\RDP-Staff, a domain group the host cannot expand.
    let (_, r) = run(&[&sec, &sam], &["alice", "bob", "CORP\\carol"]);
    assert_eq!(
        rights_ids(&r),
        ["host.account_lacks_logon_right", "host.account_logon_right", "host.account_logon_right"]
    );
    let (f, e) = finding(&r, "host.account_lacks_logon_right");
    assert!(f.summary.contains("bob"), "{}", f.summary);
    assert!(e.contains("Helpdesk") && e.contains("a local account"), "{e}");
    let texts: Vec<&str> = r.findings.iter().map(|f| f.summary.as_str()).collect();
    assert!(texts.iter().any(|s| s.contains("alice may log on") && s.contains("Remote Desktop Users")), "{texts:?}");
    assert!(texts.iter().any(|s| s.contains("CORP\\carol") && s.contains("domain groups")), "{texts:?}");
}

#[test]
fn a_tattooed_deny_on_remote_desktop_users_is_the_cause() {
    let d = tempfile::tempdir().unwrap();
    // The group keeps its allow right and also gets the deny right (0x400 | 0x800), as a removed GPO leaves it.
    let (sec, sam) = (security(d.path(), &[("S-1-5-32-555", 0xC00)]), sam_hive(d.path(), &default_rdu()));
    let (_, r) = run(&[&sec, &sam], &["alice"]);
    assert_eq!(rights_ids(&r), ["host.account_logon_denied", "host.logon_right_denied_broadly"]);
    let (f, e) = finding(&r, "host.logon_right_denied_broadly");
    assert!(f.summary.contains("BUILTIN\\Remote Desktop Users (S-1-5-32-555)"), "{}", f.summary);
    assert!(e.contains("SECURITY") && e.contains("ActSysAc"), "{e}");
    assert!(f.remedies.iter().any(|x| x.id == "host.restore_rdp_logon_rights"), "{:?}", f.remedies);
    assert_eq!(f.severity, rdp_doctor_core::finding::Severity::Fail);
}

#[test]
fn the_right_taken_from_remote_desktop_users_refuses_its_members() {
    let d = tempfile::tempdir().unwrap();
    let (sec, sam) = (security(d.path(), &[("S-1-5-32-555", 0)]), sam_hive(d.path(), &default_rdu()));
    let (_, r) = run(&[&sec, &sam], &["alice", "Administrator"]);
    assert_eq!(
        rights_ids(&r),
        ["host.account_lacks_logon_right", "host.account_logon_right", "host.logon_right_not_granted"]
    );
    assert!(finding(&r, "host.logon_right_not_granted").0.summary.contains("2 member(s)"));
    assert!(finding(&r, "host.account_lacks_logon_right").0.summary.contains("alice"));
    assert!(finding(&r, "host.account_logon_right").0.summary.contains("Administrator may log on"));
    // Nobody holds it at all.
    let d = tempfile::tempdir().unwrap();
    let (sec, sam) = (security(d.path(), &[("S-1-5-32-555", 0), ("S-1-5-32-544", 0x007)]), sam_hive(d.path(), &[]));
    let (_, r) = run(&[&sec, &sam], &[]);
    assert!(rights_ids(&r).contains(&"host.logon_right_not_granted"), "{:?}", ids(&r));
    assert!(finding(&r, "host.logon_right_not_granted").0.summary.contains("nobody"));
}

#[test]
fn an_empty_group_and_a_narrow_deny() {
    let d = tempfile::tempdir().unwrap();
    let (sec, sam) = (security(d.path(), &[("S-1-5-113", 0x800)]), sam_hive(d.path(), &[]));
    let (_, r) = run(&[&sec, &sam], &["alice", "CORP\\carol"]);
    let got = rights_ids(&r);
    assert!(got.contains(&"host.remote_desktop_users_empty"), "{got:?}");
    assert!(got.contains(&"host.logon_right_deny_assigned"), "{got:?}");
    // alice is a local account: Local account (S-1-5-113) denies her.
    let (f, _) = finding(&r, "host.account_logon_denied");
    assert!(f.summary.contains("alice") && f.summary.contains("Local account"), "{}", f.summary);
    // carol is not local: not denied by it; whether she may log on depends on CORP\Domain Admins (a member
    // of Administrators), which only Active Directory knows.
    let carol = r.findings.iter().find(|f| f.summary.contains("carol")).expect("carol judged");
    assert_eq!(carol.id, "host.account_logon_right");
    assert!(carol.summary.contains("depends on its domain groups"), "{}", carol.summary);
}

#[test]
fn one_hive_alone_says_what_the_other_would_have_told() {
    let d = tempfile::tempdir().unwrap();
    let sec = security(d.path(), &[("S-1-5-32-555", 0xC00)]);
    let (host, r) = run(&[&sec], &[]);
    assert!(rights_ids(&r).contains(&"host.logon_right_denied_broadly"), "{:?}", ids(&r));
    assert_eq!(host.rights.as_ref().unwrap().remote_desktop_users, None);
    assert!(host.limitations.iter().any(|l| l.contains("no SAM hive read")), "{:#?}", host.limitations);
    let sam = sam_hive(d.path(), &[]);
    let (host, r) = run(&[&sam], &[]);
    assert_eq!(rights_ids(&r), ["host.remote_desktop_users_empty"]);
    assert_eq!(host.rights.as_ref().unwrap().allow_remote_interactive, None);
    assert!(host.limitations.iter().any(|l| l.contains("no SECURITY hive read")), "{:#?}", host.limitations);
    // Neither: said once.
    let sys = common::real_hive("SYSTEM", d.path(), "SYSTEM");
    let (host, _) = run(&[&sys], &[]);
    assert!(host.rights.is_none());
    assert_eq!(host.limitations.iter().filter(|l| l.contains("Logon rights")).count(), 1, "{:#?}", host.limitations);
}

#[test]
fn a_volume_with_all_four_hives_is_read_and_left_unchanged() {
    let d = tempfile::tempdir().unwrap();
    let work = d.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let sys = common::real_hive("SYSTEM", &work, "SYSTEM");
    let (sec, sam) = (security(&work, &[("S-1-5-32-555", 0xC00)]), sam_hive(&work, &default_rdu()));
    let root = d.path().join("vol");
    common::volume(&root, &sys, None, &[], &[]);
    let config = root.join("Windows/System32/config");
    std::fs::rename(sec, config.join("SECURITY")).unwrap();
    std::fs::rename(sam, config.join("SAM")).unwrap();
    let before: Vec<Vec<u8>> =
        ["SYSTEM", "SECURITY", "SAM"].iter().map(|f| std::fs::read(config.join(f)).unwrap()).collect();
    let inputs = rdp_doctor_host::offline::Inputs { volume: Some(root.clone()), now: NOW, ..Default::default() };
    let (host, r) = report(&inputs);
    assert!(ids(&r).contains(&"host.logon_right_denied_broadly"), "{:?}", ids(&r));
    let names: Vec<&str> = host.rights.as_ref().unwrap().names.iter().map(|n| n.name.as_str()).collect();
    let computer = host.computer_name.clone().unwrap();
    assert!(names.contains(&format!("{computer}\\alice").as_str()), "{names:?}");
    let after: Vec<Vec<u8>> =
        ["SYSTEM", "SECURITY", "SAM"].iter().map(|f| std::fs::read(config.join(f)).unwrap()).collect();
    assert!(before == after, "the hives were changed");
}

#[test]
fn damaged_values_are_skipped_and_said() {
    let d = tempfile::tempdir().unwrap();
    let o: Owned = vec![
        ("Policy\\PolAcDmS".into(), Some(vec![("@", V::Raw(0, sid(MACHINE)))])),
        ("Policy\\Accounts\\S-1-5-32-555\\ActSysAc".into(), Some(vec![("@", V::Raw(0, vec![0x00, 0x04]))])),
        (
            "Policy\\Accounts\\S-1-5-32-544\\ActSysAc".into(),
            Some(vec![("@", V::Raw(0, 0x407u32.to_le_bytes().to_vec()))]),
        ),
    ];
    let sec = merge_owned(d.path(), "SECURITY", "SECURITY", &o);
    let o: Owned = vec![(
        "SAM\\Domains\\Builtin\\Aliases\\0000022B".into(),
        Some(vec![("C", V::Raw(3, alias_c(0x22B, "Remote Desktop Users", "", &default_rdu())[..60].to_vec()))]),
    )];
    let sam = merge_owned(d.path(), "SAM", "SAM", &o);
    let (host, _) = run(&[&sec, &sam], &[]);
    let r = host.rights.as_ref().unwrap();
    assert_eq!(r.allow_remote_interactive.as_deref(), Some(&["S-1-5-32-544".to_owned()][..]));
    assert_eq!(r.remote_desktop_users, None, "a truncated C value is not an empty group");
    let l = host.limitations.join("\n");
    assert!(l.contains("1 account(s) with an unreadable") && l.contains("could not be parsed"), "{l}");
}
