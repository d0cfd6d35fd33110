//! The event hub: every event a task publishes becomes an [`Envelope`]
//! whose `seq` is the store's, fanned out to any number of watchers.
//!
//! A [`Publisher`] appends a persistent event to the store, then
//! broadcasts it, under one per-task lock, so watchers receive envelopes
//! in seq order. A [`Subscription`] replays the stored events after the
//! seq it was given, then goes live with no gap and no duplicate: it joins
//! the broadcast before reading the store and drops live envelopes the
//! replay already delivered. The broadcast buffer is bounded; a watcher
//! that falls behind catches up from the store (missing transient events,
//! never stored ones), and the task never waits for a watcher.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::sync::broadcast;

use cowork_protocol::{Envelope, Event, TaskId};
use cowork_store::{Store, StoreError, StoredEvent};

/// How many envelopes a task's broadcast holds for its slowest watcher
/// before that watcher must catch up from the store.
const BUFFER: usize = 1024;

/// One per process: the channels of every task being watched or run.
/// Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    store: Arc<Store>,
    /// Weak, so a task's channel goes away when nobody holds it.
    channels: Mutex<HashMap<TaskId, Weak<Channel>>>,
}

/// One task's broadcast, shared by its publishers and subscribers.
struct Channel {
    task: TaskId,
    hub: Weak<HubInner>,
    tx: broadcast::Sender<Envelope>,
    /// The seq of the last stored event published; held while appending
    /// and broadcasting, so envelopes go out in seq order.
    last_seq: Mutex<u64>,
}

impl Drop for Channel {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            let mut channels = lock(&hub.channels);
            // A new channel for the same task may already have replaced
            // this one; only a dead entry is removed.
            if channels
                .get(&self.task)
                .is_some_and(|weak| weak.strong_count() == 0)
            {
                channels.remove(&self.task);
            }
        }
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("tasks", &lock(&self.inner.channels).len())
            .finish_non_exhaustive()
    }
}

impl Hub {
    pub fn new(store: Arc<Store>) -> Self {
        Self {
            inner: Arc::new(HubInner {
                store,
                channels: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The store every publisher appends to.
    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    /// How many tasks have a live channel (someone publishing or
    /// watching).
    pub fn live_tasks(&self) -> usize {
        lock(&self.inner.channels)
            .values()
            .filter(|weak| weak.strong_count() > 0)
            .count()
    }

    /// Publishes `task`'s events.
    pub fn publisher(&self, task: &TaskId) -> Publisher {
        Publisher {
            store: Arc::clone(&self.inner.store),
            channel: self.channel(task),
        }
    }

    /// Every event of `task` with seq > `after` (stored ones first, then
    /// live ones), in seq order, without gaps or duplicates.
    pub fn subscribe(&self, task: &TaskId, after: u64) -> Result<Subscription, StoreError> {
        let channel = self.channel(task);
        // Join the broadcast before reading the store: an event appended
        // in between is then in both, and the replay's seq drops the copy.
        let rx = channel.tx.subscribe();
        let mut sub = Subscription {
            store: Arc::clone(&self.inner.store),
            channel,
            rx,
            backlog: VecDeque::new(),
            delivered: after,
        };
        sub.catch_up()?;
        Ok(sub)
    }

    fn channel(&self, task: &TaskId) -> Arc<Channel> {
        let mut channels = lock(&self.inner.channels);
        if let Some(channel) = channels.get(task).and_then(Weak::upgrade) {
            return channel;
        }
        let (tx, _) = broadcast::channel(BUFFER);
        let channel = Arc::new(Channel {
            task: task.clone(),
            hub: Arc::downgrade(&self.inner),
            tx,
            last_seq: Mutex::new(0),
        });
        channels.insert(task.clone(), Arc::downgrade(&channel));
        channel
    }
}

/// Publishes one task's events. Cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    store: Arc<Store>,
    channel: Arc<Channel>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("task", &self.channel.task)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    pub fn task(&self) -> &TaskId {
        &self.channel.task
    }

    /// Appends `event` if it is persistent, then broadcasts it. Returns
    /// its seq: its own for a stored event, the last stored one's for a
    /// transient event.
    pub fn publish(&self, event: Event) -> Result<u64, StoreError> {
        let mut last = lock(&self.channel.last_seq);
        if event.is_persistent() {
            *last = self.store.append(&self.channel.task, &event)?;
        }
        self.broadcast(*last, event);
        Ok(*last)
    }

    /// Appends `events` in one transaction synced to disk (see
    /// [`Store::append_all_synced`]), then broadcasts them. Returns their
    /// seqs.
    pub fn publish_all_synced(&self, events: &[Event]) -> Result<Vec<u64>, StoreError> {
        let mut last = lock(&self.channel.last_seq);
        let seqs = self.store.append_all_synced(&self.channel.task, events)?;
        for (seq, event) in seqs.iter().zip(events) {
            self.broadcast(*seq, event.clone());
            *last = *seq;
        }
        Ok(seqs)
    }

    /// Broadcasts an event the store already holds at `seq` (appended by
    /// the store itself, e.g. the "resumed" status of a claim).
    pub fn announce(&self, seq: u64, event: Event) {
        let mut last = lock(&self.channel.last_seq);
        *last = (*last).max(seq);
        self.broadcast(seq, event);
    }

    /// Broadcasts an event that could not be stored, so watchers still
    /// learn it (the task's end when the store has failed). A persistent
    /// event goes out with the seq it would have had: with the last
    /// stored seq, watchers would take it for one already delivered and
    /// drop it. Nothing of this run is stored after it.
    pub fn broadcast_unstored(&self, event: Event) {
        let last = *lock(&self.channel.last_seq);
        let seq = if event.is_persistent() {
            last + 1
        } else {
            last
        };
        self.broadcast(seq, event);
    }

    fn broadcast(&self, seq: u64, event: Event) {
        let envelope = Envelope {
            task: self.channel.task.clone(),
            seq,
            at: now_ms(),
            event,
        };
        // No watcher is fine: the log has everything stored.
        let _ = self.channel.tx.send(envelope);
    }
}

/// A watcher of one task: stored events after its starting seq, then live
/// ones. Never ends by itself (a finished task may be continued); stop at
/// the terminal status you are waiting for.
pub struct Subscription {
    store: Arc<Store>,
    channel: Arc<Channel>,
    rx: broadcast::Receiver<Envelope>,
    backlog: VecDeque<Envelope>,
    /// The seq of the last stored event delivered (or the starting seq).
    delivered: u64,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("task", &self.channel.task)
            .field("delivered", &self.delivered)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    pub fn task(&self) -> &TaskId {
        &self.channel.task
    }

    /// The next envelope. `None` only when the store cannot be read to
    /// catch up after falling behind.
    pub async fn next(&mut self) -> Option<Envelope> {
        loop {
            if let Some(envelope) = self.backlog.pop_front() {
                self.delivered = envelope.seq;
                return Some(envelope);
            }
            match self.rx.recv().await {
                Ok(envelope) => {
                    if self.is_new(&envelope) {
                        if envelope.is_persistent() {
                            self.delivered = envelope.seq;
                        }
                        return Some(envelope);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(task = %self.channel.task, missed, "a watcher fell behind; catching up from the store");
                    if let Err(e) = self.catch_up() {
                        tracing::error!(task = %self.channel.task, "could not catch up from the store: {e}");
                        return None;
                    }
                }
                // The channel holds the sender itself, so it never closes
                // while this subscription lives.
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// The envelopes as a stream.
    pub fn into_stream(self) -> impl futures::Stream<Item = Envelope> + Send + 'static {
        futures::stream::unfold(self, |mut sub| async move {
            sub.next().await.map(|envelope| (envelope, sub))
        })
    }

    /// A stored event is new past the last one delivered. A transient one
    /// carries the seq of the stored event before it: older than what was
    /// delivered, it happened before, and is stale.
    fn is_new(&self, envelope: &Envelope) -> bool {
        if envelope.is_persistent() {
            envelope.seq > self.delivered
        } else {
            envelope.seq >= self.delivered
        }
    }

    fn catch_up(&mut self) -> Result<(), StoreError> {
        let after = self.backlog.back().map_or(self.delivered, |e| e.seq);
        let stored = self.store.events_after(&self.channel.task, after)?;
        let task = &self.channel.task;
        self.backlog.extend(
            stored
                .into_iter()
                .map(|StoredEvent { seq, at, event }| Envelope {
                    task: task.clone(),
                    seq,
                    at,
                    event,
                }),
        );
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks leaves plain data behind (a map
    // of weak refs, a seq), still consistent enough to go on with.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
#[path = "hub_tests.rs"]
mod tests;
