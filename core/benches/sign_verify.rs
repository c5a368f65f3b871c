//! Sign and verify a small JPEG (the demo sample) and a 12-megapixel one.
//! `cargo bench -p provenant-core`; `scripts/bench.sh` compares with c2patool.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use provenant_core::credentials::keys::{self, KeygenOptions};
use provenant_core::credentials::sign::{sign_stream, SignRequest};
use provenant_core::credentials::signer::KeyFileSigner;
use provenant_core::credentials::verify::{verify_bytes, VerifyOptions};
use provenant_core::TrustAnchors;

const SAMPLE: &[u8] = include_bytes!("../../samples/harbour-capture.jpg");

#[path = "../examples/bench_image.rs"]
mod bench_image;

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("provenant-bench-{}", std::process::id()));
    let creds = keys::generate(&KeygenOptions::default()).unwrap();
    let paths = keys::write_key_dir(&dir, &creds, true).unwrap();
    let identity = KeyFileSigner::load(&dir).unwrap();
    let trust = TrustAnchors::none()
        .with_pem("root", &creds.root_cert)
        .unwrap();
    let options = VerifyOptions {
        trust,
        ..Default::default()
    };
    let request = SignRequest::default();

    let inputs = [
        ("small-1024x683", SAMPLE.to_vec()),
        (
            "12mp-4000x3000",
            bench_image::photo_like_jpeg(4000, 3000).unwrap(),
        ),
    ];
    let mut sign = c.benchmark_group("sign");
    sign.sample_size(20);
    let mut signed = Vec::new();
    for (name, bytes) in &inputs {
        sign.throughput(Throughput::Bytes(bytes.len() as u64));
        sign.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| {
                let mut out = Cursor::new(Vec::with_capacity(bytes.len() + 64 * 1024));
                sign_stream(
                    &mut Cursor::new(bytes),
                    &mut out,
                    identity.as_signer(),
                    &request,
                )
                .unwrap();
                out.into_inner()
            })
        });
        let mut out = Cursor::new(Vec::new());
        sign_stream(
            &mut Cursor::new(bytes),
            &mut out,
            identity.as_signer(),
            &request,
        )
        .unwrap();
        signed.push((*name, out.into_inner()));
    }
    sign.finish();

    let mut verify = c.benchmark_group("verify");
    verify.sample_size(20);
    for (name, bytes) in &signed {
        let r = verify_bytes(bytes, &options).unwrap();
        assert_eq!(r.verdict, provenant_core::Verdict::Trusted);
        verify.throughput(Throughput::Bytes(bytes.len() as u64));
        verify.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| verify_bytes(bytes, &options).unwrap())
        });
    }
    verify.finish();

    // What the built-in C2PA trust list (52 more anchors) costs a verification.
    let mut with_list = options.trust.clone();
    with_list
        .add_trust_list(
            "C2PA trust list",
            provenant_core::credentials::trust::C2PA_TRUST_LIST,
        )
        .unwrap();
    with_list
        .add_tsa_anchors(
            "C2PA TSA trust list",
            provenant_core::credentials::trust::C2PA_TSA_TRUST_LIST,
        )
        .unwrap();
    let with_list = VerifyOptions {
        trust: with_list,
        ..Default::default()
    };
    let mut trust = c.benchmark_group("verify-trust");
    trust.sample_size(30);
    let small = &signed[0].1;
    for (name, opts) in [("one-root", &options), ("one-root+c2pa-list", &with_list)] {
        trust.bench_with_input(BenchmarkId::from_parameter(name), small, |b, bytes| {
            b.iter(|| verify_bytes(bytes, opts).unwrap())
        });
    }
    trust.finish();
    let _ = std::fs::remove_dir_all(paths.ca_dir.parent().unwrap());
}

criterion_group!(benches, bench);
criterion_main!(benches);
