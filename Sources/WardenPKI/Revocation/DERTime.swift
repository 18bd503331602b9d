package import Foundation
package import SwiftASN1

/// X.509's `Time` (UTCTime or GeneralizedTime) as a `Date`, without a `Calendar`: a CRL carries one per entry, and a
/// Gregorian calendar conversion per entry would dominate the parse of a large list.
package enum DERTime {
    /// Decodes `node` as UTCTime or GeneralizedTime.
    package static func date(_ node: ASN1Node) throws -> Date {
        switch node.identifier {
        case .utcTime:
            let time = try UTCTime(derEncoded: node)
            return Self.date(
                year: time.year,
                month: time.month,
                day: time.day,
                hours: time.hours,
                minutes: time.minutes,
                seconds: time.seconds,
                fraction: 0
            )
        case .generalizedTime:
            let time = try GeneralizedTime(derEncoded: node)
            return Self.date(
                year: time.year,
                month: time.month,
                day: time.day,
                hours: time.hours,
                minutes: time.minutes,
                seconds: time.seconds,
                fraction: time.fractionalSeconds
            )
        default:
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
    }

    static func date(
        year: Int,
        month: Int,
        day: Int,
        hours: Int,
        minutes: Int,
        seconds: Int,
        fraction: Double
    ) -> Date {
        // Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian calendar.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let total = Double(days * 86_400 + hours * 3_600 + minutes * 60 + seconds) + fraction
        return Date(timeIntervalSince1970: total)
    }
}
