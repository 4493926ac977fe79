//! HTTPS for fixture servers: a self-signed certificate made in the test, and an axum listener
//! that serves over it.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

/// A self-signed certificate for 127.0.0.1 and localhost, made now: the acceptor that serves
/// it, and the path of its PEM certificate (for `--ca-cert`) in a directory named `name` under
/// the target's temporary directory.
pub fn self_signed(name: &str) -> (TlsAcceptor, PathBuf) {
    conform::execute::install_crypto_provider();
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("certificate");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("dir");
    let cert_path = dir.join("server.pem");
    std::fs::write(&cert_path, key.cert.pem()).expect("write certificate");
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![key.cert.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()).into(),
        )
        .expect("server config");
    (TlsAcceptor::from(Arc::new(config)), cert_path)
}

/// A TCP listener whose connections are TLS: `axum::serve(TlsListener { .. }, app)`.
pub struct TlsListener {
    pub tcp: TcpListener,
    pub acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // A failed accept or handshake (a client that does not trust the certificate)
            // drops that connection only.
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
