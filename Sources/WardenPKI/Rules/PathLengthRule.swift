package import X509

/// RFC 5280 §4.2.1.9 and §6.1.4 (l): a CA's pathLenConstraint bounds the non-self-issued intermediate CAs below it
/// in the chain; self-issued certificates do not count.
package enum PathLengthRule {
    package struct Violation: Error {
        /// The position of the constraining CA in the chain.
        package let index: Int
        package let limit: Int
        package let found: Int
    }

    /// Checks `chain` (leaf first), where `limit(i)` is the pathLenConstraint of certificate `i` (nil: unbounded).
    package static func check(_ chain: [Certificate], limit: (Int) -> Int?) throws(Violation) {
        var intermediatesBelow = 0
        for index in chain.indices.dropFirst() {
            if let limit = limit(index), intermediatesBelow > limit {
                throw Violation(index: index, limit: limit, found: intermediatesBelow)
            }
            if chain[index].subject != chain[index].issuer { intermediatesBelow += 1 }
        }
    }

    package static func message(_ violation: Violation, _ chain: [Certificate]) -> String {
        "\(CertificateNaming.name(chain[violation.index], at: violation.index)) allows \(violation.limit) intermediate "
            + "CA(s) below it (pathLenConstraint) but the chain has \(violation.found)"
    }
}
