//! Decrypted sessions made by a real TLS library: a rustls client and server talk in memory (no sockets)
//! with rustls' key log callback recording the NSS key log lines; their byte streams are written as TCP
//! segments of a synthetic capture, after an X.224 exchange. What each side writes inside TLS is the test's
//! (the PDUs a Windows server sends, built from the specifications); the record protection is rustls'.

use std::sync::{Arc, Mutex};

use rdp_doctor_core::capture_report::CaptureReport;
use rdp_doctor_pcap::keylog::KeyLog;
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection, SupportedCipherSuite};

use super::{CR, Flow, Link, PcapNg};

/// rustls' key log callback, collecting NSS lines.
#[derive(Debug, Default)]
struct Lines(Mutex<String>);

impl rustls::KeyLog for Lines {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        if let Ok(mut s) = self.0.lock() {
            s.push_str(&format!("{label} {} {}\n", hex(client_random), hex(secret)));
        }
    }
}

/// X.224 Connection Confirm with RDP_NEG_RSP selecting `protocol`.
pub fn cc(protocol: u8) -> Vec<u8> {
    vec![3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, protocol, 0, 0, 0]
}

/// What each side writes inside TLS, in turns.
pub enum Turn {
    Client(Vec<u8>),
    Server(Vec<u8>),
}

/// Runs a rustls client and server over the capture's TCP streams after an X.224 exchange selecting
/// `protocol`; returns the capture and the key log.
pub fn session(suite: SupportedCipherSuite, protocol: u8, turns: &[Turn]) -> (Flow, String) {
    session_on(suite, Some(protocol), "10.0.0.9:3389", turns)
}

/// As [`session`]; `None`: TLS from the first byte (an RD Gateway).
pub fn session_on(
    suite: SupportedCipherSuite,
    protocol: Option<u8>,
    server_addr: &str,
    turns: &[Turn],
) -> (Flow, String) {
    session_full(suite, protocol.map(|p| (CR.to_vec(), cc(p))), "10.0.0.5:50000", server_addr, turns)
}

/// As [`session_on`], with the X.224 request and confirm given (`None`: TLS from the first byte), from
/// the client address `client_addr`.
pub fn session_full(
    suite: SupportedCipherSuite,
    x224: Option<(Vec<u8>, Vec<u8>)>,
    client_addr: &str,
    server_addr: &str,
    turns: &[Turn],
) -> (Flow, String) {
    let peers = Peers::new(suite, "rds.example.test");
    let flow = peers.run(x224, client_addr, server_addr, turns);
    (flow, peers.lines())
}

/// A rustls client and server configuration pair (one certificate for `name`), kept across connections so
/// that a second connection resumes the first one's TLS session.
pub struct Peers {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    name: String,
    log: Arc<Lines>,
}

impl Peers {
    pub fn new(suite: SupportedCipherSuite, name: &str) -> Self {
        let ck = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
        let cert: CertificateDer<'static> = ck.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
        let provider = Arc::new(CryptoProvider { cipher_suites: vec![suite], ..ring::default_provider() });
        let version = suite.version();
        let log = Arc::new(Lines::default());
        let mut server_cfg = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[version])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        server_cfg.key_log = log.clone();
        let mut roots = RootCertStore::empty();
        roots.add(cert).unwrap();
        let mut client_cfg = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        // Only the server logs: both sides would write the same lines.
        client_cfg.key_log = Arc::new(NoLog);
        Self { client: Arc::new(client_cfg), server: Arc::new(server_cfg), name: name.to_owned(), log }
    }

    /// The NSS key log lines of every connection so far.
    pub fn lines(&self) -> String {
        self.log.0.lock().unwrap().clone()
    }

    /// One connection: TCP handshake, the X.224 exchange when given, TLS, the turns, close_notify and FIN.
    pub fn run(&self, x224: Option<(Vec<u8>, Vec<u8>)>, client_addr: &str, server_addr: &str, turns: &[Turn]) -> Flow {
        let mut client =
            ClientConnection::new(self.client.clone(), ServerName::try_from(self.name.clone()).unwrap()).unwrap();
        let mut server = ServerConnection::new(self.server.clone()).unwrap();
        let mut flow = Flow::new(client_addr, server_addr, Link::Ethernet);
        flow.handshake();
        if let Some((request, confirm)) = &x224 {
            flow.client(request).server(confirm);
        }
        pump(&mut flow, &mut client, &mut server);
        assert!(!client.is_handshaking() && !server.is_handshaking());
        for t in turns {
            use std::io::Write;
            match t {
                Turn::Client(b) => client.writer().write_all(b).unwrap(),
                Turn::Server(b) => server.writer().write_all(b).unwrap(),
            }
            pump(&mut flow, &mut client, &mut server);
        }
        server.send_close_notify();
        pump(&mut flow, &mut client, &mut server);
        flow.server_flags(super::FIN | super::ACK);
        flow
    }
}

/// Moves TLS bytes between the two peers until both are quiet, writing them as the capture's segments.
fn pump(flow: &mut Flow, client: &mut ClientConnection, server: &mut ServerConnection) {
    for _ in 0..8 {
        let mut c2s = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut c2s).unwrap();
        }
        for seg in c2s.chunks(1400) {
            flow.client(seg);
        }
        let mut rd = c2s.as_slice();
        while !rd.is_empty() {
            server.read_tls(&mut rd).unwrap();
            server.process_new_packets().unwrap();
        }
        let mut s2c = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut s2c).unwrap();
        }
        for seg in s2c.chunks(1400) {
            flow.server(seg);
        }
        let mut rd = s2c.as_slice();
        while !rd.is_empty() {
            client.read_tls(&mut rd).unwrap();
            client.process_new_packets().unwrap();
        }
        if c2s.is_empty() && s2c.is_empty() {
            break;
        }
    }
}

#[derive(Debug)]
struct NoLog;
impl rustls::KeyLog for NoLog {
    fn log(&self, _: &str, _: &[u8], _: &[u8]) {}
}

pub fn keylog(text: &str) -> KeyLog {
    let mut k = KeyLog::default();
    k.add_text(text.as_bytes(), "the key log test.keys");
    k
}

pub fn analyse(capture: &[u8], keys: Option<KeyLog>) -> CaptureReport {
    let opts = rdp_doctor_pcap::Options { keylog: keys, ..Default::default() };
    rdp_doctor_pcap::analyse(capture, "test.pcapng", &opts).unwrap()
}

pub fn pcapng(flow: &Flow, secrets: Option<&str>) -> Vec<u8> {
    let mut p = PcapNg::new();
    if let Some(s) = secrets {
        p.secrets(0x544c_534b, s.as_bytes());
    }
    p.interface(1, 9);
    for (ts, f) in &flow.frames {
        p.packet(0, *ts as u64, f);
    }
    p.buf
}

/// A client TSRequest {version 6, negoTokens: NTLM NEGOTIATE}, as the live probe sends it.
pub fn client_negotiate() -> Vec<u8> {
    rdp_doctor_proto::credssp::encode_nego(6, &rdp_doctor_proto::ntlm::encode_negotiate())
}
