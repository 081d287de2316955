//! TLS version and cipher-suite enumeration (`--deep`): for each of TLS 1.0–1.3, offer every suite, note
//! the one the server picks, remove it, repeat until the server refuses. Each attempt is its own TCP +
//! X.224 + ClientHello; the four versions run in parallel, and an accepted version's remaining suites in
//! striped loops ([`stripes`]). Bounded by rounds and by an overall deadline.

use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rdp_doctor_core::evidence::{NegotiationResult, TlsScan, TlsSuite, TlsVersionResult, X224Outcome};
use rdp_doctor_proto::nego::SecurityProtocol;
use rdp_doctor_proto::tls::{AlertDescription, version_name};
use rdp_doctor_proto::tls_hello::{self, HelloParams, ServerAnswer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::gate::HostGate;

/// At most this many suites are enumerated per version.
pub const MAX_ROUNDS: usize = 48;
/// The versions probed.
pub const VERSIONS: [u16; 4] = [0x0301, 0x0302, 0x0303, 0x0304];

/// 32 unpredictable-enough bytes for ClientHello randoms (not key material: nothing is ever encrypted).
fn random32() -> [u8; 32] {
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

enum Attempt {
    Answer(ServerAnswer),
    Other(String),
}

/// What every attempt of one scan shares.
struct Ctx<'a> {
    addr: SocketAddr,
    requested: SecurityProtocol,
    sni: Option<&'a str>,
    timeout: Duration,
    deadline: Instant,
    connections: AtomicUsize,
    /// The host's bound on connections waiting for the server, shared with the rest of the check (small
    /// servers have tiny listen backlogs).
    gate: &'a HostGate,
}

async fn attempt(ctx: &Ctx<'_>, version: u16, suites: &[u16], timeout: Duration) -> Attempt {
    let (addr, requested, sni) = (ctx.addr, ctx.requested, ctx.sni);
    let Some(permit) = ctx.gate.enter().await else { return Attempt::Other("scan stopped".to_owned()) };
    ctx.connections.fetch_add(1, Ordering::Relaxed);
    let (tcp, stream) = crate::tcp::connect_one(addr, timeout).await;
    let Some(mut stream) = stream else { return Attempt::Other(format!("TCP {:?}", tcp.outcome)) };
    let x = crate::x224::exchange(&mut stream, requested, None, timeout).await;
    drop(permit);
    match &x.outcome {
        X224Outcome::Confirm { negotiation: NegotiationResult::Selected { protocol, .. }, .. } if *protocol != 0 => {}
        other => return Attempt::Other(format!("no TLS-based protocol selected ({other:?})")),
    }
    let hello = tls_hello::encode_client_hello(&HelloParams {
        version,
        suites,
        random: random32(),
        key_share: random32(),
        sni,
    });
    let result = tokio::time::timeout(timeout, async {
        stream.write_all(&hello).await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok::<Attempt, std::io::Error>(Attempt::Other("connection closed".to_owned()));
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            match tls_hello::decode_server_answer(&buf) {
                Ok(Some(a)) => return Ok(Attempt::Answer(a)),
                Ok(None) if buf.len() < tls_hello::MAX_ANSWER_LEN => {}
                Ok(None) => return Ok(Attempt::Other("oversized answer".to_owned())),
                Err(e) => return Ok(Attempt::Other(e.to_string())),
            }
        }
    })
    .await;
    match result {
        Ok(Ok(a)) => a,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => Attempt::Other("connection reset".to_owned()),
        Ok(Err(e)) => Attempt::Other(e.to_string()),
        Err(_) => Attempt::Other("no answer before the deadline".to_owned()),
    }
}

/// How one enumeration loop ended.
struct LoopResult {
    found: Vec<u16>,
    refusal: Option<String>,
    truncated: bool,
}

/// Offers `offered`, records the pick, removes it, repeats until a refusal, the round bound or the deadline.
async fn enumerate(ctx: &Ctx<'_>, version: u16, mut offered: Vec<u16>, max_rounds: usize) -> LoopResult {
    let mut r = LoopResult { found: Vec::new(), refusal: None, truncated: false };
    for round in 0..=max_rounds {
        let left = ctx.deadline.saturating_duration_since(Instant::now());
        if offered.is_empty() {
            break;
        }
        if round == max_rounds || left.is_zero() {
            r.truncated = true;
            break;
        }
        let refusal = match attempt(ctx, version, &offered, ctx.timeout.min(left)).await {
            Attempt::Answer(ServerAnswer::Hello { version: v, cipher, .. }) if v == version => {
                if offered.contains(&cipher) {
                    offered.retain(|c| *c != cipher);
                    r.found.push(cipher);
                    continue;
                }
                format!("the server picked suite 0x{cipher:04x}, which was not offered")
            }
            Attempt::Answer(ServerAnswer::Hello { version: v, .. }) => format!("answered with {}", version_name(v)),
            Attempt::Answer(ServerAnswer::Alert { description, .. }) => {
                format!("alert {}", AlertDescription(description).display_name())
            }
            Attempt::Other(what) => what,
        };
        r.refusal = Some(refusal);
        break;
    }
    r
}

/// At most this many parallel loops per accepted version once it is known to be accepted. A short list
/// (TLS 1.3's four left) gets one loop per suite: as many connections as one loop walking them would need
/// in the worst case, and none of them waits for another's answer.
const SLICES: usize = 6;

/// Splits `rest` into loops, striped (suite i goes to loop i mod n) so that the accepted suites, which
/// cluster in the IANA numbering (0x002f-0x009f, 0xc009-0xc030, 0xcca8-0xccaa), spread evenly over the loops
/// instead of making one loop walk them all one connection after another. Each loop keeps the list's order.
fn stripes(rest: &[u16]) -> Vec<Vec<u16>> {
    let n = rest.len().clamp(1, SLICES);
    (0..n).map(|i| rest.iter().skip(i).step_by(n).copied().collect()).filter(|s: &Vec<u16>| !s.is_empty()).collect()
}

async fn scan_version(ctx: &Ctx<'_>, version: u16) -> TlsVersionResult {
    let all: Vec<u16> = if version >= 0x0304 { tls_hello::TLS13_SUITES.to_vec() } else { tls_hello::legacy_suites() };
    // First offer everything: the answer says whether the version is accepted at all (a refusal rules out
    // every suite of it: no further connection), and names the server's pick from the whole list.
    let first = enumerate(ctx, version, all.clone(), 1).await;
    let mut found = first.found.clone();
    let mut truncated = false;
    if !found.is_empty() {
        // Then the rest in parallel striped loops; each finds the accepted suites among its own.
        let rest: Vec<u16> = all.iter().copied().filter(|s| !found.contains(s)).collect();
        let loops: Vec<_> = stripes(&rest).into_iter().map(|s| enumerate(ctx, version, s, MAX_ROUNDS)).collect();
        let mut more = Vec::new();
        for d in join_all(loops).await {
            truncated |= d.truncated;
            more.extend(d.found);
        }
        // The first pick, then the others in the offered (IANA) order, whichever loop found them.
        more.sort_by_key(|s| all.iter().position(|a| a == s));
        found.extend(more);
    }
    TlsVersionResult {
        version,
        name: version_name(version),
        accepted: !found.is_empty(),
        refusal: if found.is_empty() { first.refusal } else { None },
        suites: found
            .into_iter()
            .map(|id| TlsSuite {
                id,
                name: tls_hello::suite_name(id),
                weakness: tls_hello::weakness(id).map(str::to_owned),
            })
            .collect(),
        truncated,
    }
}

/// Polls futures concurrently on the current task (no spawning: they borrow from the caller).
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *out = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Scans every version in [`VERSIONS`] in parallel, every connection within `gate`. The whole scan ends
/// within `budget`.
pub async fn scan(
    addr: SocketAddr,
    requested: SecurityProtocol,
    sni: Option<&str>,
    timeout: Duration,
    budget: Duration,
    gate: &HostGate,
) -> TlsScan {
    let start = Instant::now();
    let ctx = Ctx { addr, requested, sni, timeout, deadline: start + budget, connections: AtomicUsize::new(0), gate };
    let [a, b, d, e] = VERSIONS.map(|v| scan_version(&ctx, v));
    let (a, b, d, e) = tokio::join!(a, b, d, e);
    TlsScan {
        versions: vec![a, b, d, e],
        connections: ctx.connections.load(Ordering::Relaxed),
        duration_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_spread_a_cluster_and_keep_every_suite_once() {
        let rest = tls_hello::legacy_suites();
        let loops = stripes(&rest);
        assert_eq!(loops.len(), SLICES);
        let mut all: Vec<u16> = loops.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, rest);
        // The ECDHE block 0xc009..=0xc030 is spread over every loop, not walked by one.
        let cluster: Vec<usize> =
            loops.iter().map(|l| l.iter().filter(|s| (0xc009..=0xc030).contains(*s)).count()).collect();
        assert!(cluster.iter().all(|n| *n >= 3), "{cluster:?}");
        // TLS 1.3's four remaining suites: one loop each, none waiting for another.
        assert_eq!(
            stripes(&[0x1302, 0x1303, 0x1304, 0x1305]),
            vec![vec![0x1302], vec![0x1303], vec![0x1304], vec![0x1305]]
        );
        assert!(stripes(&[]).is_empty());
    }
}
