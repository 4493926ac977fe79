//! Starting and stopping the reference server (`start`, `RunningServer`,
//! `serve_until_ctrl_c`): axum on a loopback socket, one catch-all handler feeding the pipeline.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::config::ServerConfig;
use super::crypto::Signer;
use super::http::{Reply, Req};
use super::router;
use super::state::{Shared, State as TenantState};
use super::tenant::Tenant;

/// Request header naming a documented 5xx status (500, 501, 503) to answer instead of the
/// operation's normal behaviour, when [`ServerConfig::allow_simulation`] is on.
pub const SIMULATE_HEADER: &str = "x-conform-simulate-status";

/// Bodies above this are refused with 400 (413 is not a documented status).
const MAX_BODY: usize = 1 << 20;

/// A server running in the background on 127.0.0.1. Dropping it stops it.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop accepting, let in-flight requests finish (at most 2 s), then stop.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for RunningServer {
    /// Stops accepting at once; in-flight requests finish in the background (a `Drop` cannot
    /// wait). Use [`RunningServer::shutdown`] to wait for the server to be gone.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Bind (loopback only), spawn the server on the current runtime, and return at once.
pub async fn start(config: ServerConfig) -> std::io::Result<RunningServer> {
    if !config.bind.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "the reference server binds loopback addresses only, not {}",
                config.bind
            ),
        ));
    }
    let tenant = Tenant::seeded().map_err(|e| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("tenant.toml: {e}"))
    })?;
    let signer = Signer::demo()?;
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    let state = TenantState::seeded(&tenant);
    let shared = Arc::new(Shared {
        tenant,
        signer,
        faults: config.faults.iter().copied().collect::<HashSet<_>>(),
        allow_simulation: config.allow_simulation,
        rate_limits: config.rate_limits.clone(),
        base_url: format!("http://{addr}"),
        state: Mutex::new(state),
        log: super::state::RequestLog::new(),
    });
    let app = Router::new().fallback(entry).with_state(shared);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stop_rx.await;
        })
        .await;
    });
    Ok(RunningServer {
        addr,
        stop: Some(stop_tx),
        task: Some(task),
    })
}

/// Run until Ctrl-C (for `conform serve`).
pub async fn serve_until_ctrl_c(config: ServerConfig) -> std::io::Result<()> {
    let server = start(config).await?;
    let result = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    result
}

async fn entry(
    State(sh): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let reply = match axum::body::to_bytes(body, MAX_BODY).await {
        Err(_) => Reply::bad_request("The request body is too large or could not be read."),
        Ok(bytes) => {
            let raw_query = parts.uri.query().unwrap_or_default().to_string();
            let query = url::form_urlencoded::parse(raw_query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let (method, path) = (parts.method.to_string(), parts.uri.path().to_string());
            let req = Req {
                method: parts.method,
                path: parts.uri.path().to_string(),
                raw_query,
                query,
                headers: parts.headers,
                body: bytes.to_vec(),
                peer: peer.ip(),
            };
            let reply = router::handle(&sh, req).await;
            if !path.starts_with("/__reference/") {
                sh.log
                    .record(&method, &path, reply.status.as_u16(), peer.ip());
            }
            reply
        }
    };
    into_response(reply)
}

fn into_response(reply: Reply) -> Response {
    let mut resp = Response::new(Body::from(reply.body));
    *resp.status_mut() = reply.status;
    for (k, v) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().append(name, value);
        }
    }
    if resp.status() == StatusCode::NO_CONTENT {
        resp.headers_mut().remove("content-type");
    }
    resp
}
