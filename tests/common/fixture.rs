//! A raw HTTP server on 127.0.0.1 for tests that need answers no real server gives: every
//! request gets the bytes a handler returns for its request line, then the connection closes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

pub struct Fixture {
    pub base_url: String,
    /// Requests answered so far.
    pub requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    address: std::net::SocketAddr,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.address);
    }
}

/// A whole HTTP/1.1 answer with `status`, extra header lines and a body.
pub fn answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Serves `handler(request line)` to every request, each connection on its own thread.
pub fn serve(handler: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Fixture {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind fixture");
    let address = listener.local_addr().expect("address");
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicUsize::new(0));
    let (stop2, requests2, handler) = (Arc::clone(&stop), Arc::clone(&requests), Arc::new(handler));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stop2.load(Ordering::Relaxed) {
                break;
            }
            let Ok(stream) = stream else { continue };
            let (handler, requests) = (Arc::clone(&handler), Arc::clone(&requests2));
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(match stream.try_clone() {
                    Ok(s) => s,
                    Err(_) => return,
                });
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    return;
                }
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                requests.fetch_add(1, Ordering::Relaxed);
                let mut stream = stream;
                let _ = stream.write_all(&handler(first.trim_end()));
                let _ = stream.flush();
            });
        }
    });
    Fixture {
        base_url: format!("http://{address}"),
        requests,
        stop,
        address,
    }
}
