//! Remedies particular to what the credentialed check sees: a server that refuses after the connection
//! was set up (where to find its reason), and a session that starts but draws nothing. Accounts, logon
//! rights, licensing and saved credentials have their remedies in `credentials.rs`, `access.rs` and
//! `licensing.rs`.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "server.find_denial_reason",
        audience: Audience::ServerAdmin,
        title: "Find the server's own reason for refusing the connection",
        platform: "Windows Server / xrdp",
        impact: Impact::Inspect,
        preconditions: &["Note the time of the refused attempt (the report's observed_at) to find its events"],
        steps: &[
            "Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational' -MaxEvents 30 | Format-List TimeCreated,Id,Message",
            "Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational' -MaxEvents 30 | Format-List TimeCreated,Id,Message",
            "Get-WinEvent -FilterHashtable @{LogName='Security';Id=4625} -MaxEvents 10 | Format-List TimeCreated,Message   # failed logons, with Status and Sub Status",
            "xrdp: journalctl -u xrdp -u xrdp-sesman --since '-10 min'; /var/log/xrdp.log and /var/log/xrdp-sesman.log",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
    Remedy {
        id: "server.session_shows_nothing",
        audience: Audience::ServerAdmin,
        title: "Find why the session starts but shows nothing",
        platform: "Windows Server / xrdp",
        impact: Impact::Inspect,
        preconditions: &[],
        steps: &[
            "qwinsta /server:<host>   # a disconnected session of the user that is reattached may be hanging",
            "Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational' -MaxEvents 30 | Format-List TimeCreated,Id,Message",
            "Windows: check the display driver and the Desktop Window Manager in the System and Application logs",
            "xrdp: systemctl status xrdp-sesman; tail /var/log/xrdp-sesman.log ~/.xorgxrdp.*.log ~/.xsession-errors (after the Client Info PDU xrdp waits for xrdp-sesman and draws its own window only when that fails)",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
];
