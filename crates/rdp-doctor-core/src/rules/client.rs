//! Client rules (`rdp-doctor last`): the attempt the user had, decoded, and the client settings that change
//! the outcome; then the join with the check of the same server now (`link`): the attempt's codes and the
//! phase it failed in name the live findings that explain it, which rank ahead of it, so the verdict names
//! the root cause seen from both ends of the attempt ("at 09:14 the client got 0x904 …; now: …").

use rdp_doctor_codes::{Kind, Match};

use crate::catalogue as cat;
use crate::client_tables::{self, Stage};
use crate::evidence::Evidence;
use crate::evidence::client::{AttemptOutcome, ClientAttempt, ClientEvidence};
use crate::evidence::host::{Setting, SettingSource};
use crate::finding::{Finding, Severity};

/// `HH:MM UTC` of a Unix time.
pub fn hhmm(t: i64) -> String {
    let s = t.rem_euclid(86_400);
    format!("{:02}:{:02} UTC", s / 3600, (s % 3600) / 60)
}

/// `Reason 2308 = 0x904 disconnectReasonAtClientWinsockFDCLOSE: Socket closed.`
pub fn code_line(kind: Option<Kind>, code: u32) -> String {
    let matches: Vec<Match> = rdp_doctor_codes::explain_number(code, kind);
    match matches.first() {
        Some(m) => {
            let what = match m.code() {
                Some(c) => format!(
                    "{} ({}): {}{}",
                    c.name,
                    m.family.title,
                    c.meaning,
                    if c.status == rdp_doctor_codes::Status::Documented {
                        String::new()
                    } else {
                        format!(" [{}]", c.status.as_str())
                    }
                ),
                None => format!("in the {} range ({})", m.family.title, m.family.id),
            };
            format!("{code} = {}: {what}", rdp_doctor_codes::hex(code))
        }
        None => format!("{code} = {}: not in rdp-doctor's tables", rdp_doctor_codes::hex(code)),
    }
}

/// Finding IDs the attempt's codes link to (the code tables' `findings`), extended code included.
pub fn code_links(a: &ClientAttempt, extended: Option<u32>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let mut add = |ids: &[&'static str]| {
        for id in ids {
            if !out.contains(id) {
                out.push(id);
            }
        }
    };
    if let Some(r) = a.disconnect_reason {
        let pair = rdp_doctor_codes::pair::read_pair(r, extended.unwrap_or(0));
        if let Some(s) = pair.server_reason {
            add(s.findings);
        }
        if let Some(d) = pair.disconnect {
            add(d.findings);
        }
    }
    for e in &a.errors {
        let kind = client_tables::EVENTS
            .iter()
            .find(|d| d.id == e.event_id)
            .and_then(|d| d.fields.iter().find(|f| f.name == e.field))
            .and_then(|f| f.code);
        for m in rdp_doctor_codes::explain_number(e.code, kind).iter().take(2) {
            if let Some(c) = m.code() {
                add(c.findings);
            }
        }
    }
    out
}

/// Where the attempt stopped, for people, and the check layers that can show the same failure.
pub fn phase(a: &ClientAttempt) -> (String, &'static [&'static str]) {
    const EARLY: &[&str] = &["gateway", "dns", "tcp", "x224"];
    const SECURITY: &[&str] = &["x224", "tls", "credssp"];
    const LATE: &[&str] = &["credssp", "session"];
    const GATEWAY: &[&str] = &["gateway"];
    if let Some(e) = a.errors.iter().find(|e| e.event_id == 226) {
        let machine = e.context.split(':').next().unwrap_or_default();
        if machine.contains("SSL") {
            return (format!("the TLS handshake ({machine})"), &["tls", "x224"]);
        }
        if !machine.is_empty() {
            return (format!("the client's {machine} step"), SECURITY);
        }
    }
    if a.errors.iter().any(|e| e.event_id == 1007) {
        return ("name resolution (DNS)".to_owned(), &["dns"]);
    }
    // Disconnect reasons 0x3000000 and up are the RD Gateway path's (`rdp-doctor-codes`' disconnect table).
    if a.errors.iter().any(|e| matches!(e.event_id, 1012 | 1021))
        || a.disconnect_reason.is_some_and(|r| r >> 24 == 0x03)
        || a.gateway.is_some() && a.reached < Stage::Negotiated
    {
        return ("the RD Gateway connection".to_owned(), GATEWAY);
    }
    if a.errors.iter().any(|e| e.event_id == 1009) {
        return ("authentication".to_owned(), LATE);
    }
    if a.errors.iter().any(|e| e.event_id == 1017) {
        return ("licensing".to_owned(), LATE);
    }
    match a.reached {
        Stage::Started => ("the connection, before the server answered the negotiation".to_owned(), EARLY),
        Stage::Gateway => ("the RD Gateway connection".to_owned(), GATEWAY),
        Stage::Negotiated => ("the security exchange (TLS or CredSSP)".to_owned(), SECURITY),
        Stage::Credentials => ("the logon, after the credentials were sent".to_owned(), LATE),
        Stage::Connected | Stage::LoggedOn => ("the session".to_owned(), LATE),
    }
}

/// The attempt in one line for lists: `#1 09:14 UTC rds1 (10.0.0.5) via gw: failed during …: 0x904`.
pub fn attempt_line(a: &ClientAttempt) -> String {
    let addr = a.address.as_ref().map(|x| format!(" ({x})")).unwrap_or_default();
    let gw = a.gateway.as_ref().map(|g| format!(" via {g}")).unwrap_or_default();
    let server = a.server.as_deref().unwrap_or("(server not recorded)");
    let port = a.port.map(|p| format!(":{p}")).unwrap_or_default();
    let how = match a.outcome {
        AttemptOutcome::Failed => format!("failed during {}", phase(a).0),
        AttemptOutcome::LoggedOn => match a.domain.as_deref() {
            Some(d) if !d.is_empty() => format!("logged on ({d}, session {})", a.session_id.unwrap_or(0)),
            _ => "logged on".to_owned(),
        },
        o => format!("{}, got as far as: {}", o.as_str(), a.reached.label()),
    };
    let mut codes: Vec<String> = a.disconnect_reason.iter().map(|r| code_name(Some(Kind::Disconnect), *r)).collect();
    codes.extend(a.errors.iter().map(|e| format!("{} {}", e.event_id, code_name(error_kind(e), e.code))));
    let codes = if codes.is_empty() { String::new() } else { format!(" [{}]", codes.join(", ")) };
    format!("#{} {} {server}{port}{addr}{gw}: {how}{codes}", a.number, utc(a.started_unix))
}

/// `2026-11-21 09:14:02 UTC` of a Unix time.
pub fn utc(t: i64) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from_unix_timestamp(t).ok().and_then(|d| d.format(&f).ok()).unwrap_or_else(|| t.to_string())
}

/// `0x904 disconnectReasonAtClientWinsockFDCLOSE`, or the hex alone when the tables do not name it.
fn code_name(kind: Option<Kind>, code: u32) -> String {
    let hex = rdp_doctor_codes::hex(code);
    match rdp_doctor_codes::explain_number(code, kind).first().and_then(|m| m.code()) {
        Some(c) => format!("{hex} {}", c.name),
        None => hex,
    }
}

/// The code table an attempt error's field is read with.
fn error_kind(e: &crate::evidence::client::AttemptError) -> Option<Kind> {
    client_tables::EVENTS
        .iter()
        .find(|d| d.id == e.event_id)
        .and_then(|d| d.fields.iter().find(|f| f.name == e.field))
        .and_then(|f| f.code)
}

fn setting_line(s: &Setting) -> String {
    let meaning =
        s.value.and_then(|v| client_tables::meaning(&s.name, v)).map(|m| format!(": {m}")).unwrap_or_default();
    let source = match s.source {
        SettingSource::Policy => "policy",
        SettingSource::Local => "local",
        SettingSource::Default => "not set, Windows' default",
    };
    format!("{} = {}{meaning} ({source}: {})", s.name, s.text, s.path)
}

/// Runs the client rules.
pub fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(c) = &ev.client else { return };
    attempt(c, out);
    settings(ev, c, out);
}

fn attempt(c: &ClientEvidence, out: &mut Vec<Finding>) {
    let Some(a) = c.selected_attempt() else { return };
    let mut evidence = vec![attempt_line(a)];
    evidence.extend(a.events.iter().map(|e| format!("{} {}: {}", hhmm_ss(e.time_unix), e.event_id, e.text)));
    if let Some(r) = a.disconnect_reason {
        evidence.push(format!("disconnect reason (1026 Value) {}", code_line(Some(Kind::Disconnect), r)));
        if let Some(x) = c.extended_reason {
            evidence.push(format!("extended code (given with --extended) {}", code_line(Some(Kind::Extended), x)));
            let pair = rdp_doctor_codes::pair::read_pair(r, x);
            evidence.extend(pair.together.iter().take(2).cloned());
        }
    }
    for e in &a.errors {
        let kind = client_tables::EVENTS
            .iter()
            .find(|d| d.id == e.event_id)
            .and_then(|d| d.fields.iter().find(|f| f.name == e.field))
            .and_then(|f| f.code);
        let ctx = if e.context.is_empty() { String::new() } else { format!(" ({})", e.context) };
        evidence.push(format!("event {} {}{ctx}: {}", e.event_id, e.field, code_line(kind, e.code)));
    }
    let server = a.server.as_deref().unwrap_or("the server");
    let summary = match a.outcome {
        AttemptOutcome::Failed => {
            let code = match (a.disconnect_reason, c.extended_reason) {
                (Some(r), Some(x)) => format!("{}/{}", rdp_doctor_codes::hex(r), rdp_doctor_codes::hex(x)),
                (Some(r), None) => rdp_doctor_codes::hex(r),
                (None, _) => a
                    .errors
                    .first()
                    .map(|e| format!("error {} (event {})", rdp_doctor_codes::hex(e.code), e.event_id))
                    .unwrap_or_else(|| "an error".to_owned()),
            };
            format!("at {} the client got {code} from {server} during {}", hhmm(a.started_unix), phase(a).0)
        }
        AttemptOutcome::LoggedOn => format!("at {} the client logged on to {server}", hhmm(a.started_unix)),
        _ => format!("at {} the client tried {server}; no end is recorded", hhmm(a.started_unix)),
    };
    let def = match a.outcome {
        AttemptOutcome::Failed => &cat::CLIENT_ATTEMPT_FAILED,
        AttemptOutcome::LoggedOn | AttemptOutcome::EndedNormally => &cat::CLIENT_ATTEMPT_LOGGED_ON,
        AttemptOutcome::Unfinished => &cat::CLIENT_ATTEMPT_UNFINISHED,
    };
    let summary = if a.outcome == AttemptOutcome::EndedNormally {
        format!(
            "at {} the client connected to {server} and the connection ended without an error",
            hhmm(a.started_unix)
        )
    } else {
        summary
    };
    out.push(Finding::new(def, summary, evidence));
}

fn hhmm_ss(t: i64) -> String {
    let s = t.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
}

fn settings(ev: &Evidence, c: &ClientEvidence, out: &mut Vec<Finding>) {
    let val = |n: &str| c.setting(n).and_then(|s| s.value);
    if val("fClientDisableUDP") == Some(1)
        && let Some(s) = c.setting("fClientDisableUDP")
    {
        out.push(Finding::new(
            &cat::CLIENT_UDP_DISABLED_BY_POLICY,
            "Group Policy turns UDP off on this client: it connects over TCP only",
            vec![setting_line(s)],
        ));
    }
    let tls12_off = val("TLS 1.2 Client Enabled") == Some(0) || val("TLS 1.2 Client DisabledByDefault") == Some(1);
    if tls12_off {
        let lines: Vec<String> = c
            .settings
            .iter()
            .filter(|s| s.name.starts_with("TLS 1.2 Client") || s.name.starts_with("TLS 1.3 Client"))
            .map(setting_line)
            .collect();
        out.push(Finding::new(
            &cat::CLIENT_TLS12_DISABLED,
            "TLS 1.2 is turned off for clients on this PC: the Remote Desktop client cannot use it",
            lines,
        ));
    }
    match (val("AllowEncryptionOracle"), c.setting("AllowEncryptionOracle")) {
        (Some(0), Some(s)) => out.push(Finding::new(
            &cat::CLIENT_ENCRYPTION_ORACLE_FORCE,
            "AllowEncryptionOracle = 0 on this client: servers without the 2018 CredSSP update are refused",
            vec![setting_line(s)],
        )),
        (Some(2), Some(s)) => out.push(Finding::new(
            &cat::CLIENT_ENCRYPTION_ORACLE_VULNERABLE,
            "AllowEncryptionOracle = 2 (Vulnerable) on this client",
            vec![setting_line(s)],
        )),
        _ => {}
    }
    if let Some(r) = &c.remembered
        && let Some(stored) = &r.cert_hash
        && let Some(leaf) = ev.tls.as_ref().and_then(|t| t.chain.first())
        && !leaf.sha1_thumbprint.is_empty()
        && !stored.eq_ignore_ascii_case(&leaf.sha1_thumbprint)
    {
        out.push(Finding::new(
            &cat::CLIENT_CERT_HASH_CHANGED,
            format!(
                "{} presents a certificate this client has not accepted: the stored thumbprint is {stored}, the server's now {}",
                r.host, leaf.sha1_thumbprint
            ),
            vec![
                format!("{}\\CertHash = {stored} (the certificate the user accepted)", r.path),
                format!(
                    "the server's certificate now: SHA-1 {}, subject \"{}\", valid {} → {}",
                    leaf.sha1_thumbprint, leaf.subject, leaf.not_before, leaf.not_after
                ),
            ],
        ));
    }
    if let Some(r) = &c.remembered
        && let Some(u) = &r.username_hint
    {
        out.push(Finding::new(
            &cat::CLIENT_USERNAME_HINT,
            format!("for {} the client fills in the user name {u}", r.host),
            vec![format!("{}\\UsernameHint = {u}", r.path)],
        ));
    }
    let blocks: Vec<String> = c
        .firewall_blocks
        .iter()
        .filter(|r| r.active && !r.allow && !r.inbound)
        .map(|r| format!("{} ({}): {} ({})", r.id, r.name, r.raw, r.path))
        .collect();
    if !blocks.is_empty() {
        out.push(Finding::new(
            &cat::CLIENT_FIREWALL_BLOCKS_MSTSC,
            format!("{} enabled outbound firewall rule(s) block mstsc.exe", blocks.len()),
            blocks,
        ));
    }
    if let Some(p) = &c.winhttp_proxy
        && let Some(proxy) = p.proxy.as_ref().filter(|x| !x.is_empty() && *x != "direct")
    {
        let bypass = p.bypass.as_ref().map(|b| format!(", bypass list: {b}")).unwrap_or_default();
        out.push(Finding::new(
            &cat::CLIENT_WINHTTP_PROXY,
            format!("WinHTTP proxy {proxy}: RD Gateway connections from this PC go through it"),
            vec![format!("{}: proxy {proxy}{bypass}", p.path)],
        ));
    }
    let low: Vec<String> = c
        .vpn_adapters
        .iter()
        .filter(|a| a.mtu.is_some_and(|m| m < 1400))
        .map(|a| format!("{} (MTU {}, {})", a.description, a.mtu.unwrap_or(0), a.path))
        .collect();
    if !low.is_empty() {
        out.push(Finding::new(
            &cat::CLIENT_VPN_LOW_MTU,
            format!("VPN adapter MTU below 1400: {}", low.join("; ")),
            low,
        ));
    }
}

/// Whether the evidence holds a live check (any network layer was probed).
pub fn checked(ev: &Evidence) -> bool {
    ev.dns.is_some() || ev.tcp.is_some() || ev.gateway.is_some() || ev.target.ip.is_some() && ev.x224.is_some()
}

/// Joins the failed attempt with the check of the same server now: the live findings its codes link to,
/// or that fail in the layers of its phase, become its causes (`see_also`, ranked ahead of it); its
/// summary says what the check shows now and the root cause.
pub fn link(ev: &Evidence, out: &mut [Finding]) {
    let Some(c) = &ev.client else { return };
    let Some(a) = c.selected_attempt().filter(|a| a.outcome == AttemptOutcome::Failed) else { return };
    let links = code_links(a, c.extended_reason);
    let (_, layers) = phase(a);
    let phase_client: &[&str] = match layers {
        l if l.contains(&"tls") => &["client.tls12_disabled"],
        l if l.contains(&"tcp") => &["client.firewall_blocks_mstsc"],
        l if l.contains(&"credssp") => &["client.encryption_oracle_force"],
        _ => &[],
    };
    let causes: Vec<(&'static str, String)> = out
        .iter()
        .filter(|f| f.id != cat::CLIENT_ATTEMPT_FAILED.id && f.layer != "rdpfile")
        .filter(|f| {
            (links.contains(&f.id) && f.severity >= Severity::Warn)
                || (f.severity == Severity::Fail && layers.contains(&f.layer))
                || (f.layer == "client" && phase_client.contains(&f.id))
        })
        .map(|f| (f.id, f.summary.clone()))
        .collect();
    let now = if !checked(ev) {
        "not checked (--no-check)".to_owned()
    } else if causes.is_empty() {
        let upto = if ev.session.is_some() {
            "the whole connection sequence".to_owned()
        } else if ev.credssp.is_some() {
            "the first CredSSP message (without credentials)".to_owned()
        } else {
            "the layers the check reached".to_owned()
        };
        format!(
            "the check of {}:{} shows no failure up to {upto}: the cause is gone, intermittent, on this PC or after authentication{}",
            ev.target.host,
            ev.target.port,
            if ev.session.is_none() { " (check --user reproduces a refusal after logon)" } else { "" }
        )
    } else {
        causes.iter().map(|(id, s)| format!("{id} — {s}")).collect::<Vec<_>>().join("; ")
    };
    for f in out.iter_mut().filter(|f| f.id == cat::CLIENT_ATTEMPT_FAILED.id) {
        f.evidence.push(format!("now: {now}"));
        if let Some((id, s)) = causes.first() {
            f.summary = format!("{}; now: {}; root cause: {id} — {s}", f.summary, causes.len_word());
        } else {
            f.summary = format!("{}; now: {now}", f.summary);
        }
        for (id, _) in &causes {
            if !f.see_also.contains(id) {
                f.see_also.push(id);
            }
        }
    }
    for f in out.iter_mut().filter(|f| causes.iter().any(|(id, _)| *id == f.id)) {
        let line = format!("seen in the client's log: {}", attempt_line(a));
        if !f.evidence.contains(&line) {
            f.evidence.push(line);
        }
    }
}

trait LenWord {
    fn len_word(&self) -> String;
}

impl LenWord for Vec<(&'static str, String)> {
    fn len_word(&self) -> String {
        match self.len() {
            1 => "the check reproduces it".to_owned(),
            n => format!("the check finds {n} matching failures"),
        }
    }
}
