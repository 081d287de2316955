#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;
use crate::facts::CertFacts;

fn cert(days_left: i64, trusted: bool, name_matches: bool, key: (&str, usize)) -> CertFacts {
    CertFacts {
        subject: "CN=rds1".into(),
        issuer: if trusted { "CN=Corp CA" } else { "CN=rds1" }.into(),
        not_after: "2027-01-01T00:00:00Z".into(),
        not_after_unix: 1_798_761_600,
        days_left,
        self_signed: !trusted,
        trusted: Some(trusted),
        name: "rds1.corp.example".into(),
        name_matches,
        key_type: key.0.into(),
        key_bits: key.1,
        sha1_thumbprint: String::new(),
    }
}

fn hardened() -> HostFacts {
    HostFacts {
        address: Some("10.0.0.5".into()),
        reached: true,
        selected_protocol: Some(8),
        accepted_protocols: Some(vec![2, 8]),
        nla: Some(Nla::Required),
        rdp_security: Some(false),
        tls_versions: vec!["TLS 1.2".into(), "TLS 1.3".into()],
        tls_versions_enumerated: true,
        cert: Some(cert(200, true, true, ("RSA", 2048))),
        ntlm_computer: None,
        ntlm_domain: None,
        os_version: None,
        os_build: None,
    }
}

fn fields(r: &PolicyResult) -> Vec<&str> {
    r.mismatches.iter().map(|m| m.field.as_str()).collect()
}

#[test]
fn builtins_parse_and_judge_a_hardened_host_as_passing() {
    assert_eq!(BUILTIN.len(), 2);
    for (name, _) in BUILTIN {
        let p = builtin(name).unwrap();
        let r = p.evaluate(&hardened());
        assert_eq!(r.status, PolicyStatus::Pass, "{name}: {r:?}");
        assert!(r.passed);
        assert!(findings(&r).is_empty());
    }
}

#[test]
fn strict_fails_a_default_xrdp_like_host_field_by_field() {
    let mut f = hardened();
    f.accepted_protocols = Some(vec![0, 1, 2]);
    f.nla = Some(Nla::Offered);
    f.rdp_security = Some(true);
    f.tls_versions = vec!["TLS 1.0".into(), "TLS 1.2".into()];
    f.cert = Some(cert(-1, false, false, ("RSA", 1024)));
    let r = builtin("strict").unwrap().evaluate(&f);
    assert_eq!(r.status, PolicyStatus::Fail);
    assert_eq!(
        fields(&r),
        [
            "allowed_protocols",
            "nla_required",
            "rdp_security",
            "min_tls_version",
            "trusted_ca",
            "min_days_left",
            "name_match",
            "min_key_bits"
        ]
    );
    assert_eq!(r.mismatches[0].actual, "also accepts rdp, ssl");
    assert_eq!(r.mismatches[4].actual, "self-signed");
    let ids: Vec<&str> = findings(&r).iter().map(|f| f.id).collect();
    assert_eq!(ids.len(), 8);
    assert!(ids.iter().all(|i| i.starts_with("policy.")));
    // The compatible baseline asks less, but not for RDP Security, an expired certificate or a small key.
    let r = builtin("compatible").unwrap().evaluate(&f);
    assert_eq!(fields(&r), ["allowed_protocols", "rdp_security", "min_days_left", "min_key_bits"]);
}

#[test]
fn what_was_not_seen_is_unverified_not_passed() {
    let mut f = hardened();
    f.tls_versions = vec!["TLS 1.3".into()];
    f.tls_versions_enumerated = false;
    let r = builtin("strict").unwrap().evaluate(&f);
    assert_eq!(r.status, PolicyStatus::Unverified);
    assert!(!r.passed);
    assert_eq!(r.unverified[0].field, "min_tls_version");
    assert!(r.unverified[0].reason.contains("--deep"));
    let f = findings(&r);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].id, "policy.unverified");
    assert_eq!(f[0].severity, crate::Severity::Info);

    let down = HostFacts {
        reached: false,
        accepted_protocols: None,
        nla: None,
        rdp_security: None,
        tls_versions: vec![],
        cert: None,
        ..hardened()
    };
    let r = builtin("strict").unwrap().evaluate(&down);
    assert_eq!(r.status, PolicyStatus::Unverified);
    assert!(r.unverified.iter().all(|u| u.reason == "the host was not reached"), "{r:?}");
}

#[test]
fn a_policy_made_from_a_host_passes_that_host_and_round_trips() {
    let f = hardened();
    let p = Policy::from_facts("baseline", "rds1.corp.example", &f);
    assert_eq!(p.allowed_protocols.as_deref(), Some(&["hybrid".to_owned(), "hybrid_ex".to_owned()][..]));
    assert_eq!(p.min_tls_version.as_deref(), Some("1.2"));
    assert_eq!(p.evaluate(&f).status, PolicyStatus::Pass);
    let text = p.to_toml();
    assert_eq!(Policy::from_toml(&text).unwrap(), p);
    // A weaker host fails it.
    let mut weaker = f;
    weaker.accepted_protocols = Some(vec![1, 2, 8]);
    weaker.nla = Some(Nla::Offered);
    assert_eq!(fields(&p.evaluate(&weaker)), ["allowed_protocols", "nla_required"]);
}

#[test]
fn bad_policies_are_refused_with_the_reason() {
    for (text, needle) in [
        ("name = \"x\"\nallowed_protocols = [\"tls1\"]", "unknown protocol"),
        ("name = \"x\"\nmin_tls_version = \"2.0\"", "min_tls_version"),
        ("name = \"x\"\nnla = true", "unknown field"),
        ("name = ", "invalid policy"),
        ("name = \"\"", "name is empty"),
    ] {
        let e = Policy::from_toml(text).unwrap_err().to_string();
        assert!(e.contains(needle), "{text:?}: {e}");
    }
}
