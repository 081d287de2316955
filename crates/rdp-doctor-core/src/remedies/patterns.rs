//! Remedies for the patterns across a capture (`catalogue/patterns.rs`): guessing, scans, health probes and
//! floods of pending connections.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "network.block_source",
        audience: Audience::NetworkAdmin,
        title: "Block the source address (and keep it out)",
        platform: "Firewall / Windows Firewall",
        impact: Impact::SecurityChange,
        preconditions: &[
            "The source is not a legitimate client or balancer (check it against your own address plan first)",
        ],
        steps: &[
            "On the perimeter firewall: deny the source address to TCP/UDP 3389 (and the RD Gateway's 443 if it targets that)",
            "Windows Firewall on the server: New-NetFirewallRule -DisplayName 'Block RDP guessing <addr>' -Direction Inbound -RemoteAddress <addr> -Protocol TCP -LocalPort 3389 -Action Block",
            "Review the Security log for the accounts it tried: Get-WinEvent -FilterHashtable @{LogName='Security';Id=4625} -MaxEvents 200 | Format-List TimeCreated,Message",
        ],
        undo: Some("Remove-NetFirewallRule -DisplayName 'Block RDP guessing <addr>' (and the perimeter rule)"),
        risk: Some("A shared address (a NAT or proxy) blocks every client behind it."),
        security_note: None,
    },
    Remedy {
        id: "server.restrict_rdp_exposure",
        audience: Audience::ServerAdmin,
        title: "Do not expose RDP directly: reach it through a VPN or an RD Gateway with MFA",
        platform: "Windows Server / network",
        impact: Impact::SecurityChange,
        preconditions: &["Users have a VPN or an RD Gateway (with multi-factor authentication) to connect through"],
        steps: &[
            "Remove the port forward or public security-group rule that exposes TCP/UDP 3389",
            "Restrict the RDP firewall rules to the VPN or gateway addresses: Set-NetFirewallRule -DisplayGroup 'Remote Desktop' -RemoteAddress <gateway or VPN ranges>",
            "Keep Network Level Authentication required (it stops unauthenticated sessions before a logon screen exists)",
        ],
        undo: Some(
            "Restore the previous firewall rules (Set-NetFirewallRule -DisplayGroup 'Remote Desktop' -RemoteAddress Any) and the port forward",
        ),
        risk: Some("Clients that connected directly need the VPN or the gateway from now on."),
        security_note: None,
    },
    Remedy {
        id: "server.account_lockout_policy",
        audience: Audience::ServerAdmin,
        title: "Review the account lockout policy against guessing",
        platform: "Active Directory / Windows",
        impact: Impact::SecurityChange,
        preconditions: &["Guessing was seen: a threshold slows it down but locks real users out too"],
        steps: &[
            "net accounts   # local: Lockout threshold, duration, observation window",
            "Domain: Computer Configuration > Policies > Windows Settings > Security Settings > Account Policies > Account Lockout Policy (or Get-ADDefaultDomainPasswordPolicy)",
            "Windows 11 22H2 / Server 2025 lock local administrators out as well by default (Allow Administrator account lockout)",
        ],
        undo: Some("Set the previous threshold and durations back"),
        risk: Some(
            "A low threshold lets a guessing run lock real users out (a denial of service); no threshold lets it guess forever.",
        ),
        security_note: None,
    },
    Remedy {
        id: "network.tune_health_checks",
        audience: Audience::NetworkAdmin,
        title: "Keep health checks of the RDP port few and recognisable",
        platform: "Load balancer / monitoring",
        impact: Impact::Change,
        preconditions: &[],
        steps: &[
            "Probe every 5-30 s per balancer node, not continuously; a TCP connect check is enough for RDP",
            "Exclude the balancer's addresses from alerts on incomplete RDP connections",
            "rdp-doctor check HOST   # a full, credential-free check when a probe reports the port down",
        ],
        undo: Some("Restore the previous probe interval"),
        risk: None,
        security_note: None,
    },
    Remedy {
        id: "server.max_outstanding_connections",
        audience: Audience::ServerAdmin,
        title: "See the server's pending connections and its outstanding-connection limit",
        platform: "Windows Server",
        impact: Impact::SecurityChange,
        preconditions: &["Stop the flood's source first: raising the limit only lets more guessing in"],
        steps: &[
            "Get-NetTCPConnection -LocalPort 3389 | Group-Object State | Select-Object Name,Count   # many SynReceived/Established without sessions = pending",
            "qwinsta   # the sessions that did get through",
            "Get-WinEvent -FilterHashtable @{LogName='System'; ProviderName='TermService'} -MaxEvents 50 | Format-List TimeCreated,Id,Message   # 'a large number of incomplete connections' events",
            "Get-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server' -Name MaxOutstandingConnections   # absent: the built-in limit applies",
            "Only when the pending connections are legitimate (many users at once behind one balancer): Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server' -Name MaxOutstandingConnections -Value <n> -Type DWord, then restart the Remote Desktop Services service",
        ],
        undo: Some(
            "Remove-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server' -Name MaxOutstandingConnections, then restart the service",
        ),
        risk: Some("Restarting the Remote Desktop Services service disconnects every session."),
        security_note: Some(
            "A higher limit lets more unauthenticated connections wait at once: during a guessing or flood attack it helps the attacker, not the users.",
        ),
    },
];
