//! `check HOST --gateway GW` against the scripted gateway (loopback, no root): the text and JSON reports
//! carry the gateway layer, its findings and the limitation that the tunnel was not tested.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use assert_cmd::Command;
use rdp_doctor_testserver::{CertSpec, GatewayFault, ScriptedGateway};
use serde_json::Value;

fn run(fault: GatewayFault, json: bool) -> (Option<i32>, String) {
    let gw = ScriptedGateway::start(fault, CertSpec::Valid).unwrap();
    let mut cmd = Command::cargo_bin("rdp-doctor").unwrap();
    cmd.timeout(Duration::from_secs(60)).args([
        "--color",
        "never",
        "check",
        "rdp.lab.test",
        "--gateway",
        &format!("localhost:{}", gw.addr().port()),
    ]);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn healthy_gateway_text() {
    let (code, text) = run(GatewayFault::Healthy, false);
    println!("{text}");
    assert!(text.contains("RD Gateway"), "{text}");
    assert!(text.contains("401 Unauthorized"), "{text}");
    assert!(text.contains("through the RD Gateway"), "{text}");
    // The scripted gateway's certificate is self-signed: a warning, so exit status 1.
    assert!(text.contains("cert.self_signed"), "{text}");
    assert!(text.contains("gateway.certificate"), "the gateway's own certificate remedy: {text}");
    assert!(!text.contains("server.renew_rdp_certificate"), "{text}");
    assert_eq!(code, Some(1));
}

#[test]
fn chunked_proxy_json() {
    let (code, out) = run(GatewayFault::Chunked, true);
    let v: Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"gateway.chunked_reframed") && ids.contains(&"gateway.proxy_in_path"), "{ids:?}");
    assert_eq!(v["layers"][0]["name"], "gateway");
    // Fail: the scripted gateway's self-signed certificate is refused by the Windows client.
    assert_eq!(v["layers"][0]["status"], "fail");
    assert_eq!(v["evidence"]["gateway"]["requests"][0]["outcome"]["framing"], "chunked");
    assert_eq!(code, Some(1));
}

#[test]
fn rdp_file_with_a_gateway_checks_the_gateway() {
    let gw = ScriptedGateway::start(GatewayFault::Http10, CertSpec::Valid).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gw.rdp");
    let text = format!(
        "full address:s:rdp.lab.test\r\ngatewayusagemethod:i:1\r\ngatewayhostname:s:localhost:{}\r\n",
        gw.addr().port()
    );
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&file, bytes).unwrap();
    let out = Command::cargo_bin("rdp-doctor")
        .unwrap()
        .timeout(Duration::from_secs(60))
        .args(["check"])
        .arg(&file)
        .arg("--json")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["evidence"]["gateway"]["port"], gw.addr().port());
    let ids: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"gateway.http_1_0"), "{ids:?}");
    assert!(v["evidence"]["tcp"].is_null(), "the direct path is not probed");
}
