//! The chronology against a real chain: a real anvil node (from npm) running the
//! committed registry artifact, driven through the real `provenant` binary.
//! These tests fail — never skip — when anvil is missing.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::network::{Anvil, Fault, FaultProxy, DEV_ADDRESSES, DEV_KEYS};
use common::{code, command, keygen, s, samples, stderr, stdout};
use provenant_core::chronology::{BatchState, Code, Log, NewEntry, LOG_FILE};
use serde_json::{json, Value};

/// A deployed registry with one publisher ("Daily Planet", admin = dev account 0)
/// whose anchoring key is dev account 1.
struct World {
    anvil: Anvil,
    home: tempfile::TempDir,
    files: tempfile::TempDir,
    registry: String,
    admin_key: PathBuf,
    anchor_key: PathBuf,
}

impl World {
    fn new(anvil: Anvil) -> World {
        let home = tempfile::tempdir().unwrap();
        let files = tempfile::tempdir().unwrap();
        let admin_key = files.path().join("admin.key");
        let anchor_key = files.path().join("anchor.key");
        std::fs::write(&admin_key, DEV_KEYS[0]).unwrap();
        std::fs::write(&anchor_key, format!("{}\n", DEV_KEYS[1])).unwrap();
        let mut w = World {
            anvil,
            home,
            files,
            registry: String::new(),
            admin_key,
            anchor_key,
        };
        let url = w.anvil.url.clone();
        let admin = w.admin_key.display().to_string();
        let anchor_key = w.anchor_key.display().to_string();
        let out = w.run(&["registry", "deploy", "--chain", &url, "--key-file", &admin]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        w.registry = stdout(&out).trim().to_owned();
        assert!(
            w.registry.starts_with("0x") && w.registry.len() == 42,
            "{}",
            w.registry
        );
        for args in [
            vec!["register", "--name", "Daily Planet"],
            vec!["authorize", "--anchor-key-file", &anchor_key],
        ] {
            let mut full = vec!["registry", "publisher"];
            full.extend(args);
            full.extend(["--chain", &url, "--key-file", &admin]);
            let out = w.run(&full);
            assert_eq!(code(&out), 0, "{}", stderr(&out));
        }
        w
    }

    fn run(&self, args: &[&str]) -> Output {
        command(self.home.path()).args(args).output().unwrap()
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = command(self.home.path());
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    fn anchor_args(&self, url: &str) -> Vec<String> {
        [
            "anchor",
            "--chain",
            url,
            "--key-file",
            &self.anchor_key.display().to_string(),
            "--poll",
            "0.1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// `provenant anchor` against anvil (through `url`, e.g. a proxy).
    fn anchor_via(&self, url: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
        let mut args = self.anchor_args(url);
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run_env(&args, env)
    }

    fn anchor(&self) -> Output {
        self.anchor_via(&self.anvil.url.clone(), &[], &[])
    }

    /// Runs `anchor` and mines until every batch is anchored (finalized).
    fn anchor_to_finality(&self) {
        for _ in 0..10 {
            let out = self.anchor();
            assert_eq!(code(&out), 0, "{}", stderr(&out));
            let st = self.log().status().unwrap();
            if st.sealed_batches + st.submitted_batches + st.mined_batches == 0 {
                return;
            }
            self.anvil.mine(3);
        }
        panic!(
            "batches never became final: {:?}",
            self.log().status().unwrap()
        );
    }

    fn log(&self) -> Log {
        Log::open(&self.home.path().join(LOG_FILE)).unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.files.path().join(name)
    }

    /// Roots in the registry's `Anchored` events, in chain order.
    fn anchored_roots(&self) -> Vec<String> {
        let topic = format!(
            "0x{}",
            hex::encode(provenant_core::anchor::anchored_event_topic())
        );
        let logs = self.anvil.call(
            "eth_getLogs",
            json!([{ "address": self.registry, "fromBlock": "0x0", "toBlock": "latest", "topics": [topic] }]),
        );
        logs.as_array()
            .unwrap()
            .iter()
            .map(|l| l["topics"][1].as_str().unwrap().to_owned())
            .collect()
    }

    fn verify_json(&self, file: &Path, extra: &[&str]) -> (i32, Value) {
        let url = self.anvil.url.clone();
        let mut args = vec!["verify", common::s(file), "--json", "--chain", &url];
        args.extend(extra);
        let out = self.run(&args);
        let text = stdout(&out);
        let v =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}\n{}", stderr(&out)));
        (code(&out), v)
    }
}

fn sign_and_edit(w: &World) -> (PathBuf, PathBuf, PathBuf) {
    let keys = keygen(w.files.path(), &[]);
    let a = w.path("a.jpg");
    let b = w.path("b.jpg");
    let key = keys.display().to_string();
    let out = w.run(&[
        "sign",
        common::s(&samples().join("harbour-capture.jpg")),
        "-o",
        common::s(&a),
        "--key",
        &key,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("logged"), "{}", stderr(&out));
    let out = w.run(&[
        "edit",
        common::s(&a),
        "-o",
        common::s(&b),
        "--key",
        &key,
        "--crop",
        "10,10,600,400",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    (keys, a, b)
}

fn anchor_of_step(report: &Value, step: usize) -> &Value {
    &report["chain"][step]["anchor"]
}

#[test]
fn sign_edit_anchor_verify_survives_a_reorg() {
    let w = World::new(Anvil::start());
    let (keys, _a, b) = sign_and_edit(&w);
    let root_pem = keys.join("root.pem");

    // Submit: the transaction is mined at once (automine) but not yet final.
    let out = w.anchor();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("sealed 2 entries into 1 batch"),
        "{}",
        stderr(&out)
    );
    let out = w.anchor();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let batch = w.log().batches().unwrap().remove(0);
    assert_eq!(batch.state, BatchState::Mined, "{batch:?}");
    let first_block = batch.block_number.unwrap();

    // Not final yet: `proof` writes the sidecar but says so (exit 1).
    let out = w.run(&["proof", common::s(&b)]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("not final yet"), "{}", stderr(&out));
    let (_, report) = w.verify_json(&b, &["--trust", common::s(&root_pem)]);
    for step in 0..2 {
        let a = anchor_of_step(&report, step);
        assert_eq!(a["status"], "pending", "step {step}: {a}");
        assert_eq!(a["block_number"], first_block);
    }

    // A reorg drops the anchoring block: the transaction is gone from the chain.
    w.anvil.reorg(1);
    let gone = w
        .anvil
        .tx_receipt(&format!("0x{}", hex::encode(batch.tx_hash.unwrap())));
    assert!(gone.is_none(), "the reorg should drop the transaction");
    let (_, report) = w.verify_json(&b, &[]);
    assert_eq!(
        anchor_of_step(&report, 0)["status"],
        "not_found",
        "{report}"
    );

    // `anchor` notices, re-submits, and the batch becomes final.
    let out = w.anchor();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 dropped by reorg and re-sent"),
        "{}",
        stderr(&out)
    );
    w.anchor_to_finality();
    let batch = w.log().batches().unwrap().remove(0);
    assert_eq!(batch.state, BatchState::Anchored);
    assert_eq!(
        w.anchored_roots(),
        [format!("0x{}", hex::encode(batch.root))]
    );

    let out = w.run(&["proof", common::s(&b), "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (status, report) =
        w.verify_json(&b, &["--trust", common::s(&root_pem), "--require-anchor"]);
    assert_eq!(status, 0, "{report}");
    assert_eq!(report["verdict"], "trusted");
    let block_time = w.anvil.block_at(batch.block_number.unwrap())["timestamp"].clone();
    let block_time = common::network::parse_hex_u64(&block_time).unwrap();
    for step in 0..2 {
        let a = anchor_of_step(&report, step);
        assert_eq!(a["status"], "anchored", "step {step}: {a}");
        assert_eq!(a["block_number"], batch.block_number.unwrap());
        assert_eq!(a["publisher_name"], "Daily Planet");
        assert_eq!(a["key"].as_str().unwrap(), DEV_ADDRESSES[1].to_lowercase());
        let t = chrono_secs(a["time"].as_str().unwrap());
        assert_eq!(t, block_time, "step {step} time");
    }

    // The tree shows it too.
    let url = w.anvil.url.clone();
    let out = w.run(&[
        "verify",
        common::s(&b),
        "--chain",
        &url,
        "--trust",
        common::s(&root_pem),
    ]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(
        stdout(&out).matches("anchored 20").count(),
        2,
        "{}",
        stdout(&out)
    );
}

fn chrono_secs(rfc3339: &str) -> u64 {
    // 2026-11-22T06:25:01Z → seconds, without a date crate in the tests.
    let out = std::process::Command::new("date")
        .args(["-u", "-d", rfc3339, "+%s"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn proofs_of_earlier_steps_travel_inside_later_manifests() {
    let w = World::new(Anvil::start());
    let (keys, a, _b) = sign_and_edit(&w);
    w.anchor_to_finality();
    // Edit the anchored original again: its proof goes into the new manifest.
    let c = w.path("c.jpg");
    let out = w.run(&[
        "edit",
        common::s(&a),
        "-o",
        common::s(&c),
        "--key",
        common::s(&keys),
        "--grayscale",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("carried 1 anchor proof"),
        "{}",
        stderr(&out)
    );
    // No sidecar for c.jpg: step 1 is anchored from the manifest, step 0 is not anchored.
    assert!(!w.path("c.jpg.provenant-proof").exists());
    let (status, report) = w.verify_json(&c, &["--policy", "valid"]);
    assert_eq!(status, 0, "{report}");
    assert_eq!(anchor_of_step(&report, 0), &Value::Null);
    let a1 = anchor_of_step(&report, 1);
    assert_eq!(a1["status"], "anchored", "{a1}");
    assert_eq!(a1["source"], "manifest");
    // --require-anchor wants the newest step anchored.
    let (status, _) = w.verify_json(&c, &["--policy", "valid", "--require-anchor"]);
    assert_eq!(status, 1);

    // Without a chain the proof is shown as unchecked, never as anchored.
    let out = w.run(&["verify", common::s(&c), "--json", "--policy", "valid"]);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(anchor_of_step(&report, 1)["status"], "unchecked");
}

#[test]
fn forged_and_foreign_proofs_are_not_anchors() {
    let w = World::new(Anvil::start());
    let (_keys, a, b) = sign_and_edit(&w);
    w.anchor_to_finality();
    let out = w.run(&["proof", common::s(&b)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let sidecar = w.path("b.jpg.provenant-proof");
    let set: Value = serde_json::from_slice(&std::fs::read(&sidecar).unwrap()).unwrap();

    // b's proofs next to a: only a's own entry matches a's manifest.
    let other = w.path("a.jpg.provenant-proof");
    std::fs::write(&other, serde_json::to_vec(&set).unwrap()).unwrap();
    let (_, report) = w.verify_json(&a, &["--policy", "valid"]);
    assert_eq!(anchor_of_step(&report, 0)["status"], "anchored");

    // A proof with a flipped path element: rejected locally (rootMismatch), exit 1.
    let mut bytes = base64_decode(set["proofs"][0].as_str().unwrap());
    let last_sibling = bytes.len() - 8 - 32 - 1;
    bytes[last_sibling] ^= 1;
    let forged = json!({ "version": 1, "proofs": [base64_encode(&bytes)] });
    std::fs::write(&sidecar, serde_json::to_vec(&forged).unwrap()).unwrap();
    let (status, report) = w.verify_json(&b, &["--policy", "valid"]);
    assert_eq!(status, 1, "{report}");
    let codes: Vec<&str> = report["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"anchor.rootMismatch"), "{codes:?}");

    // Garbage sidecar: a clear failure code, exit 1, no panic.
    std::fs::write(&sidecar, b"{\"proofs\": [\"!!!\"]}").unwrap();
    let (status, report) = w.verify_json(&b, &["--policy", "valid"]);
    assert_eq!(status, 1);
    assert!(
        report["codes"].to_string().contains("anchor.malformed"),
        "{report}"
    );

    // A registry on another deployment that never saw the root: notFound.
    let out = w.run(&["proof", common::s(&b)]);
    assert_eq!(code(&out), 0);
    let other_chain = World::new(Anvil::start());
    let url = other_chain.anvil.url.clone();
    let out = w.run(&[
        "verify",
        common::s(&b),
        "--json",
        "--policy",
        "valid",
        "--chain",
        &url,
    ]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("anchor.notFound"), "{}", stdout(&out));

    // A verifier that does not trust the proof's registry refuses it: anyone can deploy
    // a contract that says "included" to everything.
    let stranger = tempfile::tempdir().unwrap();
    let url = w.anvil.url.clone();
    let verify_as_stranger = |extra: &[&str]| {
        command(stranger.path())
            .args([
                "verify",
                common::s(&b),
                "--json",
                "--policy",
                "valid",
                "--chain",
                &url,
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = verify_as_stranger(&[]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("anchor.unknownRegistry"),
        "{}",
        stdout(&out)
    );
    let out = verify_as_stranger(&["--registry", &w.registry]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));

    // An unreachable endpoint is "could not run".
    let out = w.run(&[
        "verify",
        common::s(&b),
        "--chain",
        "http://127.0.0.1:9",
        "--rpc-timeout",
        "2",
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

fn base64_decode(s: &str) -> Vec<u8> {
    provenant_core::chronology::proof::ProofBundle::from_base64(s)
        .map(|b| b.encode())
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    // Re-encode through a JSON round trip of the same alphabet the bundles use.
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn synthetic(n: u64, salt: u64) -> Vec<NewEntry> {
    (0..n)
        .map(|i| {
            let seed = [i.to_be_bytes(), salt.to_be_bytes()].concat();
            NewEntry {
                content_sha256: provenant_core::chronology::merkle::leaf_hash(&seed),
                manifest_id: provenant_core::chronology::merkle::node_hash(
                    &provenant_core::chronology::merkle::leaf_hash(&seed),
                    &[0; 32],
                ),
                manifest_label: format!("urn:c2pa:synthetic-{salt}-{i}"),
                fingerprint: Some(Code::dct(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt)),
                extra_codes: Vec::new(),
                signer: Some("bench".into()),
                path: None,
                published_at: None,
            }
        })
        .collect()
}

fn gas_of_batch(w: &World, leaves: u64, salt: u64) -> u64 {
    let mut log = w.log();
    log.add_many(&synthetic(leaves, salt)).unwrap();
    drop(log);
    w.anchor_to_finality();
    let batch = w.log().batches().unwrap().pop().unwrap();
    assert_eq!(batch.leaf_count, leaves);
    let receipt = w
        .anvil
        .tx_receipt(&format!("0x{}", hex::encode(batch.tx_hash.unwrap())))
        .unwrap();
    common::network::parse_hex_u64(&receipt["gasUsed"]).unwrap()
}

#[test]
fn anchoring_costs_the_same_for_one_and_a_hundred_thousand_leaves() {
    let w = World::new(Anvil::start());
    let one = gas_of_batch(&w, 1, 1);
    let many = gas_of_batch(&w, 100_000, 2);
    println!(
        "GAS anchor: 1 leaf {one}, 100000 leaves {many}; one hash per image for 100000 images: {} ({}x)",
        one * 100_000,
        one * 100_000 / many
    );
    assert!(one <= 60_000 && many <= 60_000, "{one} {many}");
    // Only calldata bytes differ (the leaf count's encoding): a few gas.
    assert!(one.abs_diff(many) <= 64, "{one} vs {many}");
}

#[test]
fn rpc_faults_are_retried_and_nothing_is_anchored_twice() {
    let w = World::new(Anvil::start());
    let proxy = FaultProxy::start(&w.anvil.url);
    w.log().add_many(&synthetic(10, 7)).unwrap();
    proxy.inject("eth_chainId", Fault::Status(503), 2);
    proxy.inject("eth_call", Fault::CloseConnection, 1);
    proxy.inject(
        "eth_sendRawTransaction",
        Fault::Timeout(std::time::Duration::from_secs(3)),
        1,
    );
    proxy.inject("eth_getTransactionReceipt", Fault::Status(502), 1);
    let out = w.anchor_via(proxy.url(), &["--rpc-timeout", "1"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("RPC calls retried"),
        "{}",
        stderr(&out)
    );
    // The timed-out send may or may not have reached anvil; a "nonce too low" answer
    // to a send that did go through must not lead to a second anchoring.
    proxy.inject("eth_sendRawTransaction", Fault::nonce_too_low(), 1);
    w.log().add_many(&synthetic(5, 8)).unwrap();
    let out = w.anchor_via(proxy.url(), &["--rpc-timeout", "1"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    proxy.inject(
        "eth_sendRawTransaction",
        Fault::replacement_underpriced(),
        1,
    );
    w.log().add_many(&synthetic(2, 10)).unwrap();
    let out = w.anchor_via(proxy.url(), &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    proxy.inject(
        "eth_sendRawTransaction",
        Fault::forward_then_rpc_error(-32000, "nonce too low"),
        1,
    );
    w.log().add_many(&synthetic(3, 9)).unwrap();
    let out = w.anchor_via(proxy.url(), &[], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for _ in 0..10 {
        w.anvil.mine(3);
        let out = w.anchor_via(proxy.url(), &[], &[]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        if w.log().status().unwrap().anchored_batches == 4 {
            break;
        }
    }
    let status = w.log().status().unwrap();
    assert_eq!(
        (status.anchored_batches, status.anchored_entries),
        (4, 20),
        "{status:?}"
    );
    let roots = w.anchored_roots();
    assert_eq!(roots.len(), 4, "each root anchored exactly once: {roots:?}");
    assert!(proxy.faults_injected() >= 7, "{:?}", proxy.log());
    println!("proxy log: {:?}", proxy.log());
}

/// Kills `provenant anchor` with SIGKILL at each step of sealing and anchoring,
/// then restarts it: no entry is lost and no root is anchored twice.
#[test]
fn kill_9_at_every_step_loses_nothing_and_anchors_nothing_twice() {
    #[cfg(not(feature = "failpoints"))]
    panic!(
        "the crash points are compiled out of this build: run the tests with \
         `--features provenant/failpoints` (scripts/test.sh does)"
    );
    #[cfg(feature = "failpoints")]
    crash_at_every_point();
}

#[cfg(feature = "failpoints")]
fn crash_at_every_point() {
    use std::os::unix::process::ExitStatusExt;
    for (round, point) in provenant_core::chronology::CRASH_POINTS.iter().enumerate() {
        let w = World::new(Anvil::start());
        let salt = 100 + round as u64;
        w.log().add_many(&synthetic(7, salt)).unwrap();
        let url = w.anvil.url.clone();
        let mut killed = false;
        for _ in 0..6 {
            let out = w.anchor_via(&url, &[], &[("PROVENANT_TEST_CRASH_AT", point)]);
            if out.status.signal() == Some(9) {
                killed = true;
                break;
            }
            assert_eq!(code(&out), 0, "{point}: {}", stderr(&out));
            w.anvil.mine(3);
        }
        assert!(killed, "never reached crash point {point}");
        // More entries arrive after the crash; then the run is repeated normally.
        w.log().add_many(&synthetic(4, salt + 1000)).unwrap();
        w.anchor_to_finality();
        let status = w.log().status().unwrap();
        assert_eq!(status.entries, 11, "{point}: {status:?}");
        assert_eq!(status.anchored_entries, 11, "{point}: {status:?}");
        let roots = w.anchored_roots();
        let mut unique = roots.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            roots.len(),
            unique.len(),
            "{point}: a root was anchored twice"
        );
        assert_eq!(roots.len() as u64, status.anchored_batches, "{point}");
        println!(
            "crash at {point}: 11 entries anchored in {} batches",
            roots.len()
        );
    }
}

/// A tiny static file server on loopback (the publisher's chronology endpoint).
fn serve_dir(dir: PathBuf) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut h = String::new();
            while reader.read_line(&mut h).is_ok_and(|n| n > 2) {
                h.clear();
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let file = dir.join(path.trim_start_matches('/'));
            let (status, body) = match std::fs::read(&file) {
                Ok(b) if !path.contains("..") => ("200 OK", b),
                _ => ("404 Not Found", b"not found".to_vec()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    url
}

/// `verify` options that fetch missing proofs from an endpoint on this machine.
const FETCH: [&str; 4] = [
    "--policy",
    "valid",
    "--fetch-proofs",
    "--allow-loopback-endpoints",
];
/// The same, requiring the newest step to be anchored.
const FETCH_AND_REQUIRE: [&str; 5] = [
    "--policy",
    "valid",
    "--fetch-proofs",
    "--allow-loopback-endpoints",
    "--require-anchor",
];

#[test]
fn the_newest_proof_comes_from_the_publishers_endpoint_and_is_checked() {
    let w = World::new(Anvil::start());
    let site = tempfile::tempdir().unwrap();
    let endpoint = serve_dir(site.path().to_owned());
    let config = w.path("config.toml");
    std::fs::write(&config, format!("publisher_endpoint = \"{endpoint}\"\n")).unwrap();
    let config_env = [("PROVENANT_CONFIG", common::s(&config))];
    let keys = keygen(w.files.path(), &[]);
    let a = w.path("a.jpg");
    let out = w.run_env(
        &[
            "sign",
            common::s(&samples().join("second-capture.jpg")),
            "-o",
            common::s(&a),
            "--key",
            common::s(&keys),
        ],
        &config_env,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    w.anchor_to_finality();

    // The endpoint is on this machine: without the development option it is refused
    // before any request (a manifest names it, so whoever made the file chose it).
    let (_, report) = w.verify_json(&a, &["--policy", "valid", "--fetch-proofs"]);
    let refused = report["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "anchor.endpointUnavailable")
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        refused["explanation"]
            .as_str()
            .unwrap()
            .contains("is not a public address"),
        "{refused}"
    );
    // Nothing published yet: the endpoint answers 404, the step stays unanchored.
    let (_, report) = w.verify_json(&a, &FETCH);
    assert_eq!(report["chain"][0]["chronology_endpoint"], endpoint.as_str());
    assert_eq!(anchor_of_step(&report, 0), &Value::Null);

    let out = w.run(&["proof", "--export", common::s(site.path())]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (status, report) = w.verify_json(&a, &FETCH_AND_REQUIRE);
    assert_eq!(status, 0, "{report}");
    let anchor = anchor_of_step(&report, 0);
    assert_eq!(anchor["status"], "anchored", "{anchor}");
    assert_eq!(anchor["source"], "endpoint");
    // Without --fetch-proofs nothing is fetched.
    let (status, _) = w.verify_json(&a, &["--policy", "valid", "--require-anchor"]);
    assert_eq!(status, 1);

    // A lying endpoint: it serves a proof of some other entry under this id.
    let id = report["chain"][0]["manifest_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut log = w.log();
    log.add_many(&synthetic(3, 42)).unwrap();
    drop(log);
    w.anchor_to_finality();
    let out = w.run(&["proof", "--export", common::s(site.path())]);
    assert_eq!(code(&out), 0);
    let other = std::fs::read_dir(site.path().join("proofs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.ends_with(&id))
        .unwrap();
    std::fs::copy(&other, site.path().join("proofs").join(&id)).unwrap();
    let (status, report) = w.verify_json(&a, &FETCH_AND_REQUIRE);
    assert_eq!(status, 1, "{report}");
    assert_eq!(
        anchor_of_step(&report, 0),
        &Value::Null,
        "a foreign proof must not attach"
    );

    // Garbage from the endpoint, and an endpoint that is down: noted, never trusted.
    std::fs::write(site.path().join("proofs").join(&id), b"<html>oops</html>").unwrap();
    let (status, report) = w.verify_json(&a, &FETCH);
    assert_eq!(status, 0, "{report}");
    assert!(
        report["codes"]
            .to_string()
            .contains("anchor.endpointUnavailable"),
        "{report}"
    );
}

/// Revokes the anchoring key (dev account 1) as compromised since `since`.
fn revoke(w: &World, since: &str) -> Output {
    let url = w.anvil.url.clone();
    let admin = w.admin_key.display().to_string();
    w.run(&[
        "registry",
        "publisher",
        "revoke",
        DEV_ADDRESSES[1],
        "--compromised-since",
        since,
        "--chain",
        &url,
        "--key-file",
        &admin,
    ])
}

#[test]
fn a_revoked_key_taints_anchors_from_its_compromise_on() {
    let w = World::new(Anvil::start());
    let (_keys, _a, b) = sign_and_edit(&w);
    w.anchor_to_finality();
    let out = w.run(&["proof", common::s(&b)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (status, report) = w.verify_json(&b, &["--policy", "valid"]);
    assert_eq!(status, 0, "{report}");
    let t = chrono_secs(anchor_of_step(&report, 0)["time"].as_str().unwrap());

    // Compromised only after the anchor: the anchor stays good.
    w.anvil.increase_time(100);
    w.anvil.mine(1);
    let later = (t + 50).to_string();
    let out = revoke(&w, &later);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (status, report) = w.verify_json(&b, &["--policy", "valid"]);
    assert_eq!(status, 0, "{report}");
    assert_eq!(anchor_of_step(&report, 0)["status"], "anchored");

    // Moved back to before the anchor: now it is distrusted.
    let earlier = (t - 10).to_string();
    let out = revoke(&w, &earlier);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (status, report) = w.verify_json(&b, &["--policy", "valid"]);
    assert_eq!(status, 1, "{report}");
    assert_eq!(anchor_of_step(&report, 0)["status"], "key_compromised");
    assert!(report["codes"]
        .to_string()
        .contains("anchor.keyCompromised"));

    // Loosening it again is refused by the contract, with the reason.
    let out = revoke(&w, &later);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("CannotLoosenRevocation"),
        "{}",
        stderr(&out)
    );

    // The revoked key can no longer anchor: a clear refusal, nothing recorded as sent.
    w.log().add_many(&synthetic(2, 77)).unwrap();
    let out = w.anchor();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("KeyIsRevoked"), "{}", stderr(&out));
    assert_eq!(w.log().status().unwrap().submitted_batches, 0);
}

/// Someone copies our root from the mempool and anchors it first under their own
/// publisher: our anchoring still goes through, and verify credits our publisher.
#[test]
fn a_front_runner_cannot_block_or_steal_our_anchor() {
    let w = World::new(Anvil::start());
    let (_keys, _a, b) = sign_and_edit(&w);
    let out = w.anchor_via(&w.anvil.url.clone(), &["--seal-only"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let batch = w.log().batches().unwrap().remove(0);

    // The attacker (dev account 2) registers, authorises itself and anchors our root.
    let attacker = tempfile::tempdir().unwrap();
    let key = attacker.path().join("attacker.key");
    std::fs::write(&key, DEV_KEYS[2]).unwrap();
    let url = w.anvil.url.clone();
    for args in [
        vec!["register", "--name", "Totally Reuters"],
        vec!["authorize", "--anchor-key-file", common::s(&key)],
    ] {
        let mut full = vec!["registry", "publisher"];
        full.extend(args);
        full.extend([
            "--chain",
            &url,
            "--key-file",
            common::s(&key),
            "--registry",
            &w.registry,
        ]);
        let out = command(attacker.path()).args(&full).output().unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    let calldata = provenant_core::anchor::anchor_calldata(batch.root, batch.leaf_count);
    let tx = w.anvil.call(
        "eth_sendTransaction",
        json!([{ "from": DEV_ADDRESSES[2], "to": w.registry, "data": format!("0x{}", hex::encode(calldata)) }]),
    );
    let receipt = w
        .anvil
        .wait_receipt(tx.as_str().unwrap(), std::time::Duration::from_secs(10))
        .unwrap();
    assert_eq!(
        receipt["status"], "0x1",
        "the attacker's anchoring went through"
    );

    // Ours is not blocked, and is not mistaken for theirs.
    w.anchor_to_finality();
    assert_eq!(w.anchored_roots().len(), 2, "one anchoring per publisher");
    let out = w.run(&["proof", common::s(&b)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (status, report) = w.verify_json(&b, &["--policy", "valid", "--require-anchor"]);
    assert_eq!(status, 0, "{report}");
    assert_eq!(anchor_of_step(&report, 0)["publisher_name"], "Daily Planet");
}

/// Polygon PoS nodes refuse, at pool admission, any transaction tipping under 25 gwei
/// ("transaction gas price below minimum: gas tip cap …, minimum needed 25000000000"),
/// and fee estimators suggest less. A proxy in front of anvil (chain id 137) answers as
/// such a node does. With the `polygon` preset the tip is raised to the floor before the
/// first send; with a floor set too low, the refusal is taken as a fee problem: the
/// transaction is re-signed with what the node asks, and the batch is anchored.
#[test]
fn polygons_fee_floor_is_met() {
    const FLOOR: u128 = 25_000_000_000;
    let w = World::new(Anvil::start_with(&["--chain-id", "137"]));
    let proxy = FaultProxy::start(&w.anvil.url);
    proxy.refuse_tips_under(FLOOR);
    let refusals = || {
        proxy
            .log()
            .iter()
            .filter(|(_, f)| *f == Some("tip_below_floor"))
            .count()
    };
    let key = w.anchor_key.display().to_string();
    w.log().add_many(&synthetic(3, 40)).unwrap();
    let preset = [
        "anchor",
        "--chain",
        "polygon",
        "--rpc",
        proxy.url(),
        "--key-file",
        &key,
        "--poll",
        "0.1",
    ];
    let out = w.run_env(&preset, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(refusals(), 0, "{:?}", proxy.log());
    assert!(proxy.count("eth_sendRawTransaction") >= 1);

    w.log().add_many(&synthetic(3, 41)).unwrap();
    let out = w.anchor_via(proxy.url(), &["--min-priority-fee", "1"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(refusals(), 1, "{:?}", proxy.log());
    w.anchor_to_finality();
    let status = w.log().status().unwrap();
    assert_eq!(
        (status.anchored_batches, status.anchored_entries),
        (2, 6),
        "{status:?}"
    );
    assert_eq!(w.anchored_roots().len(), 2);
}

/// A remote RPC endpoint over plain http is refused before any connection: its answers
/// (and so every anchor check) could be rewritten on the way.
#[test]
fn plain_http_to_a_remote_endpoint_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let proof = home.path().join("none.jpg");
    // Names that cannot resolve: a broken check fails the test without connecting anywhere.
    for rpc in [
        "http://rpc.example.invalid:8545",
        "http://localhost.example.invalid/",
    ] {
        let out = command(home.path())
            .args(["verify", s(&proof), "--chain", rpc])
            .output()
            .unwrap();
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains("use https"), "{}", stderr(&out));
    }
}

/// anvil's dev account 3: a fresh anchoring key the newsroom is about to authorise.
const NEW_KEY: &str = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
const NEW_KEY_ADDRESS: &str = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

/// Registry griefing (issue 12, item 5): a squatter registers the newsroom's name and
/// sends `authorizeKey` for the newsroom's new key first, with the acceptance the key
/// signed for the newsroom (as copied from the mempool). The registry refuses it; the
/// newsroom then authorises its key; `anchor --publisher` refuses a key of any other
/// publisher; `verify` shows the publisher's address and notes the shared name without
/// changing the verdict.
#[test]
fn a_squatter_cannot_take_our_key_and_a_shared_name_is_flagged() {
    use provenant_core::anchor::{accept_publisher, parse_address, parse_private_key, U256};
    let w = World::new(Anvil::start());
    let url = w.anvil.url.clone();
    let squatter = tempfile::tempdir().unwrap();
    let squatter_key = squatter.path().join("squatter.key");
    std::fs::write(&squatter_key, DEV_KEYS[2]).unwrap();
    let out = command(squatter.path())
        .args([
            "registry",
            "publisher",
            "register",
            "--name",
            "daily  PLANET",
        ])
        .args(["--chain", &url, "--key-file", common::s(&squatter_key)])
        .args(["--registry", &w.registry])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // The squatter's front-run: our key's acceptance of our publisher, sent by the squatter.
    let key = parse_private_key(NEW_KEY).unwrap();
    let registry = parse_address(&w.registry).unwrap();
    let deadline = U256::from(4_000_000_000u64);
    let ours = parse_address(DEV_ADDRESSES[0]).unwrap();
    let copied = accept_publisher(&key, 31337, registry, ours, deadline).unwrap();
    let data = provenant_core::anchor::authorize_key_calldata(key.address(), deadline, &copied);
    let tx = w.anvil.call(
        "eth_sendTransaction",
        json!([{ "from": DEV_ADDRESSES[2], "to": w.registry, "gas": "0x100000",
                 "data": format!("0x{}", hex::encode(data)) }]),
    );
    let receipt = w
        .anvil
        .wait_receipt(tx.as_str().unwrap(), std::time::Duration::from_secs(10))
        .unwrap();
    assert_eq!(
        receipt["status"], "0x0",
        "the squatter's authorizeKey must revert"
    );

    // The key is still free: the newsroom authorises it (with the key file, which signs).
    let new_key = w.path("new-anchor.key");
    std::fs::write(&new_key, NEW_KEY).unwrap();
    let admin = w.admin_key.display().to_string();
    let out = w.run(&[
        "registry",
        "publisher",
        "authorize",
        NEW_KEY_ADDRESS,
        "--anchor-key-file",
        common::s(&new_key),
        "--chain",
        &url,
        "--key-file",
        &admin,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A key file that does not hold the named address is refused before anything is sent.
    let out = w.run(&[
        "registry",
        "publisher",
        "authorize",
        DEV_ADDRESSES[2],
        "--anchor-key-file",
        common::s(&new_key),
        "--chain",
        &url,
        "--key-file",
        &admin,
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("not 0x3c44"), "{}", stderr(&out));

    // anchor refuses to anchor for a publisher it does not expect, and goes on for ours.
    let (_keys, _a, b) = sign_and_edit(&w);
    let out = w.anchor_via(&url, &["--publisher", DEV_ADDRESSES[2]], &[]);
    assert_ne!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refusing to anchor"),
        "{}",
        stderr(&out)
    );
    assert_eq!(w.anchored_roots().len(), 0, "nothing sent");
    let out = w.anchor_via(&url, &["--publisher", DEV_ADDRESSES[0]], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    w.anchor_to_finality();

    // verify: the publisher's address is shown, the shared name is noted, the verdict stays.
    let out = w.run(&["proof", common::s(&b)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (status, report) = w.verify_json(&b, &["--policy", "valid", "--require-anchor"]);
    assert_eq!(status, 0, "{report}");
    let anchor = anchor_of_step(&report, 0);
    assert_eq!(anchor["publisher_name"], "Daily Planet");
    assert_eq!(
        anchor["publisher"].as_str().unwrap(),
        DEV_ADDRESSES[0].to_lowercase()
    );
    let shared: Vec<&Value> = report["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["code"] == "anchor.publisherNameShared")
        .collect();
    assert_eq!(shared.len(), 2, "one per anchored step: {report}");
    assert_eq!(shared[0]["kind"], "informational", "{report}");
    assert!(
        shared[0]["explanation"]
            .as_str()
            .unwrap()
            .contains("1 other publisher"),
        "{report}"
    );
    let url2 = url.clone();
    let text = w.run(&["verify", common::s(&b), "--chain", &url2]);
    let line = format!("by Daily Planet ({})", DEV_ADDRESSES[0].to_lowercase());
    assert!(stdout(&text).contains(&line), "{}", stdout(&text));
}
