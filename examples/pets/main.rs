//! `cargo run --example pets [-- --port N] [--bug] [--tls CERT.pem]`: the Pets API of
//! `examples/pets/api.yaml` on 127.0.0.1, for the README's "Test your own API" walkthrough
//! (`--bug` breaks the document on purpose, to show a failure; `--tls` serves HTTPS with a
//! self-signed certificate written to CERT.pem, for `conform run --ca-cert`).

mod server;

fn main() {
    let mut port = 8080u16;
    let mut bug = false;
    let mut tls = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bug" => bug = true,
            "--tls" => match args.next() {
                Some(path) => tls = Some(std::path::PathBuf::from(path)),
                None => usage(),
            },
            "--port" => match args.next().map(|p| p.parse::<u16>()) {
                Some(Ok(p)) => port = p,
                _ => usage(),
            },
            _ => usage(),
        }
    }
    // The same variables `conform init` names for this document, so one `export` serves both.
    let config = server::Config {
        token: std::env::var("PETS_API_TOKEN").unwrap_or_else(|_| "demo-token".into()),
        api_key: std::env::var("PETS_API_KEY").unwrap_or_else(|_| "demo-key".into()),
        bug,
        tls: match &tls {
            Some(path) => match server::self_signed(path) {
                Ok(config) => Some(config),
                Err(e) => {
                    eprintln!("pets: {e}");
                    std::process::exit(1);
                }
            },
            None => None,
        },
    };
    match server::start(&format!("127.0.0.1:{port}"), config) {
        Ok(running) => {
            let bug = if bug { ", with its bug" } else { "" };
            println!("Pets API on {}{bug} (Ctrl-C stops it)", running.base_url());
            if let Some(path) = &tls {
                println!(
                    "its certificate: {} (conform run --ca-cert)",
                    path.display()
                );
            }
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

fn usage() -> ! {
    eprintln!("usage: cargo run --example pets -- [--port N] [--bug] [--tls CERT.pem]");
    std::process::exit(2);
}
