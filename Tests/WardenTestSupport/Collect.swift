/// The first `count` elements of `stream`, or those that came before `seconds` passed: a test that waits on events
/// gets fewer elements and fails its expectation, instead of hanging until the suite's time limit.
public func collect<Element: Sendable>(
    _ count: Int,
    from stream: AsyncStream<Element>,
    within seconds: Double
) async -> [Element] {
    await withTaskGroup(of: [Element]?.self) { group in
        group.addTask {
            var elements: [Element] = []
            for await element in stream {
                elements.append(element)
                if elements.count == count { break }
            }
            return elements
        }
        group.addTask {
            try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            return nil
        }
        // The collector ends when the stream is cancelled too, returning what it has.
        var collected: [Element] = []
        for await result in group {
            if let result {
                collected = result
                group.cancelAll()
                break
            }
            group.cancelAll()
        }
        return collected
    }
}
