//! Streaming zstd compression for the TypeScript layer (Node 20's zlib has no zstd). Thin: the
//! `zstd` crate does the work; `push` returns what the encoder produced for a chunk, `finish`
//! the rest including the frame epilogue.

use std::io::Write;

use ::zstd::stream::write::Encoder;
use napi::bindgen_prelude::*;
use napi_derive::napi;

fn io_err(e: std::io::Error) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("ERR_ZSTD: {e}"))
}

#[napi]
pub struct ZstdCompressor {
    encoder: Option<Encoder<'static, Vec<u8>>>,
}

#[napi]
impl ZstdCompressor {
    /// `level`: 1..=22 (default 3, zstd's own default).
    #[napi(constructor)]
    pub fn new(level: Option<i32>) -> Result<Self> {
        let level = level.unwrap_or(3);
        if !(1..=22).contains(&level) {
            return Err(napi::Error::new(
                Status::InvalidArg,
                format!("ERR_INVALID_CONFIG: zstd level must be 1..=22, got {level}"),
            ));
        }
        let encoder = Encoder::new(Vec::new(), level).map_err(io_err)?;
        Ok(Self {
            encoder: Some(encoder),
        })
    }

    /// Compresses `chunk`; returns the compressed bytes ready so far (often empty).
    #[napi]
    pub fn push(&mut self, chunk: Buffer) -> Result<Buffer> {
        let enc = self.encoder.as_mut().ok_or_else(finished)?;
        enc.write_all(&chunk).map_err(io_err)?;
        Ok(std::mem::take(enc.get_mut()).into())
    }

    /// Ends the frame; returns the remaining compressed bytes. The compressor is spent afterwards.
    #[napi]
    pub fn finish(&mut self) -> Result<Buffer> {
        let enc = self.encoder.take().ok_or_else(finished)?;
        Ok(enc.finish().map_err(io_err)?.into())
    }
}

fn finished() -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        "ERR_ZSTD: compressor already finished".to_string(),
    )
}
