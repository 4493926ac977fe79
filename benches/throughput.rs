//! Prints what a full run costs: requests per second and harness CPU time per request, for the
//! reference suite against `conform serve` started as a separate process, next to that server's
//! own capacity measured by a plain load loop. `cargo bench --bench throughput`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;

const BIN: &str = env!("CARGO_BIN_EXE_conform");

/// `conform serve` on a free port, as a separate process.
struct Serve {
    child: Child,
    base_url: String,
}

impl Serve {
    fn start(extra: &[&str]) -> Serve {
        let mut child = Command::new(BIN)
            .args(["serve", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start conform serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("serve prints its address");
        let base_url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .expect("an address")
            .to_string();
        Serve { child, base_url }
    }

    fn requests_served(&self) -> usize {
        let body = http_get(&format!("{}/__reference/requests", self.base_url));
        serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.as_array().map(Vec::len))
            .unwrap_or(0)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// CPU time (user + system) of this process so far.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    // Fields 14 and 15 of stat(5), counted after the command name: utime, stime in clock ticks
    // (100 per second on Linux).
    let ticks: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// One in-process conform run (so its CPU time is this process's); returns requests, wall time, CPU.
fn harness_run(server: &Serve, suite: &str, extra: &[&str]) -> (usize, Duration, Duration, u8) {
    let before = server.requests_served();
    let report_dir = std::env::temp_dir().join(format!("conform-bench-{}", std::process::id()));
    let mut args = vec![
        "conform",
        "run",
        "--suite",
        suite,
        "--base-url",
        &server.base_url,
        "--seed",
        "1",
        "-q",
    ];
    let report = report_dir.to_string_lossy().to_string();
    args.extend(["--report-dir", &report]);
    args.extend(extra);
    let cli = conform::cli::Cli::parse_from(args);
    let (cpu0, wall0) = (cpu_time(), Instant::now());
    let code = conform::app::main_with(cli).unwrap_or(255);
    let (cpu, wall) = (cpu_time() - cpu0, wall0.elapsed());
    (server.requests_served() - before, wall, cpu, code)
}

/// The server's own capacity: `workers` clients on a cheap endpoint for `seconds`.
fn capacity(server: &Serve, workers: usize, seconds: u64) -> f64 {
    conform::execute::install_crypto_provider();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = format!("{}/.well-known/jwks.json", server.base_url);
    let count = runtime.block_on(async {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for _ in 0..workers {
            let (client, url) = (client.clone(), url.clone());
            tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    if let Ok(r) = client.get(&url).send().await {
                        let _ = r.bytes().await;
                        n += 1;
                    }
                }
                n
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap_or(0);
        }
        total
    });
    count as f64 / seconds as f64
}

fn main() {
    std::panic::set_hook(Box::new(|info| eprintln!("throughput bench: {info}")));
    let suite =
        std::fs::read_to_string("suites/reference.toml").expect("run from the repository root");
    // The same suite without its politeness pace, to see the harness at full speed.
    let unpaced = std::env::temp_dir().join("conform-bench-unpaced.toml");
    std::fs::write(&unpaced, suite.replace("rate = 40.0", "")).unwrap();

    println!("conform throughput (release build, loopback, 2 cores shared by harness and server)");
    let paced_server = Serve::start(&["--allow-simulation", "--rate-limits", "uniform"]);
    let (requests, wall, cpu, code) = harness_run(&paced_server, "suites/reference.toml", &[]);
    report(
        "reference suite, paced (40/s per operation)",
        requests,
        wall,
        cpu,
        code,
    );

    let fast_server = Serve::start(&["--allow-simulation", "--rate-limits", "off"]);
    let unpaced = unpaced.to_string_lossy().to_string();
    // Without rate limits no 429 can be provoked: leave those cases out.
    let (requests, wall, cpu, code) = harness_run(&fast_server, &unpaced, &["--skip", "/429"]);
    report(
        "reference suite, unpaced, 429 cases skipped",
        requests,
        wall,
        cpu,
        code,
    );

    for workers in [1, 16] {
        let rps = capacity(&fast_server, workers, 3);
        println!(
            "  server capacity, GET /.well-known/jwks.json, {workers:>2} client(s): {rps:>8.0} requests/s"
        );
    }
}

fn report(what: &str, requests: usize, wall: Duration, cpu: Duration, code: u8) {
    println!(
        "  {what}: {requests} requests in {:.2} s = {:.0} requests/s; harness CPU {:.2} s = {:.0} µs per request (exit {code})",
        wall.as_secs_f64(),
        requests as f64 / wall.as_secs_f64(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / requests.max(1) as f64
    );
}
