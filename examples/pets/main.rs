//! `cargo run --example pets [-- --port N]`: the Pets API of `examples/pets/api.yaml` on
//! 127.0.0.1, for the README's "Test your own API" walkthrough.

mod server;

fn main() {
    let mut port = 8080u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(|p| p.parse::<u16>())) {
            ("--port", Some(Ok(p))) => port = p,
            _ => {
                eprintln!("usage: cargo run --example pets [-- --port N]");
                std::process::exit(2);
            }
        }
    }
    // The same variables `conform init` names for this document, so one `export` serves both.
    let config = server::Config {
        token: std::env::var("PETS_API_TOKEN").unwrap_or_else(|_| "demo-token".into()),
        api_key: std::env::var("PETS_API_KEY").unwrap_or_else(|_| "demo-key".into()),
    };
    match server::start(&format!("127.0.0.1:{port}"), config) {
        Ok(running) => {
            println!("Pets API on {} (Ctrl-C stops it)", running.base_url());
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("pets: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    }
}
