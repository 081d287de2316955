//! The whole `capture` pipeline on a well-formed pcap or pcapng file around fuzzed payloads: a TCP
//! connection (RDP on 3389, or TLS/HTTP to an RD Gateway on 443) whose segments, flags, retransmissions,
//! losses and pauses are chosen by the fuzzer, plus UDP datagrams (RDP-UDP, Kerberos) and IPv4 fragments,
//! so the TCP reassembly, the dissectors phase by phase and the renderers see deep states that raw bytes
//! never reach (a valid file, valid headers, sequence numbers kept right).
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rdp_doctor_fuzz::{ACK, CR, FIN, Flow, Format, Link, PSH, RST, SUITE_GCM, cc, client_hello, ipv4, write_capture};

#[derive(Arbitrary, Debug)]
enum Prelude {
    /// Nothing: the fuzzer writes the connection's first bytes.
    None,
    /// X.224 Connection Request and Confirm selecting this protocol.
    Negotiated(u8),
    /// … and a ClientHello.
    Hello(u8),
}

#[derive(Arbitrary, Debug)]
enum Step {
    Client(Vec<u8>),
    Server(Vec<u8>),
    /// A segment sent again `back` bytes before the side's next sequence number.
    Resend {
        from_client: bool,
        back: u16,
        data: Vec<u8>,
    },
    /// Bytes the capture missed (the sequence number moves on).
    Lost {
        from_client: bool,
        len: u16,
    },
    Flags {
        from_client: bool,
        fin: bool,
        rst: bool,
        window: u16,
    },
    Wait(u16),
    /// A UDP datagram from the client to 3389 (RDP-UDP) or to 88 (Kerberos), or back.
    Udp {
        to_server: bool,
        kerberos: bool,
        data: Vec<u8>,
    },
    /// The client's payload as IPv4 fragments of `size` * 8 bytes.
    Fragments {
        size: u8,
        data: Vec<u8>,
    },
}

/// The value of the `render` byte that renders Markdown; the next one renders HTML.
const RENDER: u8 = 0x52;

#[derive(Arbitrary, Debug)]
struct Capture {
    format: Format,
    link: Link,
    v6: bool,
    gateway: bool,
    prelude: Prelude,
    /// Render Markdown too when [`RENDER`], HTML when one more (an input too short to reach this byte reads 0:
    /// neither). Rendering took ~60 % of each execution, so most inputs skip it; the comparison with the
    /// constant guides the fuzzer to it, and coverage keeps the inputs whose renderings reach new code. Once
    /// the kept inputs carried the byte, rendering both was still ~50 % of the campaign's time: one per input.
    render: u8,
    steps: Vec<Step>,
}

fuzz_target!(|c: Capture| {
    let port = if c.gateway { 443 } else { 3389 };
    let mut f = Flow::new(c.v6, port, c.link);
    f.handshake();
    match c.prelude {
        Prelude::None => {}
        Prelude::Negotiated(p) => {
            f.client(CR);
            f.server(&cc(p));
        }
        Prelude::Hello(p) => {
            f.client(CR);
            f.server(&cc(p));
            f.client(&client_hello(&[0x11; 32], SUITE_GCM));
        }
    }
    for s in c.steps.into_iter().take(64) {
        match s {
            Step::Client(d) => f.client(&d),
            Step::Server(d) => f.server(&d),
            Step::Resend { from_client, back, data } => {
                f.segment(from_client, PSH | ACK, &data, 64240, u32::from(back).max(1))
            }
            Step::Lost { from_client, len } => {
                if from_client {
                    f.cseq = f.cseq.wrapping_add(u32::from(len));
                } else {
                    f.sseq = f.sseq.wrapping_add(u32::from(len));
                }
            }
            Step::Flags { from_client, fin, rst, window } => {
                let flags = ACK | if fin { FIN } else { 0 } | if rst { RST } else { 0 };
                f.segment(from_client, flags, b"", window, 0);
            }
            Step::Wait(ms) => f.wait_ms(u32::from(ms) * 10),
            Step::Udp { to_server, kerberos, data } => {
                let sp = if kerberos { 88 } else { 3389 };
                if to_server { f.datagram(true, 50_001, sp, &data) } else { f.datagram(false, sp, 50_001, &data) }
            }
            Step::Fragments { size, data } => {
                let size = usize::from(size.max(1)) * 8;
                let mut l4 = Vec::new();
                l4.extend_from_slice(&50_002u16.to_be_bytes());
                l4.extend_from_slice(&3389u16.to_be_bytes());
                l4.extend_from_slice(&((data.len() + 8) as u16).to_be_bytes());
                l4.extend_from_slice(&[0, 0]);
                l4.extend_from_slice(&data);
                let mut off = 0;
                while off < l4.len() {
                    let end = (off + size).min(l4.len());
                    let frag = ((off / 8) as u16) | if end < l4.len() { 0x2000 } else { 0 };
                    let pkt = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 77, 17, frag, &l4[off..end]);
                    f.frames.push((f.ts, f.link.wrap(&pkt)));
                    off = end;
                }
            }
        }
    }
    let bytes = write_capture(c.format, c.link, &f.frames, None);
    let opts = rdp_doctor_pcap::Options { ports: vec![443], ..Default::default() };
    if let Ok(r) = rdp_doctor_pcap::analyse(bytes.as_slice(), "fuzz.pcap", &opts) {
        assert!(serde_json::to_string(&r).is_ok());
        if c.render == RENDER {
            let _ = rdp_doctor_render::markdown::capture(&r);
        } else if c.render == RENDER + 1 {
            let _ = rdp_doctor_render::html::capture(&r);
        }
    }
});
