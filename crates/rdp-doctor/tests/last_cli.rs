//! `rdp-doctor last`: the client's exported log (XML as wevtutil prints it) decoded and joined with the check
//! of the same server now. The lab test exports an attempt to the lab's expired-certificate xrdp (the log
//! is constructed from the documented schema with the lab's address; no Windows client runs here) and
//! requires the decoded codes and the live `cert.expired` in one report, in every format.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use assert_cmd::Command;
use rdp_doctor_lab::XrdpVariant;
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rdp-doctor-client/tests/data").join(name)
}

fn last(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("rdp-doctor")
        .unwrap()
        .arg("last")
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One attempt as wevtutil prints it: 1024 (server), 1028, 226 RDPClient_SSL with SEC_E_CERT_EXPIRED
/// (0x80090328), 1026 with SSL_ERR_CERT_EXPIRED (0x1B07). Constructed from the documented schema.
fn expired_attempt(server: &str) -> String {
    let prov = "<Provider Name='Microsoft-Windows-TerminalServices-ClientActiveXCore' Guid='{28aa95bb-d444-4719-a36f-40462168127e}'/>";
    let ev = |id: u32, t: &str, rec: u32, data: &str| {
        format!(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>{prov}<EventID>{id}</EventID><Version>0</Version><Level>4</Level><Task>101</Task><Opcode>10</Opcode><Keywords>0x4000000000000000</Keywords><TimeCreated SystemTime='2026-12-07T09:14:{t}Z'/><EventRecordID>{rec}</EventRecordID><Correlation ActivityID='{{6A1B2C3D-0000-4000-8000-00000000E5ED}}'/><Execution ProcessID='4242' ThreadID='4343'/><Channel>Microsoft-Windows-TerminalServices-RDPClient/Operational</Channel><Computer>PC17</Computer><Security UserID='S-1-5-21-1-2-3-1001'/></System><EventData>{data}</EventData></Event>\n"
        )
    };
    let nv = |n: &str, v: &str| {
        format!("<Data Name='Name'>{n}</Data><Data Name='Value'>{v}</Data><Data Name='CustomLevel'>Info</Data>")
    };
    let mut x = ev(1024, "02.1000000", 1, &nv("Server Name", server));
    x += &ev(1028, "02.2000000", 2, "<Data Name='TraceMessage'>supported</Data>");
    x += &ev(
        226,
        "02.3000000",
        3,
        "<Data Name='StateTransitionName'>RDPClient_SSL</Data><Data Name='PreviousState'>2</Data><Data Name='PreviousStateName'>TsSslStateHandshakeStart</Data><Data Name='NewState'>10</Data><Data Name='NewStateName'>TsSslStateDisconnecting</Data><Data Name='Event'>4</Data><Data Name='EventName'>TsSslEventHandshakeContinueFailed</Data><Data Name='ErrorCode'>2148074280</Data>",
    );
    x += &ev(1026, "02.4000000", 4, &nv("Disconnect Reason", "6919"));
    x
}

#[test]
fn lab_expired_certificate_attempt_and_live_check_in_one_report() {
    let xrdp = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("rdpclient.xml");
    std::fs::write(&log, expired_attempt(&format!("127.0.0.1:{}", xrdp.addr.port()))).unwrap();
    let log_s = log.to_str().unwrap();
    let (code, out, err) = last(&["--events", log_s, "--json", "--no-udp", "--samples", "0", "--timeout", "10s"]);
    assert_eq!(code, 1, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["verdict"], "cert.expired", "{out}");
    assert_eq!(r["layers"][0]["name"], "client");
    let findings = r["findings"].as_array().unwrap();
    let attempt = findings.iter().find(|f| f["id"] == "client.attempt_failed").unwrap();
    let summary = attempt["summary"].as_str().unwrap();
    assert!(
        summary
            .starts_with("at 09:14 UTC the client got 0x1B07 from 127.0.0.1 during the TLS handshake (RDPClient_SSL)"),
        "{summary}"
    );
    assert!(summary.contains("root cause: cert.expired"), "{summary}");
    assert!(attempt["see_also"].as_array().unwrap().iter().any(|s| s == "cert.expired"));
    let ev = attempt["evidence"].to_string();
    assert!(ev.contains("SSL_ERR_CERT_EXPIRED") && ev.contains("SEC_E_CERT_EXPIRED"), "{ev}");
    let cert = findings.iter().find(|f| f["id"] == "cert.expired").unwrap();
    assert!(cert["evidence"].to_string().contains("seen in the client's log"), "{cert}");
    assert_eq!(r["evidence"]["client"]["attempts"][0]["server"], "127.0.0.1");
    assert_eq!(r["target"]["port"], xrdp.addr.port());
    // Every format names the same verdict and the attempt.
    for fmt in ["text", "markdown", "html"] {
        let (code, out, err) =
            last(&["--events", log_s, "--format", fmt, "--no-udp", "--samples", "0", "--timeout", "10s"]);
        assert_eq!(code, 1, "{fmt}: {err}");
        assert!(out.contains("cert.expired") && out.contains("client.attempt_failed"), "{fmt}: {out}");
    }
}

#[test]
fn no_check_decodes_only_and_bad_input_is_named() {
    let (code, out, _) =
        last(&["--events", data("attempt_0x904.xml").to_str().unwrap(), "--extended", "0x7", "--no-check", "--json"]);
    assert_eq!(code, 1);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["verdict"], "client.attempt_failed");
    assert_eq!(r["layers"].as_array().unwrap().len(), 1, "no network layer without a check");
    assert_eq!(r["evidence"]["client"]["extended_reason"], 7);
    let (code, out, _) = last(&["--events", data("success.xml").to_str().unwrap(), "--no-check", "--json"]);
    assert_eq!(code, 0, "a log of successes is not a failure: {out}");
    for (file, want) in
        [("other_channel.xml", "none from the Remote Desktop client"), ("empty.xml", "the file is empty")]
    {
        let (code, _, err) = last(&["--events", data(file).to_str().unwrap()]);
        assert_eq!(code, 2, "{file}");
        assert!(err.contains(want), "{file}: {err}");
    }
    let (code, _, err) = last(&["--events", data("attempt_0x904.xml").to_str().unwrap(), "--attempt", "5"]);
    assert_eq!(code, 2);
    assert!(err.contains("no attempt #5"), "{err}");
}

#[test]
fn listing_attempt_choice_and_since() {
    let log = data("attempt_0x904.xml");
    let log_s = log.to_str().unwrap();
    // The text report lists every attempt of the window, newest first, each with its codes decoded.
    let (code, out, err) = last(&["--events", log_s, "--no-check", "--format", "text"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("Attempts in the client's log (newest first)"), "{out}");
    let first = out
        .find("#1 2026-11-21 09:14:02 UTC rds1.corp.example: failed during the logon")
        .unwrap_or_else(|| panic!("{out}"));
    let second = out
        .find("#2 2026-11-21 08:00:01 UTC rds1.corp.example (10.20.0.15): logged on (CORP, session 3)")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(first < second, "{out}");
    assert!(out.contains("[0x904 disconnectReasonAtClientWinsockFDCLOSE] (diagnosed)"), "{out}");
    // --attempt 2: the earlier attempt, which logged on: not a failure (exit 0).
    let (code, out, _) = last(&["--events", log_s, "--no-check", "--attempt", "2", "--json"]);
    assert_eq!(code, 0, "{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["verdict"], "ok", "an Info finding alone is no failure");
    assert_eq!(r["findings"][0]["id"], "client.attempt_logged_on");
    assert_eq!(r["evidence"]["client"]["selected"], 2);
    // --since counts back from the newest record of an export: 30 minutes keep the 09:14 attempt only.
    let (code, out, _) = last(&["--events", log_s, "--no-check", "--since", "30m", "--json"]);
    assert_eq!(code, 1);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["evidence"]["client"]["attempts"].as_array().unwrap().len(), 1, "{out}");
    assert!(r["evidence"]["client"]["limitations"].to_string().contains("1 older attempt(s)"), "{out}");
    // An export read on another machine: the client settings are a stated limitation, not silence.
    assert!(r["evidence"]["client"]["limitations"].to_string().contains("exported log"), "{out}");
}

#[test]
fn the_rdp_file_names_the_port_the_log_does_not() {
    // The log names only the host (the user opened an .rdp file that carried the port); the file given with
    // --rdp supplies it, so the check reaches the lab's xrdp and the file's lint joins the report.
    let xrdp = rdp_doctor_lab::xrdp(XrdpVariant::ExpiredCert).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("rdpclient.xml");
    std::fs::write(&log, expired_attempt("127.0.0.1")).unwrap();
    let rdp = dir.path().join("lab.rdp");
    std::fs::write(&rdp, format!("full address:s:127.0.0.1:{}\r\nauthentication level:i:0\r\n", xrdp.addr.port()))
        .unwrap();
    let (code, out, err) = last(&[
        "--events",
        log.to_str().unwrap(),
        "--rdp",
        rdp.to_str().unwrap(),
        "--json",
        "--no-udp",
        "--samples",
        "0",
        "--timeout",
        "10s",
    ]);
    assert_eq!(code, 1, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["verdict"], "cert.expired", "{out}");
    assert_eq!(r["target"]["port"], xrdp.addr.port());
    assert_eq!(r["evidence"]["client"]["rdp_file"]["how"], "given with --rdp");
    let ids: Vec<&str> = r["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"rdpfile.server_auth_disabled"), "{ids:?}");
    // Without the file the check goes to the default port, where nothing listens: the report says the
    // log did not name the file rather than guessing one.
    let (_, out, _) = last(&["--events", log.to_str().unwrap(), "--no-check", "--json"]);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert!(r["evidence"]["client"]["limitations"].to_string().contains("--rdp FILE"), "{out}");
}
