//! Findings (what is wrong, with the evidence it rests on) and remedies (what to do), kept apart as
//! ssh-audit and testssl.sh do. IDs are stable: never reused for another meaning.

use serde::Serialize;

/// How bad a finding is. Ordered: `Info < Warn < Fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A fact worth knowing; nothing to fix.
    Info,
    /// Works, but is weak, fragile or will break some clients.
    Warn,
    /// The connection fails here (or is unsafe enough to count as failing).
    Fail,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

/// Who carries out a remedy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The person at the client machine.
    ClientUser,
    /// The administrator of the RDP server (Windows or xrdp).
    ServerAdmin,
    /// Whoever runs firewalls, routers, VPNs and DNS.
    NetworkAdmin,
    /// Whoever runs the cloud account (Azure NSG, AWS security groups).
    CloudAdmin,
}

impl Audience {
    pub fn label(self) -> &'static str {
        match self {
            Self::ClientUser => "user at the client",
            Self::ServerAdmin => "server admin",
            Self::NetworkAdmin => "network admin",
            Self::CloudAdmin => "cloud admin",
        }
    }
}

/// What carrying out a remedy does to the systems involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// Only reads state or runs a test; nothing stays changed.
    Inspect,
    /// Changes configuration or state, but no security control. Has an undo.
    Change,
    /// Changes a security control (firewall, authentication, certificates, credential policy, accounts).
    /// Has an undo and a risk line; says so plainly in `security_note` when it weakens security.
    SecurityChange,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inspect => "inspect",
            Self::Change => "change",
            Self::SecurityChange => "security_change",
        }
    }
}

/// A concrete, safe fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remedy {
    /// Stable ID, e.g. `server.renew_rdp_certificate`.
    pub id: &'static str,
    pub audience: Audience,
    pub title: &'static str,
    /// Where the steps apply ("Windows Server", "xrdp", "any").
    pub platform: &'static str,
    /// What applying it changes.
    pub impact: Impact,
    /// What must be true (or checked) before applying it.
    pub preconditions: &'static [&'static str],
    /// Exact steps: commands, registry paths, GPO paths.
    pub steps: &'static [&'static str],
    /// How to take the change back, when it changes anything.
    pub undo: Option<&'static str>,
    /// What can go wrong or what else it affects (service restarts, exposure, lost keys).
    pub risk: Option<&'static str>,
    /// Said plainly when the remedy weakens security.
    pub security_note: Option<&'static str>,
}

/// The static definition of a finding: everything but the evidence of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingDef {
    pub id: &'static str,
    pub severity: Severity,
    /// The layer the finding belongs to (`dns`, `tcp`, `x224`, `tls`).
    pub layer: &'static str,
    pub title: &'static str,
    /// What it means and why it matters, in general terms.
    pub explanation: &'static str,
    /// Remedy IDs in the order to try them.
    pub remedies: &'static [&'static str],
}

/// One finding of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub severity: Severity,
    pub layer: &'static str,
    pub title: &'static str,
    /// This run's one-sentence diagnosis.
    pub summary: String,
    /// What was observed: bytes, codes, timings.
    pub evidence: Vec<String>,
    pub explanation: &'static str,
    pub remedies: Vec<Remedy>,
    /// Findings seen from the other side that explain this one (`check --host`: the client's finding names
    /// the host finding that is its cause).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub see_also: Vec<&'static str>,
    /// The catalogue severity, when this run noted the finding at a lower one: a capture whose client
    /// went on and logged on shows the finding did not stop this connection (`rules/observed.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noted_from: Option<Severity>,
}

impl Finding {
    /// A finding of `def` with this run's summary and evidence; remedies are resolved from the catalogue.
    pub fn new(def: &FindingDef, summary: impl Into<String>, evidence: Vec<String>) -> Self {
        Self {
            id: def.id,
            severity: def.severity,
            layer: def.layer,
            title: def.title,
            summary: summary.into(),
            evidence,
            explanation: def.explanation,
            remedies: def.remedies.iter().filter_map(|id| crate::remedies::by_id(id)).cloned().collect(),
            see_also: Vec::new(),
            noted_from: None,
        }
    }
}
