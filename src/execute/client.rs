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

/// Settings of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub timeout: Duration,
    pub max_body_bytes: usize,
    /// Source address of connections (the rate-limit burst uses its own loopback address).
    pub local_address: Option<IpAddr>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(10),
            max_body_bytes: 4 * 1024 * 1024,
            local_address: None,
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
    base_url: String,
    options: ClientOptions,
}

impl Client {
    pub fn new(base_url: &str, options: ClientOptions) -> Result<Client, ExecuteError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(64)
            .user_agent(concat!("conform/", env!("CARGO_PKG_VERSION")));
        if let Some(addr) = options.local_address {
            builder = builder.local_address(addr);
        }
        let inner = builder
            .build()
            .map_err(|e| ExecuteError::Build(e.to_string()))?;
        Ok(Client {
            inner,
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

    /// Sends one request and reads the whole response (up to the size cap).
    pub async fn send(&self, request: &Request) -> Result<Exchange, ExecuteError> {
        let url = format!("{}{}", self.base_url, request.path);
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| ExecuteError::Build(format!("method {:?}: {e}", request.method)))?;
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
        let started = Instant::now();
        let mut response = builder.send().await.map_err(|e| self.classify(e, &url))?;
        let status = response.status().as_u16();
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
        } else if error.is_connect() {
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
