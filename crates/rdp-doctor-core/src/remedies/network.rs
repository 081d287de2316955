//! Remedies for the network path: host and client firewalls (TCP and UDP 3389, WebSocket listeners),
//! testing by IP address, MTU, VPN quality, and the TCP-only workaround for the UDP transport.
//! Registry and policy names of the TCP-only workaround: shared/GATEWAY_UDP_NOTES.md §5.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "server.firewall_rdp_rules",
        audience: Audience::ServerAdmin,
        title: "Enable the server's Remote Desktop firewall rules, for the networks that need them",
        platform: "Windows Server / Windows",
        impact: Impact::SecurityChange,
        preconditions: &[
            "Remote Desktop is enabled (fDenyTSConnections = 0) and TermService runs",
            "Know which client networks must reach the server",
        ],
        steps: &[
            "Get-NetFirewallRule -DisplayGroup 'Remote Desktop' | Format-Table DisplayName,Enabled,Profile,Direction   # TCP-In and UDP-In on 3389",
            "Enable-NetFirewallRule -DisplayGroup 'Remote Desktop'",
            "Get-NetFirewallRule -DisplayGroup 'Remote Desktop' | Get-NetFirewallAddressFilter | Set-NetFirewallAddressFilter -RemoteAddress <client subnets>   # limit the sources",
            "WebSocket listeners (TCP 3387 ws, 3392 wss): Get-NetFirewallRule -DisplayName 'Remote Desktop*WS*' | Format-Table Name,DisplayName,Enabled; Enable-NetFirewallRule -Name <Name> for the ones in use",
            "Non-default port: New-NetFirewallRule -DisplayName 'RDP <port> TCP' -Direction Inbound -Protocol TCP -LocalPort <port> -RemoteAddress <client subnets> -Action Allow (and the same with -Protocol UDP for the UDP transport)",
            "Without PowerShell: netsh advfirewall firewall show rule name=all dir=in | findstr /i \"remote desktop\"",
        ],
        undo: Some(
            "Disable-NetFirewallRule -DisplayGroup 'Remote Desktop'; Remove-NetFirewallRule -DisplayName 'RDP <port> TCP' (rules you added); Set-NetFirewallAddressFilter -RemoteAddress Any on the group's rules if you narrowed them and want the previous state",
        ),
        risk: Some(
            "Each enabled rule exposes the logon screen to the sources it allows; UDP 3389 is only needed for the UDP transport.",
        ),
        security_note: Some("Allow only the client networks that need RDP, never the whole Internet."),
    },
    Remedy {
        id: "client.firewall_outbound",
        audience: Audience::ClientUser,
        title: "Check that the client's side lets RDP out",
        platform: "Windows client",
        impact: Impact::Inspect,
        preconditions: &[],
        steps: &[
            "Test-NetConnection <host> -Port 3389",
            "Get-NetFirewallRule -Direction Outbound -Action Block -Enabled True | Format-Table DisplayName,Profile   # local blocks",
            "Try once from another network (a phone hotspot) to tell a local block from one near the server",
            "Many corporate and guest networks block outbound 3389 to the Internet: use the organisation's RD Gateway (HTTPS 443) or VPN instead",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
    Remedy {
        id: "client.connect_by_ip",
        audience: Audience::ClientUser,
        title: "Connect by IP address once, to separate a name problem from the rest",
        platform: "any",
        impact: Impact::Inspect,
        preconditions: &["Know the server's address (ask its admin, or resolve it on a machine where the name works)"],
        steps: &[
            "rdp-doctor check <ip address> --tls-name <host name>",
            "mstsc /v:<ip address>   # a certificate-name warning is expected here; it proves the path works, it is not the fix",
            "If the address works and the name does not, fix the name (network.fix_dns_record, client.check_name); keep connecting by name afterwards",
        ],
        undo: None,
        risk: Some(
            "By IP address, Kerberos cannot identify the server and NTLM is used; accept the certificate warning only after checking its thumbprint.",
        ),
        security_note: None,
    },
    Remedy {
        id: "network.fix_mtu",
        audience: Audience::NetworkAdmin,
        title: "Find the path MTU and make large packets fit (interface MTU, MSS clamping on the VPN)",
        platform: "any (VPN, PPPoE, tunnels)",
        impact: Impact::Change,
        preconditions: &[
            "The connection stalls after the TCP handshake and ClientHello (the server's certificate flight never arrives) while small exchanges work, typically over a VPN or tunnel",
        ],
        steps: &[
            "Measure from the client: ping -f -l 1472 <host> (Windows) or ping -M do -s 1472 <host> (Linux); lower the size until it passes: path MTU = size + 28",
            "Windows: netsh interface ipv4 show subinterfaces; netsh interface ipv4 set subinterface \"<VPN interface>\" mtu=<path MTU> store=persistent",
            "Linux: ip link set dev <interface> mtu <path MTU>",
            "On the VPN or tunnel edge, clamp TCP MSS: iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu (appliances: 'TCP MSS adjust' = path MTU - 40)",
            "Let ICMP type 3 code 4 (fragmentation needed) through the firewalls on the path so Path MTU Discovery works",
        ],
        undo: Some(
            "netsh interface ipv4 set subinterface \"<VPN interface>\" mtu=<previous value> store=persistent; ip link set dev <interface> mtu <previous value>; iptables -t mangle -D FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu",
        ),
        risk: Some("A lower MTU costs a little throughput; MSS clamping applies to all TCP traffic through that edge."),
        security_note: None,
    },
    Remedy {
        id: "network.vpn_quality",
        audience: Audience::NetworkAdmin,
        title: "Measure loss and latency on the path, and make RDP tolerate a weak VPN or link",
        platform: "any",
        impact: Impact::Change,
        preconditions: &[],
        steps: &[
            "pathping <host>   (Linux: mtr -rwc 100 <host>)   # loss and latency per hop",
            "Compare with a wired connection, or without the VPN through the RD Gateway",
            "Client: Experience tab 'Detect connection quality automatically' (.rdp: networkautodetect:i:1), a smaller resolution, no wallpaper",
            "Server: Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Connections > Configure keep-alive connection interval = 1 minute (VPNs and firewalls drop idle flows)",
            "VPN: check its bandwidth limits, split tunnelling, and idle time-outs for long-lived TCP flows",
        ],
        undo: Some("Set the keep-alive policy back to Not Configured and the client options to their previous values"),
        risk: None,
        security_note: None,
    },
    Remedy {
        id: "client.tcp_only",
        audience: Audience::ClientUser,
        title: "Workaround: turn off the UDP transport on the client (TCP only)",
        platform: "Windows client (administrator), FreeRDP",
        impact: Impact::Change,
        preconditions: &[
            "The session connects and then freezes or drops, or rdp-doctor finds UDP 3389 blocked while TCP works",
        ],
        steps: &[
            "reg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\\Client\" /v fClientDisableUDP /t REG_DWORD /d 1 /f",
            "Or by policy: Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Connection Client > Turn Off UDP On Client = Enabled",
            "Reconnect; the connection bar's information shows UDP is no longer used",
            "FreeRDP: add -multitransport (never ask for the UDP transport)",
        ],
        undo: Some(
            "reg delete \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\\Client\" /v fClientDisableUDP /f (or set the policy back to Not Configured)",
        ),
        risk: Some(
            "Over lossy or distant links TCP-only sessions feel slower; this is a workaround until UDP 3389 (firewalls, MTU) is fixed.",
        ),
        security_note: None,
    },
    Remedy {
        id: "server.tcp_only",
        audience: Audience::ServerAdmin,
        title: "Workaround: let the server use TCP only",
        platform: "Windows Server",
        impact: Impact::Change,
        preconditions: &["Many clients are affected by UDP problems and cannot all be changed"],
        steps: &[
            "Policy: Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Connections > Select RDP transport protocols = Enabled, Use only TCP",
            "Registry where no policy applies: Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name SelectTransport -Value 1 -Type DWord   # 1 = TCP only",
            "Restart-Service TermService -Force (disconnects sessions) or reboot in a maintenance window",
        ],
        undo: Some(
            "Set the policy back to Not Configured, or Remove-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name SelectTransport; restart TermService",
        ),
        risk: Some("Sessions over lossy links lose UDP's smoother graphics; the restart disconnects every session."),
        security_note: None,
    },
];
