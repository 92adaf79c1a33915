//! The single writer: one thread owns the read-write connection and runs write jobs from a channel.
//!
//! SQLite allows one writer at a time; funnelling every write through one thread avoids `SQLITE_BUSY` retries
//! and lets the thread *group-commit*: it takes every job waiting in the channel, runs them one after the
//! other in one transaction, commits them all with a single `COMMIT` (one fsync), and only then answers each
//! job. An answer therefore always means "durable".
//!
//! Jobs run without a savepoint each: a savepoint makes SQLite copy every page a job touches for the first
//! time into a sub-journal, which profiling showed to be a quarter of the writer's time at full ingest. A job
//! that fails instead rolls the whole group back; it is answered with its error and the others run again in
//! a new transaction (jobs are `FnMut` for that), which costs only on the rare failing job.

use crate::{Error, Result};
use rusqlite::Connection;
use std::sync::mpsc::{Receiver, SyncSender};
use tokio::sync::oneshot;

/// At most this many jobs share one commit, which bounds the latency a job can add to the others.
const MAX_GROUP: usize = 512;

/// A unit of work for the writer thread.
pub(crate) trait Job: Send {
    /// Runs inside the open transaction; returns false when the job failed and the transaction must be
    /// undone. A job may run more than once (when another job of its group failed): each run starts from
    /// the database as it was before the group.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Called once the group's transaction has been committed (`Ok`) or abandoned (`Err`).
    fn finish(self: Box<Self>, committed: std::result::Result<(), String>);
}

struct FnJob<T, F> {
    f: F,
    out: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Job for FnJob<T, F>
where
    T: Send,
    F: FnMut(&Connection) -> Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let r = (self.f)(conn);
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
    F: FnMut(&Connection) -> Result<T> + Send + 'static,
{
    let (reply, rx) = oneshot::channel();
    let j = FnJob {
        f,
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
/// `on_abort` runs after a group transaction was rolled back, before its jobs run again or are answered.
pub(crate) fn run(conn: Connection, rx: Receiver<Box<dyn Job>>, on_abort: impl Fn()) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        commit_group(&conn, jobs, &on_abort);
    }
}

/// Runs and commits a group, answering every job. A failing job is taken out (answered with its own error)
/// and the rest run again, until a group commits or a commit itself fails (then all are answered with it).
fn commit_group(conn: &Connection, mut jobs: Vec<Box<dyn Job>>, on_abort: &impl Fn()) {
    loop {
        let outcome = run_group(conn, &mut jobs);
        let failed = match outcome {
            Ok(None) => {
                for j in jobs {
                    j.finish(Ok(()));
                }
                return;
            }
            Ok(Some(i)) => Ok(i),
            Err(e) => Err(e),
        };
        // A failed statement may already have ended the transaction (SQLite rolls back by itself on some
        // errors), so the rollback's own error says nothing.
        let _ = conn.execute_batch("ROLLBACK");
        on_abort();
        match failed {
            Ok(i) => {
                // Its answer is the error it recorded while running.
                jobs.remove(i).finish(Ok(()));
                if jobs.is_empty() {
                    return;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, jobs = jobs.len(), "write transaction failed");
                let e = e.to_string();
                for j in jobs {
                    j.finish(Err(e.clone()));
                }
                return;
            }
        }
    }
}

/// Runs the jobs in one transaction. `Ok(None)`: committed; `Ok(Some(i))`: job `i` failed (the transaction
/// is still open, to be rolled back); `Err`: the transaction could not be begun or committed.
fn run_group(conn: &Connection, jobs: &mut [Box<dyn Job>]) -> rusqlite::Result<Option<usize>> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    for (i, j) in jobs.iter_mut().enumerate() {
        if !j.run(conn) {
            return Ok(Some(i));
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok(None)
}
