//! The bounded queue between a live adapter's own thread (BlueZ, SDR radio) and [`Source::next`]: the
//! thread never blocks on a slow pipeline — when the queue is full the item is dropped and counted — and
//! the pipeline never waits on the thread for longer than [`POLL`].
//!
//! [`Source::next`]: super::Source::next

use super::{Item, SourceError, POLL};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

type Message = Result<Item, SourceError>;

/// A queue holding at most `capacity` (at least 1) items.
pub(crate) fn bounded(capacity: usize) -> (Sender, Receiver) {
    let (tx, rx) = mpsc::sync_channel(capacity.max(1));
    let full = Arc::new(AtomicU64::new(0));
    (
        Sender {
            tx,
            full: full.clone(),
        },
        Receiver { rx, full },
    )
}

/// The adapter thread's end.
pub(crate) struct Sender {
    tx: mpsc::SyncSender<Message>,
    full: Arc<AtomicU64>,
}

/// What became of an offered item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offer {
    Queued,
    /// The queue was full: the item was dropped; the number dropped so far, this one included.
    Dropped(u64),
    /// The source was dropped: the adapter thread should end.
    Closed,
}

impl Sender {
    /// Queues `item` without blocking.
    pub(crate) fn offer(&self, item: Item) -> Offer {
        match self.tx.try_send(Ok(item)) {
            Ok(()) => Offer::Queued,
            Err(mpsc::TrySendError::Full(_)) => {
                Offer::Dropped(self.full.fetch_add(1, Ordering::Relaxed) + 1)
            }
            Err(mpsc::TrySendError::Disconnected(_)) => Offer::Closed,
        }
    }

    /// Queues the error that ends the adapter, waiting for room: it must not be dropped.
    pub(crate) fn fail(&self, e: SourceError) {
        let _ = self.tx.send(Err(e));
    }
}

/// The source's end.
pub(crate) struct Receiver {
    rx: mpsc::Receiver<Message>,
    full: Arc<AtomicU64>,
}

impl Receiver {
    /// The next item, [`Item::Idle`] when none came within [`POLL`], the adapter's error, or `None` once
    /// the adapter thread has ended and everything it queued was taken.
    pub(crate) fn next(&self) -> Result<Option<Item>, SourceError> {
        match self.rx.recv_timeout(POLL) {
            Ok(Ok(item)) => Ok(Some(item)),
            Ok(Err(e)) => Err(e),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(Some(Item::Idle)),
            Err(mpsc::RecvTimeoutError::Disconnected) => Ok(None),
        }
    }

    /// Items dropped because the queue was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.full.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(time: i64) -> Item {
        Item::Frame {
            link: capture::LinkType::Radiotap,
            time,
            data: Vec::new(),
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_and_a_closed_one_says_so() {
        let (tx, rx) = bounded(1);
        assert_eq!(tx.offer(frame(1)), Offer::Queued);
        assert_eq!(tx.offer(frame(2)), Offer::Dropped(1));
        assert_eq!(tx.offer(frame(3)), Offer::Dropped(2));
        assert_eq!(rx.dropped(), 2);
        assert_eq!(rx.next().unwrap(), Some(frame(1)));
        // Empty: an idle tick after the poll interval, not the end.
        assert_eq!(rx.next().unwrap(), Some(Item::Idle));
        tx.fail(SourceError {
            source_name: "t".into(),
            message: "radio gone".into(),
            fatal: true,
        });
        assert!(rx.next().is_err_and(|e| e.message == "radio gone"));
        drop(tx);
        assert_eq!(rx.next().unwrap(), None);
        let (tx, rx) = bounded(0);
        drop(rx);
        assert_eq!(tx.offer(frame(4)), Offer::Closed);
    }
}
