import Foundation
import Testing
import WardenCore

/// The strict JSON reader on its own, with cases of JSONTestSuite (Nicolas Seriot, github.com/nst/JSONTestSuite,
/// `test_parsing/`), written in by hand: each case is named after its file there. `y_` documents must be accepted,
/// `n_` documents rejected; Warden's own strictness, where it rejects what the suite allows, is listed apart with
/// its reason.
@Suite struct JSONReaderTests {
    static let accepted: [(String, String)] = [
        ("y_array_arraysWithSpaces", "[[]   ]"),
        ("y_array_empty", "[]"),
        ("y_array_empty-string", "[\"\"]"),
        ("y_array_false", "[false]"),
        ("y_array_heterogeneous", "[null, 1, \"1\", {}]"),
        ("y_array_null", "[null]"),
        ("y_array_with_leading_space", " [1]"),
        ("y_array_with_trailing_space", "[2] "),
        ("y_number", "[123e65]"),
        ("y_number_0e+1", "[0e+1]"),
        ("y_number_minus_zero", "[-0]"),
        ("y_number_negative_int", "[-123]"),
        ("y_number_real_capital_e", "[1E22]"),
        ("y_number_real_fraction_exponent", "[123.456e78]"),
        ("y_number_real_neg_exp", "[1e-2]"),
        ("y_object_basic", "{\"asd\":\"sdf\"}"),
        ("y_object_empty", "{}"),
        ("y_object_empty_key", "{\"\":0}"),
        ("y_object_with_newlines", "{\n\"a\": \"b\"\n}"),
        ("y_string_allowed_escapes", #"["\"\\\/\b\f\n\r\t"]"#),
        ("y_string_accepted_surrogate_pair", #"["\uD801\udc37"]"#),
        ("y_string_escaped_noncharacter", #"["\uFFFF"]"#),
        ("y_string_unicodeEscapedBackslash", #"["\u005C"]"#),
        ("y_string_utf8", "[\"€𝄞\"]"),
        ("y_string_space", "\" \""),
        ("y_structure_lonely_int", "42"),
        ("y_structure_lonely_null", "null"),
        ("y_structure_lonely_string", "\"asd\""),
        ("y_structure_lonely_true", "true"),
        ("y_structure_whitespace_array", " [] "),
    ]

    static let rejected: [(String, String)] = [
        ("n_array_1_true_without_comma", "[1 true]"),
        ("n_array_comma_after_close", "[\"\"],"),
        ("n_array_double_comma", "[1,,2]"),
        ("n_array_extra_close", "[\"x\"]]"),
        ("n_array_incomplete", "[\"x\""),
        ("n_array_just_comma", "[,]"),
        ("n_array_number_and_comma", "[1,]"),
        ("n_incomplete_false", "[fals]"),
        ("n_incomplete_null", "[nul]"),
        ("n_incomplete_true", "[tru]"),
        ("n_number_-01", "[-01]"),
        ("n_number_.-1", "[.-1]"),
        ("n_number_1.0e", "[1.0e]"),
        ("n_number_2.e3", "[2.e3]"),
        ("n_number_Inf", "[Inf]"),
        ("n_number_NaN", "[NaN]"),
        ("n_number_hex_1_digit", "[0x1]"),
        ("n_number_minus_space_1", "[- 1]"),
        ("n_number_plus_1", "[+1]"),
        ("n_number_with_leading_zero", "[012]"),
        ("n_object_comma_instead_of_colon", "{\"x\", null}"),
        ("n_object_missing_colon", "{\"a\" b}"),
        ("n_object_missing_value", "{\"a\":"),
        ("n_object_non_string_key", "{1:1}"),
        ("n_object_single_quote", "{'a':0}"),
        ("n_object_trailing_comma", "{\"id\":0,}"),
        ("n_object_unquoted_key", "{a: \"b\"}"),
        ("n_single_space", " "),
        ("n_string_escape_x", #"["\x00"]"#),
        ("n_string_incomplete_escape", #"["\"]"#),
        ("n_string_invalid_unicode_escape", #"["\uqqqq"]"#),
        ("n_string_single_quote", "['single quote']"),
        ("n_string_unescaped_newline", "[\"new\nline\"]"),
        ("n_string_unescaped_tab", "[\"\t\"]"),
        ("n_structure_double_array", "[][]"),
        ("n_structure_no_data", ""),
        ("n_structure_trailing_#", "{\"a\":\"b\"}#{}"),
        ("n_structure_unclosed_array", "[1"),
        ("n_structure_unclosed_object", "{\"asd\":\"asd\""),
        ("n_structure_whitespace_formfeed", "[\u{0C}]"),
        ("n_structure_U+2060_word_joined", "[\u{2060}]"),
    ]

    /// Accepted by RFC 8259 and by the suite, rejected by Warden on purpose.
    static let rejectedByWarden: [(String, String, String)] = [
        ("y_object_duplicated_key", "{\"a\":\"b\",\"a\":\"c\"}", "a member named twice (RFC 7515 §5.2)"),
        ("y_object_duplicated_key_and_value", "{\"a\":\"b\",\"a\":\"b\"}", "a member named twice (RFC 7515 §5.2)"),
        (
            "i_structure_500_nested_arrays", String(repeating: "[", count: 500) + String(repeating: "]", count: 500),
            "nesting deeper than 32"
        ),
    ]

    @Test(arguments: Self.accepted.map(\.0))
    func acceptedBySuiteAndWarden(_ name: String) throws {
        let text = try #require(Self.accepted.first { $0.0 == name }).1
        _ = try JSONValue(parsing: Array(text.utf8))
    }

    @Test(arguments: Self.rejected.map(\.0))
    func rejectedBySuiteAndWarden(_ name: String) throws {
        let text = try #require(Self.rejected.first { $0.0 == name }).1
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: Array(text.utf8)) }
    }

    @Test(arguments: Self.rejectedByWarden.map(\.0))
    func rejectedByWardenOnPurpose(_ name: String) throws {
        let (_, text, reason) = try #require(Self.rejectedByWarden.first { $0.0 == name })
        #expect(throws: JSONValue.ParseError.self, "\(reason)") { try JSONValue(parsing: Array(text.utf8)) }
    }

    @Test func invalidUTF8IsRejectedWithItsOffset() {
        let bytes: [UInt8] = Array("[\"a".utf8) + [0xC3, 0x28] + Array("\"]".utf8)
        let error = #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: bytes) }
        // The string that holds it is named: its contents start at byte 2.
        #expect(error?.offset == 2, "\(String(describing: error))")
        #expect(error?.reason.contains("UTF-8") == true, "\(String(describing: error))")
    }

    @Test func aHundredThousandOpeningBracketsFailFastOnTheDepthLimit() {
        // n_structure_100000_opening_arrays
        let bytes = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        let error = #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: bytes) }
        #expect(error?.reason.contains("nesting") == true)
    }

    @Test func numbersKeepTheirTextAndValuesReadBack() throws {
        let value = try JSONValue(parsing: Array(#"{"seq":18446744073709551615,"exp":1.5e3,"s":"\u00e9"}"#.utf8))
        #expect(value["seq"]?.uint64Value == UInt64.max)
        #expect(value["exp"]?.doubleValue == 1500)
        #expect(value["s"]?.stringValue == "é")
    }
}
