//! Remedies for a server that refuses or ends sessions on purpose: logon rights, drain mode, connection
//! and session limits, stuck sessions, the TermService restart, and the Connection Broker.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "server.grant_rdp_logon_right",
        audience: Audience::ServerAdmin,
        title: "Give the user the right to log on through Remote Desktop",
        platform: "Windows Server / Active Directory",
        impact: Impact::SecurityChange,
        preconditions: &["The password is accepted (authentication succeeds) and the server refuses afterwards"],
        steps: &[
            "Get-LocalGroupMember 'Remote Desktop Users'",
            "Add-LocalGroupMember -Group 'Remote Desktop Users' -Member '<DOMAIN\\group or user>'",
            "secpol.msc > Local Policies > User Rights Assignment: 'Allow log on through Remote Desktop Services' must include Remote Desktop Users (or the user's group); 'Deny log on through Remote Desktop Services' must not list the user or its groups",
            "gpresult /h rsop.html   # a domain GPO that sets these rights overrides the local ones: fix it there (Computer Configuration > Windows Settings > Security Settings > Local Policies > User Rights Assignment), then gpupdate /force",
            "RDS collections: Get-RDSessionCollectionConfiguration -CollectionName <name> -UserGroup   # the collection's allowed groups",
        ],
        undo: Some(
            "Remove-LocalGroupMember -Group 'Remote Desktop Users' -Member '<DOMAIN\\group or user>'; revert the GPO change",
        ),
        risk: Some(
            "Every member gets an interactive logon on the server: grant a group of the people who need it, never Everyone or Domain Users.",
        ),
        security_note: None,
    },
    Remedy {
        id: "server.enable_logons",
        audience: Audience::ServerAdmin,
        title: "Allow new logons on a drained session host",
        platform: "Windows Server (RD Session Host)",
        impact: Impact::Change,
        preconditions: &["Ask why the server was drained: it may be in maintenance on purpose"],
        steps: &[
            "chglogon /query",
            "chglogon /enable   # new logons allowed again",
            "RDS deployment: Set-RDSessionHost -SessionHost <fqdn> -NewConnectionAllowed Yes -ConnectionBroker <broker>",
        ],
        undo: Some("chglogon /drain (or /disable), whichever chglogon /query showed before"),
        risk: Some("Users get sessions on a server that may be about to restart for maintenance."),
        security_note: None,
    },
    Remedy {
        id: "server.connection_limits",
        audience: Audience::ServerAdmin,
        title: "Check and raise the connection and session limits",
        platform: "Windows Server",
        impact: Impact::Change,
        preconditions: &["Connections are refused when many users or attempts arrive, and work again later"],
        steps: &[
            "qwinsta   # current sessions (quser: users)",
            "Session limit: Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Connections > Limit number of connections; without the RD Session Host role Windows allows two administrative sessions",
            "Pending (not yet logged on) connections: reg query \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\" /v MaxOutstandingConnections   # absent = built-in default; a low value set by hardening refuses connections under load",
            "reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\" /v MaxOutstandingConnections /t REG_DWORD /d <higher value> /f; then Restart-Service TermService -Force",
            "Password-spraying bots fill the pending queue: many Security log 4625 events mean the port is exposed; restrict who can reach it (server.firewall_rdp_rules)",
        ],
        undo: Some(
            "Set the policy back to its previous value; reg delete \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\" /v MaxOutstandingConnections /f (or the old value); restart TermService",
        ),
        risk: Some(
            "A higher pending-connection limit also gives brute-force attempts more room; the TermService restart disconnects every session.",
        ),
        security_note: None,
    },
    Remedy {
        id: "server.reset_sessions",
        audience: Audience::ServerAdmin,
        title: "End stuck or abandoned sessions",
        platform: "Windows Server",
        impact: Impact::Change,
        preconditions: &["Tell the session's user first: unsaved work in it is lost"],
        steps: &[
            "qwinsta   # sessions in state Down, Conn or Disc for a long time",
            "logoff <session ID>   # ends a disconnected session",
            "rwinsta <session ID>   # resets a session that does not end",
            "To stop it recurring, limit disconnected sessions: see server.session_time_limits",
        ],
        undo: Some("Nothing to undo: an ended session cannot be restored; its user logs on again"),
        risk: Some("Ending a session discards its unsaved work."),
        security_note: None,
    },
    Remedy {
        id: "server.restart_termservice",
        audience: Audience::ServerAdmin,
        title: "Restart Remote Desktop Services (TermService)",
        platform: "Windows Server / Azure VM",
        impact: Impact::Change,
        preconditions: &[
            "Other checks found no configuration cause and the service seems stuck (connections closed at once, RdpCoreTS errors)",
            "Console or out-of-band access in case it does not come back (Hyper-V console, iDRAC/iLO, Azure Serial Console or Run Command)",
        ],
        steps: &[
            "Restart-Service TermService -Force   # UmRdpService restarts with it",
            "Get-Service TermService,UmRdpService,SessionEnv",
            "If it does not stop: (Get-CimInstance Win32_Service -Filter \"Name='TermService'\").ProcessId; Stop-Process -Id <pid> -Force; Start-Service TermService",
            "Azure VM without RDP: az vm run-command invoke -g <rg> -n <vm> --command-id RunPowerShellScript --scripts 'Restart-Service TermService -Force'",
        ],
        undo: Some("Nothing to undo: a restart changes no setting"),
        risk: Some("Every RDP session on the server is disconnected, and work in them may be lost."),
        security_note: None,
    },
    Remedy {
        id: "server.single_session_policy",
        audience: Audience::ServerAdmin,
        title: "Decide whether a user may keep more than one session",
        platform: "Windows Server",
        impact: Impact::Change,
        preconditions: &[
            "A user who takes over their own session from another device disconnects the first one: expected, not a fault",
        ],
        steps: &[
            "Policy: Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Connections > Restrict Remote Desktop Services users to a single Remote Desktop Services session",
            "Registry where no policy applies: reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\" /v fSingleSessionPerUser /t REG_DWORD /d 0 /f   # 0 = several sessions per user",
        ],
        undo: Some(
            "reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\" /v fSingleSessionPerUser /t REG_DWORD /d 1 /f (the default), or set the policy back",
        ),
        risk: Some("Several sessions per user use more server resources, and users reconnect to the wrong one."),
        security_note: None,
    },
    Remedy {
        id: "server.session_time_limits",
        audience: Audience::ServerAdmin,
        title: "Review the session time limits",
        platform: "Windows Server / Active Directory",
        impact: Impact::Change,
        preconditions: &[],
        steps: &[
            "gpresult /h rsop.html   # which policy sets the limits",
            "Computer or User Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Session Time Limits: limits for active, idle and disconnected sessions",
            "Per user: Active Directory Users and Computers > the user > Sessions tab",
        ],
        undo: Some("Set the limits back to the values recorded in rsop.html before the change"),
        risk: Some("Longer limits keep idle sessions, their memory and their open files, around longer."),
        security_note: None,
    },
    Remedy {
        id: "server.connection_broker",
        audience: Audience::ServerAdmin,
        title: "Check the RD Connection Broker's view of the collection and its hosts",
        platform: "Windows Server (RDS deployment)",
        impact: Impact::Inspect,
        preconditions: &[],
        steps: &[
            "Get-RDServer -ConnectionBroker <broker>",
            "Get-RDSessionCollection -ConnectionBroker <broker>; Get-RDVirtualDesktopCollection -ConnectionBroker <broker>",
            "Get-RDSessionHost -CollectionName <name> -ConnectionBroker <broker>   # NewConnectionAllowed on each host",
            "Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-SessionBroker/Admin' -MaxEvents 50",
            "Virtual desktops: Get-VM <name> | Select-Object Name,State,@{n='IP';e={$_.NetworkAdapters.IPAddresses}}",
            "Clients: use a current .rdp file or the RD Web feed; an old file carries a stale routing token",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
];
