//! Event records of the Remote Desktop client (provider `Microsoft-Windows-TerminalServices-ClientActiveXCore`)
//! grouped into connection attempts. Pure: records in, attempts out, as `client_tables::EVENTS` reads them.
//!
//! Grouping: records sharing `System/Correlation/@ActivityID` are one attempt (the client sets one activity
//! per connection; observed in every published log). Records without an ActivityID are grouped by order:
//! a 1024 (trying to connect) starts an attempt, records up to its 1026 (disconnected) belong to it.

use std::collections::BTreeMap;

use rdp_doctor_core::client_tables::{self, Role, Stage};
use rdp_doctor_core::evidence::client::{AttemptError, AttemptEvent, AttemptOutcome, ClientAttempt};
use rdp_doctor_core::evidence::host::HostEvent;

/// At most this many attempts are kept (the newest).
pub const MAX_ATTEMPTS: usize = 200;
/// At most this many events are listed per attempt.
const MAX_EVENTS_PER_ATTEMPT: usize = 64;
/// At most this many codes per attempt.
const MAX_ERRORS: usize = 32;

/// A number as the log writes it: decimal (`2308`), negative decimal (an HRESULT printed signed), or hex.
pub fn parse_code(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).ok();
    }
    let v: i64 = s.parse().ok()?;
    if (i64::from(i32::MIN)..0).contains(&v) {
        return Some(v as i32 as u32);
    }
    u32::try_from(v).ok()
}

/// `rds1`, `rds1:3390`, `[fe80::1]:3390`, `fe80::1` → host and port.
pub fn split_server(value: &str) -> (String, Option<u16>) {
    let v = value.trim();
    if let Some(rest) = v.strip_prefix('[')
        && let Some((h, p)) = rest.split_once(']')
    {
        return (h.to_owned(), p.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match v.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h.to_owned(), Some(port)),
            Err(_) => (v.to_owned(), None),
        },
        _ => (v.to_owned(), None),
    }
}

/// The event's message, its `%n` filled from the record's fields in order. The user name hash of 1029 is
/// never quoted.
pub fn message(e: &HostEvent) -> String {
    let Some(def) = client_tables::event_def(&e.provider, e.event_id) else {
        return format!("event {}", e.event_id);
    };
    if e.event_id == 1029 {
        return "the client took the credentials for the server (user name hash not quoted)".to_owned();
    }
    let mut out = String::new();
    let mut chars = def.message.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut n = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                n.push(*d);
                chars.next();
            }
            let i: usize = n.parse().unwrap_or(0);
            // The manifest numbers the template's inserts by field position.
            let v = i.checked_sub(1).and_then(|i| e.data.get(i)).map(|(_, v)| v.as_str()).unwrap_or("?");
            out.push_str(v);
        } else {
            out.push(c);
        }
    }
    out
}

fn field<'a>(e: &'a HostEvent, name: &str) -> Option<&'a str> {
    e.field(name).map(str::trim).filter(|v| !v.is_empty())
}

/// Groups the client's records (any order) into attempts, newest first and numbered from 1.
pub fn group(records: &[HostEvent]) -> Vec<ClientAttempt> {
    let mut recs: Vec<&HostEvent> =
        records.iter().filter(|e| client_tables::event_def(&e.provider, e.event_id).is_some()).collect();
    recs.sort_by(|a, b| a.time_unix.cmp(&b.time_unix).then(a.record_id.cmp(&b.record_id)));
    // Key: the ActivityID, or a running number for records without one.
    let mut groups: BTreeMap<String, Vec<&HostEvent>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut open: Option<String> = None;
    let mut anon = 0u32;
    for e in recs {
        let key = match &e.activity_id {
            Some(a) => a.to_ascii_uppercase(),
            None => {
                if e.event_id == 1024 || open.is_none() {
                    anon += 1;
                    open = Some(format!("#{anon}"));
                }
                let k = open.clone().unwrap_or_default();
                if e.event_id == 1026 {
                    open = None;
                }
                k
            }
        };
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(e);
    }
    let mut attempts: Vec<ClientAttempt> =
        order.iter().filter_map(|k| groups.get(k)).filter_map(|evs| attempt(evs)).collect();
    attempts.sort_by_key(|a| std::cmp::Reverse(a.started_unix));
    attempts.truncate(MAX_ATTEMPTS);
    for (i, a) in attempts.iter_mut().enumerate() {
        a.number = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    attempts
}

fn attempt(evs: &[&HostEvent]) -> Option<ClientAttempt> {
    let first = evs.first()?;
    let last = evs.last()?;
    let mut a = ClientAttempt {
        number: 0,
        activity_id: first.activity_id.clone(),
        started_unix: first.time_unix,
        started: first.time.clone(),
        ended_unix: last.time_unix,
        server: None,
        port: None,
        address: None,
        gateway: None,
        domain: None,
        session_id: None,
        server_tls: None,
        reached: Stage::Started,
        outcome: AttemptOutcome::Unfinished,
        disconnect_reason: None,
        errors: Vec::new(),
        events: Vec::new(),
        source: first.file.clone(),
    };
    let mut ended = false;
    for e in evs {
        let Some(def) = client_tables::event_def(&e.provider, e.event_id) else { continue };
        if a.events.len() < MAX_EVENTS_PER_ATTEMPT {
            a.events.push(AttemptEvent { event_id: e.event_id, time_unix: e.time_unix, text: message(e) });
        }
        if let Role::Progress(stage) = def.role {
            a.reached = a.reached.max(stage);
        }
        match e.event_id {
            1024 => {
                if let Some(v) = field(e, "Value") {
                    let (h, p) = split_server(v);
                    a.server.get_or_insert(h);
                    if a.port.is_none() {
                        a.port = p;
                    }
                }
            }
            1102 => {
                if let Some(v) = field(e, "Value") {
                    a.address.get_or_insert_with(|| v.to_owned());
                }
            }
            1010 => {
                if let Some(v) = field(e, "Value") {
                    a.gateway.get_or_insert_with(|| v.to_owned());
                }
            }
            1027 => {
                a.domain = field(e, "DomainName").map(str::to_owned);
                a.session_id = field(e, "SessionId").and_then(parse_code);
            }
            1028 => a.server_tls = field(e, "TraceMessage").map(str::to_owned),
            1026 => {
                ended = true;
                a.disconnect_reason = field(e, "Value").and_then(parse_code);
            }
            _ => {}
        }
        // Every code field of an error event (and the non-zero error of a disconnect trace).
        if matches!(def.role, Role::Error) || e.event_id == 1107 {
            for f in def.fields.iter().filter(|f| f.code.is_some() || f.any_code || f.name == "ErrorCode") {
                let Some(code) = field(e, f.name).and_then(parse_code) else { continue };
                if e.event_id == 1107 && code == 0 {
                    continue;
                }
                if a.errors.len() < MAX_ERRORS {
                    a.errors.push(AttemptError {
                        event_id: e.event_id,
                        field: f.name.to_owned(),
                        code,
                        context: context(e),
                    });
                }
            }
        }
    }
    a.outcome = outcome(&a, ended);
    Some(a)
}

/// What an error event adds: 226's state machine and transition, a trace message.
fn context(e: &HostEvent) -> String {
    match e.event_id {
        226 => format!(
            "{}: {} → {} on {}",
            field(e, "StateTransitionName").unwrap_or("?"),
            field(e, "PreviousStateName").unwrap_or("?"),
            field(e, "NewStateName").unwrap_or("?"),
            field(e, "EventName").unwrap_or("?")
        ),
        1107 => format!("{}: {}", field(e, "ComponentName").unwrap_or("?"), field(e, "Message").unwrap_or("")),
        _ => field(e, "TraceMessage").unwrap_or_default().to_owned(),
    }
}

/// Disconnect reasons that are not errors (IMsTscAxEvents::OnDisconnected): the user closed the client
/// (1), the user disconnected from the remote session (2), the server ended it (3, its reason is in the
/// extended code), no information (0).
const NORMAL_ENDS: [u32; 4] = [0, 1, 2, 3];

fn outcome(a: &ClientAttempt, ended: bool) -> AttemptOutcome {
    if a.reached >= Stage::LoggedOn {
        return AttemptOutcome::LoggedOn;
    }
    let error_reason = a.disconnect_reason.is_some_and(|r| !NORMAL_ENDS.contains(&r));
    let error_events = a.errors.iter().any(|e| e.event_id != 1107);
    if error_reason || error_events {
        return AttemptOutcome::Failed;
    }
    if !ended {
        return AttemptOutcome::Unfinished;
    }
    match a.disconnect_reason {
        // The user closed the client before it connected (1): not a failure of the connection.
        Some(1) => AttemptOutcome::EndedNormally,
        // Connected and then ended without an error reason.
        _ if a.reached >= Stage::Connected => AttemptOutcome::EndedNormally,
        // The server ended it (3) or no reason (0) before the connection was up.
        _ => AttemptOutcome::Failed,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn codes_in_every_form() {
        assert_eq!(parse_code("2308"), Some(0x904));
        assert_eq!(parse_code("0x80090304"), Some(0x8009_0304));
        assert_eq!(parse_code("-2146893052"), Some(0x8009_0304));
        assert_eq!(parse_code("x"), None);
        assert_eq!(parse_code("99999999999"), None);
    }

    #[test]
    fn servers_with_ports() {
        assert_eq!(split_server("rds1"), ("rds1".into(), None));
        assert_eq!(split_server("rds1:3390"), ("rds1".into(), Some(3390)));
        assert_eq!(split_server("[fe80::1]:3390"), ("fe80::1".into(), Some(3390)));
        assert_eq!(split_server("fe80::1"), ("fe80::1".into(), None));
    }
}
