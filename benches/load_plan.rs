//! Prints how long loading and planning the large public documents take (release build:
//! `cargo bench --bench load_plan`). The target is under 1 s each for GitHub and Stripe.

use std::path::Path;
use std::time::{Duration, Instant};

const DOCUMENTS: &[&str] = &["github-api.github.com.json", "stripe-spec3.yaml"];
const ROUNDS: usize = 5;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/specs/public");
    if !dir.exists() {
        eprintln!(
            "load_plan: {} is missing; nothing to measure",
            dir.display()
        );
        return;
    }
    let mut documents: Vec<String> = DOCUMENTS.iter().map(|s| s.to_string()).collect();
    // The next largest documents too, for a wider picture.
    let mut sized: Vec<(u64, String)> = std::fs::read_dir(&dir)
        .expect("read specs")
        .filter_map(|e| e.ok())
        .map(|e| {
            (
                e.metadata().map(|m| m.len()).unwrap_or(0),
                e.file_name().to_string_lossy().into_owned(),
            )
        })
        .collect();
    sized.sort_by(|a, b| b.cmp(a));
    for (_, name) in sized.into_iter().take(6) {
        if !documents.contains(&name) {
            documents.push(name);
        }
    }
    println!(
        "{:<48} {:>9} {:>6} {:>6} {:>10} {:>10} {:>10}",
        "document", "bytes", "ops", "cases", "load ms", "plan ms", "total ms"
    );
    for name in documents {
        let path = dir.join(&name);
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let mut load = Vec::new();
        let mut plan = Vec::new();
        let mut counts = (0, 0);
        let mut failed = None;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let doc = match conform::spec::load(&path).map(std::sync::Arc::new) {
                Ok(doc) => doc,
                Err(e) => {
                    failed = Some(e.to_string());
                    break;
                }
            };
            load.push(started.elapsed());
            let started = Instant::now();
            let (p, _) = conform::recipe::plan_document(&doc, None, Default::default());
            plan.push(started.elapsed());
            counts = (doc.operations.len(), p.cases.len());
        }
        if let Some(error) = failed {
            println!("{name:<48} {bytes:>9} refused: {error}");
            continue;
        }
        let (l, p) = (median(&mut load), median(&mut plan));
        println!(
            "{name:<48} {bytes:>9} {:>6} {:>6} {:>10.1} {:>10.1} {:>10.1}",
            counts.0,
            counts.1,
            ms(l),
            ms(p),
            ms(l + p)
        );
    }
    println!("(median of {ROUNDS} rounds; target: under 1000 ms total for GitHub and Stripe)");
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
