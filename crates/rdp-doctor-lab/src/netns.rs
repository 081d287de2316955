//! Hosts behind a firewall, simulated with a network namespace.
//!
//! For each [`NetnsHost`] we create a namespace `rdpdoc-<pid>-<n>` and a
//! veth pair: one end stays in our namespace, the other is created directly
//! inside the new one. Both ends get addresses in a private /30 out of
//! 10.250.0.0/16 (host side `.1`, namespace side `.2` of the block). Only
//! the connected /30 route is added, so these addresses are reachable from
//! this machine and nowhere else, and nothing is routed onwards.
//!
//! Inside the namespace, `iptables -A INPUT -p tcp --dport 3389` either
//! `-j DROP`s (the client sees a connect timeout: a firewall that silently
//! eats packets) or `-j REJECT --reject-with tcp-reset`s (the client sees
//! "connection refused" even though the host is up). Nothing listens in
//! there. The rule lives in the namespace, so it disappears with it and
//! never touches the machine's own firewall. We try `iptables` (nft
//! backend on Debian 12) first and fall back to `iptables-legacy`.
//!
//! Drop runs `ip link del` on our veth end and `ip netns del`. Drop runs
//! on unwind too, so a panicking test cleans up; for a run that crashed
//! (SIGKILL, abort), the first [`netns_host`] call of the next run deletes
//! every `rdpdoc-<pid>-*` namespace whose `<pid>` is no longer alive.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use crate::LabError;
use crate::tools::{require, require_root, run_bounded};

/// Prefix of every namespace we create.
const PREFIX: &str = "rdpdoc-";
/// Upper bound for each `ip`/`iptables` invocation.
const CMD_LIMIT: Duration = Duration::from_secs(10);
/// Number of /30 blocks in 10.250.0.0/16.
const BLOCKS: u32 = 16384;

static COUNTER: AtomicU32 = AtomicU32::new(0);
static SWEEP: Once = Once::new();
/// Serialises address selection within this process.
static ALLOC: Mutex<()> = Mutex::new(());

/// What the namespace's firewall does with TCP port 3389.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firewall {
    /// `-j DROP`: connection attempts time out.
    Drop,
    /// `-j REJECT --reject-with tcp-reset`: connection attempts are refused.
    Reject,
    /// No rule: a plain host. Tests add their own rules with [`NetnsHost::iptables`] (random loss, a
    /// length filter that emulates an MTU black hole) and run clients inside with [`NetnsHost::command`].
    Open,
}

/// A host (network namespace) with a firewall in front of port 3389.
/// Dropping it deletes the namespace and the veth pair.
#[derive(Debug)]
pub struct NetnsHost {
    /// The namespace-side address, port 3389.
    pub addr: SocketAddr,
    /// Our end of the veth pair.
    pub host_addr: Ipv4Addr,
    /// Namespace name (`rdpdoc-<pid>-<n>`).
    pub netns: String,
    /// Name of our end of the veth pair.
    pub host_if: String,
    /// The rule in front of port 3389.
    pub firewall: Firewall,
    /// Which iptables binary installed the rule (`iptables` or
    /// `iptables-legacy`).
    pub iptables: String,
    ip: PathBuf,
}

impl NetnsHost {
    /// A command that runs `program` inside the namespace (`ip netns exec NAME program`). The namespace can
    /// reach only our end of the veth pair ([`NetnsHost::host_addr`]).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut c = std::process::Command::new(&self.ip);
        c.args(["netns", "exec", self.netns.as_str()]).arg(program);
        c
    }

    /// Appends one iptables rule inside the namespace, e.g. `["-A", "INPUT", "-p", "tcp", "--sport", "3389",
    /// "-m", "statistic", "--mode", "random", "--probability", "0.1", "-j", "DROP"]`.
    pub fn iptables(&self, rule: &[&str]) -> Result<(), LabError> {
        let bin = require(if self.iptables.is_empty() { "iptables" } else { self.iptables.as_str() })?;
        let mut args = svec(&["netns", "exec", self.netns.as_str()]);
        args.push(bin.display().to_string());
        args.extend(svec(&["-w", "5"]));
        args.extend(svec(rule));
        run_bounded(&self.ip, args, CMD_LIMIT).map(|_| ())
    }
}

impl Drop for NetnsHost {
    /// Deletes our veth end first (which destroys the pair at once; the
    /// kernel would otherwise only remove it some time after the namespace
    /// is gone, asynchronously), then the namespace.
    fn drop(&mut self) {
        let link_exists = Path::new("/sys/class/net").join(&self.host_if).exists();
        if link_exists && let Err(e) = run_bounded(&self.ip, ["link", "del", self.host_if.as_str()], CMD_LIMIT) {
            eprintln!("rdp-doctor-lab: could not delete veth {}: {e}", self.host_if);
        }
        if let Err(e) = run_bounded(&self.ip, ["netns", "del", self.netns.as_str()], CMD_LIMIT) {
            eprintln!("rdp-doctor-lab: could not delete namespace {}: {e}", self.netns);
        }
    }
}

/// Creates a namespace whose address drops or rejects TCP port 3389.
///
/// Needs root. Returns once the namespace address is reachable: a
/// connection to an unfiltered port there is refused (bounded, 5 s), so a
/// later timeout on port 3389 is the firewall's doing and not a link that
/// was not up yet.
pub fn netns_host(firewall: Firewall) -> Result<NetnsHost, LabError> {
    require_root("creating a network namespace")?;
    let ip = require("ip")?;
    let iptables = require("iptables")?;
    SWEEP.call_once(|| sweep_stale(&ip));

    let pid = std::process::id();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let netns = format!("{PREFIX}{pid}-{n}");
    // Interface names are limited to 15 bytes: "rdh" + pid (≤ 6 hex) + "x" + n (hex).
    let host_if = format!("rdh{pid:x}x{:x}", n & 0xfff);
    let ns_if = "rdpveth0";

    let alloc_guard = ALLOC.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (host_addr, ns_addr) = pick_block(&ip, pid, n)?;
    run_bounded(&ip, ["netns", "add", netns.as_str()], CMD_LIMIT)?;
    // From here on, Drop cleans up whatever we managed to create.
    let mut host = NetnsHost {
        addr: SocketAddr::new(IpAddr::V4(ns_addr), 3389),
        host_addr,
        netns,
        host_if,
        firewall,
        iptables: String::new(),
        ip,
    };
    let ns = host.netns.clone();
    let hif = host.host_if.clone();
    let ip = host.ip.clone();
    let cmds: [Vec<String>; 6] = [
        svec(&["link", "add", &hif, "type", "veth", "peer", "name", ns_if, "netns", &ns]),
        svec(&["addr", "add", &format!("{host_addr}/30"), "dev", &hif]),
        svec(&["link", "set", &hif, "up"]),
        svec(&["-n", &ns, "addr", "add", &format!("{ns_addr}/30"), "dev", ns_if]),
        svec(&["-n", &ns, "link", "set", ns_if, "up"]),
        svec(&["-n", &ns, "link", "set", "lo", "up"]),
    ];
    for args in cmds {
        run_bounded(&ip, args, CMD_LIMIT)?;
    }
    drop(alloc_guard);

    host.iptables = install_rule(&ip, &iptables, &ns, firewall)?;
    if firewall != Firewall::Open {
        wait_reachable(ns_addr)?;
    }
    Ok(host)
}

fn svec(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// Adds the port 3389 rule inside `ns`, with `iptables`, else `iptables-legacy`.
fn install_rule(ip: &Path, iptables: &Path, ns: &str, firewall: Firewall) -> Result<String, LabError> {
    let target: &[&str] = match firewall {
        Firewall::Drop => &["-j", "DROP"],
        Firewall::Reject => &["-j", "REJECT", "--reject-with", "tcp-reset"],
        // A harmless rule, so the same code finds out which iptables works in this namespace.
        Firewall::Open => &["-j", "ACCEPT"],
    };
    let rule = |bin: &Path| {
        let mut args = svec(&["netns", "exec", ns]);
        args.push(bin.display().to_string());
        // -w: wait for the xtables lock (shared between namespaces with the
        // legacy backend) instead of failing when a parallel test holds it.
        args.extend(svec(&["-w", "5", "-A", "INPUT", "-p", "tcp", "--dport", "3389"]));
        args.extend(svec(target));
        run_bounded(ip, args, CMD_LIMIT)
    };
    match rule(iptables) {
        Ok(_) => Ok("iptables".to_owned()),
        Err(first) => match require("iptables-legacy").and_then(|legacy| rule(&legacy)) {
            Ok(_) => Ok("iptables-legacy".to_owned()),
            Err(second) => Err(LabError::Command {
                command: format!("iptables in namespace {ns}"),
                status: "both iptables (nft) and iptables-legacy failed".to_owned(),
                output: format!("{first}\n{second}"),
            }),
        },
    }
}

/// Picks a /30 block in 10.250.0.0/16 that no interface on this machine
/// uses yet. The first candidate derives from pid and counter so parallel
/// processes start far apart; the address check covers the rest (another
/// process could still race us between check and `ip addr add`, which is
/// very unlikely given 16384 blocks).
fn pick_block(ip: &Path, pid: u32, n: u32) -> Result<(Ipv4Addr, Ipv4Addr), LabError> {
    let in_use = run_bounded(ip, ["-4", "-o", "addr", "show"], CMD_LIMIT)?;
    let start = pid.wrapping_mul(97).wrapping_add(n) % BLOCKS;
    for i in 0..BLOCKS {
        let block = (start + i) % BLOCKS;
        let base = u32::from(Ipv4Addr::new(10, 250, 0, 0)) + block * 4;
        let (host, ns) = (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2));
        let taken = |a: Ipv4Addr| in_use.contains(&format!("inet {a}/"));
        if !taken(host) && !taken(ns) {
            return Ok((host, ns));
        }
    }
    Err(LabError::InvalidInput("no free /30 left in 10.250.0.0/16".to_owned()))
}

/// Waits until a connection to an unfiltered port of the namespace address
/// is refused, i.e. the link and both addresses are up.
fn wait_reachable(ns_addr: Ipv4Addr) -> Result<(), LabError> {
    let probe = SocketAddr::new(IpAddr::V4(ns_addr), 9);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let result = TcpStream::connect_timeout(&probe, Duration::from_millis(500));
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Ok(()),
            other if Instant::now() >= deadline => {
                return Err(LabError::Command {
                    command: format!("connect {probe} (reachability check)"),
                    status: "namespace address not reachable after 5 s".to_owned(),
                    output: format!("{other:?}"),
                });
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Deletes namespaces left by lab processes that no longer exist.
fn sweep_stale(ip: &Path) {
    let Ok(list) = run_bounded(ip, ["netns", "list"], CMD_LIMIT) else {
        return;
    };
    let me = std::process::id();
    for name in list.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(owner) =
            name.strip_prefix(PREFIX).and_then(|rest| rest.split('-').next()).and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if owner != me && !Path::new(&format!("/proc/{owner}")).exists() {
            match run_bounded(ip, ["netns", "del", name], CMD_LIMIT) {
                Ok(_) => eprintln!("rdp-doctor-lab: removed stale namespace {name} (pid {owner} is gone)"),
                Err(e) => eprintln!("rdp-doctor-lab: could not remove stale namespace {name}: {e}"),
            }
        }
    }
}
