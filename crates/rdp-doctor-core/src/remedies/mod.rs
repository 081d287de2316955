//! The remedy catalogue: exact, safe steps with an undo, per audience.
//!
//! Registry paths and commands are the documented Windows ones (Remote Desktop Services lives under
//! `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server`; the RDP listener's settings under
//! `...\WinStations\RDP-Tcp`). Remedies that weaken security say so in `security_note`.
//! One file per area, each with its own `REMEDIES`; [`all`] chains them.

mod base;
mod security;

use crate::finding::Remedy;

/// Every remedy, area by area.
pub fn all() -> impl Iterator<Item = &'static Remedy> {
    base::REMEDIES.iter().chain(security::REMEDIES)
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
        }
    }
}
