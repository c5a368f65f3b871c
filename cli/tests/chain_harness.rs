//! Exercises the chain test harness (`common/chain.rs`) against a real anvil:
//! the node wrapper, the JSON-RPC client and the fault-injecting proxy. These
//! tests fail (never skip) when anvil is missing.
#![allow(clippy::unwrap_used)]

#[path = "common/network.rs"]
mod network;

use std::time::{Duration, Instant};

use network::{
    parse_hex_u64, rpc, rpc_with_timeout, Anvil, Fault, FaultProxy, RpcConnection, ANVIL_CHAIN_ID,
    DEV_ADDRESSES, NONCE_TOO_LOW,
};
use serde_json::{json, Value};

const SECS_5: Duration = Duration::from_secs(5);

fn chain_id(url: &str) -> Result<u64, String> {
    rpc(url, "eth_chainId", json!([])).map(|v| parse_hex_u64(&v).expect("hex chain id"))
}

#[test]
fn anvil_starts_and_answers_chain_id() {
    let anvil = Anvil::start();
    assert_eq!(chain_id(&anvil.url).unwrap(), ANVIL_CHAIN_ID);
    assert_eq!(anvil.url, format!("http://127.0.0.1:{}", anvil.port));
}

#[test]
fn dev_accounts_are_anvils_first_accounts() {
    let anvil = Anvil::start();
    let accounts = anvil.call("eth_accounts", json!([]));
    let accounts: Vec<String> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_ascii_lowercase())
        .collect();
    for addr in DEV_ADDRESSES {
        assert!(accounts.contains(&addr.to_ascii_lowercase()), "{addr}");
    }
    assert_eq!(accounts[..3], DEV_ADDRESSES.map(str::to_ascii_lowercase));
}

#[test]
fn mine_advances_block_number() {
    let anvil = Anvil::start();
    assert_eq!(anvil.block_number(), 0);
    anvil.mine(5);
    assert_eq!(anvil.block_number(), 5);
    anvil.mine(1);
    assert_eq!(anvil.block_number(), 6);
    assert_eq!(anvil.tag_number("latest"), 6);
}

/// With `--slots-in-an-epoch 1`: safe = latest - 1, finalized = latest - 2,
/// both saturating at genesis.
#[test]
fn finalized_lags_latest_by_two() {
    let anvil = Anvil::start();
    assert_eq!(anvil.tag_number("finalized"), 0);
    assert_eq!(anvil.tag_number("safe"), 0);
    anvil.mine(1);
    assert_eq!(anvil.tag_number("finalized"), 0);
    assert_eq!(anvil.tag_number("safe"), 0);
    for _ in 0..4 {
        anvil.mine(1);
        let latest = anvil.tag_number("latest");
        assert_eq!(anvil.tag_number("safe"), latest - 1);
        assert_eq!(anvil.tag_number("finalized"), latest - 2);
    }
    anvil.mine(10);
    assert_eq!(anvil.tag_number("finalized"), 13);
}

#[test]
fn reorg_replaces_latest_block() {
    let anvil = Anvil::start();
    anvil.mine(3);
    let before = anvil.block("latest");
    let parent = anvil.block_at(2);
    anvil.reorg(1);
    let after = anvil.block("latest");
    assert_eq!(after["number"], before["number"]);
    assert_ne!(after["hash"], before["hash"]);
    assert_eq!(after["parentHash"], parent["hash"], "only the tip changed");
    assert_eq!(anvil.block_at(2)["hash"], parent["hash"]);
    // The parameter shape anvil 1.7.1 wants: [number, [[tx, offset], …]].
    let err = anvil.rpc("anvil_reorg", json!(["0x1", []])).unwrap_err();
    assert!(err.contains("expected u64"), "{err}");
    let err = anvil.rpc("anvil_reorg", json!([1])).unwrap_err();
    assert!(err.contains("2 elements"), "{err}");
}

/// anvil 1.7.1 drops the transactions of reorged-out blocks: they do not go
/// back to the mempool, are not re-mined, and the sender's nonce rewinds.
#[test]
fn reorged_out_transaction_is_dropped() {
    let anvil = Anvil::start();
    let (from, to) = (DEV_ADDRESSES[0], DEV_ADDRESSES[1]);
    let hash = anvil.send_value(from, to, 1);
    let receipt = anvil.wait_receipt(&hash, SECS_5).expect("automined");
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(anvil.nonce(from, "latest"), 1);
    anvil.reorg(1);
    assert!(anvil.tx_receipt(&hash).is_none());
    assert_eq!(
        anvil.call("eth_getTransactionByHash", json!([hash])),
        Value::Null
    );
    assert_eq!(anvil.nonce(from, "latest"), 0);
    assert_eq!(anvil.nonce(from, "pending"), 0);
    anvil.mine(3);
    assert!(anvil.tx_receipt(&hash).is_none(), "not re-mined");
    assert_eq!(anvil.nonce(from, "latest"), 0);

    // Re-including it explicitly works: [tx, block offset] pairs.
    let tip = anvil.block_number();
    anvil.reorg_with(1, json!([[{ "from": from, "to": to, "value": "0x1" }, 0]]));
    assert_eq!(anvil.block_number(), tip);
    let txs = anvil.block("latest")["transactions"].clone();
    assert_eq!(txs.as_array().unwrap().len(), 1);
    assert_eq!(anvil.nonce(from, "latest"), 1);
}

/// A reorged-out signed transaction can simply be re-broadcast (its nonce is
/// free again); re-sending a mined one gets anvil's own "nonce too low",
/// code -32003 (geth uses -32000, as does `Fault::nonce_too_low`).
#[test]
fn reorged_out_raw_transaction_can_be_rebroadcast() {
    let anvil = Anvil::start();
    let (from, to) = (DEV_ADDRESSES[0], DEV_ADDRESSES[1]);
    let raw = anvil.call(
        "eth_signTransaction",
        json!([{
            "from": from, "to": to, "value": "0x1", "nonce": "0x0", "gas": "0x5208",
            "maxFeePerGas": "0x77359400", "maxPriorityFeePerGas": "0x1", "chainId": "0x7a69",
        }]),
    );
    let hash = anvil.call("eth_sendRawTransaction", json!([raw]));
    let hash = hash.as_str().unwrap();
    assert!(anvil.wait_receipt(hash, SECS_5).is_some());
    anvil.reorg(1);
    assert!(anvil.tx_receipt(hash).is_none());
    assert_eq!(anvil.call("eth_sendRawTransaction", json!([raw])), hash);
    assert!(anvil.wait_receipt(hash, SECS_5).is_some());
    let err = anvil
        .rpc("eth_sendRawTransaction", json!([raw]))
        .unwrap_err();
    assert_eq!(err, "rpc error -32003: nonce too low");
}

#[test]
fn snapshot_revert_time_and_automine() {
    let anvil = Anvil::start();
    let snap = anvil.snapshot();
    anvil.mine(4);
    assert!(anvil.revert(&snap));
    assert_eq!(anvil.block_number(), 0);
    assert!(!anvil.revert(&snap), "a snapshot is used up by reverting");

    let t0 = parse_hex_u64(&anvil.block("latest")["timestamp"]).unwrap();
    anvil.increase_time(3600);
    anvil.mine(1);
    let t1 = parse_hex_u64(&anvil.block("latest")["timestamp"]).unwrap();
    assert!(t1 >= t0 + 3600, "{t0} -> {t1}");

    anvil.set_auto_mine(false);
    let hash = anvil.send_value(DEV_ADDRESSES[0], DEV_ADDRESSES[1], 1);
    assert!(
        anvil.tx_receipt(&hash).is_none(),
        "pending without automine"
    );
    anvil.mine(1);
    assert!(
        anvil.tx_receipt(&hash).is_some(),
        "anvil_mine is synchronous"
    );
    anvil.set_auto_mine(true);
}

#[test]
fn two_nodes_run_side_by_side() {
    let a = Anvil::start();
    let b = Anvil::start_with(&["--chain-id", "4242"]);
    assert_ne!(a.port, b.port);
    assert_eq!(chain_id(&a.url).unwrap(), ANVIL_CHAIN_ID);
    assert_eq!(chain_id(&b.url).unwrap(), 4242);
    let url = b.url.clone();
    drop(b);
    assert!(chain_id(&url).is_err(), "dropped node is gone");
}

#[test]
fn proxy_forwards_chain_id() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    assert_eq!(chain_id(proxy.url()).unwrap(), ANVIL_CHAIN_ID);
    assert_eq!(proxy.count("eth_chainId"), 1);
    assert_eq!(proxy.faults_injected(), 0);
}

#[test]
fn status_503_once_then_success() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    proxy.inject("eth_chainId", Fault::service_unavailable(), 1);
    let err = chain_id(proxy.url()).unwrap_err();
    assert!(err.starts_with("HTTP 503"), "{err}");
    assert!(err.contains("Service Unavailable"), "{err}");
    assert_eq!(chain_id(proxy.url()).unwrap(), ANVIL_CHAIN_ID);
    assert_eq!(proxy.count("eth_chainId"), 2);
    assert_eq!(proxy.faults_injected(), 1);
}

#[test]
fn rpc_error_on_send_raw_transaction_is_seen_by_client() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    proxy.inject("eth_sendRawTransaction", Fault::nonce_too_low(), 1);
    // Not forwarded, so the payload does not even have to be a valid tx.
    let err = rpc(proxy.url(), "eth_sendRawTransaction", json!(["0x00"])).unwrap_err();
    assert_eq!(
        err,
        format!("rpc error {}: {}", NONCE_TOO_LOW.0, NONCE_TOO_LOW.1)
    );
    // Other methods are untouched.
    assert_eq!(chain_id(proxy.url()).unwrap(), ANVIL_CHAIN_ID);
    // The next one is forwarded: anvil itself rejects the garbage.
    let err = rpc(proxy.url(), "eth_sendRawTransaction", json!(["0x00"])).unwrap_err();
    assert!(!err.contains("nonce too low"), "{err}");
    assert_eq!(
        proxy.log()[0],
        ("eth_sendRawTransaction".to_owned(), Some("rpc_error"))
    );
}

#[test]
fn rpc_error_keeps_the_request_id() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    proxy.inject("*", Fault::replacement_underpriced(), 1);
    let body =
        json!({ "jsonrpc": "2.0", "id": "abc-7", "method": "eth_blockNumber", "params": [] });
    let resp = network::http_post(proxy.url(), body.to_string().as_bytes(), SECS_5).unwrap();
    assert_eq!(resp.status, 200);
    let v: Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(v["id"], "abc-7");
    assert_eq!(v["error"]["code"], -32000);
    assert_eq!(v["error"]["message"], "replacement transaction underpriced");
}

#[test]
fn forward_then_rpc_error_really_forwards() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    let (from, to) = (DEV_ADDRESSES[0], DEV_ADDRESSES[1]);
    assert_eq!(anvil.nonce(from, "latest"), 0);
    proxy.inject(
        "eth_sendTransaction",
        Fault::forward_then_rpc_error(-32000, "already known"),
        1,
    );
    let err = rpc(
        proxy.url(),
        "eth_sendTransaction",
        json!([{ "from": from, "to": to, "value": "0x1" }]),
    )
    .unwrap_err();
    assert_eq!(err, "rpc error -32000: already known");
    // …yet the transaction went through (asked of anvil directly).
    assert!(anvil.wait_block(1, SECS_5));
    assert_eq!(anvil.nonce(from, "latest"), 1);
    assert_eq!(
        proxy.log(),
        [(
            "eth_sendTransaction".to_owned(),
            Some("forward_then_rpc_error")
        )]
    );
}

#[test]
fn timeout_fails_a_client_with_a_short_read_timeout() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    proxy.inject("eth_chainId", Fault::Timeout(Duration::from_secs(30)), 1);
    let started = Instant::now();
    let err = rpc_with_timeout(
        proxy.url(),
        "eth_chainId",
        json!([]),
        Duration::from_millis(500),
    )
    .unwrap_err();
    let took = started.elapsed();
    assert!(err.starts_with("read from"), "{err}");
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    // The proxy is not stuck: the next request is answered.
    assert_eq!(chain_id(proxy.url()).unwrap(), ANVIL_CHAIN_ID);
    // Dropping cuts the pending 30 s sleep short.
    let started = Instant::now();
    drop(proxy);
    assert!(started.elapsed() < SECS_5);
}

#[test]
fn timeout_closes_after_its_duration() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    proxy.inject("eth_chainId", Fault::Timeout(Duration::from_millis(300)), 1);
    let err = rpc_with_timeout(proxy.url(), "eth_chainId", json!([]), SECS_5).unwrap_err();
    assert!(err.contains("closed without a response"), "{err}");
}

#[test]
fn close_connection_and_delay() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    proxy.inject("eth_blockNumber", Fault::CloseConnection, 1);
    proxy.inject(
        "eth_blockNumber",
        Fault::Delay(Duration::from_millis(400)),
        1,
    );
    let err = rpc(proxy.url(), "eth_blockNumber", json!([])).unwrap_err();
    assert!(err.contains("closed without a response"), "{err}");
    let started = Instant::now();
    assert_eq!(
        rpc(proxy.url(), "eth_blockNumber", json!([])).unwrap(),
        "0x0"
    );
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(proxy.faults_injected(), 2);
    assert_eq!(proxy.pending_faults(), 0);
}

#[test]
fn counters_count() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    proxy.inject("*", Fault::Status(500), 2);
    proxy.inject(
        "eth_getBalance",
        Fault::rpc_error(-32005, "rate limited"),
        1,
    );
    assert_eq!(proxy.pending_faults(), 3);
    for _ in 0..3 {
        let _ = rpc(proxy.url(), "eth_chainId", json!([]));
    }
    for _ in 0..2 {
        let _ = rpc(
            proxy.url(),
            "eth_getBalance",
            json!([DEV_ADDRESSES[0], "latest"]),
        );
    }
    assert_eq!(proxy.count("eth_chainId"), 3);
    assert_eq!(proxy.count("eth_getBalance"), 2);
    assert_eq!(proxy.count("eth_call"), 0);
    assert_eq!(proxy.count("*"), 5);
    assert_eq!(proxy.faults_injected(), 3);
    assert_eq!(proxy.pending_faults(), 0);
    let log = proxy.log();
    let names: Vec<(&str, Option<&str>)> = log.iter().map(|(m, f)| (m.as_str(), *f)).collect();
    assert_eq!(
        names,
        [
            ("eth_chainId", Some("status")),
            ("eth_chainId", Some("status")),
            ("eth_chainId", None),
            ("eth_getBalance", Some("rpc_error")),
            ("eth_getBalance", None),
        ]
    );
    proxy.inject("*", Fault::CloseConnection, 5);
    proxy.clear_faults();
    assert_eq!(chain_id(proxy.url()).unwrap(), ANVIL_CHAIN_ID);
}

/// A long-lived keep-alive client (as reqwest/alloy pool them) keeps working
/// through idle gaps and HTTP-level faults on one TCP connection.
#[test]
fn long_lived_keep_alive_client() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    let mut client = RpcConnection::open(proxy.url(), Duration::from_secs(10)).unwrap();
    for i in 0..20 {
        if i == 5 {
            proxy.inject("eth_blockNumber", Fault::service_unavailable(), 1);
            let err = client.call("eth_blockNumber", json!([])).unwrap_err();
            assert!(err.starts_with("HTTP 503"), "{err}");
        }
        if i == 10 {
            proxy.inject("eth_blockNumber", Fault::nonce_too_low(), 1);
            let err = client.call("eth_blockNumber", json!([])).unwrap_err();
            assert!(err.contains("nonce too low"), "{err}");
            // Idle longer than the proxy's poll interval.
            std::thread::sleep(Duration::from_millis(350));
        }
        anvil.mine(1);
        let n = client.call("eth_blockNumber", json!([])).unwrap();
        assert_eq!(parse_hex_u64(&n), Some(i + 1));
    }
    assert_eq!(proxy.connections(), 1, "all on one connection");
    assert_eq!(proxy.count("eth_blockNumber"), 22);
}

#[test]
fn batch_faults_apply_per_element() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    anvil.mine(2);
    proxy.inject("eth_blockNumber", Fault::nonce_too_low(), 1);
    let batch = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": [] },
        { "jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": [] },
        { "jsonrpc": "2.0", "id": 3, "method": "eth_blockNumber", "params": [] },
    ]);
    let resp = network::http_post(proxy.url(), batch.to_string().as_bytes(), SECS_5).unwrap();
    assert_eq!(resp.status, 200, "{}", resp.text());
    let v: Value = serde_json::from_slice(&resp.body).unwrap();
    let answers = v.as_array().unwrap();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["id"], 1);
    assert_eq!(answers[0]["result"], "0x7a69");
    assert_eq!(answers[1]["id"], 2);
    assert_eq!(answers[1]["error"]["message"], "nonce too low");
    assert_eq!(answers[2]["id"], 3);
    assert_eq!(answers[2]["result"], "0x2");
    assert_eq!(proxy.count("eth_blockNumber"), 2);
    assert_eq!(proxy.count("*"), 3);

    // A transport fault drawn by any element takes down the whole batch.
    proxy.inject("eth_chainId", Fault::Status(503), 1);
    let resp = network::http_post(proxy.url(), batch.to_string().as_bytes(), SECS_5).unwrap();
    assert_eq!(resp.status, 503);
}

#[test]
fn upstream_down_gives_502() {
    let anvil = Anvil::start();
    let proxy = FaultProxy::start(&anvil.url);
    assert_eq!(chain_id(proxy.url()).unwrap(), ANVIL_CHAIN_ID);
    drop(anvil);
    let err = chain_id(proxy.url()).unwrap_err();
    assert!(err.starts_with("HTTP 502"), "{err}");
}
