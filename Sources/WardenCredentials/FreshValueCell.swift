// Foundation brings the platform's pthread API (Glibc, Musl or Darwin).
public import Foundation
public import Synchronization

/// The hot path's snapshot: the held value and the instant until which it may be returned without asking the engine.
///
/// Kept apart from the provider's state and inlinable, so that `current()` compiles, in the caller's module, to a
/// clock read, one uncontended lock and one comparison, specialized for the concrete value type. The snapshot is copied
/// into several shards, each on its own cache lines, and each thread reads the shard it was dealt when it first read
/// any cell (round-robin, so that two threads never share one until there are more threads than shards). Readers on
/// different cores then write to no common lock word. Writers, which are rare (a refresh), update every shard.
@usableFromInline
final class FreshValueCell<Value: Sendable>: Sendable {
    @usableFromInline
    final class Shard: Sendable {
        @usableFromInline
        let snapshot = Mutex<(value: Value, pokeAt: Date)?>(nil)
        // Keeps the next shard's lock off this one's cache lines.
        private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        init() {}
    }

    @usableFromInline
    let shards: [Shard]

    @usableFromInline
    init() {
        self.shards = (0..<ThreadShard.count).map { _ in Shard() }
    }

    /// The value, if one is held and `now` is before the instant at which the engine wants to be asked again.
    @inlinable
    func value(at now: Date) -> Value? {
        self.shards[ThreadShard.index].snapshot.withLock { snapshot in
            guard let snapshot, now < snapshot.pokeAt else { return nil }
            return snapshot.value
        }
    }

    func set(_ value: Value, pokeAt: Date) {
        for shard in self.shards { shard.snapshot.withLock { $0 = (value, pokeAt) } }
    }

    func clear() {
        for shard in self.shards { shard.snapshot.withLock { $0 = nil } }
    }
}

/// Which shard of every ``FreshValueCell`` the current thread reads: dealt round-robin on a thread's first read and
/// kept in thread-specific storage. A hash of the thread's identity would let two threads collide (glibc places thread
/// control blocks a power of two apart), and `pthread_t` is an integer on Linux but a pointer on Darwin.
@usableFromInline
enum ThreadShard {
    @usableFromInline
    static var count: Int { 8 }

    @usableFromInline
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-specific storage key available")
        return key
    }()

    private static let dealt = Atomic<Int>(0)

    @inlinable
    static var index: Int {
        // Stored as index + 1, so that "not dealt yet" is nil.
        if let stored = pthread_getspecific(Self.key) {
            return Int(bitPattern: stored) - 1
        }
        return Self.deal()
    }

    @usableFromInline
    static func deal() -> Int {
        let index = Self.dealt.add(1, ordering: .relaxed).oldValue % Self.count
        pthread_setspecific(Self.key, UnsafeRawPointer(bitPattern: index + 1))
        return index
    }
}
