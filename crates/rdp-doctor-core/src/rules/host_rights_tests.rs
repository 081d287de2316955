//! The rights rules on policy facts shaped as the SECURITY/SAM readers and the live LSA calls give them.
//! The readers themselves are tested on hives in `rdp-doctor-host/tests/rights.rs`.

use super::*;
use crate::evidence::host::{EventsEvidence, LocalGroup, LocalUser, SidName};
use crate::rules::testkit::{NOW, base};

const MACHINE: &str = "S-1-5-21-1111-2222-3333";
const DOMAIN: &str = "S-1-5-21-7777-8888-9999";

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| (*x).to_owned()).collect()
}

/// Windows' defaults: the right to Administrators and Remote Desktop Users, no deny; alice (local) in
/// Remote Desktop Users, Administrator in Administrators, CORP\RDP-Staff (a domain group) in RDU.
fn defaults() -> RightsEvidence {
    let alice = format!("{MACHINE}-1001");
    let admin = format!("{MACHINE}-500");
    let staff = format!("{DOMAIN}-1105");
    RightsEvidence {
        allow_remote_interactive: Some(s(&[ADMINISTRATORS, REMOTE_DESKTOP_USERS])),
        deny_remote_interactive: Some(vec![]),
        remote_desktop_users: Some(vec![alice.clone(), staff.clone()]),
        source: "test".into(),
        groups: vec![
            LocalGroup {
                sid: ADMINISTRATORS.into(),
                name: "Administrators".into(),
                members: vec![admin.clone(), format!("{DOMAIN}-512")],
                path: "p".into(),
            },
            LocalGroup {
                sid: REMOTE_DESKTOP_USERS.into(),
                name: "Remote Desktop Users".into(),
                members: vec![alice.clone(), staff.clone()],
                path: "p".into(),
            },
            LocalGroup {
                sid: USERS.into(),
                name: "Users".into(),
                members: s(&[INTERACTIVE, AUTHENTICATED_USERS]),
                path: "p".into(),
            },
            LocalGroup {
                sid: GUESTS.into(),
                name: "Guests".into(),
                members: vec![format!("{MACHINE}-501")],
                path: "p".into(),
            },
        ],
        users: vec![
            LocalUser { sid: admin.clone(), name: "Administrator".into(), disabled: Some(false) },
            LocalUser { sid: alice.clone(), name: "alice".into(), disabled: Some(false) },
            LocalUser { sid: format!("{MACHINE}-1002"), name: "bob".into(), disabled: Some(false) },
        ],
        names: vec![
            SidName { sid: alice, name: "RDS1\\alice".into() },
            SidName { sid: staff, name: "CORP\\RDP-Staff".into() },
        ],
        machine_sid: Some(MACHINE.into()),
        domain_sid: Some(DOMAIN.into()),
    }
}

fn run(r: RightsEvidence, users: &[&str], events: Vec<HostEvent>) -> Vec<Finding> {
    let mut h = HostEvidence::new("test", NOW);
    h.computer_name = Some("RDS1".into());
    h.rights = Some(r);
    h.accounts_checked = s(users);
    if !events.is_empty() {
        h.events = Some(EventsEvidence { window_start_unix: 0, files: vec![], records: events, omitted: 0 });
    }
    let mut ev = base();
    ev.host = Some(h);
    crate::rules::evaluate(&ev)
}

fn ids(f: &[Finding]) -> Vec<&'static str> {
    let mut v: Vec<&str> = f.iter().map(|f| f.id).collect();
    v.sort_unstable();
    v
}

fn find<'a>(f: &'a [Finding], id: &str) -> &'a Finding {
    f.iter().find(|x| x.id == id).unwrap_or_else(|| unreachable!("no {id} in {:?}", ids(f)))
}

#[test]
fn defaults_say_nothing_and_members_may_log_on() {
    assert!(run(defaults(), &[], vec![]).is_empty(), "Windows' defaults are not a finding");
    let f = run(defaults(), &["alice", "RDS1\\Administrator"], vec![]);
    assert_eq!(ids(&f), ["host.account_logon_right", "host.account_logon_right"]);
    assert!(
        f[0].summary.contains("alice may log on") && f[0].summary.contains("Remote Desktop Users"),
        "{}",
        f[0].summary
    );
    assert!(f[1].summary.contains("Administrators"), "{}", f[1].summary);
}

#[test]
fn a_local_account_outside_the_groups_lacks_the_right() {
    let f = run(defaults(), &[".\\bob"], vec![]);
    assert_eq!(ids(&f), ["host.account_lacks_logon_right"]);
    let e = f[0].evidence.join("\n");
    assert!(e.contains("a local account") && e.contains("BUILTIN\\Users"), "{e}");
}

#[test]
fn a_domain_account_is_undecided_when_a_domain_group_holds_the_right() {
    let f = run(defaults(), &["CORP\\carol"], vec![]);
    assert_eq!(ids(&f), ["host.account_logon_right"]);
    assert!(f[0].summary.contains("depends on its domain groups"), "{}", f[0].summary);
    assert!(f[0].evidence.join("\n").contains("CORP\\RDP-Staff"));
    // Without a domain group anywhere, a domain account outside the local groups is decided.
    let mut r = defaults();
    r.remote_desktop_users = Some(vec![format!("{MACHINE}-1001")]);
    r.groups[1].members = vec![format!("{MACHINE}-1001")];
    r.groups[0].members = vec![format!("{MACHINE}-500")];
    assert_eq!(ids(&run(r, &["CORP\\carol"], vec![])), ["host.account_lacks_logon_right"]);
}

#[test]
fn deny_rights_broad_narrow_and_per_account() {
    let mut r = defaults();
    r.deny_remote_interactive = Some(s(&[LOCAL_ACCOUNT, GUESTS]));
    let f = run(r.clone(), &[], vec![]);
    assert_eq!(ids(&f), ["host.logon_right_deny_assigned"]);
    // alice is local: Local account denies her although Remote Desktop Users allows her.
    let f = run(r.clone(), &["alice"], vec![]);
    assert_eq!(ids(&f), ["host.account_logon_denied", "host.logon_right_deny_assigned"]);
    assert!(find(&f, "host.account_logon_denied").summary.contains("Local account"));
    // A domain account is not a local account.
    let f = run(r, &["CORP\\carol"], vec![]);
    assert!(!ids(&f).contains(&"host.account_logon_denied"), "{:?}", ids(&f));
    let mut r = defaults();
    r.deny_remote_interactive = Some(s(&[REMOTE_DESKTOP_USERS]));
    let f = run(r, &[], vec![]);
    assert_eq!(ids(&f), ["host.logon_right_denied_broadly"]);
    assert!(f[0].summary.contains("BUILTIN\\Remote Desktop Users (S-1-5-32-555)"), "{}", f[0].summary);
    let mut r = defaults();
    r.deny_remote_interactive = Some(vec![format!("{DOMAIN}-513")]);
    assert_eq!(ids(&run(r, &[], vec![])), ["host.logon_right_denied_broadly"], "Domain Users is broad");
}

#[test]
fn the_right_not_granted_and_an_empty_group() {
    let mut r = defaults();
    r.allow_remote_interactive = Some(vec![]);
    let f = run(r, &[], vec![]);
    assert_eq!(ids(&f), ["host.logon_right_not_granted"]);
    assert!(f[0].summary.contains("nobody"), "{}", f[0].summary);
    let mut r = defaults();
    r.allow_remote_interactive = Some(s(&[ADMINISTRATORS]));
    let f = run(r, &["alice"], vec![]);
    assert_eq!(ids(&f), ["host.account_lacks_logon_right", "host.logon_right_not_granted"]);
    assert!(find(&f, "host.logon_right_not_granted").summary.contains("2 member(s)"));
    // A GPO granting the right to a domain group instead: the members may hold it through that group.
    let mut r = defaults();
    r.allow_remote_interactive = Some(vec![ADMINISTRATORS.to_owned(), format!("{DOMAIN}-1107")]);
    let f = run(r, &[], vec![]);
    assert!(f.iter().all(|f| f.id != "host.logon_right_not_granted"), "{:?}", ids(&f));
    let mut r = defaults();
    r.remote_desktop_users = Some(vec![]);
    r.groups[1].members.clear();
    let f = run(r.clone(), &[], vec![]);
    assert_eq!(ids(&f), ["host.remote_desktop_users_empty"]);
    // Not read is not empty.
    r.remote_desktop_users = None;
    assert!(run(r, &[], vec![]).is_empty());
}

#[test]
fn refused_accounts_in_4625_are_explained_by_the_policy() {
    let e = HostEvent {
        provider: "Microsoft-Windows-Security-Auditing".into(),
        event_id: 4625,
        channel: "Security".into(),
        time_unix: NOW - 60,
        time: "2026-11-20T23:59:00Z".into(),
        record_id: 99,
        file: "Security.evtx".into(),
        activity_id: None,
        level: None,
        data: [
            ("TargetUserSid", format!("{MACHINE}-1002")),
            ("TargetUserName", "bob".to_owned()),
            ("TargetDomainName", "RDS1".to_owned()),
            ("Status", "0xc000015b".to_owned()),
            ("LogonType", "10".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    };
    let f = run(defaults(), &[], vec![e]);
    assert_eq!(ids(&f), ["host.account_lacks_logon_right", "host.logon_right_missing"]);
    let e = find(&f, "host.logon_right_missing").evidence.join("\n");
    assert!(e.contains("record 99") && e.contains("RDS1\\bob (refused in Security 4625"), "{e}");
    // Both are failures; the account's own finding (the cause, named) sorts first by ID.
    assert!(find(&f, "host.account_lacks_logon_right").summary.contains("RDS1\\bob"));
}

#[test]
fn nothing_is_judged_without_the_policy() {
    let mut r = defaults();
    r.allow_remote_interactive = None;
    r.deny_remote_interactive = None;
    let f = run(r, &["bob"], vec![]);
    assert!(f.iter().all(|f| f.id != "host.account_lacks_logon_right"), "{:?}", ids(&f));
}
