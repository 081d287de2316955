//! Kerberos traffic in a capture: the client's exchanges with its KDC on port 88 (UDP datagrams, or TCP
//! records with their 4-byte length, RFC 4120 7.2), kept per client so that an RDP connection from that
//! client can be read together with the tickets it did or did not get. Messages are decoded by
//! `rdp_doctor_proto::krb`; nothing secret is read (tickets and encrypted parts stay opaque).
//!
//! Bounded: at most [`MAX_CLIENTS`] clients, [`MAX_PER_CLIENT`] messages each (what does not fit is
//! counted and said), [`MAX_TCP_FLOWS`] TCP flows (idle ones give way) with at most one record's bytes
//! buffered per direction.

use std::net::{IpAddr, SocketAddr};

use rdp_doctor_core::evidence::{KerberosEvidence, KrbObservation};
use rdp_doctor_proto::krb;

use crate::hash::FxHashMap;

/// The Kerberos port (RFC 4120 7.2.1, 7.2.2).
pub const KERBEROS_PORT: u16 = 88;
pub const MAX_CLIENTS: usize = 1024;
pub const MAX_PER_CLIENT: usize = 32;
pub const MAX_TCP_FLOWS: usize = 1024;

/// One message seen, with whether an RDP connection's report already shows it.
#[derive(Debug, Clone)]
struct Seen {
    obs: KrbObservation,
    kdc: SocketAddr,
    client: SocketAddr,
    attached: bool,
}

#[derive(Debug, Default)]
struct ClientLog {
    seen: Vec<Seen>,
    truncated: bool,
}

/// One direction of a TCP flow to the KDC.
#[derive(Debug, Default)]
struct TcpDir {
    /// The last segment's time, to evict the stalest flow when the table is full.
    last_ms: f64,
    next_seq: Option<u32>,
    buf: Vec<u8>,
    broken: bool,
}

/// The Kerberos messages of a capture, by client address.
#[derive(Debug, Default)]
pub struct KrbLog {
    clients: FxHashMap<IpAddr, ClientLog>,
    tcp: FxHashMap<(SocketAddr, SocketAddr), TcpDir>,
    /// Messages not kept (bounds reached).
    pub dropped: u64,
    /// Datagrams or records on port 88 that did not decode as Kerberos.
    pub undecodable: u64,
}

/// True when either side uses the Kerberos port.
pub fn is_kerberos(src: SocketAddr, dst: SocketAddr) -> bool {
    src.port() == KERBEROS_PORT || dst.port() == KERBEROS_PORT
}

impl KrbLog {
    /// A UDP datagram on port 88; `at_ms` from the start of the capture.
    pub fn udp(&mut self, at_ms: f64, src: SocketAddr, dst: SocketAddr, payload: &[u8]) {
        match krb::decode(payload) {
            Ok(m) => self.record(at_ms, src, dst, "UDP", &m),
            Err(_) => self.undecodable += 1,
        }
    }

    /// A TCP segment on port 88.
    pub fn tcp(&mut self, at_ms: f64, src: SocketAddr, dst: SocketAddr, t: &crate::link::Tcp<'_>) {
        if !self.tcp.contains_key(&(src, dst)) && self.tcp.len() >= MAX_TCP_FLOWS {
            // Flows that never closed (no FIN or RST in the capture) give way to new ones: first those idle
            // for a minute of capture time, all of them if that frees nothing (amortised: a scan of port 88
            // costs one sweep per table-full of flows).
            self.tcp.retain(|_, d| at_ms - d.last_ms < 60_000.0);
            if self.tcp.len() >= MAX_TCP_FLOWS {
                self.tcp.clear();
            }
        }
        let dir = self.tcp.entry((src, dst)).or_default();
        dir.last_ms = at_ms;
        if t.syn {
            dir.next_seq = Some(t.seq.wrapping_add(1));
            return;
        }
        if t.payload.is_empty() || dir.broken {
            return;
        }
        let expected = *dir.next_seq.get_or_insert(t.seq);
        if t.seq != expected {
            // A retransmission of bytes already read is skipped; a gap ends reading this direction.
            if t.seq.wrapping_sub(expected) > u32::MAX / 2 {
                return;
            }
            dir.broken = true;
            dir.buf = Vec::new();
            return;
        }
        dir.next_seq = Some(expected.wrapping_add(u32::try_from(t.payload.len()).unwrap_or(0)));
        dir.buf.extend_from_slice(t.payload);
        let mut messages = Vec::new();
        loop {
            match krb::tcp_record_len(&dir.buf) {
                Ok(Some(len)) if dir.buf.len() >= 4 + len => {
                    let body: Vec<u8> = dir.buf.drain(..4 + len).skip(4).collect();
                    messages.push(krb::decode(&body));
                }
                Ok(_) => break,
                Err(_) => {
                    dir.broken = true;
                    dir.buf = Vec::new();
                    break;
                }
            }
        }
        if t.fin || t.rst {
            self.tcp.remove(&(src, dst));
        }
        for m in messages {
            match m {
                Ok(m) => self.record(at_ms, src, dst, "TCP", &m),
                Err(_) => self.undecodable += 1,
            }
        }
    }

    fn record(&mut self, at_ms: f64, src: SocketAddr, dst: SocketAddr, transport: &str, m: &krb::Message) {
        let from_kdc = src.port() == KERBEROS_PORT;
        let (client, kdc) = if from_kdc { (dst, src) } else { (src, dst) };
        if !self.clients.contains_key(&client.ip()) && self.clients.len() >= MAX_CLIENTS {
            self.dropped += 1;
            return;
        }
        let log = self.clients.entry(client.ip()).or_default();
        if log.seen.len() >= MAX_PER_CLIENT {
            log.truncated = true;
            self.dropped += 1;
            return;
        }
        let obs = observation(at_ms, format!("{transport} {src} → {dst}"), if from_kdc { "KDC" } else { "client" }, m);
        log.seen.push(Seen { obs, kdc, client, attached: false });
    }

    /// The messages of `client` between `from_ms` and `to_ms` (capture time) that no other connection shows
    /// yet, marked as shown: each message is reported once, with the first connection (in finishing order)
    /// whose window holds it.
    pub fn around(&mut self, client: IpAddr, from_ms: f64, to_ms: f64) -> Option<KerberosEvidence> {
        let log = self.clients.get_mut(&client)?;
        let mut messages = Vec::new();
        for s in log.seen.iter_mut().filter(|s| !s.attached && s.obs.at_ms >= from_ms && s.obs.at_ms <= to_ms) {
            s.attached = true;
            messages.push(s.obs.clone());
        }
        (!messages.is_empty()).then_some(KerberosEvidence { messages, truncated: log.truncated })
    }

    /// The messages no RDP connection showed, grouped by client and KDC, in first-seen order.
    pub fn unattached(&self) -> Vec<(SocketAddr, SocketAddr, KerberosEvidence)> {
        let mut groups: Vec<(SocketAddr, SocketAddr, KerberosEvidence)> = Vec::new();
        let mut logs: Vec<&ClientLog> = self.clients.values().collect();
        logs.sort_by(|a, b| {
            let t = |l: &ClientLog| l.seen.first().map_or(0.0, |s| s.obs.at_ms);
            t(a).total_cmp(&t(b))
        });
        for log in logs {
            for s in log.seen.iter().filter(|s| !s.attached) {
                match groups.iter_mut().find(|(c, k, _)| c.ip() == s.client.ip() && *k == s.kdc) {
                    Some((_, _, e)) => e.messages.push(s.obs.clone()),
                    None => groups.push((
                        s.client,
                        s.kdc,
                        KerberosEvidence { messages: vec![s.obs.clone()], truncated: log.truncated },
                    )),
                }
            }
        }
        groups
    }
}

/// The observation of one decoded message.
pub fn observation(at_ms: f64, via: String, from: &str, m: &krb::Message) -> KrbObservation {
    KrbObservation {
        at_ms,
        via,
        from: from.to_owned(),
        message: m.name().to_owned(),
        realm: m.realm.clone(),
        client: m.cname.clone().filter(|c| !c.is_empty()),
        service: m.sname.clone().filter(|s| !s.is_empty()),
        error_code: m.error.as_ref().map(|e| e.code),
        e_text: m.error.as_ref().and_then(|e| e.e_text.clone()),
        peer_time: m.error.as_ref().and_then(|e| e.stime.clone()),
        ntstatus: m.error.as_ref().and_then(|e| e.ntstatus),
    }
}

/// The account of a decrypted Kerberos logon, which CredSSP does not show in clear: the client principal of
/// the ticket the KDC issued for the server (a TGS-REP for TERMSRV/…, in clear on port 88), else of the
/// client's AS-REP.
pub fn name_the_account(ev: &mut rdp_doctor_core::evidence::Evidence) {
    let Some(s) = ev.session.as_mut().filter(|s| s.account.starts_with('(')) else { return };
    let Some(k) = &ev.kerberos else { return };
    let named = |m: &&rdp_doctor_core::evidence::KrbObservation| m.client.is_some() && m.error_code.is_none();
    let termsrv = k.messages.iter().filter(named).find(|m| {
        m.message == "TGS-REP" && m.service.as_deref().is_some_and(|s| s.to_ascii_uppercase().starts_with("TERMSRV/"))
    });
    let Some(m) = termsrv.or_else(|| k.messages.iter().filter(named).find(|m| m.message == "AS-REP")) else { return };
    let who = match (&m.client, &m.realm) {
        (Some(c), Some(r)) => format!("{c}@{r}"),
        (Some(c), None) => c.clone(),
        _ => return,
    };
    let how = if m.message == "TGS-REP" {
        format!("the client of the ticket for {}", m.service.as_deref().unwrap_or_default())
    } else {
        "the client of the KDC's AS-REP".to_owned()
    };
    s.account = format!("{who} ({how}, port 88)");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(seq: u32, payload: &[u8]) -> crate::link::Tcp<'_> {
        crate::link::Tcp {
            src_port: 50000,
            dst_port: 88,
            seq,
            ack: 0,
            syn: false,
            ack_flag: true,
            fin: false,
            rst: false,
            window: 0,
            mss: None,
            payload,
            len: u32::try_from(payload.len()).unwrap_or(0),
        }
    }

    #[test]
    fn tables_stay_bounded() {
        let mut log = KrbLog::default();
        let kdc: SocketAddr = "10.0.0.1:88".parse().unwrap_or_else(|_| unreachable!());
        // Many half-open TCP flows: the table never grows past its bound.
        for i in 0..(MAX_TCP_FLOWS as u32 + 500) {
            let client = SocketAddr::new(IpAddr::from([10, 1, (i >> 8) as u8, i as u8]), 40000);
            log.tcp(f64::from(i), client, kdc, &seg(1, &[0, 0, 0, 200, 0x6a]));
        }
        assert!(log.tcp.len() <= MAX_TCP_FLOWS, "{}", log.tcp.len());
        // Garbage datagrams are counted, not kept; a length prefix beyond the bound ends that direction.
        log.udp(0.0, "10.2.0.1:5000".parse().unwrap_or_else(|_| unreachable!()), kdc, b"\x30\x00");
        assert_eq!(log.undecodable, 1);
        let c: SocketAddr = "10.3.0.1:5000".parse().unwrap_or_else(|_| unreachable!());
        log.tcp(0.0, c, kdc, &seg(7, &[0x7f, 0xff, 0xff, 0xff]));
        assert!(log.tcp.get(&(c, kdc)).is_some_and(|d| d.broken));
    }
}
