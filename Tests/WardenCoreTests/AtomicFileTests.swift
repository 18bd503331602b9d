import Foundation
import Testing
import WardenCore
import WardenTestServers
import WardenTestSupport

@Suite struct AtomicFileTests {
    @Test func writesWithMode0600AndLeavesNoTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("key.pem")
        try AtomicFile.write(Array("first".utf8), to: path)
        try AtomicFile.write(Array("second".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["key.pem"])
    }

    @Test func replacesAWorldReadableFileWithA0600One() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("key.pem", "old")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try AtomicFile.write(Array("new".utf8), to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test func aMissingDirectoryIsATypedErrorThatNamesTheStep() throws {
        let directory = try TemporaryDirectory()
        #expect {
            try AtomicFile.write(Array("x".utf8), to: directory.file("missing/key.pem"))
        } throws: { error in
            guard let error = error as? AtomicFileError else { return false }
            return error.errno == ENOENT && error.description.contains("temporary file")
        }
    }
}
