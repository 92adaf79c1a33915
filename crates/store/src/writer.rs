//! The single writer: one thread owns the read-write connection and runs write jobs from a channel.
//!
//! SQLite allows one writer at a time; funnelling every write through one thread avoids `SQLITE_BUSY` retries
//! and lets the thread *group-commit*: it takes every job waiting in the channel, runs each inside its own
//! savepoint (so one failing job rolls back alone), commits them all with a single `COMMIT` (one fsync), and
//! only then answers each job. An answer therefore always means "durable".

use crate::{Error, Result};
use rusqlite::Connection;
use std::sync::mpsc::{Receiver, SyncSender};
use tokio::sync::oneshot;

/// At most this many jobs share one commit, which bounds the latency a job can add to the others.
const MAX_GROUP: usize = 512;

/// A unit of work for the writer thread.
pub(crate) trait Job: Send {
    /// Runs inside the open transaction; returns false when the job failed and its savepoint must be undone.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Called once the group's transaction has been committed (`Ok`) or abandoned (`Err`).
    fn finish(self: Box<Self>, committed: std::result::Result<(), String>);
}

struct FnJob<T, F> {
    f: Option<F>,
    out: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Job for FnJob<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(f) = self.f.take() else {
            return false;
        };
        let r = f(conn);
        let ok = r.is_ok();
        self.out = Some(r);
        ok
    }

    fn finish(mut self: Box<Self>, committed: std::result::Result<(), String>) {
        let answer = match committed {
            Ok(()) => self.out.take().unwrap_or(Err(Error::Closed)),
            Err(e) => Err(Error::Commit(e)),
        };
        // The caller may have gone away (a client that disconnected); nothing to do then.
        let _ = self.reply.send(answer);
    }
}

/// The answer to a write, available once its transaction is committed.
#[must_use = "a write is only known to be durable once its ticket resolves"]
pub struct Ticket<T>(oneshot::Receiver<Result<T>>);

impl<T> Ticket<T> {
    /// A ticket already answered (for back-ends that know the outcome at once).
    pub fn ready(answer: Result<T>) -> Ticket<T> {
        let (tx, rx) = oneshot::channel();
        let _ = tx.send(answer);
        Ticket(rx)
    }

    /// A ticket and the sender that answers it once the write is durable (for other back-ends).
    pub fn channel() -> (oneshot::Sender<Result<T>>, Ticket<T>) {
        let (tx, rx) = oneshot::channel();
        (tx, Ticket(rx))
    }

    /// Waits asynchronously for the commit.
    ///
    /// # Errors
    ///
    /// The job's own error, a commit failure, or [`Error::Closed`] when the writer has stopped.
    pub async fn done(self) -> Result<T> {
        self.0.await.unwrap_or(Err(Error::Closed))
    }

    /// Waits, blocking the thread, for the commit (for command-line tools and tests).
    ///
    /// # Errors
    ///
    /// As [`Ticket::done`].
    ///
    /// # Panics
    ///
    /// When called from inside an asynchronous runtime (use [`Ticket::done`] there).
    pub fn wait(self) -> Result<T> {
        self.0.blocking_recv().unwrap_or(Err(Error::Closed))
    }
}

/// Wraps a closure as a job and returns the ticket of its answer.
pub(crate) fn job<T, F>(f: F) -> (Box<dyn Job>, Ticket<T>)
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T> + Send + 'static,
{
    let (reply, rx) = oneshot::channel();
    let j = FnJob {
        f: Some(f),
        out: None,
        reply,
    };
    (Box::new(j), Ticket(rx))
}

/// Sends a job, answering it at once with [`Error::Closed`] when the writer is gone.
pub(crate) fn submit(tx: &SyncSender<Box<dyn Job>>, j: Box<dyn Job>) {
    if let Err(std::sync::mpsc::SendError(j)) = tx.send(j) {
        j.finish(Err("the store is closed".into()));
    }
}

/// The writer thread's loop; returns when every sender is dropped and the channel is drained.
/// `on_abort` runs after a group transaction was rolled back, before its jobs are answered.
pub(crate) fn run(conn: Connection, rx: Receiver<Box<dyn Job>>, on_abort: impl Fn()) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let outcome = run_group(&conn, &mut jobs);
        if let Err(e) = &outcome {
            tracing::error!(error = %e, jobs = jobs.len(), "write transaction failed");
            let _ = conn.execute_batch("ROLLBACK");
            on_abort();
        }
        let committed = outcome.map_err(|e| e.to_string());
        for j in jobs {
            j.finish(committed.clone());
        }
    }
}

fn run_group(conn: &Connection, jobs: &mut [Box<dyn Job>]) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    for j in jobs.iter_mut() {
        conn.execute_batch("SAVEPOINT job")?;
        if j.run(conn) {
            conn.execute_batch("RELEASE job")?;
        } else {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
        }
    }
    conn.execute_batch("COMMIT")
}
