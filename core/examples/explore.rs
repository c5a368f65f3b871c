use c2pa::{Context, Reader};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = &args[1];
    let mut settings = c2pa::Settings::new();
    if let Some(t) = args.get(2) {
        let pem = std::fs::read_to_string(t).unwrap();
        settings = settings.with_value("trust.trust_anchors", pem).unwrap();
    }
    let ctx = Context::new().with_settings(settings).unwrap();
    let f = std::fs::File::open(file).unwrap();
    match Reader::from_context(ctx).with_stream("image/jpeg", f) {
        Ok(r) => {
            println!("STATE {:?}", r.validation_state());
            println!("{}", r.json());
            println!("RESULTS {}", serde_json::to_string_pretty(&r.validation_results()).unwrap());
        }
        Err(e) => println!("ERR {e:?}"),
    }
}
