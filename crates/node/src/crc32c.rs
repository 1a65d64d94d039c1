//! CRC32C of fixed-size chunks, for computing HDFS's block checksums (one CRC per
//! `bytes-per-checksum` chunk, stored big-endian) while a file streams through.

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// The big-endian CRC32C of each `chunk_size` slice of `data` (the last may be shorter).
#[napi(js_name = "crc32cChunks")]
pub fn crc32c_chunks(data: &[u8], chunk_size: u32) -> Result<Buffer> {
    if chunk_size == 0 {
        return Err(Error::new(
            Status::InvalidArg,
            "ERR_INVALID_ARG: chunk size must be > 0".to_string(),
        ));
    }
    let mut out = Vec::with_capacity(data.len().div_ceil(chunk_size as usize) * 4);
    for chunk in data.chunks(chunk_size as usize) {
        out.extend_from_slice(&crc32c::crc32c(chunk).to_be_bytes());
    }
    Ok(out.into())
}
