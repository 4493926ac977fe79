//! Sends [`Request`]s with reqwest: no redirects ever followed, a timeout and a body size cap.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use thiserror::Error;

use super::exchange::{Exchange, Request, Response};

/// Why a request got no response we can judge: a harness error, not a contract failure.
#[derive(Debug, Error)]
pub enum ExecuteError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("could not connect to {url}: {message}")]
    Connect { url: String, message: String },
    /// Nothing listens at the target (TCP RST on connect): the server is down or the port wrong.
    #[error("connection refused by {url}: is the server running there?")]
    Refused { url: String },
    /// The TLS handshake failed: one human line with what to do.
    #[error(
        "TLS handshake with {url} failed: {message} (for a private CA, pass its certificate with --ca-cert FILE or set SSL_CERT_FILE)"
    )]
    Tls { url: String, message: String },
    #[error("response body larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("request could not be built: {0}")]
    Build(String),
    #[error("transport error: {0}")]
    Transport(String),
    #[error("the run's request budget (--max-requests {0}) is spent")]
    Budget(usize),
    #[error("the suite's request budget of {0} ({1} requests) is spent")]
    OperationBudget(String, u32),
}

impl ExecuteError {
    /// The request ran out of time (connect, headers or body).
    pub fn is_timeout(&self) -> bool {
        matches!(self, ExecuteError::Timeout(_))
    }

    /// Nothing accepted the connection: the target is down, not slow.
    pub fn is_refused(&self) -> bool {
        matches!(self, ExecuteError::Refused { .. })
    }
}

/// Settings of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub timeout: Duration,
    pub max_body_bytes: usize,
    /// Source address of connections (the rate-limit burst uses its own loopback address).
    pub local_address: Option<IpAddr>,
    /// TLS beyond the built-in roots: extra roots, a client certificate, or no checking.
    pub tls: TlsOptions,
}

/// `--ca-cert`, `--client-cert`/`--client-key` and `--insecure`, as PEM bytes read and
/// checked by the command line.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Accept any server certificate (`--insecure`).
    pub accept_invalid_certs: bool,
    /// PEM certificates added to the roots.
    pub ca_pem: Option<Vec<u8>>,
    /// PEM of the client certificate chain followed by its private key (mTLS).
    pub identity_pem: Option<Vec<u8>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(10),
            max_body_bytes: 4 * 1024 * 1024,
            local_address: None,
            tls: TlsOptions::default(),
        }
    }
}

/// Installs the rustls crypto provider reqwest needs (idempotent). Call before building a client.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client bound to one target base URL.
#[derive(Debug, Clone)]
pub struct Client {
    inner: reqwest::Client,
    /// Keeps no idle connection: the one retry goes out on a connection surely fresh.
    fresh: reqwest::Client,
    base_url: String,
    options: ClientOptions,
}

impl Client {
    pub fn new(base_url: &str, options: ClientOptions) -> Result<Client, ExecuteError> {
        install_crypto_provider();
        let build = |idle: usize| {
            let mut builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(options.timeout)
                .connect_timeout(options.timeout.min(Duration::from_secs(5)))
                .pool_max_idle_per_host(idle)
                .user_agent(concat!("conform/", env!("CARGO_PKG_VERSION")));
            if let Some(addr) = options.local_address {
                builder = builder.local_address(addr);
            }
            let tls = &options.tls;
            if let Some(pem) = &tls.ca_pem {
                let certs = reqwest::Certificate::from_pem_bundle(pem)
                    .map_err(|e| ExecuteError::Build(format!("CA certificate: {e}")))?;
                builder = builder.tls_certs_merge(certs);
            }
            if let Some(pem) = &tls.identity_pem {
                let identity = reqwest::Identity::from_pem(pem)
                    .map_err(|e| ExecuteError::Build(format!("client certificate: {e}")))?;
                builder = builder.identity(identity);
            }
            if tls.accept_invalid_certs {
                builder = builder.tls_danger_accept_invalid_certs(true);
            }
            builder
                .build()
                .map_err(|e| ExecuteError::Build(e.to_string()))
        };
        let inner = build(64)?;
        let fresh = build(0)?;
        Ok(Client {
            inner,
            fresh,
            base_url: base_url.trim_end_matches('/').to_string(),
            options,
        })
    }

    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends one request and reads the whole response (up to the size cap). An idempotent
    /// request whose (reused keep-alive) connection was closed before any response byte is
    /// sent once more on a fresh connection; nothing else is retried.
    pub async fn send(&self, request: &Request) -> Result<Exchange, ExecuteError> {
        let url = format!("{}{}", self.base_url, request.path);
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| ExecuteError::Build(format!("method {:?}: {e}", request.method)))?;
        let idempotent = matches!(
            method,
            reqwest::Method::GET
                | reqwest::Method::HEAD
                | reqwest::Method::OPTIONS
                | reqwest::Method::PUT
                | reqwest::Method::DELETE
        );
        let mut builder = self.inner.request(method, &url);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder
                .header("content-type", body.content_type.as_str())
                .body(body.bytes.clone());
        }
        let built = builder.build().map_err(|e| self.classify(e, &url))?;
        let started = Instant::now();
        let retry = if idempotent { built.try_clone() } else { None };
        let mut response = match self.inner.execute(built).await {
            Ok(response) => response,
            Err(e) if closed_before_response(&e) && retry.is_some() => {
                let mut retry = retry.expect("checked above");
                // Whatever time is left of the timeout, not a fresh one.
                *retry.timeout_mut() = Some(self.options.timeout.saturating_sub(started.elapsed()));
                self.fresh
                    .execute(retry)
                    .await
                    .map_err(|e| self.classify(e, &url))?
            }
            Err(e) => return Err(self.classify(e, &url)),
        };
        let status = response.status().as_u16();
        // Every value of every header, duplicates included (checks judge repeated ones).
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        // The client-wide timeout covers the body too: a slow drip or an endless chunked body
        // ends at the timeout or at the size cap, whichever comes first.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e, &url))? {
            if body.len() + chunk.len() > self.options.max_body_bytes {
                return Err(ExecuteError::TooLarge {
                    limit: self.options.max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Exchange {
            request: request.clone(),
            response: Response {
                status,
                headers,
                body,
                elapsed: started.elapsed(),
            },
        })
    }

    fn classify(&self, error: reqwest::Error, url: &str) -> ExecuteError {
        if error.is_timeout() {
            ExecuteError::Timeout(self.options.timeout)
        } else if let Some(message) = tls_failure(&error) {
            ExecuteError::Tls {
                url: url.to_string(),
                message,
            }
        } else if error.is_connect() {
            if io_kind(&error) == Some(std::io::ErrorKind::ConnectionRefused) {
                return ExecuteError::Refused {
                    url: url.to_string(),
                };
            }
            ExecuteError::Connect {
                url: url.to_string(),
                message: root_cause(&error),
            }
        } else if error.is_builder() {
            ExecuteError::Build(root_cause(&error))
        } else {
            ExecuteError::Transport(root_cause(&error))
        }
    }
}

/// The innermost message of an error chain: reqwest's own text is often just "error sending request".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// The first `std::io::Error` kind in an error's chain.
fn io_kind(error: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        current = e.source();
    }
    None
}

/// The connection went away before the response started: a keep-alive connection the server
/// closed while idle (hyper: "connection closed before message completed"), or reset.
fn closed_before_response(error: &reqwest::Error) -> bool {
    if error.is_timeout() || error.is_builder() || error.is_status() {
        return false;
    }
    let kind = io_kind(error);
    if matches!(
        kind,
        Some(
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof
        )
    ) {
        return true;
    }
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if e.to_string()
            .contains("connection closed before message completed")
        {
            return true;
        }
        current = e.source();
    }
    false
}

/// A rustls failure in the chain, as one human line (not Rust's Debug form of the enum).
fn tls_failure(error: &reqwest::Error) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls_text(tls));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return Some(tls_text(tls));
        }
        current = e.source();
    }
    // The rustls error may sit behind a boxed error that does not downcast: its Display text.
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if text.starts_with("received corrupt message") {
            return Some(
                "the server did not speak TLS (is the URL http:// rather than https://?)".into(),
            );
        }
        for prefix in [
            "invalid peer certificate",
            "received fatal alert",
            "peer is incompatible",
            "peer misbehaved",
            "peer sent no certificates",
        ] {
            if text.starts_with(prefix) {
                return Some(text.lines().next().unwrap_or_default().to_string());
            }
        }
        current = e.source();
    }
    None
}

fn tls_text(error: &rustls::Error) -> String {
    use rustls::{CertificateError, Error};
    match error {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the server's certificate is signed by an unknown authority".into()
        }
        Error::InvalidCertificate(CertificateError::Expired) => {
            "the server's certificate has expired".into()
        }
        Error::InvalidCertificate(CertificateError::NotValidForName) => {
            "the server's certificate is not valid for this host name".into()
        }
        Error::InvalidCertificate(other) => {
            format!(
                "the server's certificate is invalid ({})",
                debug_words(other)
            )
        }
        Error::AlertReceived(alert) => {
            format!("the server refused the handshake ({})", debug_words(alert))
        }
        Error::InvalidMessage(_) | Error::InappropriateMessage { .. } => {
            "the server did not speak TLS (is the URL http:// rather than https://?)".into()
        }
        other => {
            let text = other.to_string();
            text.lines().next().unwrap_or_default().to_string()
        }
    }
}

/// `UnknownIssuer` -> "unknown issuer": an enum's name as words, never its Debug structure.
fn debug_words(value: &dyn std::fmt::Debug) -> String {
    let debug = format!("{value:?}");
    let name: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
