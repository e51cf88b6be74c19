//! A private `redis-server` on 127.0.0.1 on a free port, for the
//! `RedisStore` tests. Without `redis-server` they are skipped, except when
//! `CI` is set: then they fail (`.ci/run` installs it).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use qurl::webhooks::RedisStore;

/// A `redis-server` child process, killed on drop.
pub struct RedisServer {
    child: Child,
    pub url: String,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a private `redis-server`, or `None` (skip) when it is not
/// installed and `CI` is not set.
pub async fn redis_server() -> Option<RedisServer> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port();
    let spawned = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(child) => child,
        Err(err) if std::env::var_os("CI").is_some() => {
            panic!("redis-server is required in CI (.ci/run installs it): {err}")
        }
        Err(err) => {
            eprintln!(
                "skipping: redis-server not available ({err}); `apt-get install redis-server`"
            );
            return None;
        }
    };
    let server = RedisServer {
        child,
        url: format!("redis://127.0.0.1:{port}/"),
    };
    // Bounded wait for the server to accept connections: 100 × 50 ms.
    for _ in 0..100 {
        if RedisStore::connect(&server.url).await.is_ok() {
            return Some(server);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("redis-server did not accept connections on port {port} within 5 s");
}

/// A new connection to `server`.
pub async fn store(server: &RedisServer) -> RedisStore {
    RedisStore::connect(&server.url).await.expect("connect")
}
