//! Remedies for the live layer chain: names, reachability, the RDP listener, security layer, TLS and
//! certificates.

use crate::finding::{Audience, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "client.check_name",
        audience: Audience::ClientUser,
        title: "Check the host name and how it resolves",
        platform: "Windows client",
        steps: &[
            "Resolve-DnsName <host>            # what DNS answers",
            "Resolve-DnsName <host> -NoHostsFile -DnsOnly",
            r"Get-Content C:\Windows\System32\drivers\etc\hosts   # a stale entry overrides DNS",
            "ipconfig /flushdns                # drop a cached negative answer",
            "Use the fully qualified name (rds1.corp.example), not a short name, when off the corporate network or VPN",
        ],
        undo: None,
        security_note: None,
    },
    Remedy {
        id: "network.fix_dns_record",
        audience: Audience::NetworkAdmin,
        title: "Publish or correct the server's DNS record",
        platform: "any",
        steps: &[
            "Add-DnsServerResourceRecordA -ZoneName <zone> -Name <host> -IPv4Address <server IP>   # Windows DNS",
            "Check that split-horizon DNS gives VPN/remote clients an address they can reach",
        ],
        undo: Some("Remove-DnsServerResourceRecord -ZoneName <zone> -RRType A -Name <host>"),
        security_note: None,
    },
    Remedy {
        id: "server.enable_rdp_listener",
        audience: Audience::ServerAdmin,
        title: "Make sure Remote Desktop is enabled and listening on the expected port",
        platform: "Windows Server",
        steps: &[
            "Get-Service TermService           # must be Running",
            "Get-NetTCPConnection -LocalPort 3389 -State Listen",
            r"Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp' -Name PortNumber   # a non-default port?",
            r"Set-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server' -Name fDenyTSConnections -Value 0",
            "Enable-NetFirewallRule -DisplayGroup 'Remote Desktop'",
            "Start-Service TermService",
        ],
        undo: Some(
            r"Set-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server' -Name fDenyTSConnections -Value 1; Disable-NetFirewallRule -DisplayGroup 'Remote Desktop'",
        ),
        security_note: Some(
            "Enabling RDP exposes a logon surface: allow it only from the networks that need it, with NLA on.",
        ),
    },
    Remedy {
        id: "server.xrdp_listener",
        audience: Audience::ServerAdmin,
        title: "Make sure xrdp is running and listening on the expected port",
        platform: "xrdp (Linux)",
        steps: &[
            "systemctl status xrdp xrdp-sesman",
            "ss -ltnp | grep -E ':3389\\b'",
            "grep -E '^port=' /etc/xrdp/xrdp.ini   # e.g. port=3389 or port=tcp://:3389",
            "sudo systemctl enable --now xrdp",
        ],
        undo: Some("sudo systemctl disable --now xrdp"),
        security_note: None,
    },
    Remedy {
        id: "network.allow_rdp_port",
        audience: Audience::NetworkAdmin,
        title: "Allow TCP 3389 from the client's network through every firewall on the path",
        platform: "any",
        steps: &[
            "On the server: Get-NetFirewallRule -DisplayGroup 'Remote Desktop' | Format-Table DisplayName,Enabled,Profile",
            "On the server: New-NetFirewallRule -DisplayName 'RDP from admin LAN' -Direction Inbound -Protocol TCP -LocalPort 3389 -RemoteAddress <client subnet> -Action Allow",
            "On network firewalls/VPN concentrators: permit TCP 3389 from the client subnet to the server; look for a deny/drop counter that rises while you run this check",
        ],
        undo: Some("Remove-NetFirewallRule -DisplayName 'RDP from admin LAN'"),
        security_note: Some(
            "Never open 3389 to the whole Internet: restrict the source, or publish RDP through an RD Gateway or VPN.",
        ),
    },
    Remedy {
        id: "cloud.allow_rdp_nsg",
        audience: Audience::CloudAdmin,
        title: "Allow RDP in the cloud network security rules, from your address only",
        platform: "Azure / AWS",
        steps: &[
            "az network nsg rule create -g <rg> --nsg-name <nsg> -n Allow-RDP-Admin --priority 300 --access Allow --protocol Tcp --direction Inbound --destination-port-ranges 3389 --source-address-prefixes <your public IP>/32",
            "aws ec2 authorize-security-group-ingress --group-id <sg-id> --protocol tcp --port 3389 --cidr <your public IP>/32",
            "Prefer just-in-time access (Azure Defender JIT) or Azure Bastion over a standing rule",
        ],
        undo: Some(
            "az network nsg rule delete -g <rg> --nsg-name <nsg> -n Allow-RDP-Admin; aws ec2 revoke-security-group-ingress --group-id <sg-id> --protocol tcp --port 3389 --cidr <your public IP>/32",
        ),
        security_note: Some("A rule with source Any/0.0.0.0/0 exposes RDP to the Internet's password-spraying bots."),
    },
    Remedy {
        id: "network.check_route",
        audience: Audience::NetworkAdmin,
        title: "Fix the route to the server",
        platform: "any",
        steps: &[
            "Test-NetConnection <host> -Port 3389 -TraceRoute   # where does the path stop?",
            "Check the VPN is connected and pushes a route for the server's subnet (route print / ip route get <addr>)",
            "Check that the router that sent ICMP unreachable knows the server's network",
        ],
        undo: None,
        security_note: None,
    },
    Remedy {
        id: "server.find_port_owner",
        audience: Audience::ServerAdmin,
        title: "Find which program owns the port, and move RDP or that program",
        platform: "Windows Server",
        steps: &[
            "Get-NetTCPConnection -LocalPort 3389 -State Listen | ForEach-Object { Get-Process -Id $_.OwningProcess }",
            "If a port-forward or load balancer sends 3389 to another service, fix its backend port",
            "Connect to the port RDP really listens on: (Get-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp').PortNumber",
        ],
        undo: None,
        security_note: None,
    },
    Remedy {
        id: "server.check_rdp_service_health",
        audience: Audience::ServerAdmin,
        title: "Check why the RDP service drops or ignores new connections",
        platform: "Windows Server",
        steps: &[
            "Get-WinEvent -LogName 'Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational' -MaxEvents 50 | Format-List TimeCreated,Id,Message",
            "Get-WinEvent -LogName System -MaxEvents 200 | Where-Object ProviderName -match 'TermDD|TermService|Schannel'",
            "Check connection limits: GPO Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Connections > Limit number of connections",
            "Check for an IP-blocking tool (RdpGuard, fail2ban-like agents) that lists the client address",
            "Restart-Service TermService -Force   # last resort: disconnects every RDP session on the server",
        ],
        undo: None,
        security_note: None,
    },
    Remedy {
        id: "client.enable_nla",
        audience: Audience::ClientUser,
        title: "Let the client use Network Level Authentication (CredSSP)",
        platform: "mstsc / FreeRDP",
        steps: &[
            "In the .rdp file: enablecredsspsupport:i:1 (remove a line setting it to 0)",
            "Use an up-to-date client: mstsc on a supported Windows release, or FreeRDP 2.x/3.x with /sec:nla",
        ],
        undo: Some("enablecredsspsupport:i:0 in the .rdp file"),
        security_note: None,
    },
    Remedy {
        id: "client.update_client",
        audience: Audience::ClientUser,
        title: "Update the RDP client, and bypass any RDP proxy to compare",
        platform: "any",
        steps: &[
            "Install the current Remote Desktop client (mstsc with Windows Update, or FreeRDP 3.x)",
            "If an RDP proxy, load balancer or session broker sits in front of the server, connect to the server directly once to see which side is wrong",
        ],
        undo: None,
        security_note: None,
    },
    Remedy {
        id: "server.allow_tls_security_layer",
        audience: Audience::ServerAdmin,
        title: "Let the server negotiate TLS instead of Standard RDP Security",
        platform: "Windows Server / xrdp",
        steps: &[
            "Windows (GPO): Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Security > Require use of specific security layer for remote (RDP) connections = SSL",
            "Windows (registry, where no GPO applies): Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name SecurityLayer -Value 2   # 0 = RDP, 1 = Negotiate, 2 = SSL",
            "xrdp: set security_layer=negotiate (or tls) in /etc/xrdp/xrdp.ini, make sure certificate= and key_file= point to a readable certificate, then systemctl restart xrdp",
        ],
        undo: Some(
            "Set SecurityLayer back to its previous value (Get-ItemProperty before changing), or security_layer=rdp in xrdp.ini",
        ),
        security_note: None,
    },
    Remedy {
        id: "server.repair_certificate_key",
        audience: Audience::ServerAdmin,
        title: "Give the RDP listener a certificate whose private key it can use",
        platform: "Windows Server",
        steps: &[
            "Get-ChildItem 'Cert:\\LocalMachine\\Remote Desktop' | Format-List Subject,NotAfter,Thumbprint,HasPrivateKey",
            "icacls C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys   # NETWORK SERVICE needs read on the key file",
            "Remove the broken self-signed certificate so the service makes a new one: Get-ChildItem 'Cert:\\LocalMachine\\Remote Desktop' | Remove-Item; Restart-Service TermService -Force",
        ],
        undo: Some(
            "A removed self-signed RDP certificate cannot be restored, but the service generates a fresh one at restart",
        ),
        security_note: None,
    },
    Remedy {
        id: "server.renew_rdp_certificate",
        audience: Audience::ServerAdmin,
        title: "Replace the RDP listener's certificate",
        platform: "Windows Server",
        steps: &[
            "Self-signed certificate: Get-ChildItem 'Cert:\\LocalMachine\\Remote Desktop' | Where-Object NotAfter -lt (Get-Date).AddDays(30) | Remove-Item; Restart-Service TermService -Force   # the service creates a new one (disconnects sessions)",
            "CA certificate: enrol one with the server's FQDN in the SAN and the Server Authentication EKU (or set the GPO Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Security > Server authentication certificate template)",
            "Bind it: $ts = Get-CimInstance -Namespace root/cimv2/TerminalServices -ClassName Win32_TSGeneralSetting -Filter \"TerminalName='RDP-tcp'\"; Set-CimInstance -InputObject $ts -Property @{SSLCertificateSHA1Hash='<THUMBPRINT>'}",
        ],
        undo: Some(
            "Set SSLCertificateSHA1Hash back to the previous thumbprint (read it first with Get-CimInstance ... | Select SSLCertificateSHA1Hash)",
        ),
        security_note: None,
    },
    Remedy {
        id: "server.renew_xrdp_certificate",
        audience: Audience::ServerAdmin,
        title: "Replace xrdp's certificate",
        platform: "xrdp (Linux)",
        steps: &[
            "grep -E '^(certificate|key_file)=' /etc/xrdp/xrdp.ini",
            "sudo openssl req -x509 -newkey rsa:3072 -nodes -days 825 -subj '/CN=<fqdn>' -addext 'subjectAltName=DNS:<fqdn>' -addext 'extendedKeyUsage=serverAuth' -keyout /etc/xrdp/key.pem -out /etc/xrdp/cert.pem   # or a CA-issued pair",
            "sudo chown root:xrdp /etc/xrdp/key.pem && sudo chmod 640 /etc/xrdp/key.pem && sudo systemctl restart xrdp",
        ],
        undo: Some("Keep a copy of the old cert.pem/key.pem and put them back, then systemctl restart xrdp"),
        security_note: None,
    },
    Remedy {
        id: "client.trust_server_certificate",
        audience: Audience::ClientUser,
        title: "Verify the certificate's thumbprint out of band before trusting it",
        platform: "Windows client",
        steps: &[
            "Ask the server admin for the thumbprint: Get-ChildItem 'Cert:\\LocalMachine\\Remote Desktop' | Select Thumbprint (on the server)",
            "Compare it with the SHA-1 thumbprint in this report's evidence; only then accept the certificate in mstsc",
            "Better: have the server use a certificate from your enterprise CA, which clients already trust",
        ],
        undo: None,
        security_note: Some(
            "Clicking through a certificate warning without checking the thumbprint lets a man in the middle take your password.",
        ),
    },
    Remedy {
        id: "client.use_certificate_name",
        audience: Audience::ClientUser,
        title: "Connect with a name the certificate carries",
        platform: "any",
        steps: &[
            "Use one of the names listed in the evidence (usually the server's FQDN) instead of an IP address or alias",
            "Or ask the server admin to reissue the certificate with the name you use in its subjectAltName",
        ],
        undo: None,
        security_note: None,
    },
    Remedy {
        id: "any.fix_clock",
        audience: Audience::ServerAdmin,
        title: "Check the clocks of server and client",
        platform: "Windows",
        steps: &[
            "w32tm /query /status",
            "w32tm /resync /force",
            "A certificate that is not yet valid usually means one side's clock is wrong",
        ],
        undo: None,
        security_note: None,
    },
    Remedy {
        id: "server.enable_tls12",
        audience: Audience::ServerAdmin,
        title: "Let the server speak TLS 1.2 with current cipher suites",
        platform: "Windows Server",
        steps: &[
            "reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server\" /v Enabled /t REG_DWORD /d 1 /f",
            "reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server\" /v DisabledByDefault /t REG_DWORD /d 0 /f",
            "Windows Server 2008 R2 / Windows 7 also need the update that adds TLS 1.1/1.2 to RDP (KB3080079); then reboot",
            "Get-WinEvent -LogName System | Where-Object ProviderName -eq Schannel | Select -First 20   # the server's side of the failure",
        ],
        undo: Some(
            "reg delete \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server\" /f; reboot",
        ),
        security_note: None,
    },
];
