//! Streaming SHA-256 of media: constant memory whatever the file size.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// SHA-256 of everything `reader` yields, read in 64 KiB chunks.
pub fn sha256_stream<R: Read>(mut reader: R) -> io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finalize().into())
}

/// Lower-case hex SHA-256 of `reader`.
pub fn sha256_hex<R: Read>(reader: R) -> io::Result<String> {
    sha256_stream(reader).map(hex::encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(
            sha256_hex(&b""[..]).unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(&b"abc"[..]).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn chunking_does_not_change_the_digest() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole: [u8; 32] = Sha256::digest(&data).into();
        assert_eq!(sha256_stream(&data[..]).unwrap(), whole);
    }
}
