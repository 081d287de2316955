//! Remedies for the RDP listener's certificate beyond renewing the self-signed one: binding a CA
//! certificate, and the Azure VM case where the machine key store is damaged so no certificate can be
//! made at all.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "server.bind_ca_rdp_certificate",
        audience: Audience::ServerAdmin,
        title: "Bind a certificate from a trusted CA to the RDP listener",
        platform: "Windows Server",
        impact: Impact::SecurityChange,
        preconditions: &[
            "A certificate in LocalMachine\\My with the server's FQDN in its subjectAltName, the Server Authentication EKU (1.3.6.1.5.5.7.3.1), its private key, from a CA the clients trust",
            "NETWORK SERVICE can read its private key (certlm.msc > the certificate > All Tasks > Manage Private Keys)",
        ],
        steps: &[
            "Get-ChildItem Cert:\\LocalMachine\\My | Where-Object { $_.HasPrivateKey -and $_.NotAfter -gt (Get-Date) } | Format-List Subject,DnsNameList,NotAfter,Thumbprint,EnhancedKeyUsageList",
            "$ts = Get-CimInstance -Namespace root/cimv2/TerminalServices -ClassName Win32_TSGeneralSetting -Filter \"TerminalName='RDP-tcp'\"; $ts.SSLCertificateSHA1Hash   # note the current thumbprint for the undo",
            "Set-CimInstance -InputObject $ts -Property @{SSLCertificateSHA1Hash='<THUMBPRINT>'}   # new connections use it at once",
            "For many servers, by policy: Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Security > Server authentication certificate template",
            "rdp-doctor check <fqdn>   # the TLS layer must show the new certificate, trusted, with a matching name",
        ],
        undo: Some(
            "Set-CimInstance -InputObject $ts -Property @{SSLCertificateSHA1Hash='<previous thumbprint>'}; or Remove-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name SSLCertificateSHA1Hash and restart TermService to go back to the self-signed certificate",
        ),
        risk: Some(
            "A certificate whose private key NETWORK SERVICE cannot read makes every TLS connection fail (the server resets it after the ClientHello); keep the previous thumbprint to switch back.",
        ),
        security_note: None,
    },
    Remedy {
        id: "cloud.azure_reset_machinekeys",
        audience: Audience::CloudAdmin,
        title: "Azure VM: move the damaged machine key store aside so a new RDP certificate can be made",
        platform: "Azure VM (Windows), Azure CLI",
        impact: Impact::SecurityChange,
        preconditions: &[
            "RDP fails at TLS (rdp-doctor: tls.handshake_failed or nego.ssl_cert_not_on_server) and the VM's System log shows Schannel event 36870 (the TLS server credential's private key cannot be accessed) or TermService certificate errors",
            "server.repair_certificate_key (permissions, a new self-signed certificate) was tried and did not help",
            "A snapshot of the OS disk exists: az snapshot create -g <rg> -n <vm>-before-machinekeys --source <OS disk ID>",
            "You know which other machine certificates the VM uses (see the risk)",
        ],
        steps: &[
            "Read the log without RDP: az vm run-command invoke -g <rg> -n <vm> --command-id RunPowerShellScript --scripts \"Get-WinEvent -FilterHashtable @{LogName='System'; ProviderName='Schannel'} -MaxEvents 10 | Format-List TimeCreated,Id,Message\"",
            "Write fix.ps1: $mk = 'C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys'; Rename-Item $mk MachineKeys_old; New-Item -ItemType Directory $mk | Out-Null; Get-Acl 'C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys_old' | Set-Acl $mk; Get-ChildItem 'Cert:\\LocalMachine\\Remote Desktop' | Remove-Item",
            "az vm run-command invoke -g <rg> -n <vm> --command-id RunPowerShellScript --scripts @fix.ps1",
            "az vm restart -g <rg> -n <vm>   # Remote Desktop Services makes a new self-signed certificate and key at start",
            "rdp-doctor check <vm address>",
        ],
        undo: Some(
            "Run Command: Rename-Item 'C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys' MachineKeys_new; Rename-Item 'C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys_old' MachineKeys; then az vm restart (or restore the OS disk snapshot)",
        ),
        risk: Some(
            "MachineKeys holds the private keys of every machine certificate: IIS and other TLS bindings, RD Gateway, WinRM over HTTPS, SQL Server, ADFS, VPN and some agents lose their keys until MachineKeys_old is put back or their certificates are re-issued. Keep MachineKeys_old; never delete it.",
        ),
        security_note: None,
    },
];
