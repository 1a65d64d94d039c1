//! Bad input gets a clear error with a code, never a panic, and loses nothing accepted.

mod common;

use common::*;
use logferry_core::{Config, Error, Logger, LoggerManager};
use std::time::Duration;

fn cfg(dir: &std::path::Path) -> Config {
    let mut c = Config::new(dir.join("app.log"));
    c.buffer_size = 64 << 10;
    c.num_shards = 4;
    c
}

#[test]
fn invalid_config_values() {
    let dir = scratch();
    type Edit = Box<dyn Fn(&mut Config)>;
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(|c| c.num_shards = 0), "numShards"),
        (Box::new(|c| c.num_shards = 5000), "numShards"),
        (Box::new(|c| c.buffer_size = 10), "bufferSize"),
        (Box::new(|c| c.buffer_size = usize::MAX / 2), "bufferSize"),
        (Box::new(|c| c.max_file_size = 1), "maxFileSize"),
        (
            Box::new(|c| c.flush_interval = Duration::ZERO),
            "flushInterval",
        ),
        (Box::new(|c| c.log_file_path = "".into()), "logFilePath"),
        (Box::new(|c| c.log_file_path = "/".into()), "logFilePath"),
    ];
    for (f, name) in cases {
        let mut c = cfg(dir.path());
        f(&mut c);
        let e = Logger::new(c).err().expect("must be refused");
        assert_eq!(e.code(), "ERR_INVALID_CONFIG");
        assert!(e.to_string().contains(name), "{e} should name {name}");
    }
}

#[test]
fn unwritable_locations() {
    let dir = scratch();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    // Parent is a regular file.
    let mut c = cfg(dir.path());
    c.log_file_path = file.join("app.log");
    let e = Logger::new(c).err().unwrap();
    assert_eq!(e.code(), "ERR_IO");
    assert!(e.to_string().contains("plain-file"), "{e}");
    // Path is a directory.
    let mut c = cfg(dir.path());
    c.log_file_path = dir.path().to_path_buf().join(".");
    assert!(Logger::new(c).is_err());
    let mut c = cfg(dir.path());
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    c.log_file_path = sub.clone();
    assert_eq!(Logger::new(c).err().unwrap().code(), "ERR_IO");
    // /proc refuses new files even for root.
    let mut c = cfg(dir.path());
    c.log_file_path = "/proc/logferry-test/app.log".into();
    assert_eq!(Logger::new(c).err().unwrap().code(), "ERR_IO");
}

#[test]
fn oversized_records_are_refused_and_others_kept() {
    let dir = scratch();
    let l = Logger::new(cfg(dir.path())).unwrap();
    let max = l.max_record_size();
    assert_eq!(max, (64 << 10) / 4 - 1);
    l.log("before").unwrap();
    let e = l.log_bytes(&vec![b'x'; max + 1]).unwrap_err();
    assert_eq!(e.code(), "ERR_RECORD_TOO_LARGE");
    assert!(e.to_string().contains("bufferSize"), "{e}");
    let e = l
        .log_batch(&[b"ok".as_slice(), &vec![b'y'; max + 10]])
        .unwrap_err();
    assert_eq!(e.code(), "ERR_RECORD_TOO_LARGE");
    l.log_bytes(&vec![b'z'; max]).unwrap(); // exactly the limit fits
    l.log("after").unwrap();
    l.close().unwrap();
    let files = log_files(dir.path(), "app");
    let (recs, _) = logferry_core::read_all(&files[0]).unwrap();
    assert_eq!(recs.len(), 4, "before, ok, max-size record and after");
    assert_eq!(recs[0], b"before");
    assert_eq!(recs[1], b"ok");
    assert_eq!(recs[2].len(), max);
    assert_eq!(recs[3], b"after");
}

#[test]
fn use_after_close() {
    let dir = scratch();
    let l = Logger::new(cfg(dir.path())).unwrap();
    l.log("one").unwrap();
    l.close().unwrap();
    assert!(matches!(l.log("two"), Err(Error::Closed)));
    assert_eq!(
        l.log_batch(&[b"x".as_slice()]).unwrap_err().code(),
        "ERR_LOGGER_CLOSED"
    );
    assert_eq!(l.flush().unwrap_err().code(), "ERR_LOGGER_CLOSED");
    l.close().unwrap();
    assert_eq!(l.stats().total_logs, 1);
}

#[test]
fn event_names() {
    let dir = scratch();
    let m = LoggerManager::new(cfg(dir.path())).unwrap();
    assert_eq!(
        m.log_with_event("", "x").unwrap_err().code(),
        "ERR_INVALID_EVENT_NAME"
    );
    m.log_with_event("payment/order", "a").unwrap();
    m.log_with_event("user login", "b").unwrap();
    m.log_with_event("event:test", "c").unwrap();
    m.log_with_event("../../etc/passwd", "d").unwrap();
    m.log_with_event(&"é".repeat(400), "e").unwrap();
    assert!(m.has_event_logger("payment/order"));
    assert!(m.has_event_logger("payment_order"));
    assert!(!m.has_event_logger("nope"));
    let list = m.list_event_loggers();
    assert_eq!(list.len(), 5);
    assert!(list.contains(&"payment_order".to_string()));
    assert!(list.contains(&".._.._etc_passwd".to_string()));
    assert!(m.close_event_logger("user login").unwrap());
    assert!(!m.close_event_logger("user login").unwrap());
    m.close().unwrap();
    assert_eq!(m.aggregated_stats().total_logs, 5);
    assert_eq!(
        m.log_with_event("payment", "late").unwrap_err().code(),
        "ERR_LOGGER_CLOSED"
    );
    // Every file stayed inside the directory.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("payment_order_")));
}

#[test]
fn manager_writes_one_file_per_event() {
    let dir = scratch();
    let m = LoggerManager::new(cfg(dir.path())).unwrap();
    for i in 0..1000 {
        for e in ["payment", "login", "search"] {
            m.log_with_event(e, &format!("{e} {i}")).unwrap();
        }
    }
    m.initialize_event_logger("checkout").unwrap();
    assert_eq!(
        m.list_event_loggers(),
        vec!["checkout", "login", "payment", "search"]
    );
    let st = m.aggregated_stats();
    assert_eq!(st.total_logs, 3000);
    m.close().unwrap();
    for e in ["payment", "login", "search"] {
        let files = log_files(dir.path(), &format!("{e}_"));
        assert_eq!(files.len(), 1);
        let (recs, _) = logferry_core::read_all(&files[0]).unwrap();
        assert_eq!(recs.len(), 1000);
        assert_eq!(recs[999], format!("{e} 999").into_bytes());
    }
    assert!(
        log_files(dir.path(), "checkout").is_empty(),
        "an empty event file is removed at close"
    );
    assert!(m.aggregated_flush_metrics().flushes >= 3);
}
