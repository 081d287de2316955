//! Synthetic captures for what no public capture shows: every supported link type and file format,
//! IPv4 fragments, ICMP errors, faults at each phase, RD Gateway HTTP framing, and damaged files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rdp_doctor_pcap::CaptureError;

/// One RDP connection that reaches the TLS ClientHello and is reset by the server.
fn reset_after_hello(link: Link) -> Flow {
    let mut f = Flow::new("10.1.0.5:50000", "10.1.0.9:3389", link);
    f.handshake().client(CR).server(CC_HYBRID).client(&client_hello()).wait_ms(0.4).server_flags(RST | ACK);
    f
}

#[test]
fn every_link_type_gives_the_same_verdict() {
    for link in [Link::Ethernet, Link::Vlan, Link::Sll, Link::Sll2, Link::Raw, Link::NullLe, Link::NullBe] {
        let r = analyse_bytes(&reset_after_hello(link).pcap(), &[]);
        // The same finding the live check gives for a reset on its ClientHello.
        assert_eq!(r.verdict, "tls.server_key_unusable", "{link:?}");
        assert_eq!(ids(&r), vec![vec!["tls.server_key_unusable"]], "{link:?}");
    }
}

#[test]
fn ipv6_connection() {
    let mut f = Flow::new("[2001:db8::5]:50000", "[2001:db8::9]:3389", Link::Ethernet);
    f.handshake().client(CR).server(&[3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 3, 0, 8, 0, 5, 0, 0, 0]);
    let r = analyse_bytes(&f.pcap(), &[]);
    assert_eq!(r.verdict, "nego.hybrid_required_by_server");
    assert_eq!(r.connections[0].server, "[2001:db8::9]:3389");
}

#[test]
fn pcap_byte_orders_and_resolutions() {
    let f = reset_after_hello(Link::Ethernet);
    for (be, nano) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut p = Pcap::new(1, be, nano);
        for (ts, frame) in &f.frames {
            p.packet(*ts, frame);
        }
        let r = analyse_bytes(&p.buf, &[]);
        assert_eq!(r.verdict, "tls.server_key_unusable", "be={be} nano={nano}");
        assert!(r.file.format.contains(if be { "big-endian" } else { "little-endian" }));
        assert!(r.file.format.contains(if nano { "nanosecond" } else { "microsecond" }));
        // The 0.5 ms between ClientHello and RST survives both resolutions.
        let ev = &r.connections[0].report.findings[0].evidence;
        assert!(ev.iter().any(|e| e.contains("after the ClientHello, 0.50 ms")), "{ev:?}");
    }
}

#[test]
fn pcapng_with_interfaces_of_different_link_types() {
    // Interface 0 Ethernet (µs), interface 1 Linux SLL2 (ns); the connection's packets alternate.
    let eth = reset_after_hello(Link::Ethernet);
    let sll2 = reset_after_hello(Link::Sll2);
    let mut p = PcapNg::new();
    p.interface(1, 6);
    p.interface(276, 9);
    for (i, ((ts, e), (_, s))) in eth.frames.iter().zip(sll2.frames.iter()).enumerate() {
        if i % 2 == 0 {
            p.packet(0, (*ts / 1000) as u64, e);
        } else {
            p.packet(1, *ts as u64, s);
        }
    }
    let r = analyse_bytes(&p.buf, &[]);
    assert_eq!(r.file.format, "pcapng");
    assert_eq!(r.file.interfaces, 2);
    assert_eq!(r.file.link_types.len(), 2, "{:?}", r.file.link_types);
    assert_eq!(r.verdict, "tls.server_key_unusable");
}

#[test]
fn ipv4_fragments_are_reassembled() {
    // The server's Connection Confirm arrives as three IPv4 fragments, out of order.
    let mut f = Flow::new("10.1.0.5:50000", "10.1.0.9:3389", Link::Ethernet);
    f.handshake().client(CR);
    let cc = [3, 0, 0, 19, 14, 0xd0, 0, 0, 0, 0, 0, 3, 0, 8, 0, 1, 0, 0, 0]; // RDP_NEG_FAILURE SSL_REQUIRED
    let seg = tcp_header(3389, 50000, 5001, 1020, PSH | ACK, 64240, None, &cc);
    let frags = ipv4_fragments([10, 1, 0, 9], [10, 1, 0, 5], 777, 6, &seg, 16);
    assert_eq!(frags.len(), 3);
    let ts = f.ts;
    f.frames.push((ts, Link::Ethernet.wrap(&frags[2])));
    f.frames.push((ts + 1000, Link::Ethernet.wrap(&frags[0])));
    f.frames.push((ts + 2000, Link::Ethernet.wrap(&frags[1])));
    let r = analyse_bytes(&f.pcap(), &[]);
    assert_eq!(r.verdict, "nego.ssl_required_by_server");
}

#[test]
fn icmp_unreachable_and_frag_needed_are_attributed() {
    // SYN answered by ICMP host unreachable from a router.
    let mut f = Flow::new("10.1.0.5:50000", "10.1.0.9:3389", Link::Ethernet);
    f.syn();
    let syn_ip = &f.frames[0].1[14..];
    let mut icmp = vec![3, 1, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&syn_ip[..28]);
    let ts = f.ts;
    f.frames.push((
        ts + 500_000,
        Link::Ethernet.wrap(&ip("10.1.0.1".parse().unwrap(), "10.1.0.5".parse().unwrap(), 9, 1, &icmp)),
    ));
    let r = analyse_bytes(&f.pcap(), &[]);
    assert_eq!(r.verdict, "tcp.unreachable");
    let e = &r.connections[0].report.findings[0].evidence[0];
    assert!(e.contains("host unreachable") && e.contains("10.1.0.1"), "{e}");

    // A full-size server segment answered by a router's "fragmentation needed, MTU 1400".
    let mut f = Flow::new("10.1.0.5:50000", "10.1.0.9:3389", Link::Ethernet);
    f.handshake().client(CR).server(CC_HYBRID).client(&client_hello());
    f.server(&[0x16; 1460]);
    let big_ip = f.frames.last().unwrap().1[14..].to_vec();
    let mut icmp = vec![3, 4, 0, 0, 0, 0, 0x05, 0x78];
    icmp.extend_from_slice(&big_ip[..28]);
    let ts = f.ts;
    f.frames
        .push((ts, Link::Ethernet.wrap(&ip("10.9.9.1".parse().unwrap(), "10.1.0.9".parse().unwrap(), 9, 1, &icmp))));
    let r = analyse_bytes(&f.pcap(), &[]);
    let all: Vec<_> = ids(&r).concat();
    assert!(all.contains(&"net.path_mtu"), "{all:?}");
    let mtu = r.connections[0].report.findings.iter().find(|f| f.id == "net.path_mtu").unwrap();
    assert!(mtu.summary.contains("1400"), "{}", mtu.summary);
}

#[test]
fn rdp_udp_refused_with_icmp_port_unreachable() {
    let syn = {
        let mut s = vec![0xff, 0xff, 0xff, 0xff, 0, 0x40, 0x10, 0x01, 1, 2, 3, 4, 0x04, 0xd0, 0x04, 0xd0, 0, 1, 0, 2];
        s.resize(1232, 0);
        s
    };
    let c: std::net::IpAddr = "10.1.0.5".parse().unwrap();
    let s: std::net::IpAddr = "10.1.0.9".parse().unwrap();
    let dgram = ip(c, s, 1, 17, &udp(61000, 3389, &syn));
    let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&dgram[..28]);
    let mut p = Pcap::new(1, false, false);
    p.packet(1_000_000_000, &Link::Ethernet.wrap(&dgram));
    p.packet(1_000_300_000, &Link::Ethernet.wrap(&ip(s, c, 2, 1, &icmp)));
    let r = analyse_bytes(&p.buf, &[]);
    // A TCP-only server is not a failure: the finding is info, so the verdict stays ok.
    assert_eq!(r.verdict, "ok");
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("udp.not_listening"), "{json}");
}

#[test]
fn client_alert_and_client_abort() {
    // The client answers the server's flight with a fatal unknown_ca alert.
    let mut f = Flow::new("10.1.0.5:50000", "10.1.0.9:3389", Link::Ethernet);
    f.handshake().client(CR).server(CC_HYBRID).client(&client_hello());
    let sh = {
        let mut b = vec![3, 3];
        b.extend_from_slice(&[0x22; 32]);
        b.extend_from_slice(&[0, 0xc0, 0x30, 0]);
        record(22, &handshake(2, &b))
    };
    f.server(&sh).client(&record(21, &[2, 48])).client_flags(FIN | ACK);
    let r = analyse_bytes(&f.pcap(), &[]);
    assert_eq!(r.verdict, "tls.client_alert");
    assert!(r.connections[0].report.findings[0].summary.contains("unknown_ca"));
}

#[test]
fn silent_server_after_client_hello_times_out_with_a_stall() {
    let mut f = Flow::new("10.1.0.5:50000", "10.1.0.9:3389", Link::Ethernet);
    f.handshake().client(CR).server(CC_HYBRID).client(&client_hello());
    // The client resends its ClientHello twice; nothing comes back for 7 s.
    let hello = client_hello();
    f.wait_ms(3000.0).client_resend(hello.len(), &hello).wait_ms(4000.0).client_resend(hello.len(), &hello);
    let p = f.pcap();
    let r = analyse_bytes(&p, &[]);
    let all: Vec<_> = ids(&r).concat();
    assert!(all.contains(&"tls.handshake_failed"), "{all:?}");
    assert!(all.contains(&"net.stall"), "{all:?}");
}

#[test]
fn zero_window_and_loss_are_counted() {
    let mut f = Flow::new("10.1.0.5:50000", "10.1.0.9:3389", Link::Ethernet);
    f.handshake().client(CR).server(CC_HYBRID);
    // 40 server segments, 4 of which are lost and sent again 200 ms later; the client closes its window once.
    for i in 0..40 {
        if i % 10 == 3 {
            f.server_lost(1000);
            f.server(&[0x17; 1000]);
            f.wait_ms(200.0);
            f.server_resend(2000, &[0x17; 1000]);
        } else {
            f.server(&[0x17; 1000]);
        }
    }
    f.client_flags(ACK);
    let mut g = f;
    let zero = {
        let t = tcp_header(50000, 3389, 1020, 5000, ACK, 0, None, b"");
        Link::Ethernet.wrap(&ip("10.1.0.5".parse().unwrap(), "10.1.0.9".parse().unwrap(), 4242, 6, &t))
    };
    let ts = g.ts;
    g.frames.push((ts, zero));
    let r = analyse_bytes(&g.pcap(), &[]);
    let all: Vec<_> = ids(&r).concat();
    assert!(all.contains(&"net.packet_loss"), "{all:?}");
    assert!(all.contains(&"net.zero_window"), "{all:?}");
    let cap = r.connections[0].report.evidence.capture.as_ref().unwrap();
    assert_eq!(cap.server_stats.retransmissions, 4);
    assert_eq!(cap.server_stats.gaps, 0);
}

fn gateway(request: &[u8], response: &[u8]) -> rdp_doctor_core::capture_report::CaptureReport {
    let mut f = Flow::new("10.1.0.5:50000", "10.1.0.7:80", Link::Ethernet);
    f.handshake().client(request).server(response).client_flags(FIN | ACK).server_flags(FIN | ACK);
    analyse_bytes(&f.pcap(), &[])
}

#[test]
fn gateway_http_framing_anomalies() {
    let out = b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n";
    // Recognised by content on port 80; a 401 page without length on a kept-alive connection.
    let r = gateway(out, b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nVia: 1.1 squid\r\n\r\n<html>");
    let all: Vec<_> = ids(&r).concat();
    for want in ["gateway.http_no_framing", "gateway.proxy_in_path", "gateway.access_denied"] {
        assert!(all.contains(&want), "{want} missing: {all:?}");
    }
    assert_eq!(r.connections[0].kind, rdp_doctor_core::capture::ConnectionKind::GatewayHttp);
    // HTTP/1.0 proxy asking for authentication.
    let r = gateway(
        out,
        b"HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=x\r\nContent-Length: 0\r\n\r\n",
    );
    let all: Vec<_> = ids(&r).concat();
    assert_eq!(r.verdict, "gateway.proxy_auth_required");
    assert!(all.contains(&"gateway.http_1_0"), "{all:?}");
    // A proxy refusing the custom method, and a gateway whose HTTP transport is off.
    assert_eq!(
        gateway(out, b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n").verdict,
        "gateway.method_rejected"
    );
    assert_eq!(
        gateway(out, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").verdict,
        "gateway.http_transport_unavailable"
    );
    // The gateway's own close-delimited OUT channel answer is normal.
    let r = gateway(out, b"HTTP/1.1 200 OK\r\n\r\n\xab\xcd\xab\xcd\xab\xcd\xab\xcd\xab\xcd");
    assert!(ids(&r).concat().is_empty(), "{:?}", ids(&r));
    // Websocket requested, legacy answer.
    let ws = b"RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    assert!(ids(&gateway(ws, b"HTTP/1.1 200 OK\r\n\r\n")).concat().contains(&"gateway.websocket_refused"));
}

#[test]
fn mtu_black_hole() {
    let mut f = Flow::new("10.1.0.5:50000", "10.1.0.9:3389", Link::Ethernet);
    f.handshake().client(CR).server(CC_HYBRID).client(&client_hello());
    // The server's certificate flight: a full-size segment sent five times, never acknowledged.
    f.server(&[0x16; 1460]);
    for _ in 0..4 {
        f.wait_ms(1000.0);
        f.server_resend(1460, &[0x16; 1460]);
    }
    // The client never received it: its reset acknowledges nothing new.
    f.wait_ms(2000.0).client_flags(RST);
    let r = analyse_bytes(&f.pcap(), &[]);
    let all: Vec<_> = ids(&r).concat();
    assert!(all.contains(&"net.mtu_blackhole"), "{all:?}");
    let mtu = r.connections[0].report.findings.iter().find(|f| f.id == "net.mtu_blackhole").unwrap();
    assert!(mtu.summary.contains("MTU black hole"), "{}", mtu.summary);
}

#[test]
fn damaged_files_are_described_never_a_panic() {
    // Empty file.
    let e = rdp_doctor_pcap::analyse(&b""[..], "empty.pcap", &Default::default()).unwrap_err();
    assert!(matches!(e, CaptureError::Empty { .. }));
    assert!(e.to_string().contains("empty"), "{e}");
    // Garbage.
    let e = rdp_doctor_pcap::analyse(&b"GET / HTTP/1.1\r\n\r\n"[..], "x.pcap", &Default::default()).unwrap_err();
    assert!(e.to_string().contains("not a pcap or pcapng file (first bytes: 47 45 54"), "{e}");
    // Truncated in the middle of the last record: analysed up to there, and said.
    let bytes = reset_after_hello(Link::Ethernet).pcap();
    let cut = &bytes[..bytes.len() - 10];
    let r = rdp_doctor_pcap::analyse(cut, "cut.pcap", &Default::default()).unwrap();
    assert!(r.limitations.iter().any(|l| l.contains("truncated")), "{:?}", r.limitations);
    // The RST was in the lost record: the handshake's outcome is no longer in the capture.
    assert_ne!(r.verdict, "tls.server_key_unusable");
    // Every prefix of a capture reads without panic.
    for n in 0..bytes.len() {
        let _ = rdp_doctor_pcap::analyse(&bytes[..n], "prefix.pcap", &Default::default());
    }
}

#[test]
fn snap_length_cut_packets_still_count() {
    // A capture with a 60-byte snap length: payloads are cut, sequence numbers still right.
    let f = reset_after_hello(Link::Ethernet);
    let mut p = Pcap::new(1, false, false);
    for (ts, fr) in &f.frames {
        p.packet_cut(*ts, fr, fr.len().min(60));
    }
    let r = analyse_bytes(&p.buf, &[]);
    let c = &r.connections[0];
    assert!(c.report.limitations.iter().any(|l| l.contains("missing from the capture")), "{:?}", c.report.limitations);
    assert_eq!(c.report.evidence.capture.as_ref().unwrap().client_stats.retransmissions, 0);
}

#[test]
fn many_connections_memory_is_bounded_by_the_listing() {
    // 300 refused connections; list at most 20 (+ the rest counted by verdict).
    let mut p = Pcap::new(1, false, false);
    for i in 0..300u16 {
        let mut f =
            Flow::new(&format!("10.2.{}.{}:{}", i / 200, i % 200 + 1, 40000 + i), "10.1.0.9:3389", Link::Ethernet);
        f.ts += i64::from(i) * 10_000_000;
        f.syn().server_flags(RST | ACK);
        for (ts, fr) in &f.frames {
            p.packet(*ts, fr);
        }
    }
    let opts = rdp_doctor_pcap::Options { ports: vec![], max_listed: 20, ..Default::default() };
    let r = rdp_doctor_pcap::analyse(p.buf.as_slice(), "many.pcap", &opts).unwrap();
    assert_eq!(r.connections.len(), 20);
    assert_eq!(r.summary.connections, 300);
    assert_eq!(r.summary.omitted.get("tcp.refused"), Some(&280));
}
