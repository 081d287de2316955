//! TCP rules: how each connect attempt ended.

use super::ms;
use crate::catalogue::{TCP_ERROR, TCP_FILTERED, TCP_REFUSED, TCP_SOME_ADDRESSES_FAILED, TCP_UNREACHABLE};
use crate::evidence::{Evidence, TcpAttempt, TcpOutcome};
use crate::finding::Finding;

fn line(a: &TcpAttempt, timeout_ms: u64) -> String {
    let what = match a.outcome {
        TcpOutcome::Connected => format!("connected in {}", ms(a.duration_ms)),
        TcpOutcome::Refused => format!("refused (RST) after {}", ms(a.duration_ms)),
        TcpOutcome::TimedOut => format!("no answer within the {timeout_ms} ms deadline"),
        TcpOutcome::Unreachable => format!("unreachable after {}", ms(a.duration_ms)),
        TcpOutcome::Error => format!("failed after {}", ms(a.duration_ms)),
    };
    match &a.detail {
        Some(d) => format!("TCP {}: {what} ({d})", a.addr),
        None => format!("TCP {}: {what}", a.addr),
    }
}

pub(super) fn check(ev: &Evidence, out: &mut Vec<Finding>) {
    let Some(tcp) = &ev.tcp else { return };
    let lines: Vec<String> = tcp.attempts.iter().map(|a| line(a, tcp.timeout_ms)).collect();
    let failed: Vec<&TcpAttempt> = tcp.attempts.iter().filter(|a| a.outcome != TcpOutcome::Connected).collect();
    if tcp.connected().is_some() {
        if !failed.is_empty() {
            out.push(Finding::new(
                &TCP_SOME_ADDRESSES_FAILED,
                format!("{} of {} addresses failed before one accepted", failed.len(), tcp.attempts.len()),
                lines,
            ));
        }
        return;
    }
    // Nothing connected: report the most telling outcome. A refusal proves the host is there; a timeout
    // only proves silence.
    let worst = [TcpOutcome::Refused, TcpOutcome::Unreachable, TcpOutcome::TimedOut, TcpOutcome::Error]
        .into_iter()
        .find(|o| failed.iter().any(|a| a.outcome == *o));
    let port = ev.target.port;
    let (def, summary) = match worst {
        Some(TcpOutcome::Refused) => {
            (&TCP_REFUSED, format!("port {port} refuses connections: nothing listens or a firewall rejects"))
        }
        Some(TcpOutcome::Unreachable) => (&TCP_UNREACHABLE, format!("no route to the server for port {port}")),
        Some(TcpOutcome::TimedOut) => {
            (&TCP_FILTERED, format!("port {port} does not answer: packets are dropped on the way"))
        }
        _ => (&TCP_ERROR, "the connection attempt failed locally".to_owned()),
    };
    out.push(Finding::new(def, summary, lines));
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::evidence::*;

    fn attempt(addr: &str, outcome: TcpOutcome) -> TcpAttempt {
        TcpAttempt { addr: addr.parse().unwrap_or_else(|_| unreachable!()), outcome, duration_ms: 1.5, detail: None }
    }

    fn run(attempts: Vec<TcpAttempt>) -> Vec<crate::Finding> {
        let mut ev = base();
        ev.tcp = Some(TcpEvidence { attempts, timeout_ms: 3000 });
        crate::rules::evaluate(&ev)
    }

    #[test]
    fn each_outcome_maps_to_its_finding() {
        for (outcome, id) in [
            (TcpOutcome::Refused, "tcp.refused"),
            (TcpOutcome::TimedOut, "tcp.filtered"),
            (TcpOutcome::Unreachable, "tcp.unreachable"),
            (TcpOutcome::Error, "tcp.error"),
        ] {
            assert_eq!(ids(&run(vec![attempt("127.0.0.1:3389", outcome)])), vec![id]);
        }
        assert!(run(vec![attempt("127.0.0.1:3389", TcpOutcome::Connected)]).is_empty());
    }

    #[test]
    fn partial_failure_is_a_warning_with_all_attempts() {
        let f =
            run(vec![attempt("[::1]:3389", TcpOutcome::TimedOut), attempt("127.0.0.1:3389", TcpOutcome::Connected)]);
        assert_eq!(ids(&f), vec!["tcp.some_addresses_failed"]);
        assert_eq!(f[0].evidence.len(), 2);
        assert!(f[0].evidence[0].contains("3000 ms deadline"), "{:?}", f[0].evidence);
    }

    #[test]
    fn refusal_wins_over_timeout_when_all_fail() {
        let f = run(vec![attempt("[::1]:3389", TcpOutcome::TimedOut), attempt("127.0.0.1:3389", TcpOutcome::Refused)]);
        assert_eq!(ids(&f), vec!["tcp.refused"]);
    }
}
