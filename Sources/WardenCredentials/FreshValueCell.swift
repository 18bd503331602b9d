public import Foundation
public import Synchronization

/// The hot path's snapshot: the held value and the instant until which it may be returned without waiting.
///
/// Kept apart from the provider's state and inlinable, so that `current()` compiles, in the caller's module, to a
/// clock read, one lock and one comparison, specialized for the concrete value type. The snapshot is copied into
/// several shards, each on its own cache lines, and a reader locks the shard of its thread: readers on different
/// cores then do not write to the same lock word. Writers, which are rare (a refresh), update every shard.
@usableFromInline
final class FreshValueCell<Value: Sendable>: Sendable {
    @usableFromInline
    final class Shard: Sendable {
        @usableFromInline
        let snapshot = Mutex<(value: Value, freshUntil: Date)?>(nil)
        // Keeps the next shard's lock off this one's cache lines.
        private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        init() {}
    }

    @usableFromInline
    static var shardCount: Int { 8 }

    @usableFromInline
    let shards: [Shard]

    @usableFromInline
    init() {
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    @inlinable
    func value(at now: Date) -> Value? {
        // Threads' stacks and control blocks are at least a page apart: the bits above the page offset spread them.
        let thread = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(bitPattern: UInt(pthread_self()))))
        let shard = self.shards[Int((thread >> 12) % UInt(Self.shardCount))]
        return shard.snapshot.withLock { snapshot in
            guard let snapshot, now < snapshot.freshUntil else { return nil }
            return snapshot.value
        }
    }

    func set(_ value: Value, freshUntil: Date) {
        for shard in self.shards { shard.snapshot.withLock { $0 = (value, freshUntil) } }
    }

    func clear() {
        for shard in self.shards { shard.snapshot.withLock { $0 = nil } }
    }
}
