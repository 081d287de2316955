//! "What to do": every remedy once, in the order the findings it serves appear (most severe first), with
//! the findings it serves. A self-signed, expired certificate needs "bind a CA certificate" once, not twice.

use rdp_doctor_core::{Finding, Remedy, Severity};

/// One remedy and the findings (IDs) it serves, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Todo<'a> {
    pub remedy: &'a Remedy,
    pub serves: Vec<&'static str>,
}

/// The remedies of the warn and fail findings, each once, in order.
pub fn remedies<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<Todo<'a>> {
    let mut out: Vec<Todo<'a>> = Vec::new();
    for f in findings.into_iter().filter(|f| f.severity >= Severity::Warn) {
        for rem in &f.remedies {
            match out.iter_mut().find(|t| t.remedy.id == rem.id) {
                Some(t) if !t.serves.contains(&f.id) => t.serves.push(f.id),
                Some(_) => {}
                None => out.push(Todo { remedy: rem, serves: vec![f.id] }),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdp_doctor_core::catalogue;

    #[test]
    fn each_remedy_once_in_order() {
        let mut expired = Finding::new(&catalogue::CERT_EXPIRED, "expired", vec![]);
        let self_signed = Finding::new(&catalogue::CERT_SELF_SIGNED, "self-signed", vec![]);
        // As the TLS rules do: an expired self-signed certificate is also fixed by a CA certificate.
        expired.remedies.extend(self_signed.remedies.first().cloned());
        let both = [expired.clone(), self_signed.clone()];
        let todo = remedies(&both);
        let ids: Vec<&str> = todo.iter().map(|t| t.remedy.id).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(ids.len(), unique.len(), "each remedy once: {ids:?}");
        assert_eq!(ids.first().copied(), expired.remedies.first().map(|r| r.id), "the first finding's first");
        let shared_id = self_signed.remedies.first().map(|r| r.id);
        let shared = todo.iter().find(|t| Some(t.remedy.id) == shared_id);
        assert_eq!(shared.map(|t| t.serves.clone()), Some(vec!["cert.expired", "cert.self_signed"]));
        let info = Finding::new(&catalogue::NTLM_HOST_INFO, "info", vec![]);
        assert!(remedies([&info]).is_empty(), "info findings need nothing done");
    }
}
