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

/// Streaming zstd decompression (serve decodes `.zst` logs on the fly). `push` returns what the
/// decoder produced for a chunk; `finish` fails when the input ended inside a frame, so a
/// truncated file is reported rather than served as if complete.
#[napi]
pub struct ZstdDecompressor {
    decoder: Option<::zstd::stream::raw::Decoder<'static>>,
    /// True between the first byte of a frame and its end.
    in_frame: bool,
    out: Vec<u8>,
}

#[napi]
impl ZstdDecompressor {
    #[napi(constructor)]
    pub fn new() -> Result<Self> {
        let decoder = ::zstd::stream::raw::Decoder::new().map_err(io_err)?;
        Ok(Self {
            decoder: Some(decoder),
            in_frame: false,
            out: vec![0u8; 128 * 1024],
        })
    }

    /// Decompresses `chunk`; returns the bytes decoded from it (possibly empty).
    #[napi]
    pub fn push(&mut self, chunk: Buffer) -> Result<Buffer> {
        use ::zstd::stream::raw::{InBuffer, Operation, OutBuffer};
        let dec = self.decoder.as_mut().ok_or_else(finished)?;
        let mut input = InBuffer::around(&chunk);
        let mut produced = Vec::new();
        while input.pos < input.src.len() {
            let mut output = OutBuffer::around(&mut self.out[..]);
            let hint = dec.run(&mut input, &mut output).map_err(io_err)?;
            let n = output.pos();
            produced.extend_from_slice(&self.out[..n]);
            self.in_frame = hint != 0;
        }
        // Drain what the decoder still holds for the input it consumed.
        loop {
            let mut empty = InBuffer::around(&[]);
            let mut output = OutBuffer::around(&mut self.out[..]);
            let hint = dec.run(&mut empty, &mut output).map_err(io_err)?;
            let n = output.pos();
            produced.extend_from_slice(&self.out[..n]);
            // Without input, a decoder between frames reports the next header's size: only a
            // run that still produced output says where the frame stands.
            if n == 0 {
                break;
            }
            self.in_frame = hint != 0;
        }
        Ok(produced.into())
    }

    /// Ends the input: an error when it stopped inside a frame (truncated file).
    #[napi]
    pub fn finish(&mut self) -> Result<()> {
        self.decoder.take().ok_or_else(finished)?;
        if self.in_frame {
            return Err(napi::Error::new(
                Status::GenericFailure,
                "ERR_ZSTD: input ends inside a zstd frame (truncated)".to_string(),
            ));
        }
        Ok(())
    }
}
