//! Remedies for what `rdp-doctor host` finds on the server itself: registry switches (live and, on a
//! rescue VM, in the offline hives), the listener's certificate and its key file in MachineKeys, the
//! service, FIPS and CredSSP.

use crate::finding::{Audience, Impact, Remedy};

/// This file's remedies.
pub static REMEDIES: &[Remedy] = &[
    Remedy {
        id: "host.allow_remote_connections",
        audience: Audience::ServerAdmin,
        title: "Allow remote connections and enable the RDP-Tcp listener",
        platform: "Windows",
        impact: Impact::SecurityChange,
        preconditions: &[
            "If the evidence says the value came from policy, change the Group Policy object instead (gpresult /h gp.html names it): a local change is overwritten at the next refresh",
        ],
        steps: &[
            "reg query \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\" /v fDenyTSConnections   # set by policy?",
            "Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server' -Name fDenyTSConnections -Value 0",
            "Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name fEnableWinStation -Value 1",
            "Enable-NetFirewallRule -DisplayGroup 'Remote Desktop'   # only for the profiles that need it, see server.firewall_rdp_rules",
            "rdp-doctor host   # the finding is gone; then rdp-doctor check <server> from a client",
        ],
        undo: Some(
            "Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server' -Name fDenyTSConnections -Value 1; Disable-NetFirewallRule -DisplayGroup 'Remote Desktop'",
        ),
        risk: Some(
            "Opens the server to Remote Desktop logons from wherever the firewall allows: keep the rules scoped to the networks that need them and NLA required.",
        ),
        security_note: None,
    },
    Remedy {
        id: "host.restore_rdp_logon_rights",
        audience: Audience::ServerAdmin,
        title: "Restore the Remote Desktop logon rights (allow Administrators and Remote Desktop Users, deny no broad group)",
        platform: "Windows Server / Active Directory",
        impact: Impact::SecurityChange,
        preconditions: &[
            "gpresult /h rsop.html: if a domain GPO sets \"Allow/Deny log on through Remote Desktop Services\" (Computer Configuration > Windows Settings > Security Settings > Local Policies > User Rights Assignment), change it there and gpupdate /force: a local change is overwritten at the next refresh",
            "Ask why a deny entry exists before removing it: baselines deny Guests and, on member servers, Local account on purpose",
        ],
        steps: &[
            "secedit /export /areas USER_RIGHTS /cfg C:\\Windows\\Temp\\rights-before.inf   # what is assigned now (SeRemoteInteractiveLogonRight, SeDenyRemoteInteractiveLogonRight lines, by SID)",
            "secpol.msc > Local Policies > User Rights Assignment: 'Allow log on through Remote Desktop Services' = Administrators, Remote Desktop Users; remove the broad group from 'Deny log on through Remote Desktop Services'",
            "Or the shipped defaults for user rights only: secedit /configure /db C:\\Windows\\Temp\\rights.sdb /cfg C:\\Windows\\inf\\defltbase.inf /areas USER_RIGHTS   # /areas USER_RIGHTS keeps every other area (ACLs, services, audit) untouched",
            "A VM nobody can reach: the SECURITY hive must not be edited by hand (the LSA policy database also holds privilege lists and descriptors); run the secedit line at the next boot through the cloud's run-command or a startup script on the rescued disk, then rdp-doctor host --offline again",
            "rdp-doctor host   # the finding is gone; then rdp-doctor check <server> --user <account>",
        ],
        undo: Some(
            "secedit /configure /db C:\\Windows\\Temp\\undo.sdb /cfg C:\\Windows\\Temp\\rights-before.inf /areas USER_RIGHTS",
        ),
        risk: Some(
            "The defaults give every member of Remote Desktop Users an interactive logon: keep that group to the people who need it. Removing a deny entry a baseline set reopens what it closed (local accounts, guests).",
        ),
        security_note: Some(
            "Widens who may log on interactively over the network: review the Remote Desktop Users membership and keep NLA required.",
        ),
    },
    Remedy {
        id: "host.offline_registry_edit",
        audience: Audience::CloudAdmin,
        title: "Rescue VM: change the value in the offline hive of the attached OS disk",
        platform: "Azure/AWS rescue VM (Windows), or any Windows machine with the disk attached",
        impact: Impact::SecurityChange,
        preconditions: &[
            "The broken VM is stopped and a snapshot of its OS disk exists (az snapshot create / aws ec2 create-snapshot)",
            "The OS disk is attached to a rescue VM as a data disk, with a drive letter (F: below)",
            "rdp-doctor host --offline F:\\ named the value, the control set (Select\\Current) and whether it came from policy",
        ],
        steps: &[
            "reg load HKLM\\BROKENSYSTEM F:\\Windows\\System32\\config\\SYSTEM",
            "reg load HKLM\\BROKENSOFTWARE F:\\Windows\\System32\\config\\SOFTWARE",
            "reg query HKLM\\BROKENSYSTEM\\Select /v Current   # ControlSet00N below is that number",
            "reg add \"HKLM\\BROKENSYSTEM\\ControlSet001\\Control\\Terminal Server\" /v fDenyTSConnections /t REG_DWORD /d 0 /f   # the value the finding names, in the control set it names",
            "For a policy value: reg delete \"HKLM\\BROKENSOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\" /v fDenyTSConnections /f (the domain policy sets it again at the next refresh unless it is fixed there)",
            "reg unload HKLM\\BROKENSYSTEM; reg unload HKLM\\BROKENSOFTWARE",
            "Detach the disk, swap it back as the OS disk (az vm repair restore, or the console), start the VM, then rdp-doctor check <vm>",
        ],
        undo: Some(
            "Load the hive again and set the value back with the reg add line and the old data the evidence quoted, or restore the OS disk snapshot",
        ),
        risk: Some(
            "Always reg unload before detaching: a hive left loaded stays locked and dirty. Editing the wrong control set has no effect; editing a policy value locally is undone by the next Group Policy refresh.",
        ),
        security_note: None,
    },
    Remedy {
        id: "host.rebind_certificate",
        audience: Audience::ServerAdmin,
        title: "Bind the listener to a certificate that exists with its private key, or go back to the self-signed one",
        platform: "Windows Server",
        impact: Impact::SecurityChange,
        preconditions: &[
            "The evidence names the thumbprint the listener is bound to (SSLCertificateSHA1Hash) and the stores searched",
        ],
        steps: &[
            "Get-ChildItem Cert:\\LocalMachine\\My | Format-List Subject,NotAfter,Thumbprint,HasPrivateKey   # a valid certificate with HasPrivateKey True",
            "$ts = Get-CimInstance -Namespace root/cimv2/TerminalServices -ClassName Win32_TSGeneralSetting -Filter \"TerminalName='RDP-tcp'\"; $ts.SSLCertificateSHA1Hash   # note it for the undo",
            "Set-CimInstance -InputObject $ts -Property @{SSLCertificateSHA1Hash='<THUMBPRINT with a private key>'}",
            "Or, to use the self-signed certificate again: Remove-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name SSLCertificateSHA1Hash; Restart-Service TermService -Force",
            "If the certificate came back without its key: certutil -repairstore my <THUMBPRINT> relinks a key that is still in MachineKeys",
        ],
        undo: Some("Set-CimInstance -InputObject $ts -Property @{SSLCertificateSHA1Hash='<previous thumbprint>'}"),
        risk: Some(
            "Restarting TermService disconnects sessions. Clients that pinned the old certificate show an identity prompt once.",
        ),
        security_note: None,
    },
    Remedy {
        id: "host.machinekeys_permissions",
        audience: Audience::ServerAdmin,
        title: "Restore the documented MachineKeys permissions (before anything else)",
        platform: "Windows Server",
        impact: Impact::SecurityChange,
        preconditions: &[
            "Schannel 36870/36871 or RemoteConnectionManager 1057/1058 in the System log, or the key file's ACL misses NETWORK SERVICE",
            "Do not rename or delete the MachineKeys folder: it holds the private key of every machine certificate on this host (IIS and other TLS bindings, WinRM over HTTPS, RD Gateway, SQL Server, ADFS, VPN, management agents). A fresh folder keeps their certificates in the store but orphans their keys: each of them breaks until the old folder is put back or the certificate is re-issued",
        ],
        steps: &[
            "icacls C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys /save %TEMP%\\machinekeys-acl.txt /t /c   # keep the current ACLs for the undo",
            "icacls C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys   # Microsoft's default: Everyone (this folder only: list, read attributes, create files, write attributes, read permissions) and Administrators Full control",
            "icacls C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys /grant:r \"*S-1-1-0:(RD,WD,AD,REA,WEA,RA,WA,RC)\" \"*S-1-5-32-544:(F)\"   # restore exactly those, this folder only (no inheritance flags)",
            "icacls C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\<key file named in the evidence> /grant \"*S-1-5-20:(R)\" \"*S-1-5-18:(F)\" \"*S-1-5-32-544:(F)\"   # the RDP key: NETWORK SERVICE (TermService's account) reads it",
            "Restart-Service TermService -Force; then Get-WinEvent -FilterHashtable @{LogName='System'; ProviderName='Schannel'; StartTime=(Get-Date).AddMinutes(-5)}   # no new 36870",
            "Only if that does not help: remove just the Remote Desktop certificate and its own key file (Get-ChildItem 'Cert:\\LocalMachine\\Remote Desktop' | Remove-Item; move that one key file aside) and restart TermService so it makes a new pair",
        ],
        undo: Some("icacls C:\\ProgramData\\Microsoft\\Crypto\\RSA /restore %TEMP%\\machinekeys-acl.txt /c"),
        risk: Some(
            "Granting more than the documented rights exposes every machine private key; granting less breaks the services that own them. The /save file lets you go back exactly.",
        ),
        security_note: None,
    },
    Remedy {
        id: "host.restore_key_file",
        audience: Audience::ServerAdmin,
        title: "Put the missing key file back, or let the service make a new certificate and key",
        platform: "Windows Server",
        impact: Impact::SecurityChange,
        preconditions: &["The evidence names the expected key file (<hash>_<MachineGuid>) and the directory searched"],
        steps: &[
            "Look for the file where MachineKeys was copied or renamed to (MachineKeys_old, a backup, the snapshot of the OS disk): dir /s <expected key file name>",
            "Copy only that file back into C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys (not the whole folder), then apply host.machinekeys_permissions to it",
            "certutil -repairstore my <THUMBPRINT>   # for a certificate in My whose key is back",
            "If no copy exists: a bound CA certificate must be re-issued (server.bind_ca_rdp_certificate); the self-signed one is re-made by removing it from 'Remote Desktop' and restarting TermService",
        ],
        undo: Some("Remove the copied key file again (keep a copy)"),
        risk: Some(
            "A key file copied from another machine does not work: it is protected with that machine's DPAPI secrets.",
        ),
        security_note: None,
    },
    Remedy {
        id: "host.enable_termservice",
        audience: Audience::ServerAdmin,
        title: "Set Remote Desktop Services to start and start it",
        platform: "Windows",
        impact: Impact::Change,
        preconditions: &[
            "Nobody disabled it on purpose (a hardening baseline, a policy under Computer Configuration > Windows Settings > Security Settings > System Services)",
        ],
        steps: &[
            "Get-Service TermService, UmRdpService | Format-List Name,Status,StartType",
            "Set-Service TermService -StartupType Manual   # the default; Automatic also works",
            "Start-Service TermService",
            "Get-WinEvent -FilterHashtable @{LogName='System'; ProviderName='Service Control Manager'; StartTime=(Get-Date).AddMinutes(-5)} | Where-Object Message -match 'Remote Desktop'   # why it stopped, if it stops again",
            "Offline (rescue VM): reg load HKLM\\BROKENSYSTEM F:\\Windows\\System32\\config\\SYSTEM; reg add HKLM\\BROKENSYSTEM\\ControlSet001\\Services\\TermService /v Start /t REG_DWORD /d 3 /f; reg unload HKLM\\BROKENSYSTEM",
        ],
        undo: Some("Set-Service TermService -StartupType Disabled; Stop-Service TermService -Force"),
        risk: Some("None beyond Remote Desktop becoming reachable where the firewall allows it."),
        security_note: None,
    },
    Remedy {
        id: "host.fips_clients",
        audience: Audience::ServerAdmin,
        title: "Keep FIPS mode only if it is required, and make clients speak TLS/NLA",
        platform: "Windows Server",
        impact: Impact::SecurityChange,
        preconditions: &["Find out whether FIPS mode is a compliance requirement before changing it"],
        steps: &[
            "If FIPS is required: set SecurityLayer to 2 (TLS) and UserAuthentication to 1 so clients use TLS instead of RDP Security, and update clients that cannot (FreeRDP 2.x, old thin clients)",
            "If it is not required: Computer Configuration > Windows Settings > Security Settings > Local Policies > Security Options > System cryptography: Use FIPS compliant algorithms… = Disabled (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\FipsAlgorithmPolicy\\Enabled = 0), then restart",
        ],
        undo: Some("Set the policy back to Enabled (FipsAlgorithmPolicy\\Enabled = 1) and restart"),
        risk: Some(
            "Turning FIPS mode off can break a compliance requirement; turning it on breaks clients that only speak RC4-based RDP Security.",
        ),
        security_note: Some("Disabling FIPS mode removes a compliance control; do it only where FIPS is not required."),
    },
    Remedy {
        id: "host.encryption_oracle_align",
        audience: Audience::ServerAdmin,
        title: "Align the CredSSP encryption oracle setting with the clients (update clients, then Mitigated or Force)",
        platform: "Windows",
        impact: Impact::SecurityChange,
        preconditions: &["Every client that must connect has the May 2018 (or later) CredSSP update"],
        steps: &[
            "reg query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters /v AllowEncryptionOracle",
            "Update the clients that fail (Windows Update); then set the policy Computer Configuration > Administrative Templates > System > Credentials Delegation > Encryption Oracle Remediation to Mitigated (1) or Force Updated Clients (0)",
        ],
        undo: Some("Set Encryption Oracle Remediation back to the value the evidence quoted"),
        risk: Some(
            "Force Updated Clients (0) refuses every client without the update; Vulnerable (2) exposes unpatched clients to CVE-2018-0886.",
        ),
        security_note: None,
    },
];

#[cfg(test)]
mod tests {
    #[test]
    fn machinekeys_remedy_restores_permissions_before_anything_else() {
        let r = super::REMEDIES.iter().find(|r| r.id == "host.machinekeys_permissions");
        let Some(r) = r else { unreachable!("the remedy exists") };
        assert!(r.steps.first().is_some_and(|s| s.contains("/save")), "the ACL is saved first for the undo");
        assert!(r.preconditions.iter().any(|p| p.contains("orphans") && p.contains("IIS") && p.contains("WinRM")));
        assert!(r.steps.iter().all(|s| !s.contains("Rename-Item")));
    }
}
