//! Perceptual hashes of pictures and the distances between them, to check by hand
//! whether two files would be taken as the same picture.
//!
//! ```text
//! cargo run -p provenant-core --features chronology --example phash_fp -- a.jpg b.png ...
//! ```

use provenant_core::chronology::fingerprint::{hash_bytes, PerceptualHash, MATCH_DISTANCE};

fn main() -> std::process::ExitCode {
    let mut hashes: Vec<(String, PerceptualHash)> = Vec::new();
    let mut failed = false;
    for path in std::env::args().skip(1) {
        match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| hash_bytes(&b).map_err(|e| e.to_string()))
        {
            Ok(h) => {
                println!("{h}  {path}");
                hashes.push((path, h));
            }
            Err(e) => {
                eprintln!("{path}: {e}");
                failed = true;
            }
        }
    }
    for (i, (a, ha)) in hashes.iter().enumerate() {
        for (b, hb) in &hashes[i + 1..] {
            let d = ha.distance(*hb);
            let verdict = if d <= MATCH_DISTANCE {
                "same picture"
            } else {
                "different"
            };
            println!("{d:2} bits  {verdict:12}  {a}  {b}");
        }
    }
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
