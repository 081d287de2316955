//! The remedy catalogue: exact, safe steps with an undo, per audience.
//!
//! Registry paths and commands are the documented Windows ones (Remote Desktop Services lives under
//! `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server`; the RDP listener's settings under
//! `...\WinStations\RDP-Tcp`). Remedies that weaken security say so in `security_note`.
//! One file per area, each with its own `REMEDIES`; [`all`] chains them.

mod access;
mod authmode;
mod base;
mod capture;
mod certificate;
mod client;
mod credentials;
mod fleet;
mod gateway;
mod host;
mod kerberos;
mod licensing;
mod network;
mod nla;
mod patterns;
mod rdpfile;
mod security;
mod session;

use crate::finding::Remedy;

/// Every remedy, area by area.
pub fn all() -> impl Iterator<Item = &'static Remedy> {
    base::REMEDIES
        .iter()
        .chain(security::REMEDIES)
        .chain(certificate::REMEDIES)
        .chain(network::REMEDIES)
        .chain(access::REMEDIES)
        .chain(credentials::REMEDIES)
        .chain(licensing::REMEDIES)
        .chain(nla::REMEDIES)
        .chain(gateway::REMEDIES)
        .chain(client::REMEDIES)
        .chain(rdpfile::REMEDIES)
        .chain(capture::REMEDIES)
        .chain(session::REMEDIES)
        .chain(kerberos::REMEDIES)
        .chain(host::REMEDIES)
        .chain(fleet::REMEDIES)
        .chain(authmode::REMEDIES)
        .chain(patterns::REMEDIES)
}

/// Looks a remedy up by its stable ID.
pub fn by_id(id: &str) -> Option<&'static Remedy> {
    all().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_steps_present() {
        let mut ids: Vec<_> = all().map(|r| r.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate remedy id");
        for r in all() {
            assert!(!r.steps.is_empty(), "{} has no steps", r.id);
            assert!(
                r.id.split_once('.').is_some_and(|(a, n)| !a.is_empty() && !n.is_empty()),
                "{} is not area.name",
                r.id
            );
        }
    }

    /// Remedies are safe: whatever changes something says how to take it back, and whatever changes a
    /// security control also says what can go wrong; a remedy that weakens security is a security change.
    #[test]
    fn changes_have_an_undo_and_security_changes_a_risk_line() {
        use crate::finding::Impact;
        for r in all() {
            match r.impact {
                Impact::Inspect => {}
                Impact::Change => assert!(r.undo.is_some(), "{} changes something and has no undo", r.id),
                Impact::SecurityChange => {
                    assert!(r.undo.is_some(), "{} changes security and has no undo", r.id);
                    assert!(r.risk.is_some(), "{} changes security and has no risk line", r.id);
                }
            }
            if r.security_note.is_some() {
                assert_eq!(
                    r.impact,
                    Impact::SecurityChange,
                    "{} weakens security but is not marked as a security change",
                    r.id
                );
            }
            for text in r.steps.iter().chain(r.preconditions).chain(r.undo.iter()).chain(r.risk.iter()) {
                assert!(!text.trim().is_empty(), "{} has an empty line", r.id);
            }
        }
    }
}
