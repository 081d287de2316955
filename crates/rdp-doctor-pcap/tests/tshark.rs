//! Cross-check with tshark on the real captures: per connection, the packets each side sent, the X.224
//! negotiation values, and the TLS version, cipher suite and alert must be what tshark's dissectors read.
//! tshark is installed by scripts/test.sh; without it this test fails (it is the independent opinion).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::process::Command;

use common::data;
use rdp_doctor_core::evidence::{NegotiationResult, TlsOutcome, X224Outcome};
use rdp_doctor_pcap::{Options, analyse_file};

const FILES: &[(&str, &[u16])] = &[
    ("arkime/socks5-rdp.pcap", &[]),
    ("nDPI/rdp.pcap", &[]),
    ("nDPI/rdp2.pcap", &[]),
    ("nDPI/rdp3.pcap", &[]),
    ("nDPI/rdp_over_tls.pcap", &[]),
    ("nDPI/selfsigned.pcap", &[3001]),
    ("nDPI/synscan.pcap", &[]),
    ("nDPI/tcp_scan.pcapng", &[]),
    ("nDPI/tls_alert.pcap", &[443]),
    ("suricata-verify/RDP-003.pcap", &[]),
    ("wireshark-samplecaptures/RDP-002.pcap", &[]),
    ("zeek/certificate-request-failed.pcap", &[3000]),
    ("zeek/dce-rpc-mapi.pcap", &[]),
    ("zeek/rdp-invalid-length.pcap", &[]),
    ("zeek/rdp-no-cookie-mstshash.pcap", &[]),
    ("zeek/rdp-proprietary-encryption.pcap", &[]),
    ("zeek/rdp-to-ssl.pcap", &[]),
    ("zeek/rdp-unknown-keyboard.pcap", &[]),
    ("zeek/rdp-x509.pcap", &[]),
    ("zeek/rdpeudp-handshake-fail.pcap", &[]),
    ("zeek/rdpeudp-handshake-success.pcap", &[]),
    ("zeek/rdpeudp2-handshake-success.pcap", &[]),
    ("zeek/tls-1.2-handshake-failure.pcap", &[443]),
    ("zeek/tls-expired-cert.pcap", &[443]),
];

fn tshark(file: &str, args: &[&str]) -> Vec<Vec<String>> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(data(file))
        .args(["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"])
        .args(args)
        .output()
        .expect("tshark is needed for this cross-check (scripts/test.sh installs it)");
    assert!(out.status.success(), "tshark failed on {file}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.split('\t').map(str::to_owned).collect()).collect()
}

fn addr(ip4: &str, ip6: &str, port: &str) -> Option<SocketAddr> {
    let ip: IpAddr = if ip4.is_empty() { ip6.parse().ok()? } else { ip4.split(',').next()?.parse().ok()? };
    Some(SocketAddr::new(ip, port.split(',').next()?.parse().ok()?))
}

fn hex(v: &str) -> Option<u32> {
    u32::from_str_radix(v.split(',').next()?.trim_start_matches("0x"), 16).ok()
}

/// One pass: packets per direction (TCP and UDP apart) and the X.224 negotiation structures.
type Counts = HashMap<(SocketAddr, SocketAddr), u64>;

fn first_pass(file: &str) -> (Counts, Counts, Vec<Vec<String>>) {
    let rows = tshark(
        file,
        &[
            "-Y",
            "(tcp or udp) and not icmp and not icmpv6",
            "-e",
            "ip.src",
            "-e",
            "ipv6.src",
            "-e",
            "tcp.srcport",
            "-e",
            "udp.srcport",
            "-e",
            "ip.dst",
            "-e",
            "ipv6.dst",
            "-e",
            "tcp.dstport",
            "-e",
            "udp.dstport",
            "-e",
            "rdp.neg_type",
            "-e",
            "rdp.negReq.requestedProtocols",
            "-e",
            "rdp.negReq.selectedProtocol",
            "-e",
            "rdp.negFailure.failureCode",
        ],
    );
    let (mut tcp, mut udp, mut neg) = (HashMap::new(), HashMap::new(), Vec::new());
    for r in rows {
        let is_tcp = !r[2].is_empty();
        let (sp, dp) = if is_tcp { (&r[2], &r[6]) } else { (&r[3], &r[7]) };
        if let (Some(s), Some(d)) = (addr(&r[0], &r[1], sp), addr(&r[4], &r[5], dp)) {
            *(if is_tcp { &mut tcp } else { &mut udp }).entry((s, d)).or_default() += 1;
        }
        if !r[8].is_empty() {
            neg.push(vec![r[2].clone(), r[6].clone(), r[8].clone(), r[9].clone(), r[10].clone(), r[11].clone()]);
        }
    }
    (tcp, udp, neg)
}

#[test]
fn packet_counts_negotiation_and_tls_agree_with_tshark() {
    let mut compared = (0, 0, 0);
    for (file, ports) in FILES {
        let report = analyse_file(&data(file), &Options { ports: ports.to_vec(), ..Options::default() }).unwrap();
        let (tcp, udp, neg) = first_pass(file);
        let mut by_tuple: HashMap<(SocketAddr, SocketAddr), (u64, u64)> = HashMap::new();
        for c in &report.connections {
            let cap = c.report.evidence.capture.as_ref().unwrap();
            let e = by_tuple.entry((cap.client, cap.server)).or_default();
            e.0 += cap.client_stats.packets;
            e.1 += cap.server_stats.packets;
        }
        for ((client, server), (cp, sp)) in &by_tuple {
            let table = if report.connections.iter().any(|c| c.transport == "udp" && c.client == client.to_string()) {
                &udp
            } else {
                &tcp
            };
            let want = (
                table.get(&(*client, *server)).copied().unwrap_or(0),
                table.get(&(*server, *client)).copied().unwrap_or(0),
            );
            assert_eq!((*cp, *sp), want, "{file}: packets of {client} → {server} (ours vs tshark)");
            compared.0 += 1;
        }

        // X.224 negotiation, by client port.
        for c in &report.connections {
            let ev = &c.report.evidence;
            let (Some(cap), Some(x)) = (&ev.capture, &ev.x224) else { continue };
            let cport = cap.client.port().to_string();
            if let Some(r) = neg.iter().find(|r| r[0] == cport && r[2].starts_with("0x01")) {
                assert_eq!(Some(x.requested_protocols), hex(&r[3]), "{file}: requestedProtocols");
                compared.1 += 1;
            }
            if let Some(r) = neg.iter().find(|r| r[1] == cport && !r[2].starts_with("0x01")) {
                match &x.outcome {
                    X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. } => {
                        assert_eq!(Some(*protocol), hex(&r[4]), "{file}: selectedProtocol")
                    }
                    X224Outcome::Confirm { negotiation: NegotiationResult::Failure { code, .. }, .. } => {
                        assert_eq!(Some(*code), hex(&r[5]), "{file}: failureCode")
                    }
                    other => panic!("{file}: tshark decoded a negotiation answer, we have {other:?}"),
                }
                compared.1 += 1;
            }
        }

        // TLS: ServerHello version and cipher suite, alerts.
        let mut decode = vec!["-d".to_owned(), "tcp.port==3389,tls".to_owned()];
        for p in *ports {
            decode.extend(["-d".to_owned(), format!("tcp.port=={p},tls")]);
        }
        let mut args: Vec<&str> = decode.iter().map(String::as_str).collect();
        args.extend([
            "-Y",
            "tls.handshake.type==2 or tls.alert_message.desc",
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.dstport",
            "-e",
            "tls.handshake.type",
            "-e",
            "tls.handshake.version",
            "-e",
            "tls.handshake.ciphersuite",
            "-e",
            "tls.alert_message.desc",
        ]);
        let tls = tshark(file, &args);
        for c in &report.connections {
            let ev = &c.report.evidence;
            let (Some(cap), Some(t)) = (&ev.capture, &ev.tls) else { continue };
            let (cport, sport) = (cap.client.port().to_string(), cap.server.port().to_string());
            if let Some(r) = tls.iter().find(|r| r[0] == sport && r[1] == cport && r[2].split(',').any(|t| t == "2")) {
                let suite = hex(&r[4]).unwrap() as u16;
                assert_eq!(
                    t.cipher_suite.as_deref(),
                    Some(rdp_doctor_proto::tls::handshake::cipher_suite_name(suite).as_str()),
                    "{file}: cipher suite"
                );
                let version = hex(&r[3]).unwrap() as u16;
                assert_eq!(
                    t.version.as_deref(),
                    Some(rdp_doctor_proto::tls::version_name(version).as_str()),
                    "{file}: version"
                );
                compared.2 += 1;
            }
            if let TlsOutcome::AlertReceived { description, .. } = &t.outcome {
                let r = tls
                    .iter()
                    .find(|r| r[0] == sport && r[1] == cport && !r[5].is_empty())
                    .unwrap_or_else(|| panic!("{file}: tshark sees no server alert"));
                assert_eq!(
                    r[5].split(',').next().and_then(|d| d.parse::<u8>().ok()),
                    Some(*description),
                    "{file}: alert"
                );
                compared.2 += 1;
            }
        }
    }
    // The comparison must actually have happened.
    assert!(compared.0 >= 30 && compared.1 >= 16 && compared.2 >= 12, "too few comparisons: {compared:?}");
    eprintln!(
        "compared with tshark: {} connections' packet counts, {} negotiation values, {} TLS facts",
        compared.0, compared.1, compared.2
    );
}
