//! A delay proxy of our own (the kernel here has no netem): forwards TCP between a client and an upstream
//! server on loopback, holding every chunk for a fixed one-way delay in each direction, in order. The
//! client's TCP handshake with the proxy stays instant; every exchange above TCP pays the round trip.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::LabError;

/// A running proxy; dropping it stops accepting (connections in flight end with their peers).
#[derive(Debug)]
pub struct DelayProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

/// Starts a proxy on 127.0.0.1 to `upstream` with `one_way` delay per direction.
pub fn delay_proxy(upstream: SocketAddr, one_way: Duration) -> Result<DelayProxy, LabError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| LabError::io("binding the delay proxy", e))?;
    let addr = listener.local_addr().map_err(|e| LabError::io("delay proxy address", e))?;
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            if stop2.load(Ordering::SeqCst) {
                break;
            }
            let Ok(client) = conn else { continue };
            let Ok(server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(5)) else { continue };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            if let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) {
                pipe(client, s2, one_way);
                pipe(server, c2, one_way);
            }
        }
    });
    Ok(DelayProxy { addr, stop })
}

/// Copies `from` → `to`, each chunk released `delay` after it was read (a reader thread and a writer
/// thread joined by a channel keep the order and let chunks overlap in flight, like a long wire).
fn pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send((Instant::now() + delay, buf.get(..n).unwrap_or_default().to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
    });
    std::thread::spawn(move || {
        for (due, chunk) in rx {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
