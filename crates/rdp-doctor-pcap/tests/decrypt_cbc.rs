//! Decryption of legacy CBC suites, with records made by OpenSSL in the test (rustls has no CBC): an
//! OpenSSL client and server over a local socket pair (no network), the client's key log callback writing
//! the NSS lines, every byte each side sent recorded in order and written as the capture's TCP segments.
//! TLS 1.0 (chained IV), 1.1 and 1.2 (explicit IV), HMAC-SHA1/SHA256/SHA384, with and without
//! encrypt-then-MAC (RFC 7366).
#![cfg(unix)] // an OpenSSL client and server over a Unix socket pair: Linux only
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use common::{CR, Flow, Link};
use openssl::pkey::PKey;
use openssl::ssl::{SslAcceptor, SslConnector, SslMethod, SslOptions, SslVerifyMode, SslVersion};
use openssl::x509::X509;
use rdp_doctor_pcap::keylog::KeyLog;

/// Bytes in the order the client saw them: (from the client?, bytes).
type Log = Arc<Mutex<Vec<(bool, Vec<u8>)>>>;

#[derive(Debug)]
struct Recorder {
    inner: UnixStream,
    log: Log,
}

impl Read for Recorder {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.log.lock().unwrap().push((false, buf[..n].to_vec()));
        }
        Ok(n)
    }
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.log.lock().unwrap().push((true, buf[..n].to_vec()));
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

const TS_LOGON_FAILURE: &[u8] =
    &[0x30, 0x0d, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa4, 0x06, 0x02, 0x04, 0xc0, 0x00, 0x00, 0x6d];
/// SSL_OP_NO_ENCRYPT_THEN_MAC (OpenSSL 1.1.1+ / 3.x).
const NO_ETM: u64 = 0x0008_0000;

/// One OpenSSL session: the client sends a TSRequest, the server answers STATUS_LOGON_FAILURE.
fn session(version: SslVersion, cipher: &str, etm: bool) -> (Flow, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["rds.example.test".to_owned()]).unwrap();
    let cert = X509::from_der(ck.cert.der()).unwrap();
    let key = PKey::private_key_from_pkcs8(&ck.signing_key.serialize_der()).unwrap();
    let (cs, ss) = UnixStream::pair().unwrap();
    let cipher_s = cipher.to_owned();
    let server = std::thread::spawn(move || {
        let mut b = SslAcceptor::mozilla_intermediate(SslMethod::tls()).unwrap();
        b.set_certificate(&cert).unwrap();
        b.set_private_key(&key).unwrap();
        b.set_cipher_list(&format!("{cipher_s}:@SECLEVEL=0")).unwrap();
        b.set_min_proto_version(Some(version)).unwrap();
        b.set_max_proto_version(Some(version)).unwrap();
        if !etm {
            b.set_options(SslOptions::from_bits_retain(NO_ETM));
        }
        let acc = b.build();
        let mut s = acc.accept(ss).unwrap();
        let mut buf = [0u8; 512];
        let _ = s.read(&mut buf).unwrap();
        s.write_all(TS_LOGON_FAILURE).unwrap();
        let _ = s.shutdown();
    });
    let lines = Arc::new(Mutex::new(String::new()));
    let l2 = lines.clone();
    let mut b = SslConnector::builder(SslMethod::tls()).unwrap();
    b.set_verify(SslVerifyMode::NONE);
    b.set_cipher_list(&format!("{cipher}:@SECLEVEL=0")).unwrap();
    b.set_min_proto_version(Some(version)).unwrap();
    b.set_max_proto_version(Some(version)).unwrap();
    b.set_keylog_callback(move |_, line| l2.lock().unwrap().push_str(&format!("{line}\n")));
    let log: Log = Arc::default();
    let stream = Recorder { inner: cs, log: log.clone() };
    let mut c = b.build().connect("rds.example.test", stream).unwrap();
    c.write_all(&rdp_doctor_proto::credssp::encode_nego(6, &rdp_doctor_proto::ntlm::encode_negotiate())).unwrap();
    let mut buf = [0u8; 512];
    let _ = c.read(&mut buf).unwrap();
    let _ = c.shutdown();
    server.join().unwrap();

    let mut flow = Flow::new("10.0.0.5:50000", "10.0.0.9:3389", Link::Ethernet);
    flow.handshake().client(CR).server(&[3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 2, 0, 0, 0]);
    for (from_client, bytes) in log.lock().unwrap().iter() {
        for seg in bytes.chunks(1400) {
            if *from_client {
                flow.client(seg);
            } else {
                flow.server(seg);
            }
        }
    }
    let text = lines.lock().unwrap().clone();
    (flow, text)
}

#[test]
fn cbc_suites_decrypt_the_credssp_error() {
    let cases = [
        (SslVersion::TLS1, "ECDHE-ECDSA-AES128-SHA", true),
        (SslVersion::TLS1, "ECDHE-ECDSA-AES256-SHA", false),
        (SslVersion::TLS1_1, "ECDHE-ECDSA-AES128-SHA", false),
        (SslVersion::TLS1_1, "ECDHE-ECDSA-AES256-SHA", true),
        (SslVersion::TLS1_2, "ECDHE-ECDSA-AES128-SHA256", true),
        (SslVersion::TLS1_2, "ECDHE-ECDSA-AES128-SHA256", false),
        (SslVersion::TLS1_2, "ECDHE-ECDSA-AES256-SHA384", false),
        (SslVersion::TLS1_2, "ECDHE-ECDSA-AES256-SHA384", true),
        (SslVersion::TLS1_2, "ECDHE-ECDSA-AES128-SHA", false),
    ];
    for (version, cipher, etm) in cases {
        let name = format!("{version:?} {cipher} etm={etm}");
        let (flow, lines) = session(version, cipher, etm);
        assert!(lines.contains("CLIENT_RANDOM"), "{name}: no key log");
        let mut k = KeyLog::default();
        k.add_text(lines.as_bytes(), "openssl");
        let opts = rdp_doctor_pcap::Options { keylog: Some(k), ..Default::default() };
        let r = rdp_doctor_pcap::analyse(flow.pcap().as_slice(), "cbc.pcap", &opts).unwrap();
        let d = r.connections[0].report.evidence.capture.as_ref().unwrap().decryption.clone().unwrap();
        assert!(d.decrypted, "{name}: {:?}", d.not_decrypted);
        assert_eq!(d.credssp_error, Some(0xC000_006D), "{name}: {d:?}");
        assert_eq!(d.not_decrypted, None, "{name}");
        assert!(r.connections[0].report.findings.iter().any(|f| f.id == "credssp.logon_failure"), "{name}");
    }
}
