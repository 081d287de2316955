//! Every finding the tool can emit: stable ID, severity, layer, title, meaning and remedies.
//!
//! `explain` and the docs read these tables; rules build findings from them. IDs are never reused.
//! One file per area, each with its own `DEFS`; [`all`] chains them. Add an area by adding a file and
//! one line to [`all`].

mod authmode;
mod capture;
mod client;
mod decrypted;
pub mod fleet;
mod gateway;
mod host;
mod kerberos;
mod live;
mod net;
mod patterns;
pub mod rdpfile;
mod security;
mod session;

pub use authmode::*;
pub use capture::*;
pub use client::DEFS as CLIENT_DEFS;
pub use client::*;
pub use decrypted::*;
pub use fleet::*;
pub use gateway::*;
pub use host::DEFS as HOST_DEFS;
pub use host::*;
pub use kerberos::*;
pub use live::*;
pub use net::*;
pub use patterns::*;
pub use security::*;
pub use session::*;

use crate::finding::FindingDef;

/// Defines a `FindingDef` constant.
macro_rules! def {
    ($name:ident, $id:literal, $sev:ident, $layer:literal, $title:literal, $expl:literal, [$($rem:literal),* $(,)?]) => {
        pub const $name: FindingDef = FindingDef {
            id: $id,
            severity: Severity::$sev,
            layer: $layer,
            title: $title,
            explanation: $expl,
            remedies: &[$($rem),*],
        };
    };
}
pub(crate) use def;

/// Every finding definition, area by area.
pub fn all() -> impl Iterator<Item = &'static FindingDef> {
    live::DEFS
        .iter()
        .chain(security::DEFS)
        .chain(net::DEFS)
        .chain(gateway::DEFS)
        .chain(rdpfile::DEFS)
        .chain(capture::DEFS)
        .chain(session::DEFS)
        .chain(decrypted::DEFS)
        .chain(kerberos::DEFS)
        .chain(authmode::DEFS)
        .chain(patterns::DEFS)
        .chain(host::DEFS)
        .chain(client::DEFS)
        .chain(fleet::DEFS)
        .chain(fleet::POLICY_DEFS)
}

/// Looks a finding definition up by its stable ID.
pub fn by_id(id: &str) -> Option<&'static FindingDef> {
    all().find(|d| d.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_unique_and_remedies_resolve() {
        let mut ids: Vec<_> = all().map(|d| d.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate finding id");
        for d in all() {
            assert!(d.id.contains('.'), "{} is not area.name", d.id);
            for r in d.remedies {
                assert!(crate::remedies::by_id(r).is_some(), "{} names unknown remedy {r}", d.id);
            }
            assert!(!d.remedies.is_empty(), "{} has no remedy", d.id);
        }
    }

    #[test]
    fn every_negotiation_failure_code_has_a_finding() {
        use rdp_doctor_proto::nego::FailureCode;
        for code in 1..=6 {
            let id = format!("nego.{}", FailureCode(code).snake_name());
            assert!(by_id(&id).is_some(), "{id}");
        }
    }
}
