//! The Pets API of `api.yaml` (a small pet store, not Auth0): plain HTTP/1.1 on std threads,
//! so the README's walkthrough has a server the reader can start and `tests/init.rs` runs the
//! very same code. Every answer is one the document allows.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
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
}

/// A running server; it serves until the process ends.
pub struct Running {
    pub addr: SocketAddr,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
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
    let config = Arc::new(config);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (pets, config) = (Arc::clone(&pets), Arc::clone(&config));
            std::thread::spawn(move || {
                let _ = serve(stream, &pets, &config);
            });
        }
    });
    Ok(Running { addr })
}

/// The most a request head or body may hold.
const MAX_BYTES: usize = 1 << 20;

/// Reads one request, answers it and closes the connection.
fn serve(stream: TcpStream, pets: &Mutex<Vec<Pet>>, config: &Config) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut head_bytes = request_line.len();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        head_bytes += n;
        if n == 0 || line == "\r\n" || line == "\n" || head_bytes > MAX_BYTES {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
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
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;

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
    let mut stream = stream;
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
