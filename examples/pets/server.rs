//! The Pets API of `api.yaml` (a small pet store, not Auth0): HTTP/1.1 (or HTTPS with a
//! self-signed certificate) on std threads, so the README's walkthrough has a server the reader
//! can start and `tests/init.rs` runs the very same code. Every answer is one the document allows
//! (unless `bug` is set).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// The credentials the server accepts.
#[derive(Debug, Clone)]
pub struct Config {
    /// `Authorization: Bearer <token>` for /pets.
    pub token: String,
    /// `X-Api-Key: <key>` for /stats.
    pub api_key: String,
    /// Break the document on purpose: one pet's `id` is a number, not a string (for the
    /// README's walkthrough of a failure).
    pub bug: bool,
    /// Serve HTTPS with this configuration (see [`self_signed`]).
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// A running server; it serves until the process ends.
pub struct Running {
    pub addr: SocketAddr,
    pub tls: bool,
}

impl Running {
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

/// A TLS configuration with a certificate for 127.0.0.1 and localhost made now; the
/// certificate (PEM) is written to `cert_path`, for `conform run --ca-cert`.
pub fn self_signed(cert_path: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    conform::execute::install_crypto_provider();
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .map_err(|e| format!("cannot make a certificate: {e}"))?;
    std::fs::write(cert_path, key.cert.pem())
        .map_err(|e| format!("cannot write {}: {e}", cert_path.display()))?;
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![key.cert.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()).into(),
        )
        .map_err(|e| format!("cannot use the certificate: {e}"))?;
    Ok(Arc::new(config))
}

struct Pet {
    id: String,
    name: String,
    tag: Option<String>,
}

impl Pet {
    fn json(&self) -> Value {
        match &self.tag {
            Some(tag) => json!({"id": self.id, "name": self.name, "tag": tag}),
            None => json!({"id": self.id, "name": self.name}),
        }
    }
}

/// Binds `addr` (port 0 picks one) and serves on a thread of its own, one thread per connection.
pub fn start(addr: &str, config: Config) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr)?;
    let addr = listener.local_addr()?;
    let pets = Arc::new(Mutex::new(vec![
        Pet {
            id: "1".into(),
            name: "Rex".into(),
            tag: Some("dog".into()),
        },
        Pet {
            id: "2".into(),
            name: "Tom".into(),
            tag: Some("cat".into()),
        },
    ]));
    let tls = config.tls.is_some();
    let config = Arc::new(config);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (pets, config) = (Arc::clone(&pets), Arc::clone(&config));
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                match &config.tls {
                    Some(tls) => {
                        let Ok(connection) = rustls::ServerConnection::new(Arc::clone(tls)) else {
                            return;
                        };
                        let mut stream = rustls::StreamOwned::new(connection, stream);
                        if serve(&mut stream, &pets, &config).is_ok() {
                            stream.conn.send_close_notify();
                            let _ = stream.flush();
                        }
                    }
                    None => {
                        let mut stream = stream;
                        let _ = serve(&mut stream, &pets, &config);
                    }
                }
            });
        }
    });
    Ok(Running { addr, tls })
}

/// The most a request head or body may hold.
const MAX_BYTES: usize = 1 << 20;

/// Reads one request and answers it (the caller closes the connection).
fn serve<S: Read + Write>(
    stream: &mut S,
    pets: &Mutex<Vec<Pet>>,
    config: &Config,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 || buf.len() > MAX_BYTES {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        .min(MAX_BYTES);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);

    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let bearer_ok = header("authorization") == Some(format!("Bearer {}", config.token).as_str());
    let key_ok = header("x-api-key") == Some(config.api_key.as_str());
    let json_body = header("content-type")
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/json"));

    let error = |status: u16, message: &str| (status, json!({ "error": message }));
    let (status, answer) = match (method.as_str(), path) {
        ("GET", "/health") => (200, json!({"status": "ok"})),
        ("GET", "/stats") if !key_ok => {
            error(401, "an X-Api-Key header with the API key is needed")
        }
        ("GET", "/stats") => (200, json!({"pets": pets.lock().unwrap().len()})),
        _ if path.starts_with("/pets") && !bearer_ok => error(401, "a bearer token is needed"),
        ("GET", "/pets") => match limit(query) {
            Ok(limit) => {
                let pets = pets.lock().unwrap();
                (
                    200,
                    Value::Array(pets.iter().take(limit).map(Pet::json).collect()),
                )
            }
            Err(why) => error(400, &why),
        },
        ("POST", "/pets") if !json_body => error(400, "the body must be application/json"),
        ("POST", "/pets") => match new_pet(&body) {
            Ok((name, tag)) => {
                let mut pets = pets.lock().unwrap();
                let pet = Pet {
                    id: (pets.len() + 1).to_string(),
                    name,
                    tag,
                };
                let answer = pet.json();
                pets.push(pet);
                (201, answer)
            }
            Err(why) => error(400, &why),
        },
        ("GET", p) if p.starts_with("/pets/") && p.len() > "/pets/".len() => {
            let id = &p["/pets/".len()..];
            let pets = pets.lock().unwrap();
            match pets.iter().find(|pet| pet.id == id) {
                Some(pet) if config.bug => {
                    let mut answer = pet.json();
                    answer["id"] = json!(pet.id.parse::<u64>().unwrap_or(0));
                    (200, answer)
                }
                Some(pet) => (200, pet.json()),
                None => error(404, "no such pet"),
            }
        }
        _ => error(404, "no such route"),
    };
    let body = answer.to_string();
    write!(
        stream,
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    )?;
    stream.flush()
}

/// `?limit=N`: an integer from 1 to 100, every pet when absent.
fn limit(query: &str) -> Result<usize, String> {
    let mut limit = usize::MAX;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name == "limit" {
            limit = value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| format!("limit must be an integer from 1 to 100, not {value:?}"))?;
        }
    }
    Ok(limit)
}

/// A NewPet: an object with `name` (1 to 40 characters) and an optional `tag` (at most 20).
fn new_pet(body: &[u8]) -> Result<(String, Option<String>), String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let object = value.as_object().ok_or("the body must be an object")?;
    let name = match object.get("name") {
        Some(Value::String(s)) if (1..=40).contains(&s.chars().count()) => s.clone(),
        Some(_) => return Err("name must be a string of 1 to 40 characters".into()),
        None => return Err("name is required".into()),
    };
    let tag = match object.get("tag") {
        None => None,
        Some(Value::String(s)) if s.chars().count() <= 20 => Some(s.clone()),
        Some(_) => return Err("tag must be a string of at most 20 characters".into()),
    };
    Ok((name, tag))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        _ => "Not Found",
    }
}
