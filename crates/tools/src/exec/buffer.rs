//! A byte buffer with a fixed capacity that keeps the head and the tail of what was pushed.
//!
//! Long-running processes may print without bound while nobody polls them; this buffer caps
//! the memory a session holds. Once full, the first half is frozen and later bytes roll
//! through the second half, so the oldest bytes of the tail are the ones dropped.

use std::collections::VecDeque;

/// Output drained from a [`BoundedOutput`].
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Drained {
    /// Head, then (when bytes were dropped) a note line, then tail.
    pub(crate) bytes: Vec<u8>,
    /// Number of bytes dropped from the middle since the last drain.
    pub(crate) dropped: usize,
}

/// Head-and-tail byte buffer holding at most `capacity` bytes of output (plus a note when
/// bytes were dropped).
#[derive(Debug)]
pub(crate) struct BoundedOutput {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    head_capacity: usize,
    tail_capacity: usize,
    /// Bytes this buffer dropped since the last take (gets a note line).
    dropped_here: usize,
    /// Bytes dropped upstream of this buffer (their note is already in the bytes).
    dropped_before: usize,
}

impl BoundedOutput {
    /// A buffer keeping at most `capacity` bytes: half for the head, half for the tail.
    pub(crate) fn new(capacity: usize) -> Self {
        let head_capacity = capacity / 2;
        Self {
            head: Vec::new(),
            tail: VecDeque::new(),
            head_capacity,
            tail_capacity: capacity - head_capacity,
            dropped_here: 0,
            dropped_before: 0,
        }
    }

    /// Appends `data`, dropping the oldest tail bytes beyond capacity.
    pub(crate) fn push(&mut self, data: &[u8]) {
        let room = self.head_capacity.saturating_sub(self.head.len());
        let (to_head, to_tail) = data.split_at(room.min(data.len()));
        self.head.extend_from_slice(to_head);
        self.tail.extend(to_tail);
        if self.tail.len() > self.tail_capacity {
            let excess = self.tail.len() - self.tail_capacity;
            self.tail.drain(..excess);
            self.dropped_here += excess;
        }
    }

    /// Appends output drained from another buffer, carrying its dropped count over.
    pub(crate) fn push_drained(&mut self, drained: &Drained) {
        self.push(&drained.bytes);
        self.dropped_before += drained.dropped;
    }

    /// Takes everything buffered, leaving the buffer empty. When this buffer dropped bytes, a
    /// line `[… N bytes of output dropped …]` sits between head and tail.
    pub(crate) fn take(&mut self) -> Drained {
        let mut bytes = std::mem::take(&mut self.head);
        let dropped_here = std::mem::take(&mut self.dropped_here);
        if dropped_here > 0 {
            if bytes.last().is_some_and(|b| *b != b'\n') {
                bytes.push(b'\n');
            }
            let note = format!("[… {dropped_here} bytes of output dropped …]\n");
            bytes.extend_from_slice(note.as_bytes());
        }
        bytes.extend(self.tail.drain(..));
        let dropped = dropped_here + std::mem::take(&mut self.dropped_before);
        Drained { bytes, dropped }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn keeps_everything_within_capacity() {
        let mut buf = BoundedOutput::new(8);
        buf.push(b"abc");
        buf.push(b"defgh");
        assert_eq!(
            buf.take(),
            Drained {
                bytes: b"abcdefgh".to_vec(),
                dropped: 0
            }
        );
        assert_eq!(buf.take(), Drained::default());
    }

    #[test]
    fn drops_the_middle_with_a_note() {
        let mut buf = BoundedOutput::new(8);
        buf.push(b"abcdef");
        buf.push(b"ghijkl");
        let drained = buf.take();
        assert_eq!(
            String::from_utf8(drained.bytes).unwrap(),
            "abcd\n[… 4 bytes of output dropped …]\nijkl"
        );
        assert_eq!(drained.dropped, 4);
    }

    #[test]
    fn carries_dropped_counts_over() {
        let mut inner = BoundedOutput::new(4);
        inner.push(b"123456");
        let mut outer = BoundedOutput::new(1024);
        outer.push_drained(&inner.take());
        let drained = outer.take();
        assert_eq!(drained.dropped, 2);
        assert_eq!(
            String::from_utf8(drained.bytes).unwrap(),
            "12\n[… 2 bytes of output dropped …]\n56"
        );
    }
}
