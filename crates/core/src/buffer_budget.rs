//! The memory budget a `LoggerManager` shares out over its event loggers.
//!
//! Every event logger owns two buffers per shard. Under a budget of `max_buffer_bytes`, with
//! `n` event loggers open, each shard buffer is sealed once it holds
//!
//! ```text
//! limit = min(shard buffer size, floor4096(max_buffer_bytes / n / (2 * num_shards)))
//! ```
//!
//! so the buffers of all events together never fill more than `max_buffer_bytes` (plus, per
//! buffer, the part of one record longer than the room left: such a record goes alone into an
//! empty buffer, so the largest record accepted never depends on how many events are open).
//! The limit is recomputed whenever an event logger opens or closes; pages above a lowered
//! limit are given back to the kernel as the buffers are written. Below `MIN_SHARD_BUFFER`
//! per shard buffer a logger would flush too often to be useful, so an event that would push
//! the limit below it is refused with `ERR_BUFFER_BUDGET` (never a silent drop).

use crate::config::{Config, ALIGN};
use crate::error::{Error, Result};

/// Default `max_buffer_bytes`: 1 GiB, what 8 event loggers with default buffers fill.
pub const DEFAULT_MAX_BUFFER_BYTES: u64 = 1 << 30;

/// Smallest shard buffer limit a budget hands out (or the shard buffer size, if smaller).
pub const MIN_SHARD_BUFFER: usize = 64 << 10;

/// Bytes one event logger's buffers fill at `limit` bytes per shard buffer.
pub fn event_buffer_bytes(cfg: &Config, limit: usize) -> u64 {
    2 * cfg.num_shards as u64 * limit as u64
}

/// Smallest limit the budget hands out to loggers of `cfg`.
fn floor(cfg: &Config) -> usize {
    MIN_SHARD_BUFFER.min(cfg.shard_buffer_size())
}

/// How many event loggers of `cfg` fit in `max_buffer_bytes` at the smallest limit.
pub fn max_events(max_buffer_bytes: u64, cfg: &Config) -> usize {
    // max(1): a config with no shards (refused by `Config::validate`) must not divide by 0.
    let per = event_buffer_bytes(cfg, floor(cfg)).max(1);
    usize::try_from(max_buffer_bytes / per).unwrap_or(usize::MAX)
}

/// Shard buffer limit of each of `events` open loggers of `cfg` under `max_buffer_bytes`, or
/// `ERR_BUFFER_BUDGET` when that would be below the floor.
pub fn shard_buffer_limit(max_buffer_bytes: u64, events: usize, cfg: &Config) -> Result<usize> {
    let events = events.max(1);
    let share = max_buffer_bytes / events as u64 / (2 * cfg.num_shards.max(1) as u64);
    let share = usize::try_from(share).unwrap_or(usize::MAX) / ALIGN * ALIGN;
    let limit = share.min(cfg.shard_buffer_size());
    if limit < floor(cfg) {
        return Err(Error::BufferBudget {
            events,
            max_buffer_bytes,
            max_events: max_events(max_buffer_bytes, cfg),
            event_bytes: event_buffer_bytes(cfg, floor(cfg)),
        });
    }
    Ok(limit)
}

/// Checks that `max_buffer_bytes` holds at least one event logger of `cfg`.
pub fn validate(max_buffer_bytes: u64, cfg: &Config) -> Result<()> {
    if max_events(max_buffer_bytes, cfg) == 0 {
        return Err(Error::InvalidConfig(format!(
            "maxBufferBytes must hold at least one event's buffers ({} bytes with numShards {}), got {max_buffer_bytes}",
            event_buffer_bytes(cfg, floor(cfg)),
            cfg.num_shards
        )));
    }
    Ok(())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn cfg() -> Config {
        Config::new("/tmp/x.log") // 64 MiB over 8 shards: 8 MiB shard buffers
    }

    #[test]
    fn default_budget_keeps_full_buffers_up_to_eight_events() {
        let c = cfg();
        for n in 1..=8 {
            assert_eq!(
                shard_buffer_limit(DEFAULT_MAX_BUFFER_BYTES, n, &c).unwrap(),
                8 << 20
            );
        }
        // 9 events: 1 GiB / 9 / 16 = 7 456 540 -> 7 454 720 (floor to 4096).
        assert_eq!(
            shard_buffer_limit(DEFAULT_MAX_BUFFER_BYTES, 9, &c).unwrap(),
            7_454_720
        );
    }

    #[test]
    fn total_never_exceeds_the_budget() {
        let c = cfg();
        for budget in [1u64 << 20, 100 << 20, 1 << 30, 3_000_000_007] {
            for n in 1..=max_events(budget, &c) {
                let l = shard_buffer_limit(budget, n, &c).unwrap();
                assert_eq!(l % ALIGN, 0);
                assert!(l >= MIN_SHARD_BUFFER);
                assert!(
                    n as u64 * event_buffer_bytes(&c, l) <= budget,
                    "{budget} {n}"
                );
            }
        }
    }

    #[test]
    fn one_event_past_the_floor_is_refused_with_a_code() {
        let c = cfg();
        // 1 GiB at 1 MiB per event (2 x 8 x 64 KiB) holds 1024 events.
        assert_eq!(max_events(DEFAULT_MAX_BUFFER_BYTES, &c), 1024);
        assert_eq!(
            shard_buffer_limit(DEFAULT_MAX_BUFFER_BYTES, 1024, &c).unwrap(),
            MIN_SHARD_BUFFER
        );
        let e = shard_buffer_limit(DEFAULT_MAX_BUFFER_BYTES, 1025, &c).unwrap_err();
        assert_eq!(e.code(), "ERR_BUFFER_BUDGET");
        assert!(e.to_string().contains("1024"), "{e}");
    }

    #[test]
    fn no_shards_is_no_division_by_zero() {
        // Found by test/options/logger-options-fuzz.test.ts (numShards 0 past the validator).
        let mut c = cfg();
        c.num_shards = 0;
        let _ = max_events(1 << 30, &c);
        let _ = shard_buffer_limit(1 << 30, 3, &c);
        let _ = validate(1 << 30, &c);
    }

    #[test]
    fn small_buffers_floor_at_their_own_size() {
        let mut c = cfg();
        c.buffer_size = 16 << 10; // 8 shards of 4096
        assert_eq!(shard_buffer_limit(1 << 20, 1, &c).unwrap(), 4096);
        assert_eq!(max_events(1 << 20, &c), 16);
        assert!(validate(65_535, &c).is_err());
        assert!(validate(65_536, &c).is_ok());
    }
}
