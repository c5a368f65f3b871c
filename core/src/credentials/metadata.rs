//! Photo metadata a newsroom signs with a picture: caption, creator, credit line,
//! copyright and dateline (city, country, date created), as IPTC defines them, written
//! into the manifest as a CAWG metadata assertion (`cawg.metadata`, JSON-LD with the Dublin
//! Core and Photoshop namespaces IPTC's XMP mapping uses); and the do-not-train statement
//! (`cawg.training-mining`).
//!
//! The fields come from the command line or from the input file's own metadata: XMP
//! (JPEG APP1, PNG iTXt) and IPTC-IIM (JPEG APP13, Photoshop resource 0x0404). The
//! `c2pa.metadata` assertion is not used: the C2PA specification keeps it for fields that
//! hardware or software generate, and these are written by people.
//!
//! Everything read here comes from a file someone else made: sizes are bounded, every
//! field is capped at [`MAX_FIELD`] characters, control characters are dropped, and a
//! malformed segment is skipped, never an error.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Label of the assertion holding the photo metadata.
pub const METADATA_ASSERTION: &str = "cawg.metadata";
/// Label of the training-and-data-mining assertion.
pub const TRAINING_MINING_ASSERTION: &str = "cawg.training-mining";
/// The longest field kept, in characters (IPTC's caption limit is 2,000 bytes).
pub const MAX_FIELD: usize = 2_000;
/// The most creators kept.
const MAX_CREATORS: usize = 16;
/// The most XMP read from one file.
const MAX_XMP: usize = 256 * 1024;

const DC: &str = "http://purl.org/dc/elements/1.1/";
const PHOTOSHOP: &str = "http://ns.adobe.com/photoshop/1.0/";

/// IPTC photo metadata fields provenant signs and shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoMetadata {
    /// Caption / description (IPTC Description, `dc:description`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Creators (IPTC Creator, `dc:creator`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub creator: Vec<String>,
    /// Credit line (IPTC Credit Line, `photoshop:Credit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    /// Copyright notice (IPTC Copyright Notice, `dc:rights`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copyright: Option<String>,
    /// Dateline city (`photoshop:City`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Dateline country (`photoshop:Country`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Date created (`photoshop:DateCreated`, ISO 8601 as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_created: Option<String>,
}

/// Keeps a field only when it has text, without control characters, at most
/// [`MAX_FIELD`] characters.
fn clean(text: &str) -> Option<String> {
    let kept: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .take(MAX_FIELD)
        .collect();
    let kept = kept.trim();
    (!kept.is_empty()).then(|| kept.to_owned())
}

impl PhotoMetadata {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The dateline as a reader sees it: "City, Country, date" (the parts present).
    pub fn dateline(&self) -> Option<String> {
        let parts: Vec<&str> = [&self.city, &self.country, &self.date_created]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// `self`, with every field `over` sets taking its place (the command line over the
    /// file's own metadata).
    pub fn overridden_by(mut self, over: &PhotoMetadata) -> Self {
        let take = |mine: &mut Option<String>, theirs: &Option<String>| {
            if let Some(v) = theirs.as_deref().and_then(clean) {
                *mine = Some(v);
            }
        };
        take(&mut self.caption, &over.caption);
        take(&mut self.credit, &over.credit);
        take(&mut self.copyright, &over.copyright);
        take(&mut self.city, &over.city);
        take(&mut self.country, &over.country);
        take(&mut self.date_created, &over.date_created);
        let creators: Vec<String> = over
            .creator
            .iter()
            .filter_map(|c| clean(c))
            .take(MAX_CREATORS)
            .collect();
        if !creators.is_empty() {
            self.creator = creators;
        }
        self
    }

    /// The JSON-LD body of the [`METADATA_ASSERTION`].
    pub fn to_assertion(&self) -> Value {
        let mut body = Map::new();
        let mut context = Map::new();
        let mut put = |ns: &str, uri: &str, key: &str, value: Value| {
            context.insert(ns.to_owned(), json!(uri));
            body.insert(key.to_owned(), value);
        };
        if let Some(v) = &self.caption {
            put("dc", DC, "dc:description", json!(v));
        }
        if !self.creator.is_empty() {
            put("dc", DC, "dc:creator", json!(self.creator));
        }
        if let Some(v) = &self.copyright {
            put("dc", DC, "dc:rights", json!(v));
        }
        if let Some(v) = &self.credit {
            put("photoshop", PHOTOSHOP, "photoshop:Credit", json!(v));
        }
        if let Some(v) = &self.city {
            put("photoshop", PHOTOSHOP, "photoshop:City", json!(v));
        }
        if let Some(v) = &self.country {
            put("photoshop", PHOTOSHOP, "photoshop:Country", json!(v));
        }
        if let Some(v) = &self.date_created {
            put("photoshop", PHOTOSHOP, "photoshop:DateCreated", json!(v));
        }
        body.insert("@context".into(), Value::Object(context));
        Value::Object(body)
    }

    /// Reads the fields back from a metadata assertion's JSON-LD (any label), resolving
    /// prefixes through its `@context`; unknown fields are ignored.
    pub fn from_assertion(value: &Value) -> Self {
        let mut m = Self::default();
        let Some(obj) = value.as_object() else {
            return m;
        };
        let context = obj.get("@context").and_then(Value::as_object);
        let uri_of = |prefix: &str| context.and_then(|c| c.get(prefix)).and_then(Value::as_str);
        let text = |v: &Value| -> Option<String> {
            match v {
                Value::String(s) => clean(s),
                Value::Array(a) => a.iter().find_map(|x| x.as_str().and_then(clean)),
                Value::Object(o) => o
                    .get("@value")
                    .or_else(|| o.get("x-default"))
                    .and_then(Value::as_str)
                    .and_then(clean),
                _ => None,
            }
        };
        for (key, v) in obj {
            let Some((prefix, local)) = key.split_once(':') else {
                continue;
            };
            match (uri_of(prefix), local) {
                (Some(DC), "description") => m.caption = text(v),
                (Some(DC), "rights") => m.copyright = text(v),
                (Some(DC), "creator") => {
                    m.creator = match v {
                        Value::Array(a) => a
                            .iter()
                            .filter_map(|x| x.as_str().and_then(clean))
                            .take(MAX_CREATORS)
                            .collect(),
                        other => text(other).into_iter().collect(),
                    }
                }
                (Some(PHOTOSHOP), "Credit") => m.credit = text(v),
                (Some(PHOTOSHOP), "City") => m.city = text(v),
                (Some(PHOTOSHOP), "Country") => m.country = text(v),
                (Some(PHOTOSHOP), "DateCreated") => m.date_created = text(v),
                _ => {}
            }
        }
        m
    }

    /// The metadata a picture carries itself: IPTC-IIM first, XMP over it (XMP is the
    /// newer and the one editors keep in sync). JPEG and PNG; other formats give none.
    pub fn from_media(bytes: &[u8]) -> Self {
        let mut found = Self::default();
        if bytes.starts_with(&[0xFF, 0xD8]) {
            for (marker, body) in crate::jpeg_segments::Segments::after_soi(bytes) {
                if marker == 0xED {
                    if let Some(iim) = photoshop_iim(body) {
                        found = found.overridden_by(&from_iim(iim));
                    }
                }
            }
            for (marker, body) in crate::jpeg_segments::Segments::after_soi(bytes) {
                if marker == 0xE1 {
                    if let Some(xmp) = body.strip_prefix(b"http://ns.adobe.com/xap/1.0/\0") {
                        found = found.overridden_by(&from_xmp(xmp));
                    }
                }
            }
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            for xmp in png_xmp(bytes) {
                found = found.overridden_by(&from_xmp(xmp));
            }
        }
        found
    }
}

/// The photo metadata a manifest carries (a `cawg.metadata` assertion, or the older
/// `stds.iptc*` / `c2pa.metadata` ones), when any field is set.
pub fn metadata_of(manifest: &c2pa::Manifest) -> Option<PhotoMetadata> {
    let mut found = PhotoMetadata::default();
    for assertion in manifest.assertions() {
        let label = assertion.label();
        if label == METADATA_ASSERTION || label.starts_with("stds.iptc") || label == "c2pa.metadata"
        {
            if let Ok(value) = assertion.value() {
                found = found.overridden_by(&PhotoMetadata::from_assertion(value));
            }
        }
    }
    (!found.is_empty()).then_some(found)
}

/// True when a manifest's training-and-data-mining assertion forbids every use it names.
pub fn do_not_train_of(manifest: &c2pa::Manifest) -> bool {
    manifest.assertions().iter().any(|a| {
        (a.label() == TRAINING_MINING_ASSERTION || a.label() == "c2pa.training-mining")
            && a.value().is_ok_and(forbids_training)
    })
}

/// The do-not-train statement: every use the CAWG training-and-data-mining assertion
/// names is `notAllowed`.
pub fn do_not_train_assertion() -> Value {
    let not_allowed = json!({ "use": "notAllowed" });
    json!({
        "entries": {
            "cawg.ai_inference": not_allowed,
            "cawg.ai_generative_training": not_allowed,
            "cawg.ai_training": not_allowed,
            "cawg.data_mining": not_allowed,
        }
    })
}

/// True when a training-and-data-mining assertion forbids every use it names.
pub fn forbids_training(value: &Value) -> bool {
    value
        .get("entries")
        .and_then(Value::as_object)
        .is_some_and(|e| {
            !e.is_empty()
                && e.values()
                    .all(|v| v.get("use").and_then(Value::as_str) == Some("notAllowed"))
        })
}

/// The IPTC-IIM data of a Photoshop APP13 segment (image resource 0x0404).
fn photoshop_iim(body: &[u8]) -> Option<&[u8]> {
    let mut rest = body.strip_prefix(b"Photoshop 3.0\0")?;
    while rest.len() >= 12 && rest.starts_with(b"8BIM") {
        let id = u16::from_be_bytes([rest[4], rest[5]]);
        let name_len = rest[6] as usize;
        // The Pascal name (length byte + text) is padded to an even size.
        let name_total = (1 + name_len).next_multiple_of(2);
        let size_at = 6 + name_total;
        let size = u32::from_be_bytes(rest.get(size_at..size_at + 4)?.try_into().ok()?) as usize;
        let data_at = size_at + 4;
        let data = rest.get(data_at..data_at.checked_add(size)?)?;
        if id == 0x0404 {
            return Some(data);
        }
        rest = rest.get((data_at + size).next_multiple_of(2)..)?;
    }
    None
}

/// The fields of IPTC-IIM record 2 (the application record).
fn from_iim(mut data: &[u8]) -> PhotoMetadata {
    let mut m = PhotoMetadata::default();
    let mut utf8 = false;
    while data.len() >= 5 && data[0] == 0x1C {
        let (record, dataset) = (data[1], data[2]);
        let len = u16::from_be_bytes([data[3], data[4]]);
        if len & 0x8000 != 0 {
            break; // extended lengths are not used by these fields
        }
        let Some(value) = data.get(5..5 + len as usize) else {
            break;
        };
        data = &data[5 + len as usize..];
        // 1:90 coded character set: ESC % G is UTF-8.
        if (record, dataset) == (1, 90) {
            utf8 = value == b"\x1b%G";
            continue;
        }
        if record != 2 {
            continue;
        }
        let text = match std::str::from_utf8(value) {
            Ok(s) if utf8 || s.is_ascii() => s.to_owned(),
            Ok(s) => s.to_owned(),
            // Not UTF-8: the usual legacy encoding is Latin-1.
            Err(_) => value.iter().map(|&b| b as char).collect(),
        };
        let Some(text) = clean(&text) else { continue };
        match dataset {
            120 => m.caption = Some(text),
            80 if m.creator.len() < MAX_CREATORS => m.creator.push(text),
            110 => m.credit = Some(text),
            116 => m.copyright = Some(text),
            90 => m.city = Some(text),
            101 => m.country = Some(text),
            55 if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) => {
                m.date_created = Some(format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..]));
            }
            _ => {}
        }
    }
    m
}

/// The XMP packets of a PNG (`iTXt` chunks with keyword `XML:com.adobe.xmp`, uncompressed).
fn png_xmp(bytes: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    let mut at = 8;
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        let Some(data) = bytes.get(at + 8..(at + 8).saturating_add(len)) else {
            break;
        };
        if kind == b"iTXt" {
            // keyword\0 compression-flag compression-method language\0 translated\0 text
            if let Some(rest) = data.strip_prefix(b"XML:com.adobe.xmp\0") {
                if rest.first() == Some(&0) {
                    let mut parts = rest[2..].splitn(3, |&b| b == 0);
                    if let (Some(_), Some(_), Some(text)) =
                        (parts.next(), parts.next(), parts.next())
                    {
                        found.push(text);
                    }
                }
            }
        }
        if kind == b"IDAT" || kind == b"IEND" {
            break;
        }
        at += 12 + len;
    }
    found
}

/// The fields of an XMP packet (simple properties as elements or attributes, and the
/// first item of language alternatives; every item of `dc:creator`).
fn from_xmp(xmp: &[u8]) -> PhotoMetadata {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    use quick_xml::NsReader;

    #[derive(Clone, Copy, PartialEq)]
    enum Field {
        Caption,
        Creator,
        Credit,
        Copyright,
        City,
        Country,
        Date,
    }
    fn field(ns: &ResolveResult<'_>, local: &[u8]) -> Option<Field> {
        let ResolveResult::Bound(ns) = ns else {
            return None;
        };
        match (ns.as_ref(), local) {
            (n, b"description") if n == DC.as_bytes() => Some(Field::Caption),
            (n, b"creator") if n == DC.as_bytes() => Some(Field::Creator),
            (n, b"rights") if n == DC.as_bytes() => Some(Field::Copyright),
            (n, b"Credit") if n == PHOTOSHOP.as_bytes() => Some(Field::Credit),
            (n, b"City") if n == PHOTOSHOP.as_bytes() => Some(Field::City),
            (n, b"Country") if n == PHOTOSHOP.as_bytes() => Some(Field::Country),
            (n, b"DateCreated") if n == PHOTOSHOP.as_bytes() => Some(Field::Date),
            _ => None,
        }
    }
    fn set(m: &mut PhotoMetadata, f: Field, text: &str) {
        let Some(text) = clean(text) else { return };
        let slot = match f {
            Field::Creator => {
                if m.creator.len() < MAX_CREATORS {
                    m.creator.push(text);
                }
                return;
            }
            Field::Caption => &mut m.caption,
            Field::Credit => &mut m.credit,
            Field::Copyright => &mut m.copyright,
            Field::City => &mut m.city,
            Field::Country => &mut m.country,
            Field::Date => &mut m.date_created,
        };
        // Language alternatives: the first one (x-default comes first by convention).
        slot.get_or_insert(text);
    }

    let mut m = PhotoMetadata::default();
    let xmp = &xmp[..xmp.len().min(MAX_XMP)];
    let Ok(text) = std::str::from_utf8(xmp) else {
        return m;
    };
    let mut reader = NsReader::from_str(text);
    // The property each open element belongs to (inherited by its children), and the
    // text of the innermost one (entity references arrive as separate events).
    let mut stack: Vec<Option<Field>> = Vec::new();
    let mut buffer = String::new();
    loop {
        let Ok((ns, event)) = reader.read_resolved_event() else {
            return m; // malformed: keep what was read
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                buffer.clear();
                let inherited = stack.last().copied().flatten();
                let own = field(&ns, e.local_name().as_ref());
                for attr in e.attributes().flatten() {
                    let (ans, local) = reader.resolver().resolve_attribute(attr.key);
                    if let Some(f) = field(&ans, local.as_ref()) {
                        if let Ok(v) = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                            set(&mut m, f, &v);
                        }
                    }
                }
                if !empty {
                    stack.push(own.or(inherited));
                    if stack.len() > 64 {
                        return m;
                    }
                }
            }
            Event::Text(t) if buffer.len() < 4 * MAX_FIELD => {
                if let Ok(v) = t.decode() {
                    buffer.push_str(&v);
                }
            }
            Event::GeneralRef(r) if buffer.len() < 4 * MAX_FIELD => {
                let entity = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match r.decode().as_deref() {
                        Ok("amp") => Some('&'),
                        Ok("lt") => Some('<'),
                        Ok("gt") => Some('>'),
                        Ok("quot") => Some('"'),
                        Ok("apos") => Some('\''),
                        _ => None,
                    },
                };
                buffer.extend(entity);
            }
            Event::End(_) => {
                if let Some(Some(f)) = stack.pop() {
                    set(&mut m, f, &buffer);
                }
                buffer.clear();
            }
            Event::Eof => return m,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XMP: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:ps="http://ns.adobe.com/photoshop/1.0/"
  ps:Credit="Agence &amp; Co" ps:City="Lyon">
 <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Flood waters rise on the Saône</rdf:li><rdf:li xml:lang="fr">Crue</rdf:li></rdf:Alt></dc:description>
 <dc:creator><rdf:Seq><rdf:li>Ana Pérez</rdf:li><rdf:li>Bo Li</rdf:li></rdf:Seq></dc:creator>
 <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© 2026 Agence</rdf:li></rdf:Alt></dc:rights>
 <ps:Country>France</ps:Country><ps:DateCreated>2026-11-29</ps:DateCreated>
</rdf:Description></rdf:RDF></x:xmpmeta>"#;

    fn iim(fields: &[(u8, u8, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (r, d, v) in fields {
            out.extend_from_slice(&[0x1C, *r, *d]);
            out.extend_from_slice(&(v.len() as u16).to_be_bytes());
            out.extend_from_slice(v);
        }
        out
    }

    fn jpeg_with(segments: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        for (marker, body) in segments {
            out.extend_from_slice(&[0xFF, *marker]);
            out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(body);
        }
        out.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
        out
    }

    fn app13(iim: &[u8]) -> Vec<u8> {
        let mut b = b"Photoshop 3.0\08BIM".to_vec();
        b.extend_from_slice(&0x0404u16.to_be_bytes());
        b.extend_from_slice(&[0, 0]); // empty Pascal name, padded
        b.extend_from_slice(&(iim.len() as u32).to_be_bytes());
        b.extend_from_slice(iim);
        b
    }

    #[test]
    fn xmp_fields_are_read_with_any_prefix() {
        let m = from_xmp(XMP.as_bytes());
        assert_eq!(m.caption.as_deref(), Some("Flood waters rise on the Saône"));
        assert_eq!(m.creator, ["Ana Pérez", "Bo Li"]);
        assert_eq!(m.credit.as_deref(), Some("Agence & Co"));
        assert_eq!(m.copyright.as_deref(), Some("© 2026 Agence"));
        assert_eq!(m.dateline().as_deref(), Some("Lyon, France, 2026-11-29"));
    }

    #[test]
    fn iim_then_xmp_from_a_jpeg_and_the_command_line_wins() {
        let data = iim(&[
            (1, 90, b"\x1b%G"),
            (2, 120, "Légende IIM".as_bytes()),
            (2, 80, b"IIM Creator"),
            (2, 110, b"IIM Credit"),
            (2, 90, b"Paris"),
            (2, 55, b"20261128"),
        ]);
        let jpeg = jpeg_with(&[(0xED, app13(&data))]);
        let m = PhotoMetadata::from_media(&jpeg);
        assert_eq!(m.caption.as_deref(), Some("Légende IIM"));
        assert_eq!(m.creator, ["IIM Creator"]);
        assert_eq!(m.dateline().as_deref(), Some("Paris, 2026-11-28"));

        let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
        xmp.extend_from_slice(XMP.as_bytes());
        let jpeg = jpeg_with(&[(0xED, app13(&data)), (0xE1, xmp)]);
        let m = PhotoMetadata::from_media(&jpeg);
        assert_eq!(m.caption.as_deref(), Some("Flood waters rise on the Saône"));
        assert_eq!(m.city.as_deref(), Some("Lyon"));

        let cli = PhotoMetadata {
            caption: Some("From the desk".into()),
            creator: vec!["Desk".into()],
            ..Default::default()
        };
        let m = m.overridden_by(&cli);
        assert_eq!(m.caption.as_deref(), Some("From the desk"));
        assert_eq!(m.creator, ["Desk"]);
        assert_eq!(m.credit.as_deref(), Some("Agence & Co"));
    }

    #[test]
    fn the_assertion_round_trips() {
        let m = from_xmp(XMP.as_bytes());
        let v = m.to_assertion();
        assert_eq!(v["@context"]["dc"], DC);
        assert_eq!(v["photoshop:Credit"], "Agence & Co");
        assert_eq!(PhotoMetadata::from_assertion(&v), m);
        // Another prefix for the same namespace reads the same.
        let other = json!({"@context": {"d": DC}, "d:description": ["x"]});
        assert_eq!(
            PhotoMetadata::from_assertion(&other).caption.as_deref(),
            Some("x")
        );
        assert!(forbids_training(&do_not_train_assertion()));
        assert!(!forbids_training(
            &json!({"entries": {"cawg.ai_training": {"use": "allowed"}}})
        ));
        assert!(!forbids_training(&json!({})));
    }

    #[test]
    fn hostile_metadata_is_bounded_and_never_fails() {
        // Truncated and lying lengths, deep nesting, control characters, huge fields.
        let long = "x".repeat(10_000);
        let data = iim(&[(2, 120, long.as_bytes()), (2, 80, b"a\x07b\x1b[31m")]);
        let m = PhotoMetadata::from_media(&jpeg_with(&[(0xED, app13(&data))]));
        assert_eq!(m.caption.unwrap().chars().count(), MAX_FIELD);
        assert_eq!(m.creator, ["ab[31m"]);
        let mut bad = app13(&data);
        bad.truncate(bad.len() - 3);
        let _ = PhotoMetadata::from_media(&jpeg_with(&[(0xED, bad)]));
        let _ = PhotoMetadata::from_media(&[0xFF, 0xD8, 0xFF, 0xED, 0xFF, 0xFF, 1]);
        let deep = format!(
            "http://ns.adobe.com/xap/1.0/\0{}{}",
            "<a>".repeat(5_000),
            "</a>".repeat(5_000)
        );
        let _ = PhotoMetadata::from_media(&jpeg_with(&[(0xE1, deep.into_bytes())]));
        let _ = from_xmp(b"<dc:description xmlns:dc='http://purl.org/dc/elements/1.1/'>unclosed");
        let _ = png_xmp(b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffiTXt");
        assert!(PhotoMetadata::from_media(b"not a picture").is_empty());
    }
}
