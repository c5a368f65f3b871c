//! A PostgreSQL database of its own per test, on the throwaway server of
//! `scripts/postgres.sh` (`PROVENANT_TEST_POSTGRES`); the tests that need it fail without it.

use std::time::{SystemTime, UNIX_EPOCH};

/// A database of its own on the test server, dropped with this.
pub struct Database {
    admin: String,
    name: String,
    pub url: String,
}

impl Database {
    /// A new database named `provenant_{prefix}_…`, dropped when this is.
    pub fn new(prefix: &str) -> Self {
        let admin = std::env::var("PROVENANT_TEST_POSTGRES")
            .ok()
            .filter(|v| !v.is_empty())
            .expect(
                "PROVENANT_TEST_POSTGRES is not set: these tests need a PostgreSQL server. \
                 Run `eval \"$(scripts/postgres.sh env)\"` (or `scripts/postgres.sh start` and \
                 export PROVENANT_TEST_POSTGRES=<the URL it prints>), then run them again",
            );
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("provenant_{prefix}_{}_{nanos}", std::process::id());
        postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (base, query) = admin.split_once('?').unwrap_or((&admin, ""));
        let scheme_end = base.find("://").unwrap() + 3;
        let host_end = base[scheme_end..]
            .find('/')
            .map_or(base.len(), |i| scheme_end + i);
        let mut url = format!("{}/{name}", &base[..host_end]);
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        Self { admin, name, url }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
