//! Remedies for findings of fleet scans and policies.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "client.scan_deeper",
        audience: Audience::ClientUser,
        title: "Gather the evidence the policy needs",
        platform: "any",
        impact: Impact::Inspect,
        preconditions: &[],
        steps: &[
            "rdp-doctor scan --policy <policy> --deep <targets>   # also tries every TLS version and suite",
            "Check that the host is up and reachable from here (a host that was not reached cannot be judged)",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
    Remedy {
        id: "client.check_host_alone",
        audience: Audience::ClientUser,
        title: "Check the host on its own and see which layer is slow",
        platform: "any",
        impact: Impact::Inspect,
        preconditions: &[],
        steps: &[
            "rdp-doctor check <host>:<port> -v          # every layer with its time",
            "rdp-doctor check <host>:<port> --timeout 15s   # when the path is slow rather than broken",
            "Scan again with a larger --host-timeout (default 60s) if a slow host is expected",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
];
