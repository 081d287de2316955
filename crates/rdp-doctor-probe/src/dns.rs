//! Name resolution two ways: the OS resolver (getaddrinfo, what mstsc uses: hosts file, DNS, LLMNR…)
//! and a direct DNS query with hickory to the nameservers in the system configuration, hosts file off.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use hickory_resolver::config::ResolveHosts;
use rdp_doctor_core::evidence::{DnsEvidence, ResolverResult};

use crate::elapsed_ms;

/// Resolves `host` with both resolvers concurrently, each bounded by `timeout`.
pub async fn resolve(host: &str, timeout: Duration, direct: bool) -> DnsEvidence {
    // RFC 6761 §6.3: "localhost" never goes to DNS, so a direct query would only produce noise.
    let special = host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost");
    let os = resolve_os(host, timeout);
    if direct && !special {
        let (os, dq) = tokio::join!(os, resolve_direct(host, timeout));
        DnsEvidence { os, direct: Some(dq) }
    } else {
        DnsEvidence { os: os.await, direct: None }
    }
}

fn dedup(addrs: impl IntoIterator<Item = IpAddr>) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for a in addrs {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

async fn resolve_os(host: &str, timeout: Duration) -> ResolverResult {
    let start = Instant::now();
    let resolver = "os (getaddrinfo)".to_owned();
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, 0))).await {
        Ok(Ok(iter)) => {
            let addresses = dedup(iter.map(|sa| sa.ip()));
            let error = addresses.is_empty().then(|| "no addresses returned".to_owned());
            ResolverResult { resolver, addresses, error, duration_ms: elapsed_ms(start) }
        }
        Ok(Err(e)) => {
            ResolverResult { resolver, addresses: vec![], error: Some(e.to_string()), duration_ms: elapsed_ms(start) }
        }
        Err(_) => ResolverResult {
            resolver,
            addresses: vec![],
            error: Some(format!("no answer within {} ms", timeout.as_millis())),
            duration_ms: elapsed_ms(start),
        },
    }
}

async fn resolve_direct(host: &str, timeout: Duration) -> ResolverResult {
    let start = Instant::now();
    let (config, mut options) = match hickory_resolver::system_conf::read_system_conf() {
        Ok(c) => c,
        Err(e) => {
            return ResolverResult {
                resolver: "dns (system nameservers)".to_owned(),
                addresses: vec![],
                error: Some(format!("cannot read the system DNS configuration: {e}")),
                duration_ms: elapsed_ms(start),
            };
        }
    };
    let servers: Vec<String> = config.name_servers().iter().map(|ns| ns.ip.to_string()).collect();
    let resolver_name =
        format!("dns ({})", if servers.is_empty() { "no nameservers".to_owned() } else { servers.join(", ") });
    options.use_hosts_file = ResolveHosts::Never;
    options.timeout = timeout;
    options.attempts = 1;
    let builder = hickory_resolver::TokioResolver::builder_with_config(
        config,
        hickory_resolver::net::runtime::TokioRuntimeProvider::default(),
    )
    .with_options(options);
    let resolver = match builder.build() {
        Ok(r) => r,
        Err(e) => {
            return ResolverResult {
                resolver: resolver_name,
                addresses: vec![],
                error: Some(e.to_string()),
                duration_ms: elapsed_ms(start),
            };
        }
    };
    match tokio::time::timeout(timeout + Duration::from_millis(200), resolver.lookup_ip(host)).await {
        Ok(Ok(lookup)) => {
            let addresses = dedup(lookup.iter());
            let error = addresses.is_empty().then(|| "no A/AAAA records".to_owned());
            ResolverResult { resolver: resolver_name, addresses, error, duration_ms: elapsed_ms(start) }
        }
        Ok(Err(e)) => ResolverResult {
            resolver: resolver_name,
            addresses: vec![],
            error: Some(e.to_string()),
            duration_ms: elapsed_ms(start),
        },
        Err(_) => ResolverResult {
            resolver: resolver_name,
            addresses: vec![],
            error: Some(format!("no answer within {} ms", timeout.as_millis())),
            duration_ms: elapsed_ms(start),
        },
    }
}
