import Foundation

/// Command-line tools some tests compare against; those tests are skipped when a tool is missing.
enum ExternalTools {
    static func path(_ name: String) -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let p = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static let qrencode = path("qrencode")
    static let zbarimg = path("zbarimg")
    static let python3 = path("python3")

    /// Runs a tool; returns (exit status, stdout).
    static func run(_ tool: String, _ arguments: [String], stdin: [UInt8]? = nil) throws -> (Int32, [UInt8]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin))
            try input.fileHandleForWriting.close()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, Array(data))
    }

    /// A fresh path under /tmp for a test artefact.
    static func temporaryPath(_ suffix: String) -> String {
        "/tmp/escpos-test-\(getpid())-\(UUID().uuidString.prefix(8))\(suffix)"
    }
}
