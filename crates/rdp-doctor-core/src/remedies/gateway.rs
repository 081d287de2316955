//! Remedies for the RD Gateway path (MS-TSGU): the gateway's certificate, its transport settings and the
//! proxies in front of it, its authorization policies, its reach to the targets and its limits.
//! Protocol facts: shared/GATEWAY_UDP_NOTES.md.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "gateway.certificate",
        audience: Audience::ServerAdmin,
        title: "Give the RD Gateway a certificate with its public name, from a CA the clients trust",
        platform: "RD Gateway (Windows Server)",
        impact: Impact::SecurityChange,
        preconditions: &[
            "A certificate with the gateway's public name (the client's gateway setting) in its subjectAltName, the Server Authentication EKU, from a CA every client trusts, with its private key on the gateway",
        ],
        steps: &[
            "Check what clients see: openssl s_client -connect <gateway>:443 -servername <gateway> </dev/null | openssl x509 -noout -subject -ext subjectAltName -dates",
            "RD Gateway Manager > <server> > Properties > SSL Certificate: select or import the certificate",
            "Or: Import-Module RemoteDesktopServices; Get-Item RDS:\\GatewayServer\\SSLCertificate\\Thumbprint (note it); Set-Item RDS:\\GatewayServer\\SSLCertificate\\Thumbprint -Value <THUMBPRINT>; Restart-Service TSGateway",
            "RDS deployment: Set-RDCertificate -Role RDGateway -Thumbprint <THUMBPRINT> -ConnectionBroker <broker>",
            "Clients: the gateway name in the .rdp file (gatewayhostname:s:) must be a name in the certificate; mstsc offers no click-through for a bad gateway certificate",
        ],
        undo: Some(
            "Set-Item RDS:\\GatewayServer\\SSLCertificate\\Thumbprint -Value <previous thumbprint>; Restart-Service TSGateway",
        ),
        risk: Some("Restarting TSGateway drops every connection through the gateway."),
        security_note: None,
    },
    Remedy {
        id: "gateway.transport_settings",
        audience: Audience::ServerAdmin,
        title: "Check the gateway's transports and what sits in front of it",
        platform: "RD Gateway, load balancers and reverse proxies",
        impact: Impact::Change,
        preconditions: &[],
        steps: &[
            "RD Gateway Manager > Properties > Transport Settings: HTTP transport (TCP 443) and UDP transport (UDP 3391); clients fall back to RPC over HTTP when HTTP is refused",
            "A load balancer or reverse proxy in front must pass the RDG_OUT_DATA / RDG_IN_DATA methods and WebSocket upgrades, must not buffer the long-lived responses (nginx: proxy_buffering off; proxy_request_buffering off), and must keep a client on one gateway node",
            "UDP problems only: untick 'Enable UDP transport' to test, or use the client's TCP-only setting (client.tcp_only)",
            "Restart-Service TSGateway after changes",
        ],
        undo: Some("Set the transport settings back as recorded before the change; Restart-Service TSGateway"),
        risk: Some(
            "Without UDP transport sessions are less smooth over lossy links; the restart drops every gateway connection.",
        ),
        security_note: None,
    },
    Remedy {
        id: "client.proxy_bypass",
        audience: Audience::ClientUser,
        title: "Send gateway traffic around the web proxy or TLS inspection",
        platform: "Windows client (administrator), proxy / TLS-inspection device",
        impact: Impact::SecurityChange,
        preconditions: &[
            "The gateway connection fails behind a proxy or inspection device and works from another network",
        ],
        steps: &[
            "netsh winhttp show proxy   # the machine-wide proxy; the per-user one is in Internet Options > Connections > LAN settings",
            "netsh winhttp set proxy proxy-server=\"<proxy:port>\" bypass-list=\"<gateway fqdn>;<local>\"",
            "Per user: Internet Options > Connections > LAN settings > Advanced > Exceptions: add the gateway's name; PAC files: return DIRECT for it",
            "On the TLS-inspection device: exempt the gateway's name (inspection replaces its certificate and breaks the channel binding of its NTLM/Kerberos authentication)",
        ],
        undo: Some(
            "netsh winhttp set proxy proxy-server=\"<proxy:port>\" bypass-list=\"<previous list>\" (or netsh winhttp reset proxy if none was set); remove the exception and the inspection exemption",
        ),
        risk: Some("Gateway traffic no longer passes the proxy's inspection: agree it with whoever runs the proxy."),
        security_note: None,
    },
    Remedy {
        id: "gateway.policies",
        audience: Audience::ServerAdmin,
        title: "Check the gateway's connection (CAP) and resource (RAP) authorization policies",
        platform: "RD Gateway (Windows Server)",
        impact: Impact::SecurityChange,
        preconditions: &[
            "Export the current policies first: RD Gateway Manager > Actions > Export policy and settings",
        ],
        steps: &[
            "Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-Gateway/Operational' -MaxEvents 50 | Format-List TimeCreated,Id,Message   # which policy refused whom",
            "Connection Authorization Policies (CAP): the user's group (and the client computer group, if set) must be listed; check its device-redirection and time-out settings",
            "Resource Authorization Policies (RAP): the target must be in the RAP's computer group under the name the client uses (FQDN, NetBIOS name and IP address are different entries)",
            "PowerShell: Import-Module RemoteDesktopServices; Get-ChildItem RDS:\\GatewayServer\\CAP; Get-ChildItem RDS:\\GatewayServer\\RAP",
        ],
        undo: Some(
            "Import the exported policies and settings (RD Gateway Manager > Actions > Import policy and settings)",
        ),
        risk: Some("A CAP or RAP broader than needed lets more users reach more servers through the gateway."),
        security_note: None,
    },
    Remedy {
        id: "gateway.reach_target",
        audience: Audience::NetworkAdmin,
        title: "Make sure the gateway can reach the target on TCP 3389",
        platform: "RD Gateway network",
        impact: Impact::Inspect,
        preconditions: &[],
        steps: &[
            "On the gateway: Resolve-DnsName <target>; Test-NetConnection <target> -Port 3389",
            "Allow TCP 3389 from the gateway to the targets on every firewall between them",
            "The gateway resolves the target with its own DNS: use a name it can resolve and the RAP lists",
        ],
        undo: None,
        risk: None,
        security_note: None,
    },
    Remedy {
        id: "gateway.connection_limit",
        audience: Audience::ServerAdmin,
        title: "Raise the gateway's connection limit or add capacity",
        platform: "RD Gateway (Windows Server)",
        impact: Impact::Change,
        preconditions: &[],
        steps: &[
            "RD Gateway Manager > Monitoring: current connections; disconnect stale ones",
            "RD Gateway Manager > Properties > General: maximum allowed simultaneous connections",
            "If the server itself is at capacity, add gateway servers to a farm behind a load balancer with affinity",
        ],
        undo: Some("Set the maximum back to its previous value"),
        risk: Some("More connections per gateway need more CPU and memory on it."),
        security_note: None,
    },
    Remedy {
        id: "gateway.rap_allow_target",
        audience: Audience::ServerAdmin,
        title: "Let a resource authorization policy (RD RAP) allow this user to this computer",
        platform: "RD Gateway (Windows Server), PowerShell as administrator",
        impact: Impact::SecurityChange,
        preconditions: &[
            "The user should reach this computer through the gateway (agree it with whoever owns the policies)",
            "Export the current policies first: RD Gateway Manager > Actions > Export policy and settings",
        ],
        steps: &[
            "Import-Module RemoteDesktopServices",
            "Get-ChildItem RDS:\\GatewayServer\\RAP   # the resource authorization policies",
            "Get-ChildItem RDS:\\GatewayServer\\RAP\\<RAP>\\UserGroups   # the user must be in one of these groups",
            "Get-Item RDS:\\GatewayServer\\RAP\\<RAP>\\ComputerGroupType; Get-Item RDS:\\GatewayServer\\RAP\\<RAP>\\ComputerGroup   # 0 = an RD Gateway-managed group, 1 = an Active Directory group, 2 = any computer",
            "Get-ChildItem RDS:\\GatewayServer\\GatewayManagedComputerGroups\\<group>\\Computers   # the names must include the target exactly as the client names it (FQDN, short name and IP address are different entries)",
            "New-Item RDS:\\GatewayServer\\GatewayManagedComputerGroups\\<group>\\Computers -Name <target as the client names it>",
            "Or in RD Gateway Manager > Policies > Resource Authorization Policies > <RAP> > Properties: User Groups and Network Resource tabs",
        ],
        undo: Some(
            "Remove-Item RDS:\\GatewayServer\\GatewayManagedComputerGroups\\<group>\\Computers\\<target>; or import the exported policies (RD Gateway Manager > Actions > Import policy and settings)",
        ),
        risk: Some("Every user the RAP names can now reach this computer through the gateway."),
        security_note: None,
    },
    Remedy {
        id: "gateway.cap_allow_user",
        audience: Audience::ServerAdmin,
        title: "Let a connection authorization policy (RD CAP) admit this user",
        platform: "RD Gateway (Windows Server), PowerShell as administrator",
        impact: Impact::SecurityChange,
        preconditions: &[
            "The user should use the gateway (agree it with whoever owns the policies)",
            "Export the current policies first: RD Gateway Manager > Actions > Export policy and settings",
        ],
        steps: &[
            "Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-Gateway/Operational' -MaxEvents 50 | Format-List TimeCreated,Id,Message   # the refusal names the policy and the user",
            "Import-Module RemoteDesktopServices",
            "Get-ChildItem RDS:\\GatewayServer\\CAP   # the connection authorization policies",
            "Get-Item RDS:\\GatewayServer\\CAP\\<CAP>\\Status   # 1 = enabled",
            "Get-Item RDS:\\GatewayServer\\CAP\\<CAP>\\AuthMethod   # 1 = password, 2 = smart card, 3 = either",
            "Get-ChildItem RDS:\\GatewayServer\\CAP\\<CAP>\\UserGroups; Get-ChildItem RDS:\\GatewayServer\\CAP\\<CAP>\\ComputerGroups   # the user's group (and, if set, the client computer's group) must be listed",
            "New-Item RDS:\\GatewayServer\\CAP\\<CAP>\\UserGroups -Name '<group>@<DOMAIN>'",
        ],
        undo: Some(
            "Remove-Item RDS:\\GatewayServer\\CAP\\<CAP>\\UserGroups\\<group>@<DOMAIN>; or import the exported policies (RD Gateway Manager > Actions > Import policy and settings)",
        ),
        risk: Some("Every member of the added group can now authenticate to the gateway."),
        security_note: None,
    },
    Remedy {
        id: "gateway.service_health",
        audience: Audience::ServerAdmin,
        title: "Check the RD Gateway service and its policy server",
        platform: "RD Gateway (Windows Server)",
        impact: Impact::Change,
        preconditions: &[],
        steps: &[
            "Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-Gateway/Operational' -MaxEvents 50 | Format-List TimeCreated,Id,Message",
            "Get-Service TSGateway, IAS   # the gateway and its local NPS (policy) service must be running",
            "If a central NPS server holds the policies: RD Gateway Manager > Properties > RD CAP Store, and that server's reachability",
            "Restart-Service TSGateway   # only after reading the log",
        ],
        undo: Some("Nothing to undo: a restart changes no setting"),
        risk: Some("Restarting TSGateway drops every connection through the gateway."),
        security_note: None,
    },
];
