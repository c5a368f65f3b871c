#![allow(clippy::unwrap_used)]
use provenant_core::perceptual::*;
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let img = decode_picture(&std::fs::read(&args[0]).unwrap()).unwrap();
    img.resize(512, 512, image::imageops::FilterType::Triangle)
        .save(&args[1])
        .unwrap();
}
