//! A hostile HTTP server for tests: raw `tokio::net::TcpListener` on 127.0.0.1:0, so each mode
//! controls every byte it sends (or does not send).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the server misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Accept, read the request, never answer.
    Hang,
    /// Headers promise a large body; one byte every 100 ms follows.
    SlowDrip,
    /// A chunked body that never ends.
    EndlessChunked,
    /// Exactly 4 MiB of JSON on every answer (the client's cap).
    Body4MiB,
    /// `Content-Encoding: gzip`: 250 KiB that inflate to 256 MiB.
    GzipBomb,
    /// Half the promised body, then a TCP reset.
    ResetMidBody,
    /// Bytes that are not HTTP (nor TLS) at all, sent as soon as a connection is accepted.
    Garbage,
    /// One header of 1 MiB.
    HugeHeaders,
    /// A JSON content type with bytes that are not UTF-8.
    InvalidUtf8,
    /// A JSON body nested 100,000 levels deep.
    DeepJson,
    /// Terminal escape sequences and NUL in the body; bytes beyond ASCII (a C1 CSI) in a header.
    Escapes,
    /// A fine answer (401) without `Connection: close`; the next request on that connection
    /// finds it closed before any response byte.
    KeepAliveClose,
}

impl Mode {
    pub const ALL: [Mode; 12] = [
        Mode::Hang,
        Mode::SlowDrip,
        Mode::EndlessChunked,
        Mode::Body4MiB,
        Mode::GzipBomb,
        Mode::ResetMidBody,
        Mode::Garbage,
        Mode::HugeHeaders,
        Mode::InvalidUtf8,
        Mode::DeepJson,
        Mode::Escapes,
        Mode::KeepAliveClose,
    ];
}

/// Escape sequences and a NUL a server might send to reach a terminal or a report.
pub const ESCAPES: &[u8] = b"{\"error\":\"\x1b[31mred\x1b[0m\x1b]0;pwned\x07\x1b[2J\x00nul\"}";

/// Starts the server on a runtime of its own; returns the port. Runs until the process ends.
pub fn spawn(mode: Mode) -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(listener.local_addr().unwrap().port()).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve(stream, mode));
            }
        });
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("server port")
}

/// Reads one request (head and a `Content-Length` body); false when the peer went away.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return false;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut have = buf.len() - head_end;
    while have < length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => have += n,
        }
    }
    true
}

fn head(status: &str, extra: &str, length: Option<usize>) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra}");
    if let Some(n) = length {
        h.push_str(&format!("content-length: {n}\r\n"));
    }
    h.push_str("\r\n");
    h.into_bytes()
}

async fn serve(mut stream: TcpStream, mode: Mode) {
    if mode == Mode::Garbage {
        // At once, before any request: what a non-HTTP (or non-TLS) service does.
        let _ = answer(&mut stream, mode).await;
        return;
    }
    if mode == Mode::KeepAliveClose {
        // The first request is answered; the next one on the same connection finds it closed
        // before any response byte (a server's idle timeout racing the client's reuse).
        if read_request(&mut stream).await && answer(&mut stream, mode).await.is_ok() {
            let _ = read_request(&mut stream).await;
        }
        return;
    }
    // Keep-alive: answer request after request on one connection, as servers do.
    while read_request(&mut stream).await {
        let keep_going = answer(&mut stream, mode).await.unwrap_or(false);
        if !keep_going {
            return;
        }
    }
}

/// Answers one request; Ok(true) to read another on the same connection.
async fn answer(stream: &mut TcpStream, mode: Mode) -> std::io::Result<bool> {
    match mode {
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(false)
        }
        Mode::SlowDrip => {
            stream
                .write_all(&head("200 OK", "", Some(1_000_000)))
                .await?;
            loop {
                stream.write_all(b" ").await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Mode::EndlessChunked => {
            stream
                .write_all(&head("200 OK", "transfer-encoding: chunked\r\n", None))
                .await?;
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "a".repeat(64 * 1024));
            loop {
                stream.write_all(chunk.as_bytes()).await?;
            }
        }
        Mode::Body4MiB => {
            let n = 4 * 1024 * 1024;
            let mut body = vec![b' '; n];
            body[0] = b'"';
            body[n - 1] = b'"';
            stream.write_all(&head("200 OK", "", Some(n))).await?;
            stream.write_all(&body).await?;
            Ok(true)
        }
        Mode::GzipBomb => {
            let body = std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/hostile/bomb-256mib.gz"),
            )?;
            stream
                .write_all(&head(
                    "200 OK",
                    "content-encoding: gzip\r\n",
                    Some(body.len()),
                ))
                .await?;
            stream.write_all(&body).await?;
            Ok(true)
        }
        Mode::ResetMidBody => {
            stream.write_all(&head("200 OK", "", Some(100_000))).await?;
            stream.write_all(&[b' '; 50_000]).await?;
            stream.flush().await?;
            tokio::time::sleep(Duration::from_millis(20)).await;
            stream.set_zero_linger()?;
            Ok(false)
        }
        Mode::Garbage => {
            stream
                .write_all(b"\x00\xff\xfeSSH-2.0-not-http \x1b[31m\r\n\r\ngarbage garbage\r\n")
                .await?;
            Ok(false)
        }
        Mode::HugeHeaders => {
            let value = "x".repeat(1 << 20);
            stream
                .write_all(&head("200 OK", &format!("x-huge: {value}\r\n"), Some(2)))
                .await?;
            stream.write_all(b"{}").await?;
            Ok(true)
        }
        Mode::InvalidUtf8 => {
            let body = b"{\"error\":\"\xff\xfe\xc0\xaf\"}";
            stream
                .write_all(&head("400 Bad Request", "", Some(body.len())))
                .await?;
            stream.write_all(body).await?;
            Ok(true)
        }
        Mode::DeepJson => {
            let n = 100_000;
            let body = format!("{}{}", "[".repeat(n), "]".repeat(n));
            stream
                .write_all(&head("200 OK", "", Some(body.len())))
                .await?;
            stream.write_all(body.as_bytes()).await?;
            Ok(true)
        }
        Mode::Escapes => {
            // A control character in a header value is invalid HTTP that the client's parser
            // refuses (a transport error: nothing reaches a report); bytes beyond ASCII
            // (obs-text, here a UTF-8 C1 CSI) are allowed and do reach reports, as the body does.
            let mut h = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nx-evil: a\xc2\x9b2J\xff\r\n".to_vec();
            h.extend_from_slice(format!("content-length: {}\r\n\r\n", ESCAPES.len()).as_bytes());
            h.extend_from_slice(ESCAPES);
            stream.write_all(&h).await?;
            Ok(true)
        }
        Mode::KeepAliveClose => {
            let body = b"{\"error\":\"unauthorized\"}";
            stream
                .write_all(&head("401 Unauthorized", "", Some(body.len())))
                .await?;
            stream.write_all(body).await?;
            Ok(false)
        }
    }
}
