//! Remedies only the capture findings need: a reverse proxy in front of an RD Gateway, and the RDP UDP
//! transport. (Loss, MTU, credentials, logon rights and gateway policies use the network, credentials and
//! gateway areas' remedies.)

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "gateway.fix_proxy_framing",
        audience: Audience::NetworkAdmin,
        title: "Let the reverse proxy pass RD Gateway traffic unchanged",
        platform: "nginx / HAProxy / load balancers",
        impact: Impact::Change,
        preconditions: &[
            "The capture or `check --gateway` shows a proxy between client and gateway (Via, X-Forwarded-*, HTTP/1.0, re-framed or refused RDG_* requests)",
        ],
        steps: &[
            "Pass the custom methods RDG_OUT_DATA, RDG_IN_DATA (and RPC_IN_DATA, RPC_OUT_DATA) and the websocket upgrade through to the gateway",
            "nginx: proxy_http_version 1.1; proxy_buffering off; proxy_request_buffering off; chunked_transfer_encoding off; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;",
            "Keep each client on one gateway node (source-IP or cookie affinity): the legacy transport's IN and OUT channels must meet on the same node (gateway event 210 otherwise)",
            "Offer only http/1.1 in ALPN towards clients (no HTTP/2 for the gateway path)",
        ],
        undo: Some("Restore the previous proxy configuration file and reload the proxy"),
        risk: Some(
            "A proxy reload drops the connections it carries; unbuffered proxying passes slow clients' load to the gateway.",
        ),
        security_note: None,
    },
    Remedy {
        id: "network.allow_rdp_udp",
        audience: Audience::NetworkAdmin,
        title: "Allow the RDP UDP transport (UDP 3389) end to end",
        platform: "Windows Server / firewalls",
        impact: Impact::SecurityChange,
        preconditions: &["UDP is wanted: TCP sessions work, but are slow on a high-latency or lossy path"],
        steps: &[
            "Enable-NetFirewallRule -DisplayName 'Remote Desktop - User Mode (UDP-In)'   # on the server",
            "Allow UDP 3389 to the server on every firewall and NSG on the path (UDP 3391 to an RD Gateway)",
            "Check the server does not force TCP: HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\\SelectTransport should be absent or 0",
            "Check the client is not told to skip UDP: HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\\Client\\fClientDisableUDP should be absent or 0",
        ],
        undo: Some("Disable-NetFirewallRule -DisplayName 'Remote Desktop - User Mode (UDP-In)'"),
        risk: Some("Opens one more port to the server."),
        security_note: Some("Keep UDP 3389 limited to the same sources as TCP 3389."),
    },
];
