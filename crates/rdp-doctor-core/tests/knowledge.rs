//! The knowledge base holds together: every finding and every code's advice names remedies that exist,
//! every code names findings that exist, and no remedy is unreachable.

use std::collections::HashSet;

use rdp_doctor_codes::families;
use rdp_doctor_core::{catalogue, remedies};

#[test]
fn every_finding_links_to_existing_remedies() {
    for d in catalogue::all() {
        assert!(!d.remedies.is_empty(), "{} has no remedy", d.id);
        for r in d.remedies {
            assert!(remedies::by_id(r).is_some(), "finding {} names unknown remedy {r}", d.id);
        }
    }
}

#[test]
fn every_code_links_to_existing_findings_and_remedies() {
    for f in families() {
        for c in f.codes {
            for id in c.findings {
                assert!(catalogue::by_id(id).is_some(), "{} {} names unknown finding {id}", f.id, c.name);
            }
            for r in c.advice.iter().flat_map(|a| a.remedies) {
                assert!(remedies::by_id(r).is_some(), "{} {} names unknown remedy {r}", f.id, c.name);
            }
            for (kind, value) in c.see {
                assert!(
                    rdp_doctor_codes::family(*kind).code(*value).is_some(),
                    "{} {} refers to {kind:?} {value:#x}, which is not in that table",
                    f.id,
                    c.name
                );
            }
        }
        for g in f.groups {
            for r in g.advice.iter().flat_map(|a| a.remedies) {
                assert!(remedies::by_id(r).is_some(), "{} group {} names unknown remedy {r}", f.id, g.name);
            }
        }
    }
}

/// A remedy nobody links to is never shown: every one is reachable from a finding or a code.
#[test]
fn every_remedy_is_reachable() {
    let mut used: HashSet<&str> = catalogue::all().flat_map(|d| d.remedies.iter().copied()).collect();
    for f in families() {
        used.extend(f.codes.iter().filter_map(|c| c.advice).flat_map(|a| a.remedies.iter().copied()));
        used.extend(f.groups.iter().filter_map(|g| g.advice).flat_map(|a| a.remedies.iter().copied()));
    }
    for r in remedies::all() {
        assert!(used.contains(r.id), "remedy {} is not linked from any finding or code", r.id);
    }
}
