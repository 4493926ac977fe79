//! Prints what a full run costs: requests per second and harness CPU time per request, for the
//! reference suite (checked traffic and 429-burst traffic apart) against `conform serve` started
//! as a separate process, next to that server's
//! own capacity measured by a plain load loop. `cargo bench --bench throughput`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time (user + system) of this process's waited-for children so far.
fn children_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    // Fields 16 and 17 of stat(5), counted after the command name: cutime, cstime in clock
    // ticks (100 per second on Linux).
    let ticks: u64 = fields.get(13).and_then(|f| f.parse().ok()).unwrap_or(0)
        + fields.get(14).and_then(|f| f.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// What one run sent, from its JSON report: requests of checked cases and of 429 bursts.
struct Run {
    checked: usize,
    burst: usize,
    wall: Duration,
    cpu: Duration,
    code: i32,
}

/// One conform run as a child process; its CPU time is measured when it is reaped.
fn harness_run(server: &Serve, suite: &str, extra: &[&str]) -> Run {
    let report_dir = std::env::temp_dir().join(format!("conform-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&report_dir);
    let (cpu0, wall0) = (children_cpu_time(), Instant::now());
    let status = Command::new(BIN)
        .args(["run", "--suite", suite, "--base-url", &server.base_url])
        .args(["--seed", "1", "-q", "--report-dir"])
        .arg(&report_dir)
        .args(extra)
        .stdout(Stdio::null())
        .status()
        .expect("run conform");
    let (cpu, wall) = (children_cpu_time() - cpu0, wall0.elapsed());
    let json: serde_json::Value = std::fs::read_to_string(report_dir.join("conform.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let (mut checked, mut burst) = (0, 0);
    for case in json["cases"].as_array().into_iter().flatten() {
        let n = case["requests"].as_u64().unwrap_or(0) as usize;
        if case["recipe"] == "rate-limited" {
            burst += n;
        } else {
            checked += n;
        }
    }
    Run {
        checked,
        burst,
        wall,
        cpu,
        code: status.code().unwrap_or(-1),
    }
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
    let paced = harness_run(&paced_server, "suites/reference.toml", &[]);
    report("reference suite, paced (40/s per operation)", &paced);

    let fast_server = Serve::start(&["--allow-simulation", "--rate-limits", "off"]);
    let unpaced = unpaced.to_string_lossy().to_string();
    // Without rate limits no 429 can be provoked: leave those cases out.
    let fast = harness_run(&fast_server, &unpaced, &["--skip", "/429"]);
    report("reference suite, unpaced, 429 cases skipped", &fast);

    for workers in [1, 16] {
        let rps = capacity(&fast_server, workers, 3);
        println!(
            "  server capacity, GET /.well-known/jwks.json, {workers:>2} client(s): {rps:>8.0} requests/s"
        );
    }
}

fn report(what: &str, run: &Run) {
    let requests = run.checked + run.burst;
    println!(
        "  {what}: {} checked requests + {} burst requests in {:.2} s = {:.0} checked requests/s; harness CPU {:.2} s = {:.0} µs per request (exit {})",
        run.checked,
        run.burst,
        run.wall.as_secs_f64(),
        run.checked as f64 / run.wall.as_secs_f64(),
        run.cpu.as_secs_f64(),
        run.cpu.as_secs_f64() * 1e6 / requests.max(1) as f64,
        run.code
    );
    // A benchmark of a run that fails measures nothing worth quoting.
    assert_eq!(run.code, 0, "{what}: the run failed (exit {})", run.code);
}
