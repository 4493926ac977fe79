//! Shared by the end-to-end tests: a reference server on 127.0.0.1 in the test process, and the
//! conform binary run against it.
#![allow(dead_code)] // each test binary uses its own part of this module

pub mod fixture;
pub mod proxy;

use std::path::PathBuf;
use std::process::Command;

use conform::reference_server::{self, Fault, RunningServer, ServerConfig};

/// A reference server running on its own runtime; dropped, it stops.
pub struct Server {
    pub base_url: String,
    server: Option<RunningServer>,
    runtime: tokio::runtime::Runtime,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// Starts a reference server with `faults` switched on.
pub fn server(faults: &[Fault]) -> Server {
    server_with(ServerConfig {
        faults: faults.to_vec(),
        ..ServerConfig::default()
    })
}

pub fn server_with(config: ServerConfig) -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = runtime
        .block_on(reference_server::start(config))
        .expect("start reference server");
    Server {
        base_url: server.base_url(),
        server: Some(server),
        runtime,
    }
}

/// The result of one `conform` invocation.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub report_dir: PathBuf,
}

impl Run {
    pub fn junit(&self) -> String {
        std::fs::read_to_string(self.report_dir.join("junit.xml")).expect("junit.xml")
    }

    pub fn json(&self) -> serde_json::Value {
        let text =
            std::fs::read_to_string(self.report_dir.join("conform.json")).expect("conform.json");
        serde_json::from_str(&text).expect("conform.json parses")
    }

    /// Everything the run printed and wrote, for secret searches.
    pub fn all_output(&self) -> String {
        let mut all = format!("{}\n{}", self.stdout, self.stderr);
        if let Ok(entries) = std::fs::read_dir(&self.report_dir) {
            for entry in entries.flatten() {
                all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
        all
    }
}

/// A fresh, empty report directory under the target dir.
pub fn report_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Full runs of one test binary take turns: on a 2-core machine, concurrent full runs slow the
/// reference server enough to blur timing-based cases (rate-limit bursts).
pub static FULL_RUN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs the conform binary from the repository root with `args`.
pub fn conform(name: &str, args: &[&str]) -> Run {
    conform_env(name, args, &[("NO_COLOR", "1")])
}

/// GET `url` (plain HTTP on loopback) and parse the JSON body: for the reference server's
/// `/__reference/` endpoints.
pub fn get_json(url: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{url}: {e}: {body}"))
}

/// The reference server's request log: (method, path, status, milliseconds).
pub fn request_log(base_url: &str) -> Vec<(String, String, u16, f64)> {
    get_json(&format!("{base_url}/__reference/requests"))
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap_or_default().to_string(),
                e["path"].as_str().unwrap_or_default().to_string(),
                e["status"].as_u64().unwrap_or_default() as u16,
                e["at_ms"].as_f64().unwrap_or_default(),
            )
        })
        .collect()
}

/// `command` without the caller's `CONFORM_*` variables, which would stand in for flags the
/// test does not pass.
pub fn without_conform_env(command: &mut Command) -> &mut Command {
    command
        .env_remove("CONFORM_SPEC")
        .env_remove("CONFORM_BASE_URL")
        .env_remove("CONFORM_SEED")
}

/// Runs the conform binary with extra environment variables.
pub fn conform_env(name: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let report_dir = report_dir(name);
    let mut command = Command::new(env!("CARGO_BIN_EXE_conform"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .arg("--report-dir")
        .arg(&report_dir);
    without_conform_env(&mut command);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("run conform");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        report_dir,
    }
}
