//! A plain pass-through HTTP proxy on 127.0.0.1 for tests: it forwards each request to an
//! upstream, waits a fixed delay before answering, serves one connection at a time and closes
//! every connection after its answer — a slow, serial hop such as a corporate proxy.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Proxy {
    pub base_url: String,
    /// Requests forwarded so far.
    pub forwarded: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    address: std::net::SocketAddr,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.address); // wakes the accept loop
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts a proxy in front of `upstream` (`http://127.0.0.1:PORT`) that answers after `delay`.
pub fn start(upstream: &str, delay: Duration) -> Proxy {
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let address = listener.local_addr().expect("proxy address");
    let stop = Arc::new(AtomicBool::new(false));
    let forwarded = Arc::new(AtomicUsize::new(0));
    let (stop2, forwarded2) = (Arc::clone(&stop), Arc::clone(&forwarded));
    let thread = std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stop2.load(Ordering::Relaxed) {
                break;
            }
            let Ok(stream) = stream else { continue };
            // One connection at a time, to completion.
            if forward(stream, &upstream, delay).is_ok() {
                forwarded2.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    Proxy {
        base_url: format!("http://{address}"),
        forwarded,
        stop,
        thread: Some(thread),
        address,
    }
}

fn forward(client: TcpStream, upstream: &str, delay: Duration) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            content_length = value.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("connection:") {
            continue;
        }
        head.extend_from_slice(line.as_bytes());
    }
    head.extend_from_slice(b"connection: close\r\n\r\n");
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;
    let mut server = TcpStream::connect(upstream)?;
    server.set_read_timeout(Some(Duration::from_secs(30)))?;
    server.write_all(&head)?;
    server.write_all(&body)?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer)?;
    std::thread::sleep(delay);
    let mut client = client;
    client.write_all(&answer)?;
    client.flush()?;
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
}
