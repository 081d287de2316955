//! Host rules: the RDP server's own configuration and logs (`evidence.host`) judged. Every finding quotes
//! the value (with its source: policy, local or default, the registry path and the hive file it was read
//! from) or the event record (provider, ID, time, record number, file) it rests on.

use crate::catalogue as c;
use crate::evidence::Evidence;
use crate::evidence::host::{FirewallRule, HostEvent, HostEvidence, Setting, SettingSource};
use crate::finding::Finding;
use crate::host_tables;
use crate::rules::host_rights;

/// Runs the host rules when the evidence has host data.
pub fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(h) = &ev.host else { return };
    access(h, out);
    security(h, out);
    firewall(h, out);
    certificate(h, out);
    service(h, out);
    logons(ev, h, out);
}

/// `fDenyTSConnections = 1 (policy: HKLM\...\fDenyTSConnections, read from /mnt/…/SOFTWARE)`.
pub fn setting_line(h: &HostEvidence, s: &Setting) -> String {
    let meaning = s.value.and_then(|v| host_tables::meaning(&s.name, v)).map(|m| format!(": {m}")).unwrap_or_default();
    let source = match s.source {
        SettingSource::Policy => "policy",
        SettingSource::Local => "local",
        SettingSource::Default => "not set, Windows' default",
    };
    let from = hive_of(h, &s.path).map(|f| format!(", read from {f}")).unwrap_or_default();
    let over = s.overridden_local.as_ref().map(|l| format!("; the local value {l} is overridden")).unwrap_or_default();
    format!("{} = {}{meaning} ({source}: {}{from}{over})", s.name, s.text, s.path)
}

/// The hive file a registry path was read from, when the collection read hive files.
fn hive_of<'a>(h: &'a HostEvidence, path: &str) -> Option<&'a str> {
    let role = path.strip_prefix("HKLM\\")?.split('\\').next()?;
    h.hives.iter().find(|f| f.role.eq_ignore_ascii_case(role) && f.error.is_none()).map(|f| f.path.as_str())
}

/// `Schannel 36870 at 2024-05-01T10:00:00Z (record 812 in System.evtx): ErrorCode=0x8009030d`.
pub fn event_line(e: &HostEvent) -> String {
    let data: Vec<String> =
        e.data.iter().filter(|(_, v)| !v.is_empty()).take(8).map(|(k, v)| format!("{k}={v}")).collect();
    let data = if data.is_empty() { String::new() } else { format!(": {}", data.join(", ")) };
    format!("{} {} at {} (record {} in {}){data}", e.provider, e.event_id, e.time, e.record_id, e.file)
}

fn setting_is<'a>(h: &'a HostEvidence, name: &str, pred: impl Fn(u32) -> bool) -> Option<&'a Setting> {
    h.setting(name).filter(|s| s.value.is_some_and(&pred))
}

fn events_of<'a>(h: &'a HostEvidence, wanted: &'a [(&'a str, u32)]) -> Vec<&'a HostEvent> {
    let mut v: Vec<&HostEvent> = wanted.iter().flat_map(|(p, id)| h.events(p, *id)).collect();
    v.sort_by(|a, b| b.time_unix.cmp(&a.time_unix).then(b.record_id.cmp(&a.record_id)));
    v
}

/// Evidence lines for events: the newest few and how many in all.
fn event_lines(events: &[&HostEvent]) -> Vec<String> {
    let mut lines: Vec<String> = events.iter().take(5).map(|e| event_line(e)).collect();
    if events.len() > 5 {
        lines.push(format!("… {} such records in the window in all", events.len()));
    }
    lines
}

fn access(h: &HostEvidence, out: &mut Vec<Finding>) {
    if let Some(s) = setting_is(h, "fDenyTSConnections", |v| v != 0) {
        out.push(Finding::new(
            &c::HOST_REMOTE_CONNECTIONS_DISABLED,
            format!("Remote connections are turned off ({} value)", source_word(s.source)),
            vec![setting_line(h, s)],
        ));
    }
    if let Some(s) = setting_is(h, "fEnableWinStation", |v| v == 0) {
        out.push(Finding::new(
            &c::HOST_LISTENER_DISABLED,
            "The RDP-Tcp listener is disabled",
            vec![setting_line(h, s)],
        ));
    }
    let mut drain = Vec::new();
    if let Some(s) = setting_is(h, "TSServerDrainMode", |v| v == 1 || v == 2) {
        drain.push(setting_line(h, s));
    }
    if let Some(s) = setting_is(h, "WinStationsDisabled", |v| v != 0) {
        drain.push(setting_line(h, s));
    }
    if !drain.is_empty() {
        out.push(Finding::new(&c::HOST_DRAIN_MODE, "The server refuses new logons", drain));
    }
    let max = h.value("MaxInstanceCount");
    if let (Some(max), Some(used)) = (max, h.sessions_in_use)
        && max != 0xFFFF_FFFF
        && used >= max
    {
        let mut lines = vec![if h.sessions.is_empty() {
            format!("{used} session(s) in use")
        } else {
            format!("{used} session(s) in use: {}", h.sessions.join(", "))
        }];
        lines.extend(h.setting("MaxInstanceCount").map(|s| setting_line(h, s)));
        out.push(Finding::new(
            &c::HOST_MAX_INSTANCES_REACHED,
            format!("{used} of {max} allowed sessions are in use"),
            lines,
        ));
    } else if let Some(s) = setting_is(h, "MaxInstanceCount", |v| v <= 2) {
        out.push(Finding::new(
            &c::HOST_MAX_INSTANCES_LOW,
            format!("The listener allows {} session(s)", s.text),
            vec![setting_line(h, s)],
        ));
    }
    let e1006 = events_of(h, &[(host_tables::RCM_PROVIDER, 1006), ("TermService", 1006)]);
    if !e1006.is_empty() {
        let mut lines = event_lines(&e1006);
        lines.extend(h.setting("MaxOutstandingConnections").map(|s| setting_line(h, s)));
        out.push(Finding::new(
            &c::HOST_OUTSTANDING_CONNECTIONS,
            format!("The listener refused connections for too many unfinished ones ({} event(s))", e1006.len()),
            lines,
        ));
    }
}

fn source_word(s: SettingSource) -> &'static str {
    match s {
        SettingSource::Policy => "Group Policy",
        SettingSource::Local => "local",
        SettingSource::Default => "default",
    }
}

fn security(h: &HostEvidence, out: &mut Vec<Finding>) {
    if let Some(s) = setting_is(h, "UserAuthentication", |v| v != 0) {
        out.push(Finding::new(
            &c::HOST_NLA_REQUIRED,
            format!("Clients must use NLA ({} value)", source_word(s.source)),
            vec![setting_line(h, s)],
        ));
    }
    if let Some(s) = setting_is(h, "SecurityLayer", |v| v == 0) {
        out.push(Finding::new(
            &c::HOST_SECURITY_LAYER_RDP,
            "The listener offers Standard RDP Security only",
            vec![setting_line(h, s)],
        ));
    }
    let mut tls = Vec::new();
    if let Some(s) = setting_is(h, "TLS 1.2 Server Enabled", |v| v == 0) {
        tls.push(setting_line(h, s));
    }
    if let Some(s) = setting_is(h, "TLS 1.2 Server DisabledByDefault", |v| v != 0) {
        tls.push(setting_line(h, s));
    }
    if !tls.is_empty() {
        for other in ["TLS 1.0 Server Enabled", "TLS 1.1 Server Enabled"] {
            tls.extend(h.setting(other).map(|s| setting_line(h, s)));
        }
        out.push(Finding::new(&c::HOST_TLS12_DISABLED, "Schannel has TLS 1.2 off for the server role", tls));
    }
    if let Some(s) = setting_is(h, "FipsAlgorithmPolicy Enabled", |v| v != 0) {
        let mut lines = vec![setting_line(h, s)];
        lines.extend(h.setting("MinEncryptionLevel").map(|s| setting_line(h, s)));
        out.push(Finding::new(&c::HOST_FIPS_ENABLED, "FIPS mode is on", lines));
    }
    match h.setting("AllowEncryptionOracle").and_then(|s| s.value.map(|v| (s, v))) {
        Some((s, 0)) => out.push(Finding::new(
            &c::HOST_ENCRYPTION_ORACLE_FORCE,
            "Clients without the 2018 CredSSP update are refused",
            vec![setting_line(h, s)],
        )),
        Some((s, 2)) => out.push(Finding::new(
            &c::HOST_ENCRYPTION_ORACLE_VULNERABLE,
            "The server accepts clients without the 2018 CredSSP update",
            vec![setting_line(h, s)],
        )),
        _ => {}
    }
    let suites = events_of(h, &[("Schannel", 36874)]);
    if !suites.is_empty() {
        out.push(Finding::new(
            &c::HOST_TLS_NO_COMMON_SUITE,
            format!("{} TLS handshake(s) found no common cipher suite", suites.len()),
            event_lines(&suites),
        ));
    }
}

/// Whether a rule covers inbound TCP `port` for Remote Desktop: any protocol or TCP; any port, a list or a
/// range; any program, or the ones that receive RDP (`System` for the kernel listener of older releases,
/// `svchost.exe` hosting `termservice` since Windows 8 / Server 2012).
pub fn rule_covers(r: &FirewallRule, port: u32) -> bool {
    let app_ok = r.app.as_deref().is_none_or(|a| {
        let a = a.to_ascii_lowercase();
        a == "system" || a.ends_with("\\svchost.exe")
    });
    let svc_ok = r.service.as_deref().is_none_or(|s| s.eq_ignore_ascii_case("termservice") || s == "*");
    r.inbound
        && app_ok
        && svc_ok
        && r.package.is_none()
        && r.protocol.is_none_or(|p| p == 6)
        && (r.local_ports.is_empty()
            || r.local_ports.iter().any(|p| match p.split_once('-') {
                Some((a, b)) => {
                    a.trim().parse::<u32>().is_ok_and(|a| a <= port) && b.trim().parse::<u32>().is_ok_and(|b| port <= b)
                }
                None => p.trim().parse::<u32>() == Ok(port) || p.eq_ignore_ascii_case("any"),
            }))
}

fn rule_in_profile(r: &FirewallRule, profile: &str) -> bool {
    r.profiles.is_empty() || r.profiles.iter().any(|p| p.eq_ignore_ascii_case(profile))
}

fn rule_line(h: &HostEvidence, r: &FirewallRule) -> String {
    let from = hive_of(h, &r.path).map(|f| format!(", read from {f}")).unwrap_or_default();
    format!("rule {} ({}): {} ({}{from})", r.id, source_word(r.source), r.raw, r.path)
}

fn firewall(h: &HostEvidence, out: &mut Vec<Finding>) {
    let Some(fw) = &h.firewall else { return };
    let port = h.value("PortNumber").unwrap_or(3389);
    let applies = |r: &&FirewallRule, profile: &str| {
        r.active
            && rule_covers(r, port)
            && rule_in_profile(r, profile)
            && (r.source == SettingSource::Policy
                || fw.profiles.iter().find(|p| p.name == profile).is_none_or(|p| p.local_rules_apply))
    };
    let on: Vec<&str> = fw.profiles.iter().filter(|p| p.enabled).map(|p| p.name.as_str()).collect();
    let profile_lines: Vec<String> = fw
        .profiles
        .iter()
        .map(|p| {
            format!(
                "{} profile: firewall {}{} ({}: {})",
                p.name,
                if p.enabled { "on" } else { "off" },
                if p.local_rules_apply { "" } else { ", local rules ignored (AllowLocalPolicyMerge = 0)" },
                source_word(p.source),
                p.path
            )
        })
        .collect();
    // Block rules first: they win over allow rules.
    let blocks: Vec<&FirewallRule> = fw.rules.iter().filter(|r| !r.allow && on.iter().any(|p| applies(r, p))).collect();
    if !blocks.is_empty() {
        let profiles: Vec<&str> = on.iter().copied().filter(|p| blocks.iter().any(|r| applies(r, p))).collect();
        let mut lines: Vec<String> = blocks.iter().map(|r| rule_line(h, r)).collect();
        if blocks.iter().any(|r| !r.remote_addresses.is_empty()) {
            lines.push("a rule with RA4/RA6 (remote addresses) blocks only those addresses".to_owned());
        }
        out.push(Finding::new(
            &c::HOST_FIREWALL_BLOCK_RULE,
            format!("An inbound block rule covers TCP {port} in the {} profile(s)", profiles.join(", ")),
            lines,
        ));
    }
    let missing: Vec<&str> =
        on.iter().copied().filter(|p| !fw.rules.iter().any(|r| r.allow && applies(&r, p))).collect();
    let active: Vec<&str> =
        fw.network_categories.iter().map(String::as_str).filter(|c| on.contains(c)).collect::<Vec<_>>();
    let allow_lines = || {
        let mut lines = profile_lines.clone();
        lines.extend(fw.rules.iter().filter(|r| r.allow && rule_covers(r, port)).map(|r| rule_line(h, r)));
        if !fw.network_categories.is_empty() {
            lines.push(format!("networks this host knows: {}", fw.network_categories.join(", ")));
        }
        lines.push(format!("{} rule(s) read in all", fw.rules_read));
        lines
    };
    let active_missing: Vec<&str> = active.iter().copied().filter(|p| missing.contains(p)).collect();
    if !missing.is_empty() && (missing.len() == on.len() || !active_missing.is_empty()) {
        let which = if active_missing.is_empty() { &missing } else { &active_missing };
        out.push(Finding::new(
            &c::HOST_FIREWALL_NO_ALLOW_RULE,
            format!("No enabled inbound rule allows TCP {port} in the {} profile(s)", which.join(", ")),
            allow_lines(),
        ));
    } else if !missing.is_empty() {
        out.push(Finding::new(
            &c::HOST_FIREWALL_PROFILE_GAP,
            format!(
                "TCP {port} is allowed in the {} profile(s) but not in the {} profile(s)",
                on.iter().copied().filter(|p| !missing.contains(p)).collect::<Vec<_>>().join(", "),
                missing.join(", ")
            ),
            allow_lines(),
        ));
    }
    let ws: Vec<&FirewallRule> = fw
        .rules
        .iter()
        .filter(|r| r.id.contains("-WS") || r.id.contains("WebSocket") || r.name.contains("WebSocket"))
        .collect();
    if !ws.is_empty() {
        out.push(Finding::new(
            &c::HOST_FIREWALL_WEBSOCKET_RULES,
            format!(
                "{} Remote Desktop WebSocket rule(s), {} enabled: they matter only to web clients (TCP 3387/3392)",
                ws.len(),
                ws.iter().filter(|r| r.active).count()
            ),
            ws.iter().map(|r| rule_line(h, r)).collect(),
        ));
    }
}

fn certificate(h: &HostEvidence, out: &mut Vec<Finding>) {
    let creation = events_of(
        h,
        &[
            (host_tables::RCM_PROVIDER, 1057),
            (host_tables::RCM_PROVIDER, 1058),
            ("TermService", 1057),
            ("TermService", 1058),
        ],
    );
    if !creation.is_empty() {
        out.push(Finding::new(
            &c::HOST_CERTIFICATE_CREATION_FAILED,
            format!("The service could not make its self-signed certificate ({} event(s))", creation.len()),
            event_lines(&creation),
        ));
    }
    let schannel = events_of(h, &[("Schannel", 36870), ("Schannel", 36871)]);
    let Some(lc) = &h.certificate else {
        if !schannel.is_empty() {
            out.push(Finding::new(
                &c::HOST_CERTIFICATE_KEY_UNUSABLE,
                "Schannel could not use the TLS server credential's private key",
                event_lines(&schannel),
            ));
        }
        return;
    };
    let bound = lc.bound_thumbprint.as_ref().map(|t| format!("SSLCertificateSHA1Hash = {t}"));
    let Some(cert) = &lc.found else {
        if bound.is_some() || !creation.is_empty() {
            let mut lines: Vec<String> = bound.into_iter().collect();
            lines.push(format!("searched: {}", lc.selection));
            lines.extend(lc.others.iter().map(|t| format!("in the Remote Desktop store: {t}")));
            out.push(Finding::new(
                &c::HOST_CERTIFICATE_MISSING,
                "The listener's certificate is not in the machine store",
                lines,
            ));
        }
        return;
    };
    let id_line = format!(
        "{} certificate {} in {} ({}): {}, valid {} → {}",
        lc.selection,
        cert.thumbprint,
        cert.store,
        cert.path,
        cert.info.subject,
        cert.info.not_before,
        cert.info.not_after
    );
    if cert.info.parse_error.is_none() && cert.info.not_after_unix < h.collected_at_unix {
        let days = (h.collected_at_unix - cert.info.not_after_unix) / 86_400;
        out.push(Finding::new(
            &c::HOST_CERTIFICATE_EXPIRED,
            format!("The listener's certificate expired {days} day(s) before the collection"),
            vec![id_line.clone()],
        ));
    }
    let Some(key) = &cert.key else {
        out.push(Finding::new(
            &c::HOST_CERTIFICATE_NO_PRIVATE_KEY,
            "The store holds the listener's certificate without a private key",
            vec![id_line, "no CERT_KEY_PROV_INFO_PROP_ID property in the certificate's Blob".to_owned()],
        ));
        return;
    };
    let key_line = format!(
        "key container \"{}\" of {} (provider type {}{})",
        key.container,
        key.provider,
        key.provider_type,
        if key.machine_keyset { ", machine key set" } else { ", user key set" }
    );
    let mut unusable = Vec::new();
    if let Some(kf) = &lc.key_file {
        let file_line =
            format!("key file {} in {} ({})", kf.expected_name.as_deref().unwrap_or("?"), kf.directory, kf.derivation);
        if kf.exists == Some(false) {
            out.push(Finding::new(
                &c::HOST_CERTIFICATE_KEY_FILE_MISSING,
                format!("The key file {} is not in MachineKeys", kf.expected_name.as_deref().unwrap_or("?")),
                vec![id_line.clone(), key_line.clone(), file_line.clone()],
            ));
        }
        if kf.service_account_can_read == Some(false) {
            unusable.push(file_line);
            unusable.extend(kf.acl.iter().flatten().map(|a| format!("ACL: {a}")));
        }
    }
    if !schannel.is_empty() || !unusable.is_empty() {
        let mut lines = vec![id_line, key_line];
        lines.extend(unusable);
        lines.extend(event_lines(&schannel));
        out.push(Finding::new(
            &c::HOST_CERTIFICATE_KEY_UNUSABLE,
            "Remote Desktop Services cannot use the listener's private key",
            lines,
        ));
    }
}

fn service(h: &HostEvidence, out: &mut Vec<Finding>) {
    if let Some(s) = setting_is(h, "TermService Start", |v| v == 4) {
        out.push(Finding::new(&c::HOST_TERMSERVICE_DISABLED, "TermService is disabled", vec![setting_line(h, s)]));
        return;
    }
    let scm: Vec<&HostEvent> = events_of(
        h,
        &[("Service Control Manager", 7000), ("Service Control Manager", 7023), ("Service Control Manager", 7031)],
    )
    .into_iter()
    .filter(|e| {
        e.data.iter().any(|(k, v)| {
            k == "param1" && (v.contains("Remote Desktop Services") || v.eq_ignore_ascii_case("TermService"))
        })
    })
    .collect();
    let svc = h.service.as_ref();
    let state = svc.and_then(|s| s.state.as_deref()).filter(|s| !s.eq_ignore_ascii_case("running"));
    let state_line = |s: &str| {
        let from = svc.and_then(|v| v.state_source.as_deref()).map(|f| format!(" ({f})")).unwrap_or_default();
        format!("TermService state: {s}{from}")
    };
    if state.is_some() || !scm.is_empty() {
        let mut lines: Vec<String> = state.map(state_line).into_iter().collect();
        lines.extend(h.setting("TermService Start").map(|s| setting_line(h, s)));
        lines.extend(event_lines(&scm));
        out.push(Finding::new(
            &c::HOST_TERMSERVICE_NOT_RUNNING,
            match state {
                Some(s) if s.eq_ignore_ascii_case("not_installed") => {
                    "TermService is not installed (the service control manager does not know it)".to_owned()
                }
                Some(s) => format!("TermService is {s}"),
                None => format!("TermService failed or stopped unexpectedly ({} event(s))", scm.len()),
            },
            lines,
        ));
    }
    if let Some(l) = &h.listener {
        let from = if l.source.is_empty() { String::new() } else { format!(" ({})", l.source) };
        let svc_pid = svc.and_then(|s| s.pid);
        let svc_line = svc_pid.map(|p| {
            let from = svc.and_then(|v| v.state_source.as_deref()).map(|f| format!(" ({f})")).unwrap_or_default();
            format!("TermService runs in PID {p}{from}")
        });
        match &l.process {
            None => {
                let mut lines = vec![format!("no listening socket on TCP {}{from}", l.port)];
                lines.extend(svc.and_then(|s| s.state.as_deref()).map(state_line));
                lines.extend(h.setting("PortNumber").map(|s| setting_line(h, s)));
                out.push(Finding::new(
                    &c::HOST_PORT_NOT_LISTENING,
                    format!("Nothing listens on TCP {}", l.port),
                    lines,
                ));
            }
            Some(p) if !listener_is_termservice(l, p, svc_pid) => {
                let mut lines = vec![format!(
                    "TCP {} is owned by {p} (PID {}){}{from}",
                    l.port,
                    l.pid.map_or("?".to_owned(), |p| p.to_string()),
                    if l.addresses.is_empty() { String::new() } else { format!(" on {}", l.addresses.join(", ")) }
                )];
                if !l.services.is_empty() {
                    lines.push(format!("services in that process: {}", l.services.join(", ")));
                }
                lines.extend(svc_line);
                lines.extend(h.setting("PortNumber").map(|s| setting_line(h, s)));
                out.push(Finding::new(&c::HOST_PORT_OTHER_PROCESS, format!("{p} listens on TCP {}", l.port), lines));
            }
            Some(_) => {}
        }
    }
}

/// The listening process is Remote Desktop Services: the PID the service control manager names for
/// TermService, a process that hosts TermService, or (when neither source said) the svchost.exe image
/// TermService runs in.
fn listener_is_termservice(l: &crate::evidence::host::ListenerEvidence, process: &str, svc_pid: Option<u32>) -> bool {
    if let (Some(a), Some(b)) = (l.pid, svc_pid) {
        return a == b;
    }
    if !l.services.is_empty() {
        return l.services.iter().any(|s| s.eq_ignore_ascii_case("TermService"));
    }
    process.eq_ignore_ascii_case("svchost.exe") || process.to_ascii_lowercase().contains("termservice")
}

fn logons(ev: &Evidence, h: &HostEvidence, out: &mut Vec<Finding>) {
    let denied: Vec<&HostEvent> = events_of(h, &[("Security-Auditing", 4625)])
        .into_iter()
        .filter(|e| {
            ["Status", "SubStatus"]
                .iter()
                .any(|k| e.field(k).is_some_and(|v| v.eq_ignore_ascii_case(host_rights::LOGON_TYPE_NOT_GRANTED)))
        })
        .collect();
    let at = out.len();
    let policy = host_rights::check(ev, h, &denied, out);
    if !denied.is_empty() {
        let mut lines = event_lines(&denied);
        lines.extend(policy);
        let mut users: Vec<&str> = denied.iter().filter_map(|e| e.field("TargetUserName")).collect();
        users.sort_unstable();
        users.dedup();
        let f = Finding::new(
            &c::HOST_LOGON_RIGHT_MISSING,
            format!(
                "{} logon(s) refused because the logon type is not granted{}",
                denied.len(),
                if users.is_empty() { String::new() } else { format!(" (accounts: {})", users.join(", ")) }
            ),
            lines,
        );
        out.insert(at, f);
    }
}

#[cfg(test)]
#[path = "host_tests.rs"]
mod tests;
