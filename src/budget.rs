//! A byte budget shared by a producer and a consumer thread.
//!
//! Channels bound messages in number, not in size: a message can hold one
//! record or a megabyte of them. Where the bytes in flight must stay
//! bounded whatever the input (the pipeline's packet batches, the Parquet
//! sink's record batches), the producer acquires a message's bytes before
//! sending it and the consumer releases them when done.

use std::sync::{Condvar, Mutex};

/// At most `limit` bytes in flight; a single larger message passes when
/// nothing else is in flight, so no message waits forever.
pub struct Budget {
    state: Mutex<BudgetState>,
    freed: Condvar,
    limit: usize,
}

struct BudgetState {
    used: usize,
    closed: bool,
}

impl Budget {
    pub fn new(limit: usize) -> Self {
        Budget { state: Mutex::new(BudgetState { used: 0, closed: false }), freed: Condvar::new(), limit }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BudgetState> {
        // The state is two plain fields, valid even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `n` more bytes fit (or nothing is in flight, or the
    /// writer has stopped), then counts them.
    pub fn acquire(&self, n: usize) {
        let mut s = self.lock();
        while !s.closed && s.used > 0 && s.used.saturating_add(n) > self.limit {
            s = self.freed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        s.used = s.used.saturating_add(n);
    }

    pub fn release(&self, n: usize) {
        let mut s = self.lock();
        s.used = s.used.saturating_sub(n);
        self.freed.notify_all();
    }

    pub fn close(&self) {
        self.lock().closed = true;
        self.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    #[test]
    fn budget_holds_the_producer_until_the_consumer_frees_bytes() {
        let budget = Arc::new(Budget::new(10));
        budget.acquire(8);
        let (tx, rx) = mpsc::channel();
        let b = Arc::clone(&budget);
        let producer = std::thread::spawn(move || {
            b.acquire(5);
            let _ = tx.send(());
        });
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err(), "8 + 5 > 10 must wait");
        budget.release(8);
        assert!(rx.recv_timeout(Duration::from_secs(10)).is_ok(), "released bytes must wake the producer");
        let _ = producer.join();
        // A batch larger than the whole budget passes when nothing else is in flight.
        budget.release(5);
        budget.acquire(100);
        // Once the consumer has stopped, nobody waits.
        budget.close();
        budget.acquire(100);
    }
}
