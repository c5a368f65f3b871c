//! The camera blacklist end to end: devices capture on two days, a curator quorum
//! blacklists one camera from the later day using one evidence photo, and `verify`
//! flags exactly that camera's photos from that day on — from the chain and from an
//! exported snapshot. Plus the governance paths (below threshold, approval during the
//! timelock, appeal, withdrawal) and a decryption share with a wrong proof.
//! Real anvil (from npm), real compiled contract, real binary; fails without anvil.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::network::{Anvil, DEV_KEYS};
use common::{code, command, s, samples, stderr, stdout};
use serde_json::Value;

/// Anvil's default dev keys 3..=6 (mnemonic "test test … junk").
const MORE_KEYS: [&str; 4] = [
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
];

const DAY: u64 = 86_400;
const TIMELOCK: u64 = 3_600;

struct World {
    anvil: Anvil,
    home: tempfile::TempDir,
    dir: tempfile::TempDir,
    registry: String,
    /// Key files: 0 admin/reporter, 1..=3 curators, 4 appellant.
    keys: Vec<PathBuf>,
    addresses: Vec<String>,
}

impl World {
    fn new() -> World {
        let anvil = Anvil::start();
        let home = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let all: Vec<&str> = [DEV_KEYS[0]].into_iter().chain(MORE_KEYS).collect();
        let keys: Vec<PathBuf> = all
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let p = dir.path().join(format!("account-{i}.key"));
                std::fs::write(&p, k).unwrap();
                p
            })
            .collect();
        let accounts = anvil.call("eth_accounts", serde_json::json!([]));
        let accounts: Vec<String> = accounts
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        let addresses = [0usize, 3, 4, 5, 6]
            .iter()
            .map(|&i| accounts[i].clone())
            .collect();
        let mut w = World {
            anvil,
            home,
            dir,
            registry: String::new(),
            keys,
            addresses,
        };
        let url = w.anvil.url.clone();
        let out = w.run(&[
            "registry",
            "deploy",
            "--chain",
            &url,
            "--key-file",
            s(&w.keys[0]),
        ]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        w.registry = stdout(&out).trim().to_owned();
        w
    }

    fn run(&self, args: &[&str]) -> Output {
        command(self.home.path()).args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(code(&out), 0, "{args:?}\n{}", stderr(&out));
        stdout(&out)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Chain + registry + key of account `who`.
    fn tx(&self, who: usize) -> Vec<String> {
        vec![
            "--chain".into(),
            self.anvil.url.clone(),
            "--registry".into(),
            self.registry.clone(),
            "--key-file".into(),
            s(&self.keys[who]).to_owned(),
        ]
    }

    /// Runs a `blacklist …` transaction as account `who`.
    fn bl(&self, who: usize, args: &[&str]) -> Output {
        let mut full: Vec<String> = vec!["blacklist".into()];
        full.extend(args.iter().map(|a| a.to_string()));
        full.extend(self.tx(who));
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        self.run(&refs)
    }

    /// Account 0 proposes an entry (`what` is `--evidence` or `--certificate`); its id.
    fn propose(&self, set: &str, what: &str, file: &Path, reason: &str) -> String {
        self.bl_ok(
            0,
            &["propose", "--set", set, what, s(file), "--reason", reason],
        )
        .trim()
        .to_owned()
    }

    fn bl_ok(&self, who: usize, args: &[&str]) -> String {
        let out = self.bl(who, args);
        assert_eq!(code(&out), 0, "blacklist {args:?}\n{}", stderr(&out));
        stdout(&out)
    }

    fn entry(&self, id: &str) -> Value {
        let out = self.ok(&[
            "blacklist",
            "list",
            "--json",
            "--chain",
            &self.anvil.url,
            "--registry",
            &self.registry,
        ]);
        out.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|e| e["id"].as_u64().map(|n| n.to_string()).as_deref() == Some(id))
            .unwrap_or_else(|| panic!("entry {id} not listed: {out}"))
    }

    fn pass_time(&self, secs: u64) {
        self.anvil.increase_time(secs);
        self.anvil.mine(1);
    }

    /// Runs `curator dkg` round `args` as curators 1..=3 at once, each its own process.
    fn dkg_round(&self, per_curator: impl Fn(u8) -> Vec<String>) {
        use std::process::Stdio;
        let children: Vec<_> = (1..=3u8)
            .map(|j| {
                let args = per_curator(j);
                let child = command(self.home.path())
                    .args(["curator", "dkg"])
                    .args(&args)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (args, child)
            })
            .collect();
        for (args, child) in children {
            let out = child.wait_with_output().unwrap();
            assert_eq!(code(&out), 0, "curator dkg {args:?}\n{}", stderr(&out));
        }
    }

    /// Generates a 2-of-3 group key by the distributed key generation (three curators,
    /// separate processes, packages exchanged through folders) and registers it as a
    /// curator set; returns (a folder with group.json and, for the test's convenience,
    /// every curator-J.json, which in real life each curator keeps alone; the set id).
    fn curators(&self, name: &str) -> (PathBuf, String) {
        let out = self.path(name);
        let at = |j: u8| out.join(format!("c{j}"));
        let public = out.join("round1");
        std::fs::create_dir_all(&public).unwrap();
        self.dkg_round(|j| {
            [
                "round1",
                "--id",
                &j.to_string(),
                "--of",
                "3",
                "--threshold",
                "2",
                "--out-dir",
            ]
            .iter()
            .map(|a| a.to_string())
            .chain([s(&at(j)).to_owned()])
            .collect()
        });
        for j in 1..=3u8 {
            let f = format!("round1-{j}.json");
            std::fs::copy(at(j).join(&f), public.join(&f)).unwrap();
        }
        self.dkg_round(|j| {
            let state = at(j).join(format!("dkg-state-{j}.json"));
            vec![
                "round2".into(),
                "--id".into(),
                j.to_string(),
                "--state".into(),
                s(&state).into(),
                "--round1".into(),
                s(&public).into(),
                "--out-dir".into(),
                s(&at(j)).into(),
            ]
        });
        // Each round-2 package goes to its recipient's inbox only.
        for from in 1..=3u8 {
            for to in (1..=3u8).filter(|k| *k != from) {
                let f = format!("round2-{from}-to-{to}.json");
                let inbox = out.join(format!("inbox-{to}"));
                std::fs::create_dir_all(&inbox).unwrap();
                std::fs::copy(at(from).join(&f), inbox.join(&f)).unwrap();
            }
        }
        self.dkg_round(|j| {
            let state = at(j).join(format!("dkg-state2-{j}.json"));
            let inbox = out.join(format!("inbox-{j}"));
            let keys = at(j).join("keys");
            [
                "finish",
                "--id",
                &j.to_string(),
                "--state",
                s(&state),
                "--round1",
                s(&public),
                "--round2",
                s(&inbox),
                "--out-dir",
                s(&keys),
            ]
            .iter()
            .map(|a| a.to_string())
            .collect()
        });
        let group = std::fs::read_to_string(at(1).join("keys/group.json")).unwrap();
        for j in 1..=3u8 {
            let keys = at(j).join("keys");
            assert_eq!(
                std::fs::read_to_string(keys.join("group.json")).unwrap(),
                group
            );
            let f = format!("curator-{j}.json");
            std::fs::copy(keys.join(&f), out.join(&f)).unwrap();
        }
        std::fs::write(out.join("group.json"), &group).unwrap();
        let mut args: Vec<String> = ["curator", "register", "--name", name, "--group"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        args.push(s(&out.join("group.json")).to_owned());
        for a in &self.addresses[1..=3] {
            args.extend(["--curator".to_owned(), a.clone()]);
        }
        args.extend([
            "--timelock".to_owned(),
            TIMELOCK.to_string(),
            "--bond".to_owned(),
            "1000000000000000".to_owned(),
        ]);
        args.extend(self.tx(0));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let set = self.ok(&refs).trim().to_owned();
        (out, set)
    }

    /// A device with its own epoch key under the maker's fleet certificate.
    fn device(&self, name: &str, group: &Path, day0: u64) -> PathBuf {
        let maker = self.path("maker");
        if !maker.exists() {
            self.ok(&["keygen", "--out", s(&maker), "--org", "Acme Cameras"]);
        }
        let dev = self.path(name);
        self.ok(&[
            "device",
            "init",
            s(&dev),
            "--maker",
            s(&maker),
            "--group",
            s(group),
            "--at",
            &day0.to_string(),
        ]);
        dev
    }

    fn capture(&self, dev: &Path, name: &str, at: u64) -> PathBuf {
        let out = self.path(name);
        self.ok(&[
            "device",
            "capture",
            s(&samples().join("harbour-capture.jpg")),
            "-o",
            s(&out),
            "--device",
            s(dev),
            "--at",
            &at.to_string(),
        ]);
        out
    }

    /// `verify --json` with extra args; (exit code, report).
    fn verify(&self, file: &Path, extra: &[&str]) -> (i32, Value) {
        let maker_root = self.path("maker").join("root.pem");
        let mut args = vec!["verify", s(file), "--json", "--trust", s(&maker_root)];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        let report = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
        (code(&out), report)
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn blacklisted(report: &Value) -> bool {
    report["blacklisted"].as_bool().unwrap()
}

#[test]
fn a_curator_quorum_blacklists_one_camera_from_a_day_on() {
    let w = World::new();
    let (group_dir, set) = w.curators("Press Freedom Board");
    let group = group_dir.join("group.json");
    let day1 = now() - 5 * DAY;
    let day2 = day1 + 2 * DAY;
    let day3 = day2 + DAY;
    let cam_a = w.device("cam-a", &group, day1);
    let cam_b = w.device("cam-b", &group, day1);
    let a1 = w.capture(&cam_a, "a1.jpg", day1);
    let b1 = w.capture(&cam_b, "b1.jpg", day1 + 60);
    let a2 = w.capture(&cam_a, "a2.jpg", day2);
    let b2 = w.capture(&cam_b, "b2.jpg", day2 + 60);
    let a3 = w.capture(&cam_a, "a3.jpg", day3);

    // The ratchet erased day 1's key: the device cannot tag a photo as taken then.
    let late = w.run(&[
        "device",
        "capture",
        s(&samples().join("harbour-capture.jpg")),
        "-o",
        s(&w.path("late.jpg")),
        "--device",
        s(&cam_a),
        "--at",
        &day1.to_string(),
    ]);
    assert_eq!(code(&late), 2, "{}", stderr(&late));
    assert!(stderr(&late).contains("erased"), "{}", stderr(&late));

    // Reporter (account 0) proposes with a2 as evidence, from day 2 on.
    let id = w.propose(&set, "--evidence", &a2, "staged scene (report 42)");
    assert_eq!(w.entry(&id)["status"], "proposed");
    // One approval is below the 2-of-3 threshold.
    w.cur_ok(1, &["approve", &id], &a2);
    assert_eq!(w.entry(&id)["status"], "proposed");
    let share1 = group_dir.join("curator-1.json");
    let early = w.curator_act(1, &["release", &id, "--share", s(&share1)], &a2);
    assert_eq!(code(&early), 2, "a share before approval must be refused");
    // Without the evidence photo a curator cannot approve a device entry.
    let blind = w.bl(2, &["approve", &id]);
    assert_eq!(code(&blind), 2, "{}", stderr(&blind));
    assert!(stderr(&blind).contains("--evidence"), "{}", stderr(&blind));
    w.cur_ok(2, &["approve", &id], &a2);
    assert_eq!(w.entry(&id)["status"], "approved");
    // During the timelock: a further approval does not shorten it, and shares are refused.
    let third = w.curator_act(3, &["approve", &id], &a2);
    assert_eq!(
        code(&third),
        2,
        "approval during the timelock: {}",
        stderr(&third)
    );
    let during = w.curator_act(1, &["release", &id, "--share", s(&share1)], &a2);
    assert_eq!(
        code(&during),
        2,
        "shares during the timelock must be refused"
    );
    assert_eq!(w.entry(&id)["shares_published"], 0);

    w.pass_time(TIMELOCK + 1);
    w.cur_ok(1, &["release", &id, "--share", s(&share1)], &a2);
    // One share cannot open the escrow.
    let short = w.bl(
        0,
        &["activate", &id, "--group", s(&group), "--evidence", s(&a2)],
    );
    assert_eq!(code(&short), 2, "{}", stderr(&short));
    let share3 = group_dir.join("curator-3.json");
    w.cur_ok(3, &["release", &id, "--share", s(&share3)], &a2);
    w.bl_ok(
        0,
        &["activate", &id, "--group", s(&group), "--evidence", s(&a2)],
    );
    let entry = w.entry(&id);
    assert_eq!(entry["status"], "active");
    assert_ne!(entry["epoch_key"], "0".repeat(64));

    // From the chain.
    let chain_args = [
        "--chain",
        &w.anvil.url,
        "--registry",
        &w.registry,
        "--blacklist-chain",
        "--curator-set",
        &set,
    ];
    let expect = [
        (&a1, false),
        (&b1, false),
        (&a2, true),
        (&b2, false),
        (&a3, true),
    ];
    for (file, flagged) in expect {
        let (exit, report) = w.verify(file, &chain_args);
        assert_eq!(
            blacklisted(&report),
            flagged,
            "{}: {report}",
            file.display()
        );
        assert_eq!(report["verdict"], "trusted", "{}", file.display());
        let step = &report["chain"][0];
        if flagged {
            assert_eq!(exit, 1);
            assert_eq!(step["blacklist"]["status"], "listed");
            assert_eq!(step["blacklist"]["hits"][0]["kind"], "device");
            assert_eq!(
                step["blacklist"]["hits"][0]["reason"],
                "staged scene (report 42)"
            );
            assert!(step["failures"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "device.blacklisted"));
        } else {
            assert_eq!(exit, 0, "{report}");
            assert_eq!(step["blacklist"]["status"], "clear");
        }
    }

    // From an exported, signed snapshot.
    let snap_key = w.path("snapshot.key");
    let public = w
        .ok(&["blacklist", "keygen", s(&snap_key)])
        .trim()
        .to_owned();
    let snap = w.path("blacklist.json");
    w.ok(&[
        "blacklist",
        "export",
        "--set",
        &set,
        "--signing-key",
        s(&snap_key),
        "--valid-for",
        "24",
        "-o",
        s(&snap),
        "--chain",
        &w.anvil.url,
        "--registry",
        &w.registry,
    ]);
    let checked: Value =
        serde_json::from_str(&w.ok(&["blacklist", "verify", s(&snap), "--key", &public])).unwrap();
    assert_eq!(checked["devices"], 1);
    for (file, flagged) in expect {
        let (exit, report) = w.verify(file, &["--blacklist", s(&snap), "--blacklist-key", &public]);
        assert_eq!(blacklisted(&report), flagged, "{}", file.display());
        assert_eq!(exit, if flagged { 1 } else { 0 });
    }
    // A snapshot signed by a key the verifier does not trust is refused (exit 2).
    let other = w
        .ok(&["blacklist", "keygen", s(&w.path("other.key"))])
        .trim()
        .to_owned();
    let refused = w.run(&[
        "verify",
        s(&a2),
        "--blacklist",
        s(&snap),
        "--blacklist-key",
        &other,
    ]);
    assert_eq!(code(&refused), 2, "{}", stderr(&refused));
    // A tampered snapshot (an entry's reason changed) fails its signature.
    let text = std::fs::read_to_string(&snap)
        .unwrap()
        .replace("report 42", "report 43");
    std::fs::write(w.path("tampered.json"), text).unwrap();
    let tampered = w.run(&[
        "verify",
        s(&a2),
        "--blacklist",
        s(&w.path("tampered.json")),
        "--blacklist-key",
        &public,
    ]);
    assert_eq!(code(&tampered), 2, "{}", stderr(&tampered));
    assert!(
        stderr(&tampered).contains("signature"),
        "{}",
        stderr(&tampered)
    );

    // Withdrawal by a curator quorum lifts it.
    w.bl_ok(
        2,
        &["withdraw", &id, "--reason", "the scene was real after all"],
    );
    assert_eq!(w.entry(&id)["status"], "active");
    w.bl_ok(3, &["withdraw", &id, "--reason", "agreed"]);
    assert_eq!(w.entry(&id)["status"], "withdrawn");
    let (exit, report) = w.verify(&a2, &chain_args);
    assert!(!blacklisted(&report));
    assert_eq!(exit, 0);
}

#[test]
fn appeals_stop_entries_and_certificates_pull_a_fleet() {
    let w = World::new();
    let (group_dir, set) = w.curators("Board");
    let group = group_dir.join("group.json");
    let day = now() - DAY;
    let cam = w.device("cam", &group, day);
    let photo = w.capture(&cam, "p.jpg", day);

    // Appeal during the timelock stops the entry; upheld by a quorum → rejected.
    let id = w.propose(&set, "--evidence", &photo, "bribed report");
    w.cur_ok(1, &["approve", &id], &photo);
    w.cur_ok(2, &["approve", &id], &photo);
    w.bl_ok(4, &["appeal", &id, "--reason", "the reporter was paid"]);
    assert_eq!(w.entry(&id)["status"], "appealed");
    w.pass_time(TIMELOCK + 1);
    let share1 = group_dir.join("curator-1.json");
    let share = w.curator_act(1, &["release", &id, "--share", s(&share1)], &photo);
    assert_eq!(code(&share), 2, "no share may be released while appealed");
    w.bl_ok(1, &["resolve", &id, "--uphold"]);
    w.bl_ok(3, &["resolve", &id, "--uphold"]);
    assert_eq!(w.entry(&id)["status"], "rejected");
    assert_eq!(
        w.entry(&id)["shares_published"],
        0,
        "an overturned entry links nothing"
    );

    // An appeal after the timelock is refused.
    let id2 = w.propose(&set, "--evidence", &photo, "second report");
    w.cur_ok(1, &["approve", &id2], &photo);
    w.cur_ok(3, &["approve", &id2], &photo);
    w.pass_time(TIMELOCK + 1);
    let late = w.bl(4, &["appeal", &id2, "--reason", "too late"]);
    assert_eq!(code(&late), 2, "{}", stderr(&late));

    // The fleet certificate (the maker's signer cert) blacklisted: every camera of the fleet is flagged.
    let fleet = w.path("maker").join("chain.pem");
    let cid = w.propose(&set, "--certificate", &fleet, "maker key leaked");
    w.bl_ok(2, &["approve", &cid]);
    w.bl_ok(3, &["approve", &cid]);
    w.pass_time(TIMELOCK + 1);
    w.bl_ok(0, &["activate", &cid]);
    let (exit, report) = w.verify(
        &photo,
        &[
            "--chain",
            &w.anvil.url,
            "--registry",
            &w.registry,
            "--blacklist-chain",
            "--curator-set",
            &set,
        ],
    );
    assert_eq!(exit, 1);
    let hits = &report["chain"][0]["blacklist"]["hits"];
    assert_eq!(hits[0]["kind"], "certificate", "{report}");
    assert!(report["chain"][0]["failures"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "signer.blacklisted"));
}

#[test]
fn a_decryption_share_with_a_wrong_proof_is_rejected() {
    let w = World::new();
    let (group_dir, set) = w.curators("g");
    let group = group_dir.join("group.json");
    let day = now();
    let cam = w.device("cam", &group, day);
    let photo = w.capture(&cam, "p.jpg", day);
    let id = w.propose(&set, "--evidence", &photo, "r");
    let roots = w.path("maker").join("root.pem");
    for j in 1..=3 {
        w.ok(&[
            "curator",
            "share",
            "--entry",
            &id,
            "--share",
            s(&group_dir.join(format!("curator-{j}.json"))),
            "--evidence",
            s(&photo),
            "--maker-roots",
            s(&roots),
            "-o",
            s(&w.path(&format!("ds{j}.json"))),
            "--chain",
            &w.anvil.url,
            "--registry",
            &w.registry,
        ]);
    }
    let good = w.ok(&[
        "curator",
        "combine",
        "--group",
        s(&group),
        "--evidence",
        s(&photo),
        s(&w.path("ds1.json")),
        s(&w.path("ds3.json")),
    ]);
    assert!(good.contains("epoch_key"), "{good}");
    // Curator 2's share with its proof's response changed by one digit.
    let mut bad: Value =
        serde_json::from_str(&std::fs::read_to_string(w.path("ds2.json")).unwrap()).unwrap();
    let z = bad["proof_z"].as_str().unwrap().to_owned();
    let flipped = match z.strip_prefix('0') {
        Some(rest) => format!("1{rest}"),
        None => format!("0{}", &z[1..]),
    };
    bad["proof_z"] = Value::String(flipped);
    std::fs::write(w.path("bad2.json"), bad.to_string()).unwrap();
    let out = w.run(&[
        "curator",
        "combine",
        "--group",
        s(&group),
        "--evidence",
        s(&photo),
        s(&w.path("ds1.json")),
        s(&w.path("bad2.json")),
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains('2'),
        "names the curator: {}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
}

// ---- Issue 12 item 1: the escrow decryption oracle -------------------------------------

/// The chain through provenant-core, for what an attacker sends without the CLI's checks.
fn network(w: &World) -> provenant_core::anchor::Network {
    let endpoint = provenant_core::anchor::Endpoint::resolve(Some(&w.anvil.url), None).unwrap();
    provenant_core::anchor::Network::connect(&endpoint, Default::default()).unwrap()
}

fn registry_address(w: &World) -> provenant_core::anchor::Address {
    provenant_core::anchor::parse_address(&w.registry).unwrap()
}

fn signer_of(w: &World, who: usize) -> provenant_core::anchor::PrivateKeySigner {
    provenant_core::anchor::parse_private_key(&std::fs::read_to_string(&w.keys[who]).unwrap())
        .unwrap()
}

fn capture_of(file: &Path) -> provenant_core::blacklist::capture::assertion::CaptureAssertion {
    let bytes = std::fs::read(file).unwrap();
    provenant_core::credentials::verify::active_capture(&bytes)
        .unwrap()
        .unwrap()
}

fn h32(hex: &str) -> [u8; 32] {
    provenant_core::blacklist::capture::assertion::hex32(hex).unwrap()
}

fn sha256_of(file: &Path) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(file).unwrap()).into()
}

/// Signs `input` with the key directory `keys` and a given capture assertion (what an
/// attacker holding some signing key can do with a copied assertion).
fn sign_with_capture(
    keys: &Path,
    capture: provenant_core::blacklist::capture::assertion::CaptureAssertion,
    output: &Path,
) {
    use provenant_core::credentials::sign::{sign_stream, SignRequest, SourceType};
    let signer = provenant_core::credentials::signer::KeyFileSigner::load(keys).unwrap();
    let mut src =
        std::io::Cursor::new(std::fs::read(samples().join("harbour-capture.jpg")).unwrap());
    let mut dest = std::io::Cursor::new(Vec::new());
    let request = SignRequest {
        title: None,
        source: SourceType::Capture,
        anchors: None,
        capture: Some(capture),
        ..Default::default()
    };
    sign_stream(&mut src, &mut dest, signer.as_signer(), &request).unwrap();
    std::fs::write(output, dest.into_inner()).unwrap();
}

impl World {
    /// A curator's `blacklist approve|release` with the evidence it looked at, checked
    /// against the makers' roots the curators honour (curator-roots.pem, else the maker's).
    fn curator_act(&self, who: usize, args: &[&str], evidence: &Path) -> Output {
        let mut roots = self.path("curator-roots.pem");
        if !roots.exists() {
            roots = self.path("maker").join("root.pem");
        }
        let mut full: Vec<&str> = args.to_vec();
        full.extend(["--evidence", s(evidence), "--maker-roots", s(&roots)]);
        self.bl(who, &full)
    }

    fn cur_ok(&self, who: usize, args: &[&str], evidence: &Path) -> String {
        let out = self.curator_act(who, args, evidence);
        assert_eq!(code(&out), 0, "blacklist {args:?}\n{}", stderr(&out));
        stdout(&out)
    }

    /// What an attacker holding the public decryption shares of entry `id` can open:
    /// `curator combine` on the given photo's escrow; Some(epoch key) when it opens.
    fn open_with_published_shares(&self, id: u64, group: &Path, photo: &Path) -> Option<[u8; 32]> {
        let shares = network(self)
            .published_shares(registry_address(self), id)
            .unwrap();
        let mut files = Vec::new();
        for (i, ds) in shares.iter().enumerate() {
            let p = self.path(&format!("published-{id}-{i}.json"));
            std::fs::write(&p, serde_json::to_string(ds).unwrap()).unwrap();
            files.push(p);
        }
        let mut args = vec![
            "curator",
            "combine",
            "--group",
            s(group),
            "--evidence",
            s(photo),
        ];
        args.extend(files.iter().map(|p| s(p)));
        let out = self.run(&args);
        if code(&out) != 0 {
            return None;
        }
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        Some(h32(v["epoch_key"].as_str().unwrap()))
    }
}

/// Attack (a): the attacker proposes a staged photo as evidence but copies the escrow
/// point R of a whistleblower's published photo; curators who look at the staged photo
/// must not publish shares that open the whistleblower's escrow.
#[test]
fn attack_a_a_copied_escrow_point_opens_no_whistleblowers_escrow() {
    let w = World::new();
    let (group_dir, set) = w.curators("Board");
    let group = group_dir.join("group.json");
    let day = now() - DAY;
    let cam_w = w.device("cam-w", &group, day);
    std::fs::copy(
        w.path("maker").join("root.pem"),
        w.path("curator-roots.pem"),
    )
    .unwrap();
    let cam_x = w.device("cam-x", &group, day);
    let published = w.capture(&cam_w, "w-published.jpg", day);
    let other_w = w.capture(&cam_w, "w-other.jpg", day + 60);
    let staged = w.capture(&cam_x, "staged.jpg", day + 120);
    let (wc, xc) = (capture_of(&published), capture_of(&staged));

    let chain = network(&w);
    let registry = registry_address(&w);
    let evidence = provenant_core::anchor::DeviceEvidence {
        evidence_hash: sha256_of(&staged),
        epoch: xc.epoch,
        r: h32(&xc.r),
        tag: h32(&xc.tag),
        escrow_point: h32(&wc.escrow.point),
    };
    let id = chain
        .propose_device(
            &signer_of(&w, 0),
            registry,
            1,
            &evidence,
            xc.epoch,
            "staged scene",
        )
        .unwrap();
    assert_eq!(set, "1");
    let ids = id.to_string();

    // Curators look at the staged photo: its escrow point is not the entry's.
    for who in [1, 2] {
        refused(
            &w.curator_act(who, &["approve", &ids], &staged),
            "escrow point",
        );
    }
    assert_eq!(w.entry(&ids)["status"], "proposed");
    // Even if a quorum approved carelessly (straight to the contract), `release` checks again.
    let _ = chain.approve_entry(&signer_of(&w, 1), registry, id);
    let _ = chain.approve_entry(&signer_of(&w, 2), registry, id);
    assert_eq!(w.entry(&ids)["status"], "approved");
    w.pass_time(TIMELOCK + 1);
    for (who, j) in [(1, 1), (3, 3)] {
        let share = group_dir.join(format!("curator-{j}.json"));
        let out = w.curator_act(who, &["release", &ids, "--share", s(&share)], &staged);
        refused(&out, "escrow point");
    }
    // Nothing on chain opens W's escrow, so W's photos stay unlinked.
    if let Some(k) = w.open_with_published_shares(id, &group, &published) {
        let oc = capture_of(&other_w);
        let linked = provenant_core::blacklist::capture::tag::tag(&k, &h32(&oc.r)) == h32(&oc.tag);
        panic!("W's epoch key was recovered from the published shares (it reproduces the tag of W's other photo: {linked})");
    }
    assert_eq!(w.entry(&ids)["shares_published"], 0);
}

/// Attack (b): W's whole capture assertion copied into a fake photo signed with a
/// self-made certificate (and, second try, with another maker's trusted fleet key).
#[test]
fn attack_b_a_copied_capture_assertion_does_not_blacklist_the_whistleblower() {
    let w = World::new();
    let (group_dir, set) = w.curators("Board");
    let group = group_dir.join("group.json");
    let day = now() - DAY;
    let cam_w = w.device("cam-w", &group, day);
    let published = w.capture(&cam_w, "w-published.jpg", day);
    let later = w.capture(&cam_w, "w-later.jpg", day + DAY);
    // The curators honour two makers: Acme (W's) and Other Cameras.
    let other_maker = w.path("other-maker");
    w.ok(&["keygen", "--out", s(&other_maker), "--org", "Other Cameras"]);
    let roots = format!(
        "{}{}",
        std::fs::read_to_string(w.path("maker").join("root.pem")).unwrap(),
        std::fs::read_to_string(other_maker.join("root.pem")).unwrap()
    );
    std::fs::write(w.path("curator-roots.pem"), roots).unwrap();
    let evil = w.path("evil");
    w.ok(&["keygen", "--out", s(&evil), "--org", "Evil"]);
    let self_signed = w.path("fake-self-made.jpg");
    sign_with_capture(&evil, capture_of(&published), &self_signed);
    let other_fleet = w.path("fake-other-fleet.jpg");
    sign_with_capture(&other_maker, capture_of(&published), &other_fleet);

    let chain_args = [
        "--chain",
        &w.anvil.url,
        "--registry",
        &w.registry,
        "--blacklist-chain",
        "--curator-set",
        &set,
    ];
    let chain = network(&w);
    let registry = registry_address(&w);
    for (fake, why) in [(&self_signed, "trusted"), (&other_fleet, "bound")] {
        let id = w.propose(&set, "--evidence", fake, "fake");
        for who in [1, 2] {
            refused(&w.curator_act(who, &["approve", &id], fake), why);
        }
        let n: u64 = id.parse().unwrap();
        let _ = chain.approve_entry(&signer_of(&w, 1), registry, n);
        let _ = chain.approve_entry(&signer_of(&w, 2), registry, n);
        assert_eq!(w.entry(&id)["status"], "approved");
        w.pass_time(TIMELOCK + 1);
        for (who, j) in [(1, 1), (3, 3)] {
            let share = group_dir.join(format!("curator-{j}.json"));
            refused(
                &w.curator_act(who, &["release", &id, "--share", s(&share)], fake),
                why,
            );
        }
        let act = w.bl(
            0,
            &["activate", &id, "--group", s(&group), "--evidence", s(fake)],
        );
        for photo in [&published, &later] {
            let (exit, report) = w.verify(photo, &chain_args);
            assert!(!blacklisted(&report), "{why}: W's photo flagged: {report}");
            assert_eq!(exit, 0);
        }
        assert_eq!(code(&act), 2, "{}", stderr(&act));
        assert_eq!(w.open_with_published_shares(n, &group, &published), None);
        assert_eq!(w.entry(&id)["shares_published"], 0);
    }
}

/// A curator's command refused with an error naming `why` (exit 2).
fn refused(out: &Output, why: &str) {
    assert_eq!(code(out), 2, "must be refused: {}", stderr(out));
    assert!(stderr(out).contains(why), "{}", stderr(out));
    assert!(!stderr(out).contains("panicked"), "{}", stderr(out));
}

// ---- Issue 12 item 9: no trusted dealer ----------------------------------------------

/// Three curators generate the group key by the DKG (separate processes per round, see
/// `World::curators`); the secret files are 0600; `deal` needs an explicit insecure flag;
/// and the rest of the flow is unchanged: propose → approve → release (curators 2 and 3)
/// → activate → verify flags the camera.
#[test]
fn curators_generate_their_key_without_a_dealer() {
    let w = World::new();
    let refused_deal = w.run(&[
        "curator",
        "deal",
        "--threshold",
        "2",
        "--curators",
        "3",
        "--out",
        s(&w.path("dealt")),
    ]);
    assert_eq!(code(&refused_deal), 2, "{}", stderr(&refused_deal));
    assert!(
        stderr(&refused_deal).contains("curator dkg"),
        "{}",
        stderr(&refused_deal)
    );
    assert!(!w.path("dealt").exists());

    let (dir, set) = w.curators("Board");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: PathBuf| std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        for j in 1..=3 {
            let c = dir.join(format!("c{j}"));
            assert_eq!(mode(c.join(format!("dkg-state-{j}.json"))), 0o600);
            assert_eq!(mode(c.join(format!("dkg-state2-{j}.json"))), 0o600);
            assert_eq!(
                mode(c.join("keys").join(format!("curator-{j}.json"))),
                0o600
            );
            let k = if j == 1 { 2 } else { 1 };
            assert_eq!(mode(c.join(format!("round2-{j}-to-{k}.json"))), 0o600);
            assert_eq!(mode(c.join(format!("round1-{j}.json"))) & 0o044, 0o044);
        }
    }
    // The registered set carries the DKG's group key.
    let shown: Value = serde_json::from_str(&w.ok(&[
        "curator",
        "show",
        &set,
        "--chain",
        &w.anvil.url,
        "--registry",
        &w.registry,
    ]))
    .unwrap();
    let group: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("group.json")).unwrap()).unwrap();
    assert_eq!(shown["group_key"], group["public"]);

    let group_file = dir.join("group.json");
    let day = now() - DAY;
    let cam = w.device("cam", &group_file, day);
    let other = w.device("other", &group_file, day);
    let evidence = w.capture(&cam, "evidence.jpg", day);
    let later = w.capture(&cam, "later.jpg", day + DAY);
    let unrelated = w.capture(&other, "unrelated.jpg", day + DAY);
    let id = w.propose(&set, "--evidence", &evidence, "staged");
    w.cur_ok(1, &["approve", &id], &evidence);
    w.cur_ok(3, &["approve", &id], &evidence);
    w.pass_time(TIMELOCK + 1);
    for j in [2, 3] {
        let share = dir.join(format!("curator-{j}.json"));
        w.cur_ok(j, &["release", &id, "--share", s(&share)], &evidence);
    }
    w.bl_ok(
        0,
        &[
            "activate",
            &id,
            "--group",
            s(&group_file),
            "--evidence",
            s(&evidence),
        ],
    );
    let chain_args = [
        "--chain",
        &w.anvil.url,
        "--registry",
        &w.registry,
        "--blacklist-chain",
        "--curator-set",
        &set,
    ];
    for (photo, flagged) in [(&evidence, true), (&later, true), (&unrelated, false)] {
        let (exit, report) = w.verify(photo, &chain_args);
        assert_eq!(
            blacklisted(&report),
            flagged,
            "{}: {report}",
            photo.display()
        );
        assert_eq!(exit, if flagged { 1 } else { 0 });
    }
}

/// A photo with a version-1 capture assertion (escrow not bound to the photo) still
/// verifies and shows its tag, but is refused as evidence with a clear error.
#[test]
fn a_version_1_capture_tag_still_verifies_but_is_not_evidence() {
    let w = World::new();
    let (dir, set) = w.curators("Board");
    let day = now() - DAY;
    let cam = w.device("cam", &dir.join("group.json"), day);
    let photo = w.capture(&cam, "v2.jpg", day);
    let mut old = capture_of(&photo);
    old.version = 1;
    old.escrow.proof_c = None;
    old.escrow.proof_z = None;
    let v1 = w.path("v1.jpg");
    sign_with_capture(&w.path("maker"), old.clone(), &v1);
    let (exit, report) = w.verify(&v1, &[]);
    assert_eq!(exit, 0, "{report}");
    assert_eq!(report["chain"][0]["capture"]["tag"], old.tag);
    let out = w.bl(
        0,
        &[
            "propose",
            "--set",
            &set,
            "--evidence",
            s(&v1),
            "--reason",
            "old",
        ],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("version 1"), "{}", stderr(&out));
    assert!(stderr(&out).contains("not bound"), "{}", stderr(&out));
}
