//! The whole `capture` pipeline with TLS secrets: a well-formed TLS 1.2 AES-128-GCM connection (RDP with
//! NLA on 3389, or an RD Gateway on 443) whose protected records carry fuzzed plaintext — CredSSP
//! TSRequests, the Early User Authorization Result, MCS and server PDUs, gateway HTTP, WebSocket and
//! MS-TSGU — sealed with a key the key log (a file, or the pcapng's Decryption Secrets Block) names, so the
//! AEAD tag verifies and the decrypted-capture readers see the fuzzer's bytes. Fuzzed key log text is added.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rdp_doctor_fuzz::{
    CLIENT_RANDOM, CR, Flow, Format, Link, SERVER_RANDOM, SUITE_GCM, Sealer, cc, client_hello, keylog_line, record,
    server_hello,
};

/// The value of the `render` byte that renders Markdown; the next one renders HTML.
const RENDER: u8 = 0x52;

#[derive(Arbitrary, Debug)]
struct Record {
    from_client: bool,
    /// Content type of the inner record (23 application data, 21 alert, 22 handshake).
    content_type: u8,
    plaintext: Vec<u8>,
    /// Flip a byte of the protected record (a corrupted capture).
    corrupt: Option<u16>,
}

#[derive(Arbitrary, Debug)]
struct Session {
    format: Format,
    gateway: bool,
    /// The protocol the Connection Confirm selects (SSL 1, HYBRID 2, HYBRID_EX 8).
    protocol: u8,
    /// Secrets in a Decryption Secrets Block instead of a key log file.
    in_dsb: bool,
    extra_keylog: Vec<u8>,
    /// Render Markdown too when [`RENDER`], HTML when one more (an input too short to reach this byte reads 0:
    /// neither). Rendering took ~60 % of each execution, so most inputs skip it; the comparison with the
    /// constant guides the fuzzer to it, and coverage keeps the inputs whose renderings reach new code. Once
    /// the kept inputs carried the byte, rendering both was still ~50 % of the campaign's time: one per input.
    render: u8,
    records: Vec<Record>,
}

fuzz_target!(|s: Session| {
    let Some((mut cs, mut ss)) = Sealer::pair() else { return };
    let port = if s.gateway { 443 } else { 3389 };
    let mut f = Flow::new(false, port, Link::Ethernet);
    f.handshake();
    if !s.gateway {
        f.client(CR);
        f.server(&cc(s.protocol));
    }
    f.client(&client_hello(&CLIENT_RANDOM, SUITE_GCM));
    f.server(&server_hello(&SERVER_RANDOM, SUITE_GCM));
    f.client(&record(20, &[1]));
    f.client(&cs.seal(22, &[20, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    f.server(&record(20, &[1]));
    f.server(&ss.seal(22, &[20, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    for r in s.records.into_iter().take(48) {
        let ct = match r.content_type % 4 {
            0 => 21,
            1 => 22,
            _ => 23,
        };
        let mut rec = if r.from_client { cs.seal(ct, &r.plaintext) } else { ss.seal(ct, &r.plaintext) };
        if let Some(at) = r.corrupt {
            let n = rec.len();
            if let Some(b) = rec.get_mut(usize::from(at) % n) {
                *b ^= 0x5a;
            }
        }
        if r.from_client { f.client(&rec) } else { f.server(&rec) }
    }
    let mut keylog = keylog_line().into_bytes();
    keylog.extend_from_slice(&s.extra_keylog);
    let format = if s.in_dsb { Format::PcapNg } else { s.format };
    let bytes = rdp_doctor_fuzz::write_capture(format, Link::Ethernet, &f.frames, s.in_dsb.then_some(&keylog[..]));
    let mut opts = rdp_doctor_pcap::Options { ports: vec![443], ..Default::default() };
    if !s.in_dsb {
        let mut k = rdp_doctor_pcap::keylog::KeyLog::default();
        k.add_text(&keylog, "fuzz.keys");
        opts.keylog = Some(k);
    }
    if let Ok(r) = rdp_doctor_pcap::analyse(bytes.as_slice(), "fuzz.pcapng", &opts) {
        assert!(serde_json::to_string(&r).is_ok());
        if s.render == RENDER {
            let _ = rdp_doctor_render::markdown::capture(&r);
        } else if s.render == RENDER + 1 {
            let _ = rdp_doctor_render::html::capture(&r);
        }
    }
});
